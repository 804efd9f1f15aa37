import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { audit } from '../audit/audit.service.js';
import type { Actor } from '../auth/actor.js';
import type { VerifiedIdentity } from '../auth/token-verifier.js';
import { Viewer, type ViewerClient } from '../auth/viewer.js';
import type { TrustedIssuerConfig } from '../config.js';
import type { Em } from '../db/orm.js';
import { execute, or, sql } from '../db/sql.js';
import { ProblemCode } from '../domain/errors.js';
import { idOfType } from '../domain/global-id.js';
import { Problems } from '../domain/problems.js';
import { lockTarget } from '../domain/target.js';
import { Organisation } from '../organisations/organisation.entity.js';
import { Service } from '../services/service.entity.js';
import { Client, ClientCredential } from './client.entity.js';
import { ClientRepository } from './client.repository.js';

export interface ClientRegistration {
  name: string;
  /** Global id of the service it acts for; exactly one of service and organisation. */
  service?: string | null;
  organisation?: string | null;
  credentials: { issuer: string; clientId: string }[];
}

const iso = (d: Date | null | undefined) => d?.toISOString() ?? null;
const snapshot = (c: Client) => ({ name: c.name, suspendedAt: iso(c.suspendedAt), suspendReason: c.suspendReason ?? null });

/**
 * The client a client-credentials token signs in as: the registered credential of its issuer and
 * `client_id`/`azp`, or null when none is registered (the token is then a person's, as always).
 */
export async function clientViewerFor(em: Em, identity: VerifiedIdentity): Promise<Viewer | null> {
  if (!identity.clientId) return null;
  const [row] = await execute<{ id: string; name: string; service_id: string | null; organisation_id: string | null; path: string | null; suspended_at: Date | null }>(
    em,
    sql`select c.id, c.name, c.service_id, c.organisation_id, o.path, c.suspended_at from client_credentials cc
      join clients c on c.id = cc.client_id left join organisations o on o.id = c.organisation_id
      where cc.issuer = ${identity.issuer} and cc.oauth_client_id = ${identity.clientId}`,
  );
  if (!row) return null;
  const client: ViewerClient = { id: row.id, name: row.name, serviceId: row.service_id, organisationId: row.organisation_id, organisationPath: row.path };
  return new Viewer(identity, null, [], [], row.suspended_at ? 'CLIENT_SUSPENDED' : null, client);
}

/**
 * Machine clients: registered by a service's authority (its service's clients) or by an issuer
 * organisation's administrators (that organisation's clients); suspended and resumed by the same.
 * Every change is one transaction with its audit event (targetType Client).
 */
export class ClientService {
  constructor(
    private readonly actor: Actor,
    private readonly trustedIssuers: TrustedIssuerConfig[],
  ) {}

  async register(input: ClientRegistration): Promise<Client> {
    const { policy } = this.actor;
    policy.requireUser();
    const problems = new Problems();
    const name = problems.text(input.name, ['input', 'name'], 100);
    if (name && !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) problems.add(ProblemCode.INVALID, ['input', 'name'], 'A client name is letters, digits, dots, dashes and underscores.');
    const serviceId = input.service ? idOfType(input.service, 'Service') : null;
    const organisationId = input.organisation ? idOfType(input.organisation, 'Organisation') : null;
    if (!input.service === !input.organisation) problems.add(ProblemCode.INVALID, ['input'], 'A client acts for exactly one service or one organisation.');
    else if (input.service && !(serviceId && policy.mayRegisterClient({ serviceId }))) problems.add(ProblemCode.NOT_FOUND, ['input', 'service'], 'No service whose authority you administer has this id.');
    else if (input.organisation && !(organisationId && policy.mayRegisterClient({ organisationId }))) problems.add(ProblemCode.NOT_FOUND, ['input', 'organisation'], 'No issuer organisation you administer has this id.');
    if (input.credentials.length === 0 || input.credentials.length > 10) problems.add(ProblemCode.INVALID, ['input', 'credentials'], 'Give between 1 and 10 credentials.');
    const trusted = new Set(this.trustedIssuers.map((i) => i.issuer));
    input.credentials.forEach((c, i) => {
      if (!trusted.has(c.issuer)) problems.add(ProblemCode.INVALID, ['input', 'credentials', String(i), 'issuer'], 'Not a trusted issuer of this hub.');
      if (!c.clientId.trim()) problems.add(ProblemCode.REQUIRED, ['input', 'credentials', String(i), 'clientId'], 'clientId is required.');
    });
    problems.throwIfAny();
    // Two registrations racing for one name or credential: the unique index decides, the loser hears CONFLICT.
    return this.registerChecked(name, serviceId, organisationId, input).catch((error: unknown) => {
      if (error instanceof UniqueConstraintViolationException) throw Problems.single(ProblemCode.CONFLICT, ['input'], 'The name or one of the credentials is already registered.');
      throw error;
    });
  }

  private registerChecked(name: string, serviceId: string | null, organisationId: string | null, input: ClientRegistration): Promise<Client> {
    const { policy, em } = this.actor;
    return em.transactional(async (tx) => {
      const taken = await execute(tx, sql`select 1 from clients where name = ${name}
        union all select 1 from client_credentials where ${or(input.credentials.map((c) => sql`issuer = ${c.issuer} and oauth_client_id = ${c.clientId.trim()}`))}`);
      if (taken.length) throw Problems.single(ProblemCode.CONFLICT, ['input'], 'The name or one of the credentials is already registered.');
      const client = tx.create(Client, {
        name,
        service: serviceId ? tx.getReference(Service, serviceId) : null,
        organisation: organisationId ? tx.getReference(Organisation, organisationId) : null,
        createdBy: policy.viewer.user!.id,
      });
      for (const c of input.credentials) tx.create(ClientCredential, { client, issuer: c.issuer, oauthClientId: c.clientId.trim() });
      audit(tx, this.actor.viewer, this.actor.requestId, {
        action: 'client.register',
        targetType: 'Client',
        targetId: client.id,
        organisationId: organisationId,
        after: { ...snapshot(client), service: serviceId, organisation: organisationId, credentials: input.credentials },
      });
      return client;
    });
  }

  suspend(id: string, reason: string): Promise<Client> {
    const why = Problems.reason(reason);
    return this.change(id, 'client.suspend', why, (c) => {
      if (c.suspendedAt) throw Problems.single(ProblemCode.INVALID_STATE, ['id'], 'The client is already suspended.');
      c.suspendedAt = this.actor.now();
      c.suspendReason = why;
    });
  }

  resume(id: string, reason: string): Promise<Client> {
    const why = Problems.reason(reason);
    return this.change(id, 'client.resume', why, (c) => {
      if (!c.suspendedAt) throw Problems.single(ProblemCode.INVALID_STATE, ['id'], 'The client is not suspended.');
      c.suspendedAt = null;
      c.suspendReason = null;
    });
  }

  private change(id: string, action: string, reason: string, apply: (c: Client) => void): Promise<Client> {
    const { policy, em } = this.actor;
    policy.requireUser();
    return em.transactional(async (tx) => {
      const repo = new ClientRepository(tx, policy);
      const client = await lockTarget({
        globalId: id,
        type: 'Client',
        lock: (cid) => repo.findAdministeredForUpdate(cid),
        visible: async () => false,
        what: 'client',
        forbiddenMessage: 'Only the administrators of its service or organisation change a client.',
      });
      const before = snapshot(client);
      apply(client);
      audit(tx, this.actor.viewer, this.actor.requestId, {
        action,
        targetType: 'Client',
        targetId: client.id,
        organisationId: client.organisation?.id ?? null,
        before,
        after: snapshot(client),
        reason,
      });
      return client;
    });
  }
}
