import type { Actor } from '../../src/auth/actor.js';
import { AssuranceLevel } from '../../src/auth/assurance.js';
import { Policy } from '../../src/auth/policy.js';
import { execute, sql } from '../../src/db/sql.js';
import { viewerFor } from '../../src/identities/identity.service.js';
import type { TestHub } from '../support/hub.js';

/**
 * The actor a demo user's request would carry, built straight on the hub's database: for tests that
 * call a service or repository directly, with options no HTTP request can pass.
 */
export async function actorFor(hub: TestHub, email: string): Promise<Actor> {
  const em = hub.db.orm.em.fork();
  const [{ issuer }] = await execute<{ issuer: string }>(em, sql`select issuer from federated_identities limit 1`);
  const identity = { issuer, subject: email, registrationNumber: null, assuranceLevel: AssuranceLevel.SUBSTANTIAL, email, name: null, clientId: null, expiresAt: new Date(Date.now() + 86_400_000) };
  const viewer = await viewerFor(em, identity);
  return { viewer, policy: new Policy(viewer), em, requestId: `test-${email}`, now: () => new Date() };
}
