import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execute, Sql } from '../../src/db/sql.js';
import { startFuzzHub, type FuzzHub } from './fuzz-hub.js';
import { brokenInvariants, invariants } from './integrity.js';
import { seedWorld } from './seed-world.js';

/**
 * The integrity checks of the fuzz suite hold on a consistent database, and each of them can fail:
 * every row a half-done change could leave behind is written here by hand and must be caught.
 */
describe('fuzz integrity checks', () => {
  let hub: FuzzHub;
  let since: Date;
  const run = (text: string) => execute(hub.db.orm.em.fork(), Sql.raw(text));

  beforeAll(async () => {
    hub = await startFuzzHub({ JOBS: 'false' });
    since = new Date();
    await seedWorld(hub);
  });
  afterAll(() => hub?.close());

  it('hold after the demo data and the fuzz set-up', async () => {
    expect(await brokenInvariants(hub.db, since)).toEqual([]);
  });

  it('each catches the half-written rows it is about', async () => {
    const someone = `(select id from users order by email limit 1)`;
    const corruptions = [
      // An order approved without its grant, and a grant claimed by two orders.
      `update orders set state = 'approved' where id = (select id from orders where state = 'submitted' order by submitted_at limit 1)`,
      `update orders set grant_id = (select grant_id from orders where grant_id is not null limit 1) where id = (select id from orders where state = 'returned' limit 1)`,
      `delete from audit_events where action = 'grant.issue'`,
      `insert into audit_events (id, occurred_at, action, target_type, target_id) values (gen_random_uuid(), now(), 'grant.revoke', 'Grant', gen_random_uuid())`,
      `delete from order_events where id = (select id from order_events where to_state = 'returned' limit 1)`,
      `update grants set role_id = (select r.id from service_roles r join services s on s.id = r.service_id where s.code = 'VIAS' limit 1)
        where id = (select g.id from grants g join services s on s.id = g.service_id where s.code = 'SUS' order by g.created_at limit 1)`,
      `update grants set state = 'revoked' where id = (select id from grants where state = 'active' order by created_at desc limit 1)`,
      `insert into documents (id, kind, filename, content_type, size, sha256, content, uploaded_by_id, created_at)
        values (gen_random_uuid(), 'cv', 'orphan.pdf', 'application/pdf', 1, encode(sha256('x'::bytea), 'hex'), 'x'::bytea, ${someone}, now())`,
      `update issuer_mandates set state = 'ended'`,
      `update orderer_appointments set state = 'revoked' where state = 'approved'`,
      `delete from audit_events where action = 'ordererAppointment.request'`,
      `insert into users (id, employer_id, given_name, family_name, profile_state, created_at, updated_at)
        select gen_random_uuid(), employer_id, 'Nobody', 'Registered', 'incomplete', now(), now() from users limit 1`,
      `update person_active_grants set n = n + 1 where user_id = ${someone}`,
      `insert into grant_summary_deltas (employer_id, service_id, role_id, state, issued_month, n)
        select u.employer_id, g.service_id, g.role_id, g.state, date_trunc('month', now()), 1 from grants g join users u on u.id = g.user_id limit 1`,
      `insert into idle_people_deltas (employer_id, n) select employer_id, 1 from users limit 1`,
      `insert into grant_expiry_tallies (expires_on, employer_id, service_id, n) select '2031-01-01', employer_id, (select id from services limit 1), 1 from users limit 1`,
      `update users set family_name = family_name || chr(65533) where id = ${someone}`,
      `update organisations set depth = depth + 1 where id = (select id from organisations where parent_id is not null order by path limit 1)`,
    ];
    for (const statement of corruptions) await run(statement);
    const broken = new Set((await brokenInvariants(hub.db, since)).map((b) => b.name));
    const names = [...invariants(since).map((i) => i.name), 'no stored text holds NUL or a replaced lone surrogate (U+FFFD)'];
    expect(names.filter((name) => !broken.has(name)), 'invariants that nothing above broke').toEqual([]);
  });
});
