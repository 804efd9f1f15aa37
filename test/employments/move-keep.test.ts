import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/domain/global-id.js';
import { demo, startTestHub, type TestHub } from '../support/hub.js';
import { loadDemoDirectory } from '../delegation/queries.js';

interface UserErrors { userErrors: { code: string; field: string[] | null; message: string }[] }

const ROUTINE_CREATE = `mutation($service: ID!, $input: RoutineCreateInput!) { routineCreate(service: $service, input: $input) { userErrors { code field message } } }`;
const MOVE = `mutation($id: ID!, $input: UserEmploymentMoveInput!) { userEmploymentMove(id: $id, input: $input) {
  user { employer { name } } userErrors { code field message } } }`;
const REVIEWS = '{ grantReviews(first: 10) { totalCount } }';
const DAY = 86_400_000;

describe('a mover under a routine that keeps grants (KEEP)', () => {
  let hub: TestHub;
  const ids: Record<string, string> = {};
  const sql = <T = Record<string, unknown>>(q: string) => hub.db.orm.em.getConnection().execute<T[]>(q);

  beforeAll(async () => {
    hub = await startTestHub();
    await loadDemoDirectory(hub, ids, {});
  });
  afterAll(async () => hub.close());

  it('moves the person at once and leaves every grant as it was: no end, no review, no mail', async () => {
    const vias = (await loadDemoDirectory(hub, {}, {})).VIAS;
    const today = new Date(Math.floor(Date.now() / DAY) * DAY).toISOString();
    const routine = await hub.as<{ routineCreate: UserErrors }>(demo.sofie, ROUTINE_CREATE, {
      service: vias,
      input: {
        name: 'VIAS: adgang beholdes ved skift af leverandør', organisationKind: 'SUPPLIER', effectiveFrom: today, decider: 'AUTHORITY', issuerThreshold: 50,
        eligibleOrganisationKinds: ['SUPPLIER'], orderingRequiresOrderer: false, selfRegistration: true, ordererRequestAttachments: ['ORDERER_REQUEST_FORM'],
        roles: [{ role: 'specialist', attachments: ['CV'], quotaPerOrganisation: 5 }], assurance: [], grantsOnMove: 'KEEP',
      },
    });
    expect(routine.data!.routineCreate.userErrors).toEqual([]);
    const grantsBefore = await sql(`select g.id, g.state, g.valid_to, g.end_reason from grants g join users u on u.id = g.user_id where u.email = '${demo.mette}' order by g.id`);
    expect(grantsBefore.length).toBeGreaterThan(0);
    const outbox = await sql<{ n: number }>('select count(*)::int as n from outbox_messages');
    const [{ created_at }] = await sql<{ created_at: string }>(`select created_at from users where email = '${demo.mette}'`);
    const date = new Date((new Date(created_at).getTime() + Date.now()) / 2).toISOString();
    const klinik = toGlobalId('Organisation', (await sql<{ id: string }>(`select id from organisations where name = 'Børne- og Ungeklinikken A/S'`))[0].id);

    const res = await hub.as<{ userEmploymentMove: UserErrors & { user: { employer: { name: string } } | null } }>(demo.sofie, MOVE, {
      id: ids.mette,
      input: { employerId: klinik, date, reason: 'Skifter leverandør' },
    });
    expect(res.data!.userEmploymentMove).toEqual({ user: { employer: { name: 'Børne- og Ungeklinikken A/S' } }, userErrors: [] });
    expect(await sql(`select g.id, g.state, g.valid_to, g.end_reason from grants g join users u on u.id = g.user_id where u.email = '${demo.mette}' order by g.id`)).toEqual(grantsBefore);
    expect((await hub.as<{ grantReviews: { totalCount: number } }>(demo.sofie, REVIEWS)).data!.grantReviews.totalCount).toBe(0);
    expect(await sql(`select count(*)::int as n from grant_reviews`)).toEqual([{ n: 0 }]);
    expect(await sql<{ n: number }>('select count(*)::int as n from outbox_messages')).toEqual(outbox);
  });
});
