import DataLoader from 'dataloader';
import type { EntityName } from '@mikro-orm/core';
import type { Policy } from '../auth/policy.js';
import type { Em } from '../db/orm.js';
import type { Context } from '../graphql/context.js';
import { createNodeLoader } from '../graphql/node.resolver.js';
import { createEntityKeyLoader } from '../graphql/federation.js';
import { Organisation } from '../organisations/organisation.entity.js';
import { Service, ServiceRole, SubArea } from '../services/service.entity.js';
import { referenceData, referenceDataNow, type ReferenceData } from '../services/reference-data.js';
import { Placement, User } from '../users/user.entity.js';
import { Employment } from '../employments/employment.entity.js';
import { GrantRepository } from '../grants/grant.repository.js';
import { Document } from '../documents/document.entity.js';
import { Grant } from '../grants/grant.entity.js';
import { OrderAttachment, OrderEvent } from '../orders/order.entity.js';
import { execute, Sql, sql } from '../db/sql.js';
import { readOnlyRow } from '../db/read-only-row.js';
import { SettledLoader } from '../db/settled-loader.js';
import { executeRead } from '../db/prepared.js';
import { activeMandate } from '../issuers/issuer-mandate.sql.js';
import { Routine } from '../routines/routine.entity.js';
import { AdministratorState, IssuerAdministrator } from '../issuers/issuer-mandate.entity.js';
import { responsibleIssuers } from '../issuers/issuer-mandate.service.js';
import { OrganisationRepository } from '../organisations/organisation.repository.js';
import { ClientRepository } from '../clients/client.repository.js';
import { WebhookRepository } from '../webhooks/webhook.repository.js';

/** Loads entities by id in one query per batch; used for links from objects the viewer may already see. */
function byIdLoader<T extends { id: string }>(em: Em, entity: EntityName<T>): DataLoader<string, T | null> {
  return new DataLoader(async (ids) => {
    const rows = await em.find(entity, { id: { $in: [...ids] } } as never);
    const map = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => map.get(id) ?? null);
  });
}

/**
 * The same as read-only rows (readOnlyRow): for links only resolvers follow (a person's employer, a
 * grant's scope), never handed to a service that writes. Lists of people name dozens of them.
 */
function readOnlyByIdLoader<T extends { id: string }>(em: Em, entity: EntityName<T>): SettledLoader<string, T | null> {
  const table = Sql.raw(em.getMetadata().get(entity).tableName);
  return new SettledLoader(async (ids) => {
    const rows = await executeRead<Record<string, unknown>>(em, sql`select * from ${table} where id in (${[...ids]})`);
    const map = new Map(rows.map((r) => [String(r.id), readOnlyRow(em, entity, r)]));
    return ids.map((id) => map.get(id) ?? null);
  });
}

/** Loads child rows grouped by a foreign key in one query per batch. */
function groupLoader<T extends object>(load: (keys: string[]) => Promise<T[]>, keyOf: (row: T) => string): DataLoader<string, T[]> {
  return new DataLoader(async (keys) => {
    const rows = await load([...keys]);
    const groups = new Map<string, T[]>();
    for (const row of rows) {
      const key = keyOf(row);
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key)!.push(row);
    }
    return keys.map((k) => groups.get(k) ?? []);
  });
}

/** One table of the catalogue by id: answered at once (SettledLoader.get) while the process's copy is fresh. */
function catalogueLoader<V>(em: Em, table: (data: ReferenceData) => Map<string, V>): SettledLoader<string, V | null> {
  return new SettledLoader<string, V | null>(
    async (ids) => {
      const data = await referenceData(em);
      return ids.map((id) => table(data).get(id) ?? null);
    },
    (id) => {
      const now = referenceDataNow(em);
      return now && { value: table(now).get(id) ?? null };
    },
  );
}

/** The service catalogue (services, roles, sub-areas), cached per process, looked up per request. */
function catalogueLoaders(em: Em) {
  return {
    service: catalogueLoader<Service>(em, (d) => d.services),
    role: catalogueLoader<ServiceRole>(em, (d) => d.roles),
    rolesByService: new DataLoader<string, ServiceRole[]>(async (ids) => {
      const { roles } = await referenceData(em);
      return ids.map((id) => [...roles.values()].filter((r) => r.service.id === id));
    }),
    subAreasByService: new DataLoader<string, SubArea[]>(async (ids) => {
      const { subAreas } = await referenceData(em);
      return ids.map((id) => [...subAreas.values()].filter((a) => a.service.id === id));
    }),
  };
}

/** Links from objects the viewer already sees: by id, as read-only rows where only resolvers follow them. */
function linkLoaders(em: Em) {
  return {
    organisation: readOnlyByIdLoader(em, Organisation),
    user: readOnlyByIdLoader(em, User),
    document: byIdLoader(em, Document),
    routine: byIdLoader(em, Routine),
    grant: byIdLoader(em, Grant),
    placementsByUser: groupLoader(
      (ids) => em.find(Placement, { user: { $in: ids } }, { orderBy: { validFrom: 'asc' } }),
      (r) => r.user.id,
    ),
    employmentsByUser: groupLoader(
      (ids) => em.find(Employment, { user: { $in: ids } }, { orderBy: { validFrom: 'desc', id: 'desc' } }),
      (r) => r.user.id,
    ),
  };
}

/** Who decides for whom: issuers' administrators, responsible issuers, support contacts. */
function issuerLoaders(em: Em) {
  return {
    administratorsByIssuer: groupLoader(
      async (keys) => {
        const pairs = keys.map((k) => k.split(':'));
        const rows = await em.find(
          IssuerAdministrator,
          { state: AdministratorState.ACTIVE, $or: pairs.map(([service, organisation]) => ({ service, organisation })) },
          { populate: ['user'], orderBy: { createdAt: 'asc' } },
        );
        return rows.map((a) => ({ key: `${a.service.id}:${a.organisation.id}`, user: a.user }));
      },
      (r) => r.key,
    ),
    /** The responsible issuer organisation id per "serviceId:userId", one statement per service. */
    responsibleIssuer: new DataLoader<string, string | null>(async (keys) => {
      const byService = new Map<string, string[]>();
      for (const key of keys) {
        const [serviceId, userId] = key.split(':');
        byService.set(serviceId, [...(byService.get(serviceId) ?? []), userId]);
      }
      const found = new Map<string, string>();
      for (const [serviceId, userIds] of byService) {
        for (const [userId, issuerId] of await responsibleIssuers(em, serviceId, userIds)) found.set(`${serviceId}:${userId}`, issuerId);
      }
      return keys.map((k) => found.get(k) ?? null);
    }),
    /** The support contact of an issuer's mandate in force, per "serviceId:organisationId". */
    supportContact: new DataLoader<string, { email: string | null; phone: string | null; instructions: string | null } | null>(async (keys) => {
      const pairs = keys.map((k) => k.split(':'));
      const rows = await execute<{ service_id: string; organisation_id: string; support_email: string | null; support_phone: string | null; support_instructions: string | null }>(
        em,
        sql`select m.service_id, m.organisation_id, m.support_email, m.support_phone, m.support_instructions from issuer_mandates m
          where ${activeMandate('m')} and (m.service_id, m.organisation_id) in (${Sql.join(pairs.map(([s, o]) => sql`(${s}::uuid, ${o}::uuid)`), ', ')})`,
      );
      const found = new Map(rows.map((r) => [`${r.service_id}:${r.organisation_id}`, { email: r.support_email, phone: r.support_phone, instructions: r.support_instructions }]));
      return keys.map((k) => found.get(k) ?? null);
    }),
  };
}

/** An order's parts: its sub-areas, attachments and history. */
function orderLoaders(em: Em) {
  return {
    subAreasByOrder: groupLoader(
      async (ids) => {
        const rows = await execute<Record<string, unknown>>(
          em,
          sql`select s.*, os.order_id as __order_id from order_sub_areas os join sub_areas s on s.id = os.sub_area_id where os.order_id in (${ids}) order by s.code`,
        );
        return rows.map(({ __order_id, ...row }) => ({ orderId: String(__order_id), subArea: em.map(SubArea, row) }));
      },
      (r) => r.orderId,
    ),
    attachmentsByOrder: groupLoader(
      (ids) => em.find(OrderAttachment, { order: { $in: ids } }, { populate: ['document', 'subArea'], exclude: ['document.content'] as never }),
      (a) => a.order.id,
    ),
    eventsByOrder: groupLoader(
      (ids) => em.find(OrderEvent, { order: { $in: ids } }, { orderBy: { occurredAt: 'asc', id: 'asc' } }),
      (e) => e.order.id,
    ),
  };
}

/** Nested lists scoped by the viewer's Policy: one windowed statement for all parents of a page. */
function scopedListLoaders(em: Em, policy: Policy) {
  const grants = new GrantRepository(em, policy);
  const organisations = new OrganisationRepository(em, policy);
  const webhooks = new WebhookRepository(em, policy);
  return {
    subAreasByGrant: groupLoader(
      async (ids) => grants.subAreasOf(ids),
      (r) => r.grantId,
    ),
    grantsByUser: grants.pagesByUser(),
    childrenByOrganisation: organisations.childrenByParent(),
    webhookSubscriptionsByClient: webhooks.pagesByClient(),
    webhookDeliveriesBySubscription: webhooks.pagesBySubscription(),
  };
}

/** Per-request loaders, bound to this request's EntityManager and viewer. */
export function createLoaders(em: Em, policy: Policy, ctx: () => Context) {
  return {
    node: createNodeLoader(ctx),
    entityKey: createEntityKeyLoader(ctx),
    ...catalogueLoaders(em),
    ...linkLoaders(em),
    ...issuerLoaders(em),
    ...orderLoaders(em),
    ...scopedListLoaders(em, policy),
    /** A client's credentials, for every client of a page in one statement (clients are only read once found in scope). */
    clientCredentials: new DataLoader<string, { issuer: string; clientId: string }[]>(async (ids) => {
      const found = await new ClientRepository(em, policy).credentialsOf([...ids]);
      return ids.map((id) => found.get(id) ?? []);
    }),
  };
}

type AssembledLoaders = ReturnType<typeof createLoaders>;

declare module '../graphql/context.js' {
  // The loaders every resolver sees on its Context, as assembled here (declaration merging needs an interface).
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface Loaders extends AssembledLoaders {}
}
