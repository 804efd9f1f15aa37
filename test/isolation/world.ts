import { Document, DocumentKind } from '../../src/documents/document.entity.js';
import { Grant, GrantState } from '../../src/grants/grant.entity.js';
import { FederatedIdentity } from '../../src/identities/federated-identity.entity.js';
import { AdministratorState, IssuerAdministrator, IssuerMandate, MandateState } from '../../src/issuers/issuer-mandate.entity.js';
import { AppointmentState, OrdererAppointment } from '../../src/orderers/orderer-appointment.entity.js';
import { Organisation, OrganisationKind } from '../../src/organisations/organisation.entity.js';
import { createOrganisation } from '../../src/organisations/organisation.service.js';
import { Routine } from '../../src/routines/routine.entity.js';
import { Service, ServiceRole } from '../../src/services/service.entity.js';
import { Placement, ProfileState, User } from '../../src/users/user.entity.js';
import { Client, ClientCredential } from '../../src/clients/client.entity.js';
import type { TestHub } from '../support/hub.js';
import type { PeriodShape, WorldShape } from './generators.js';
import { Model, SERVICES, type MEvent, type AppointmentState as MState, type GrantState as MGrantState, type OrgKind, type Svc } from './model.js';

/**
 * Turns a world shape into rows, inserted directly with the ORM in one transaction (the API is what
 * is under test, not fixture creation), and reads the whole database back into a reference model.
 */

const DAY = 86_400_000;
/** Few distinct names, with ties and non-ASCII letters, so keyset paging meets equal sort keys. */
const ORG_NAMES = ['Enhet', 'Ekonomi', 'Älvdalen', 'Öst', 'enhet', 'Väst'];
const FAMILY_NAMES = ['Berg', 'Åberg', 'berg', 'Lind', 'Lindqvist', 'Öberg'];
const GIVEN_NAMES = ['Ada', 'Åsa', 'Bo'];

/** Ids of every row a world inserted, for cleaning up after it. */
export interface WorldRows {
  organisations: string[];
  users: string[];
  grants: string[];
  mandates: string[];
  admins: string[];
  appointments: string[];
  /** Machine clients acting for world organisations. */
  clients: string[];
  /** Webhook subscriptions the run made (of world and demo clients). */
  subscriptions: string[];
  document: string;
}

let worlds = 0;

function periodOf(shape: PeriodShape, now: number): { validFrom: Date; validTo: Date | null } {
  switch (shape) {
    case 'current':
      return { validFrom: new Date(now - 10 * DAY), validTo: null };
    case 'ended':
      return { validFrom: new Date(now - 20 * DAY), validTo: new Date(now - 2 * DAY) };
    case 'future':
      return { validFrom: new Date(now + 10 * DAY), validTo: null };
  }
}

const at = <T>(list: T[], index: number): T => list[index % list.length];

export async function buildWorld(hub: TestHub, shape: WorldShape): Promise<WorldRows> {
  const tag = `${process.pid}-${++worlds}`;
  const now = Date.now();
  const rows = await hub.db.orm.em.fork().transactional(async (tx) => {
    const service = {} as Record<Svc, Service>;
    const role = {} as Record<Svc, ServiceRole>;
    const routine = {} as Record<Svc, Routine>;
    for (const code of SERVICES) {
      service[code] = await tx.findOneOrFail(Service, { code }, { populate: ['owner'] });
      role[code] = await tx.findOneOrFail(ServiceRole, { service: service[code], code: code === 'SUS' ? 'registrar' : 'specialist' });
      routine[code] = await tx.findOneOrFail(Routine, { service: service[code], organisationKind: null }, { orderBy: { effectiveFrom: 'desc' } });
    }
    const demoOrgs = await tx.find(Organisation, {}, { orderBy: { path: 'asc' } });
    const demoUsers = await tx.find(User, {}, { populate: ['employer'], orderBy: { email: 'asc' } });

    const orgs: Organisation[] = [];
    for (const [i, kind] of shape.roots.entries()) {
      orgs.push(createOrganisation(tx, { kind: kind as OrganisationKind, name: `${at(ORG_NAMES, i)} ${kind}`, registrationNumber: `ISO-${tag}-${i}`, parent: null }));
    }
    let last: Organisation = orgs[0];
    for (const [i, u] of shape.units.entries()) {
      const parent = i < shape.chain ? (i === 0 ? at(orgs, u.parent) : last) : u.underDemo ? at(demoOrgs, u.parent) : at(orgs, u.parent);
      const kind = (i < shape.chain ? 'unit' : u.kind) as OrganisationKind;
      last = createOrganisation(tx, { kind, name: at(ORG_NAMES, i + u.parent), registrationNumber: kind === OrganisationKind.UNIT ? null : `ISO-${tag}-u${i}`, parent });
      orgs.push(last);
    }
    const everyOrg = [...demoOrgs, ...orgs];
    const subtree = (top: Organisation) => everyOrg.filter((o) => o.path.startsWith(top.path));

    const users: User[] = [];
    for (const [i, u] of shape.users.entries()) {
      const employer = u.atDemo ? at(demoOrgs, u.employer) : at(orgs, u.employer);
      const email = `iso-${tag}-${i}@iso.example`;
      const user = tx.create(User, {
        employer,
        givenName: at(GIVEN_NAMES, i),
        familyName: at(FAMILY_NAMES, i + u.employer),
        email,
        phone: null,
        profileState: ProfileState.COMPLETE,
      });
      tx.create(FederatedIdentity, { user, issuer: hub.app.devIssuer!.issuer, subject: email });
      if (u.placement) {
        const organisation = u.placement.atDemo ? at(demoOrgs, u.placement.org) : at(orgs, u.placement.org);
        tx.create(Placement, { user, organisation, ...periodOf(u.placement.period, now) });
      }
      users.push(user);
    }
    const everyUser = [...demoUsers, ...users];

    // One grant in force per person, service, role and scope (the database refuses a second): a repeat is stored ended.
    const inForce = new Set<string>();
    const grants = shape.grants.map((g) => {
      const user = at(users, g.user);
      const key = `${user.id}:${g.service}`;
      const repeat = (g.state === 'active' || g.state === 'suspended') && inForce.has(key);
      if (g.state === 'active' || g.state === 'suspended') inForce.add(key);
      return tx.create(Grant, {
        user,
        service: service[g.service],
        role: role[g.service],
        scope: user.employer,
        validFrom: new Date(now - 30 * DAY),
        issuedBy: service[g.service].owner,
        state: repeat ? GrantState.REVOKED : (g.state as GrantState),
        endedAt: repeat ? new Date(now - DAY) : null,
      });
    });

    const document = tx.create(Document, { kind: DocumentKind.AGREEMENT, filename: 'a.pdf', contentType: 'application/pdf', size: 5, sha256: '0'.repeat(64), content: Buffer.from('%PDF-') });
    const granter = demoUsers.find((u) => u.email === 'karin.admin@forsakringskassan.se') ?? users[0];

    const mandates: IssuerMandate[] = [];
    const admins: IssuerAdministrator[] = [];
    for (const m of shape.mandates) {
      const outer = m.nested ? mandates.at(-1) : undefined;
      const organisation = outer ? at(subtree(outer.organisation), m.org) : m.atDemo ? at(demoOrgs, m.org) : at(orgs, m.org);
      const wanted = outer ? (SERVICES.find((s) => service[s] === outer.service) ?? m.service) : m.service;
      // The API never grants issuer rights inside a service's own authority: try the other service.
      const code = [wanted, ...SERVICES.filter((s) => s !== wanted)].find((s) => !organisation.path.startsWith(service[s].owner.path));
      if (!code) continue;
      const validity =
        m.status === 'active' ? periodOf('current', now) : m.status === 'future' ? periodOf('future', now) : { validFrom: new Date(now - 20 * DAY), validTo: new Date(now - DAY) };
      const mandate = tx.create(IssuerMandate, {
        service: service[code],
        organisation,
        state: m.status === 'ended' ? MandateState.ENDED : MandateState.ACTIVE,
        agreementReference: `ISO-${tag}`,
        agreementSignatory: 'Isolation',
        agreementDocument: document,
        ...validity,
        routine: routine[code],
        grantedBy: granter,
      });
      mandates.push(mandate);
      const staff = everyUser.filter((u) => u.employer.path.startsWith(organisation.path));
      for (const a of m.admins) {
        const user = a.inside && staff.length ? at(staff, a.user) : at(everyUser, a.user);
        admins.push(
          tx.create(IssuerAdministrator, { user, service: service[code], organisation, state: a.removed ? AdministratorState.REMOVED : AdministratorState.ACTIVE }),
        );
      }
    }
    for (const a of shape.authorityAdmins) {
      admins.push(
        tx.create(IssuerAdministrator, {
          user: at(users, a.user),
          service: service[a.service],
          organisation: service[a.service].owner,
          state: a.removed ? AdministratorState.REMOVED : AdministratorState.ACTIVE,
        }),
      );
    }

    const appointments: OrdererAppointment[] = [];
    for (const a of shape.appointments) {
      const twin = a.twin ? appointments.at(-1) : undefined;
      const user = twin ? twin.user : at(users, a.user);
      const legalEntity = user.employer.legalEntity ? everyOrg.find((o) => o.id === user.employer.legalEntity!.id)! : user.employer;
      const scope = twin ? twin.scope : a.own ? at(subtree(legalEntity), a.scope) : at(orgs, a.scope);
      const code = twin ? (SERVICES.find((s) => service[s] === twin.service) ?? a.service) : a.service;
      appointments.push(
        tx.create(OrdererAppointment, {
          user,
          service: service[code],
          scope,
          state: a.state as AppointmentState,
          ...periodOf(a.period, now),
          requestForm: document,
          routine: routine[code],
          requestedBy: user,
        }),
      );
    }

    // Two organisation clients of the world: one for a root, one for the deepest organisation made last.
    const clients = [orgs[0], orgs[orgs.length - 1]].filter((o, i, all) => all.indexOf(o) === i).map((organisation, i) => {
      const client = tx.create(Client, { name: `iso-${tag}-c${i}`, organisation });
      tx.create(ClientCredential, { client, issuer: hub.app.devIssuer!.issuer, oauthClientId: client.name });
      return client;
    });

    return {
      clients: clients.map((c) => c.id),
      subscriptions: [],
      organisations: orgs.map((o) => o.id),
      users: users.map((u) => u.id),
      grants: grants.map((g) => g.id),
      mandates: mandates.map((m) => m.id),
      admins: admins.map((a) => a.id),
      appointments: appointments.map((a) => a.id),
      document: document.id,
    };
  });

  if (shape.microseconds) {
    const conn = hub.db.orm.em.getConnection();
    for (const [table, ids] of [
      ['grants', rows.grants],
      ['issuer_mandates', rows.mandates],
      ['orderer_appointments', rows.appointments],
    ] as const) {
      if (ids.length === 0) continue;
      await conn.execute(`update ${table} set created_at = created_at + (1 + abs(hashtext(id::text)) % 998) * interval '1 microsecond' where id in (?)`, [ids]);
    }
  }
  return rows;
}

/** Removes a world's rows (and the audit trail about them), so the next world starts from the demo alone. */
export async function removeWorld(hub: TestHub, rows: WorldRows): Promise<void> {
  await hub.db.orm.em.fork().transactional(async (tx) => {
    const conn = tx.getConnection();
    const run = (statement: string, ...params: string[][]) =>
      params.every((p) => p.length > 0) ? conn.execute(statement, params, 'run', tx.getTransactionContext()) : Promise.resolve();
    const targets = [...rows.users, ...rows.organisations, ...rows.grants, ...rows.mandates, ...rows.appointments];
    await run('delete from audit_events where target_id in (?)', targets);
    await run('delete from events where subject_id in (?)', targets);
    await run('delete from events where person_id in (?)', rows.users);
    await run('delete from webhook_deliveries where subscription_id in (?)', rows.subscriptions);
    await run('delete from webhook_subscriptions where id in (?)', rows.subscriptions);
    await run('delete from audit_events where target_id in (?)', rows.subscriptions);
    await run('delete from client_credentials where client_id in (?)', rows.clients);
    await run('delete from clients where id in (?)', rows.clients);
    await run('delete from audit_events where actor_id in (?)', rows.users);
    await run('delete from audit_events where organisation_id in (?)', rows.organisations);
    await run('delete from grants where id in (?)', rows.grants);
    await run('delete from orderer_appointments where id in (?)', rows.appointments);
    await run('delete from issuer_administrators where id in (?)', rows.admins);
    await run('delete from issuer_mandates where id in (?)', rows.mandates);
    await run('delete from grant_reviews where user_id in (?)', rows.users);
    await run('delete from invitations where user_id in (?)', rows.users);
    await run('delete from placements where user_id in (?)', rows.users);
    // Moves name the employment they follow: the newest go first.
    await run('update employments set previous_id = null where user_id in (?)', rows.users);
    await run('delete from employments where user_id in (?)', rows.users);
    await run('delete from federated_identities where user_id in (?)', rows.users);
    await run('delete from users where id in (?)', rows.users);
    await run('delete from organisations where id in (?)', rows.organisations);
    await run('delete from documents where id in (?)', [rows.document]);
  });
}

/** Everything the hub knows that the rules depend on, read straight from the tables. */
export interface Snapshot {
  model: Model;
  /** The dev-issuer subject each registered person signs in with. */
  subjects: Map<string, string>;
  /** Service global-id-free ids by code, and codes by id. */
  serviceIds: Record<Svc, string>;
}

export async function loadModel(hub: TestHub): Promise<Snapshot> {
  const em = hub.db.orm.em.fork();
  const conn = em.getConnection();
  const q = <T>(statement: string, params: unknown[] = []) => conn.execute<T[]>(statement, params);
  const time = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string | Date).getTime());

  const services = await q<{ id: string; code: Svc; owner_id: string }>('select id, code, owner_id from services');
  const code = new Map(services.map((s) => [s.id, s.code]));
  const serviceIds = Object.fromEntries(services.map((s) => [s.code, s.id])) as Record<Svc, string>;
  const owners = Object.fromEntries(services.map((s) => [s.code, s.owner_id])) as Record<Svc, string>;

  const orgs = await q<{ id: string; parent_id: string | null; kind: OrgKind; closed: boolean; searched: string[] }>(
    "select id, parent_id, kind, closed_at is not null as closed, array[lower(name), lower(coalesce(registration_number, ''))] as searched from organisations",
  );
  const users = await q<{ id: string; employer_id: string; end_scheduled: boolean; searched: string[] }>(
    `select id, employer_id, array[lower(given_name || ' ' || family_name), lower(family_name), lower(coalesce(email, ''))] as searched, exists (select 1 from employments x where x.user_id = users.id and x.valid_to is not null
      and not exists (select 1 from employments n where n.previous_id = x.id)) as end_scheduled from users`,
  );
  const placements = await q<{ user_id: string; organisation_id: string; valid_from: Date; valid_to: Date | null }>(
    'select user_id, organisation_id, valid_from, valid_to from placements',
  );
  const grants = await q<{ id: string; user_id: string; service_id: string; state: MGrantState; scope_id: string }>('select id, user_id, service_id, state, scope_id from grants');
  const mandates = await q<{ id: string; organisation_id: string; service_id: string; state: 'active' | 'ended'; valid_from: Date; valid_to: Date | null }>(
    'select id, organisation_id, service_id, state, valid_from, valid_to from issuer_mandates',
  );
  const admins = await q<{ id: string; user_id: string; organisation_id: string; service_id: string; state: 'active' | 'removed' }>(
    'select id, user_id, organisation_id, service_id, state from issuer_administrators',
  );
  const appointments = await q<{ id: string; user_id: string; scope_id: string; service_id: string; state: MState; valid_from: Date; valid_to: Date | null }>(
    'select id, user_id, scope_id, service_id, state, valid_from, valid_to from orderer_appointments',
  );
  const clients = await q<{ id: string; name: string; service_id: string | null; organisation_id: string | null }>('select id, name, service_id, organisation_id from clients');
  const identities = await q<{ user_id: string; subject: string }>('select user_id, subject from federated_identities where issuer = ?', [hub.app.devIssuer!.issuer]);

  const model = new Model({
    orgs: orgs.map((o) => ({ id: o.id, parent: o.parent_id, kind: o.kind, closed: o.closed, searched: o.searched })),
    users: users.map((u) => ({
      id: u.id,
      employer: u.employer_id,
      searched: u.searched,
      endScheduled: u.end_scheduled,
      placements: placements.filter((p) => p.user_id === u.id).map((p) => ({ org: p.organisation_id, from: time(p.valid_from)!, to: time(p.valid_to) })),
    })),
    grants: grants.map((g) => ({ id: g.id, user: g.user_id, service: code.get(g.service_id)!, state: g.state, scope: g.scope_id })),
    mandates: mandates.map((m) => ({ id: m.id, org: m.organisation_id, service: code.get(m.service_id)!, state: m.state, from: time(m.valid_from)!, to: time(m.valid_to) })),
    admins: admins.map((a) => ({ id: a.id, user: a.user_id, org: a.organisation_id, service: code.get(a.service_id)!, state: a.state })),
    appointments: appointments.map((a) => ({
      id: a.id,
      user: a.user_id,
      scope: a.scope_id,
      service: code.get(a.service_id)!,
      state: a.state,
      from: time(a.valid_from)!,
      to: time(a.valid_to),
    })),
    owners,
    clients: clients.map((c) => ({ id: c.id, name: c.name, service: c.service_id ? code.get(c.service_id)! : null, org: c.organisation_id })),
  });
  return { model, subjects: new Map(identities.map((i) => [i.user_id, i.subject])), serviceIds };
}

/** Every event the hub has stored, straight from the table. */
export async function eventsOf(hub: TestHub, afterSeq = '0'): Promise<(MEvent & { seq: string })[]> {
  const rows = await hub.db.orm.em.fork().getConnection().execute<{ id: string; subject_type: string; subject_id: string; seq: string }[]>(
    // Ordered by the number, not by its text (the alias): '630' sorts after '3523', and a cursor taken from it
    // read the same events again later, stamping them with a later step's scopes.
    'select id, subject_type, subject_id, seq::text as seq from events e where e.seq > ?::bigint order by e.seq',
    [afterSeq],
  );
  return rows.map((r) => ({ id: r.id, subjectType: r.subject_type, subjectId: r.subject_id, seq: r.seq }));
}

/** One row as the database holds it, for before/after comparisons. */
export async function rowOf(hub: TestHub, table: 'users' | 'orderer_appointments' | 'issuer_mandates' | 'organisations', id: string): Promise<Record<string, unknown> | null> {
  const [row] = await hub.db.orm.em.getConnection().execute<Record<string, unknown>[]>(`select * from ${table} where id = ?`, [id]);
  return row ? (JSON.parse(JSON.stringify(row)) as Record<string, unknown>) : null;
}

/** Rows of a table that belong to administrators (their state changes when a mandate ends). */
export async function adminRowsOf(hub: TestHub, ids: string[]): Promise<Record<string, unknown>[]> {
  if (ids.length === 0) return [];
  const rows = await hub.db.orm.em.getConnection().execute<Record<string, unknown>[]>('select * from issuer_administrators where id in (?) order by id', [ids]);
  return JSON.parse(JSON.stringify(rows)) as Record<string, unknown>[];
}

export async function auditCount(hub: TestHub): Promise<number> {
  const [row] = await hub.db.orm.em.getConnection().execute<{ n: number }[]>('select count(*)::int as n from audit_events');
  return Number(row.n);
}

/** How many employments of a person have an end date. */
export async function employmentEndsOf(hub: TestHub, user: string): Promise<number> {
  const [row] = await hub.db.orm.em.getConnection().execute<{ n: number }[]>('select count(*)::int as n from employments where user_id = ? and valid_to is not null', [user]);
  return Number(row.n);
}
