import { pino } from 'pino';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromGlobalId } from '../../src/domain/global-id.js';
import { WebhookWorker } from '../../src/webhooks/webhook-worker.js';
import { loadDemoDirectory } from '../delegation/queries.js';
import { demo, startTestHub, type TestHub } from '../support/hub.js';
import { headersOf, startReceiver } from '../webhooks/receiver.js';

const FEED = `query ($after: String) { events(after: $after, first: 500) { edges { node { id type subject { type id } data } } endCursor hasNextPage } }`;
const SUBSCRIBE = `mutation ($input: WebhookSubscriptionCreateInput!) { webhookSubscriptionCreate(input: $input) { secret userErrors { code } } }`;
const MOVE = `mutation($id: ID!, $input: UserEmploymentMoveInput!) { userEmploymentMove(id: $id, input: $input) { userErrors { code field message } } }`;
const END = `mutation($id: ID!, $input: UserEmploymentEndInput!) { userEmploymentEnd(id: $id, input: $input) { userErrors { code field message } } }`;
const CLIENTS = ['af-hr', 'stockholm-hr', 'fk-hr', 'sus-backend', 'vias-backend'] as const;
type ClientName = (typeof CLIENTS)[number];

interface FeedEvent {
  id: string;
  type: string;
  subject: { type: string; id: string };
  data: Record<string, unknown>;
}

/**
 * Who hears of a mover (the rule in Policy.readableEvents): an organisation's client hears of what was
 * in its subtree just before or just after the change that wrote it. So the move's events reach the
 * old employer's clients and the new one's; a service's client hears of its grants and its holders;
 * anyone else hears nothing, and after the move only the new employer's clients hear of the person.
 */
describe("a mover's events", () => {
  let hub: TestHub;
  const ids: Record<string, string> = {};
  const orgs: Record<string, string> = {};

  async function feed(client: ClientName, after: string | null): Promise<{ events: FeedEvent[]; endCursor: string | null }> {
    const events: FeedEvent[] = [];
    for (let cursor = after; ;) {
      const res = await hub.gql<{ events: { edges: { node: FeedEvent }[]; endCursor: string | null; hasNextPage: boolean } }>(FEED, { after: cursor }, await hub.clientToken(client));
      expect(res.errors, client).toBeUndefined();
      events.push(...res.data!.events.edges.map((e) => e.node));
      cursor = res.data!.events.endCursor;
      if (!res.data!.events.hasNextPage) return { events, endCursor: cursor };
    }
  }
  const cursors = async () => Object.fromEntries(await Promise.all(CLIENTS.map(async (c) => [c, (await feed(c, null)).endCursor]))) as Record<ClientName, string | null>;
  const aboutErik = (e: FeedEvent) => (e.subject.type === 'User' ? e.subject.id === ids.erik : e.data.person === ids.erik);
  // Kinds, each once: a demo person's first employment is recorded when first changed, a second person.joined.
  const typesSince = async (c: ClientName, at: Record<ClientName, string | null>) => [...new Set((await feed(c, at[c])).events.map((e) => `${e.type}${aboutErik(e) ? '' : ' (other)'}`))].sort();

  /**
   * The feed shows a transaction's events once no older one runs anywhere on the server (its cursor
   * rule); on a PostgreSQL server shared with other test files that can take a moment.
   */
  async function settled(check: () => Promise<boolean>): Promise<void> {
    for (let i = 0; i < 100 && !(await check()); i++) await new Promise((r) => setTimeout(r, 50));
  }

  beforeAll(async () => {
    hub = await startTestHub({ JOBS: 'false' });
    await loadDemoDirectory(hub, ids, orgs);
    // An organisation with nothing to do with the move, and its own client.
    const register = `mutation ($input: ClientRegisterInput!) { clientRegister(input: $input) { userErrors { code } } }`;
    const r = await hub.as<{ clientRegister: { userErrors: unknown[] } }>(demo.karin, register, {
      input: { name: 'fk-hr', organisation: orgs['Försäkringskassan'], credentials: [{ issuer: hub.app.devIssuer!.issuer, clientId: 'fk-hr' }] },
    });
    expect(r.data?.clientRegister.userErrors).toEqual([]);
  });
  afterAll(() => hub.close());

  it('should reach the old and the new employer, the services whose grants changed, and no one else, in the feed and by webhook, written in one transaction', async () => {
    const receivers = Object.fromEntries(await Promise.all(CLIENTS.map(async (c) => [c, await startReceiver()]))) as Record<ClientName, Awaited<ReturnType<typeof startReceiver>>>;
    const worker = new WebhookWorker(hub.app.orm, pino({ level: 'silent' }), { allowPrivateUrls: true, leaseMs: 5_000, timeoutMs: 2_000 });
    try {
      const secrets = {} as Record<ClientName, string>;
      for (const c of CLIENTS) {
        const r = await hub.gql<{ webhookSubscriptionCreate: { secret: string; userErrors: unknown[] } }>(
          SUBSCRIBE, { input: { url: receivers[c].url, eventTypes: ['person.moved', 'person.joined', 'person.left', 'grant.ended'] } }, await hub.clientToken(c));
        expect(r.data?.webhookSubscriptionCreate.userErrors, c).toEqual([]);
        secrets[c] = r.data!.webhookSubscriptionCreate.secret;
      }
      const before = await cursors();
      const date = new Date(Date.now() - 1).toISOString();
      // Erik, employed at Arbetsförmedlingen Stockholm with a SUS grant, moves to Stockholm's Socialförvaltningen (SUS ends grants on a move).
      const moved = await hub.as<{ userEmploymentMove: { userErrors: unknown[] } }>(demo.karin, MOVE, { id: ids.erik, input: { employerId: orgs['Socialförvaltningen'], date, reason: 'Ny tjänst' } });
      expect(moved.data?.userEmploymentMove.userErrors).toEqual([]);

      const move = ['grant.ended', 'person.moved'];
      await settled(async () => (await typesSince('af-hr', before)).length >= 4);
      expect(await typesSince('af-hr', before)).toEqual(['grant.ended', 'person.joined', 'person.left', 'person.moved']);
      expect(await typesSince('stockholm-hr', before)).toEqual(['grant.ended', 'person.joined', 'person.left', 'person.moved']);
      expect(await typesSince('sus-backend', before)).toEqual(expect.arrayContaining(move));
      expect(await typesSince('vias-backend', before)).toEqual([]);
      expect(await typesSince('fk-hr', before)).toEqual([]);

      const events = (await feed('af-hr', before['af-hr'])).events;
      const personMoved = events.find((e) => e.type === 'person.moved')!;
      expect(personMoved.data).toMatchObject({ person: ids.erik, from: orgs['Arbetsförmedlingen Stockholm'], employer: orgs['Socialförvaltningen'] });
      expect(events.find((e) => e.type === 'grant.ended')!.data).toMatchObject({ service: 'SUS', state: 'revoked', reason: 'EMPLOYMENT_MOVED' });
      // One transaction wrote them all, with the move.
      const txs = await hub.db.orm.em.fork().getConnection().execute<{ tx_id: string }[]>(
        `select distinct tx_id::text as tx_id from events where id in (${events.map(() => '?').join(', ')})`, events.map((e) => e.id));
      expect(txs).toHaveLength(1);

      const delivered = (c: ClientName) => [...new Set(receivers[c].received.map((r) => (new Webhook(secrets[c]).verify(r.body, headersOf(r)) as { type: string }).type))].sort();
      // One delivery per subject at a time (order per subject): a few runs.
      await settled(async () => {
        await worker.runOnce();
        return delivered('af-hr').length >= 4 && delivered('stockholm-hr').length >= 4 && delivered('sus-backend').length >= 2;
      });
      for (let i = 0; i < 3; i++) await worker.runOnce();
      expect(delivered('af-hr')).toEqual(['grant.ended', 'person.joined', 'person.left', 'person.moved']);
      expect(delivered('stockholm-hr')).toEqual(['grant.ended', 'person.joined', 'person.left', 'person.moved']);
      expect(delivered('sus-backend')).toEqual(expect.arrayContaining(move));
      expect(delivered('vias-backend')).toEqual([]);
      expect(delivered('fk-hr')).toEqual([]);
      expect(receivers['af-hr'].received.map((r) => r.headers['webhook-id']).sort()).toEqual(events.map((e) => e.id).sort());

      // After the move the old employer hears no more of him; the new one does.
      const after = await cursors();
      const ended = await hub.as<{ userEmploymentEnd: { userErrors: unknown[] } }>(demo.karin, END, { id: ids.erik, input: { endDate: new Date(Date.now() + 86_400_000).toISOString(), reason: 'Slutar' } });
      expect(ended.data?.userEmploymentEnd.userErrors).toEqual([]);
      await settled(async () => (await typesSince('stockholm-hr', after)).length > 0);
      expect(await typesSince('stockholm-hr', after)).toEqual(['person.leaving']);
      expect(await typesSince('af-hr', after)).toEqual([]);
      expect(await typesSince('fk-hr', after)).toEqual([]);
      expect(fromGlobalId(ids.erik)?.type).toBe('User');
    } finally {
      await worker.stop();
      for (const r of Object.values(receivers)) await r.close();
    }
  });
});
