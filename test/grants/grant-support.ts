import { AuditEvent } from '../../src/audit/audit-event.entity.js';
import { Grant, GrantState } from '../../src/grants/grant.entity.js';
import { toGlobalId } from '../../src/domain/global-id.js';
import { User } from '../../src/users/user.entity.js';
import type { GraphQLResponse, TestHub } from '../support/hub.js';

/** What the grants tests read back from the API. */
export interface UserErrorView {
  code: string;
  field: string[] | null;
  message: string;
}

export interface GrantView {
  id: string;
  state: string;
  validFrom: string;
  validTo: string | null;
  suspendedAt: string | null;
  suspendReason: string | null;
  endedAt: string | null;
  endReason: string | null;
  usable: boolean;
}

export interface GrantPayloadView {
  grant: GrantView | null;
  userErrors: UserErrorView[];
}

export interface AuditEventView {
  action: string;
  reason: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  actor: { email: string } | null;
}

export type Action = 'revoke' | 'suspend' | 'resume' | 'renew';
export const ACTIONS: Action[] = ['revoke', 'suspend', 'resume', 'renew'];

const FIELDS = 'grant { id state validFrom validTo suspendedAt suspendReason endedAt endReason usable } userErrors { code field message }';

const DOCUMENTS: Record<Action, { field: string; query: string }> = {
  revoke: { field: 'grantRevoke', query: `mutation($id: ID!, $reason: String!) { grantRevoke(id: $id, input: { reason: $reason }) { ${FIELDS} } }` },
  suspend: { field: 'grantSuspend', query: `mutation($id: ID!, $reason: String!) { grantSuspend(id: $id, input: { reason: $reason }) { ${FIELDS} } }` },
  resume: { field: 'grantResume', query: `mutation($id: ID!, $reason: String!) { grantResume(id: $id, input: { reason: $reason }) { ${FIELDS} } }` },
  renew: { field: 'grantRenew', query: `mutation($id: ID!, $validTo: DateTime!) { grantRenew(id: $id, input: { validTo: $validTo }) { ${FIELDS} } }` },
};

export const DAY = 86_400_000;
export const fromNow = (ms: number) => new Date(Date.now() + ms);

export interface Changed {
  response: GraphQLResponse<Record<string, GrantPayloadView>>;
  /** The payload, or null when the answer was a GraphQL error. */
  payload: GrantPayloadView | null;
  /** The first GraphQL error's extensions.code, if any. */
  errorCode: unknown;
}

/**
 * Calls one of the four mutations over HTTP. Without `input`, a reason or a validTo that would be
 * accepted, so that only the caller's scope or the grant's state decides the answer.
 */
export async function changeGrant(hub: TestHub, action: Action, id: string, token: string | undefined, input: { reason?: string; validTo?: string } = {}): Promise<Changed> {
  const { field, query } = DOCUMENTS[action];
  const variables = action === 'renew' ? { id, validTo: input.validTo ?? fromNow(800 * DAY).toISOString() } : { id, reason: input.reason ?? 'Kontroll av behörighet' };
  const response = await hub.gql<Record<string, GrantPayloadView>>(query, variables, token);
  return { response, payload: response.data?.[field] ?? null, errorCode: response.errors?.[0]?.extensions?.code };
}

export const codes = (changed: Changed) => changed.payload?.userErrors.map((e) => e.code) ?? [];

/**
 * A new grant for a demo user, a copy of their seeded one with the given state and dates, written
 * straight through the ORM (as a decided order would leave it). Returns its global id.
 */
export async function insertGrant(
  hub: TestHub,
  email: string,
  options: { state?: GrantState; validFrom?: Date; validTo?: Date | null; endedAt?: Date | null } = {},
): Promise<string> {
  const em = hub.db.orm.em.fork();
  const holder = await em.findOneOrFail(User, { email });
  const model = await em.findOneOrFail(Grant, { user: holder }, { orderBy: { createdAt: 'asc' } });
  const grant = em.create(Grant, {
    user: holder,
    service: model.service,
    role: model.role,
    scope: model.scope,
    issuedBy: model.issuedBy,
    state: options.state ?? GrantState.ACTIVE,
    validFrom: options.validFrom ?? fromNow(-30 * DAY),
    validTo: options.validTo === undefined ? fromNow(90 * DAY) : options.validTo,
    endedAt: options.endedAt ?? null,
  });
  await em.flush();
  return toGlobalId('Grant', grant.id);
}

export const rawId = (globalId: string) => Buffer.from(globalId, 'base64url').toString('utf8').split(':')[1];

/** The grant's row as stored, to prove a refused change wrote nothing. */
export async function storedGrant(hub: TestHub, globalId: string): Promise<Grant> {
  return hub.db.orm.em.fork().findOneOrFail(Grant, rawId(globalId));
}

export async function auditCount(hub: TestHub, where: { targetId?: string; action?: string } = {}): Promise<number> {
  return hub.db.orm.em.fork().count(AuditEvent, where);
}

export const AUDIT_TRAIL = `query($t: ID) { auditEvents(target: $t, first: 50) { nodes { action reason before after actor { email } } } }`;
