import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execute, sql } from '../../src/db/sql.js';
import { pruneEvents } from '../../src/events/event.repository.js';
import { startTestHub, type TestHub } from '../support/hub.js';

const FEED = `query ($after: String) { events(after: $after, first: 1000) { edges { node { id data } } endCursor hasNextPage } }`;

/** The feed keeps EVENT_RETENTION_DAYS (README, Pull feed): the hourly job deletes older events, and nothing newer. */
describe('event retention', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub({ JOBS: 'false', EVENT_RETENTION_DAYS: '30' });
  });
  afterAll(() => hub.close());

  it('should delete events older than the retention period in batches, keep the rest, and drop them from the feed', async () => {
    const em = hub.app.orm.em.fork();
    // Events of SUS aged 40, 31, 29 and 1 days (the stamp trigger sets the time; the test then ages them).
    await execute(em, sql`insert into events (type, subject_type, subject_id, service_id, data)
      select 'grant.changed', 'Grant', gen_random_uuid(), s.id, jsonb_build_object('age', a) from services s cross join unnest(array[40, 31, 29, 1]) a where s.code = 'SUS'`);
    await execute(em, sql`update events set occurred_at = now() - (data->>'age')::int * interval '1 day' where data ? 'age'`);
    const ages = async () => {
      const token = await hub.clientToken('sus-backend');
      const seen: number[] = [];
      for (let after: string | null = null; ;) {
        type Page = { events: { edges: { node: { data: { age?: number } } }[]; endCursor: string | null; hasNextPage: boolean } };
        const res: { data?: Page; errors?: unknown[] } = await hub.gql<Page>(FEED, { after }, token);
        expect(res.errors).toBeUndefined();
        seen.push(...res.data!.events.edges.flatMap((e) => (e.node.data.age === undefined ? [] : [e.node.data.age])));
        after = res.data!.events.endCursor;
        if (!res.data!.events.hasNextPage) return seen.sort((a, b) => a - b);
      }
    };
    // Readable once no older transaction runs on the server (the feed's cursor rule).
    for (let i = 0; i < 100 && (await ages()).length < 4; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await ages()).toEqual([1, 29, 31, 40]);
    const older = Number((await execute<{ n: number }>(em, sql`select count(*)::int as n from events where occurred_at < now() - interval '30 days'`))[0].n);
    expect(older).toBeGreaterThanOrEqual(2);

    // A cursor taken before the prune, at the oldest event: what followed it is partly gone.
    const token = await hub.clientToken('sus-backend');
    type First = { events: { edges: { node: { data: { age?: number } } }[]; endCursor: string | null } };
    const page = async (after: string | null, first: number) => hub.gql<First>(`query ($after: String, $first: Int) { events(after: $after, first: $first) { edges { node { data } } endCursor } }`, { after, first }, token);
    let early: string | null = null;
    let late: string | null = null;
    for (let after: string | null = null; ;) {
      const res = await page(after, 1);
      const node = res.data!.events.edges[0]?.node;
      if (!node) break;
      after = res.data!.events.endCursor;
      if (node.data.age === 40) early = after;
      if (node.data.age === 29) late = after;
    }
    expect(early).not.toBeNull();
    expect(late).not.toBeNull();

    expect(await pruneEvents(em, hub.config.eventRetentionDays, 1)).toBe(older);
    expect(await ages()).toEqual([1, 29]);
    expect(await pruneEvents(em, hub.config.eventRetentionDays)).toBe(0);

    // The early cursor is refused, never resumed as if nothing were lost: in GraphQL, and 410 on GET /events.
    const refused = await page(early, 10);
    expect(refused.data ?? null).toBeNull();
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after', reason: 'CURSOR_EXPIRED' });
    const rest = await fetch(`${hub.url.replace(/\/graphql$/, '')}/events?after=${encodeURIComponent(early!)}`, { headers: { authorization: `Bearer ${token}` } });
    expect(rest.status).toBe(410);
    expect(await rest.json()).toMatchObject({ errors: [{ extensions: { code: 'CURSOR_EXPIRED' } }] });
    // A cursor after everything deleted resumes as before.
    const resumed = await page(late, 10);
    expect(resumed.errors).toBeUndefined();
    expect(resumed.data!.events.edges.map((e) => e.node.data.age).filter((a) => a !== undefined)).toEqual([1]);
    const restLate = await fetch(`${hub.url.replace(/\/graphql$/, '')}/events?after=${encodeURIComponent(late!)}`, { headers: { authorization: `Bearer ${token}` } });
    expect(restLate.status).toBe(200);
  });
});
