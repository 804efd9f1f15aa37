import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyDueMoves } from '../../src/employments/employment-move.js';
import { toGlobalId } from '../../src/domain/global-id.js';
import { pdf } from '../support/files.js';
import { demo, startTestHub, type TestHub } from '../support/hub.js';
import { bodyOf, smtpServer } from '../support/smtp.js';
import { loadDemoDirectory, MANDATE_GRANT, type MandatePayload } from '../delegation/queries.js';

interface UserErrors { userErrors: { code: string; field: string[] | null; message: string }[] }
interface Person { id: string; email: string; employer: { name: string }; placements: { validFrom: string; validTo: string | null; organisation: { name: string } }[]; employments: { validFrom: string; validTo: string | null; endReason: string | null; employer: { name: string } | null }[] }
interface Review { id: string; state: string; deadline: string; user: { email: string }; issuer: { name: string }; grant: { state: string } }
interface Data {
  userEmploymentMove: UserErrors & { user: Person | null; employment: { validFrom: string } | null };
  userPlacementAdd: UserErrors & { user: Person | null };
  userPlacementEnd: UserErrors & { user: Person | null };
  userRehire: UserErrors & { user: Person | null; employment: { validFrom: string } | null };
  userCreate: UserErrors & { user: { id: string } | null };
  userEmploymentEnd: UserErrors;
  grantReviews: { totalCount: number; nodes: Review[] };
  grantReviewConfirm: UserErrors & { grantReview: Review | null };
  grantReviewEnd: UserErrors & { grantReview: Review | null };
  routineCreate: UserErrors;
  issuerMandateGrant: MandatePayload;
  node: Person | null;
  me: { id: string } | null;
}

const PERSON = 'id email employer { name } placements { validFrom validTo organisation { name } } employments { validFrom validTo endReason employer { name } }';
const MOVE = `mutation($id: ID!, $input: UserEmploymentMoveInput!) { userEmploymentMove(id: $id, input: $input) {
  user { ${PERSON} } employment { validFrom } userErrors { code field message } } }`;
const PLACE = `mutation($id: ID!, $input: UserPlacementAddInput!) { userPlacementAdd(id: $id, input: $input) { user { ${PERSON} } userErrors { code field message } } }`;
const UNPLACE = `mutation($id: ID!, $input: UserPlacementEndInput!) { userPlacementEnd(id: $id, input: $input) { user { ${PERSON} } userErrors { code field message } } }`;
const REHIRE = `mutation($id: ID!, $input: UserRehireInput!) { userRehire(id: $id, input: $input) { user { ${PERSON} } employment { validFrom } userErrors { code field message } } }`;
const CREATE = `mutation($input: UserCreateInput!) { userCreate(input: $input) { user { id } userErrors { code field message } } }`;
const END = `mutation($id: ID!, $input: UserEmploymentEndInput!) { userEmploymentEnd(id: $id, input: $input) { userErrors { code field message } } }`;
const REVIEW = 'id state deadline user { email } issuer { name } grant { state }';
const REVIEWS = `{ grantReviews(first: 10) { totalCount nodes { ${REVIEW} } } }`;
const CONFIRM = `mutation($id: ID!) { grantReviewConfirm(id: $id) { grantReview { ${REVIEW} } userErrors { code field message } } }`;
const REVIEW_END = `mutation($id: ID!, $input: GrantReviewEndInput!) { grantReviewEnd(id: $id, input: $input) { grantReview { ${REVIEW} } userErrors { code field message } } }`;
const ROUTINE_CREATE = `mutation($service: ID!, $input: RoutineCreateInput!) { routineCreate(service: $service, input: $input) { userErrors { code field message } } }`;
const UNKNOWN_USER = toGlobalId('User', '01900000-0000-7000-8000-000000000000');
const UNKNOWN_ORG = toGlobalId('Organisation', '01900000-0000-7000-8000-000000000000');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const codes = (p: UserErrors) => p.userErrors.map((e) => e.code);

describe('people over time: movers, placements and rehires', () => {
  let hub: TestHub;
  let smtp: Awaited<ReturnType<typeof smtpServer>>;
  let sus: string;
  const ids: Record<string, string> = {};
  const orgs: Record<string, string> = {};
  const sql = <T = Record<string, unknown>>(q: string) => hub.db.orm.em.getConnection().execute<T[]>(q);
  const as = <T = Data>(email: string, query: string, variables?: Record<string, unknown>) => hub.as<T>(email, query, variables);
  /** A moment after the person was recorded and before now: a date in the past their employment covers. */
  const pastFor = async (email: string) => {
    const [{ created_at }] = await sql<{ created_at: string }>(`select created_at from users where email = '${email}'`);
    return new Date((new Date(created_at).getTime() + Date.now()) / 2).toISOString();
  };
  const arrived = async (to: string, topic: string) => {
    for (let i = 0; i < 100; i++) {
      const mail = smtp.received.find((m) => m.to.includes(to) && bodyOf(m.data).includes(topic));
      if (mail) return bodyOf(mail.data);
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no mail to ${to}`);
  };
  /** A timestamp as the API writes it, whichever driver reads it. */
  const isoOf = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
  const counts = () => sql(`select (select count(*)::int from employments) as e, (select count(*)::int from placements) as p,
    (select count(*)::int from grant_reviews) as r, (select count(*)::int from grants where state = 'active') as g, (select count(*)::int from audit_events) as a`);

  beforeAll(async () => {
    smtp = await smtpServer();
    hub = await startTestHub({ SMTP_URL: smtp.url, OUTBOX_POLL_MS: '50' });
    sus = (await loadDemoDirectory(hub, ids, orgs)).SUS;
  });
  afterAll(async () => {
    await hub.close();
    await smtp.close();
  });

  describe('movers', () => {
    it('outsiders move nobody, and nobody is moved outside the mover\'s domain: both answer like unknown ids', async () => {
      const before = await counts();
      const input = { employerId: orgs['Göteborgs Stad'], date: new Date().toISOString(), reason: 'Ny tjänst' };
      const other = await as(demo.sofie, MOVE, { id: ids.anna, input });
      const missing = await as(demo.sofie, MOVE, { id: UNKNOWN_USER, input });
      expect(other.data).toEqual(missing.data);
      expect(codes(other.data!.userEmploymentMove)).toEqual(['NOT_FOUND']);
      const nord = (await as<{ organisations: { nodes: { id: string; name: string }[] } }>(demo.sofie, '{ organisations(first: 50) { nodes { id name } } }')).data!.organisations.nodes
        .find((o) => o.name === 'Specialcenter Nord ApS')!.id;
      const outside = await as(demo.karin, MOVE, { id: ids.maria, input: { ...input, employerId: nord } });
      const unknown = await as(demo.karin, MOVE, { id: ids.maria, input: { ...input, employerId: UNKNOWN_ORG } });
      expect(outside.data).toEqual(unknown.data);
      expect(outside.data!.userEmploymentMove.userErrors).toEqual([expect.objectContaining({ code: 'NOT_FOUND', field: ['input', 'employerId'] })]);
      expect(await counts()).toEqual(before);
    });

    it('refuses a move before the employment began, to the same employer, or without a reason, and writes nothing', async () => {
      const before = await counts();
      const move = (input: Record<string, unknown>) => as(demo.karin, MOVE, { id: ids.maria, input: { employerId: orgs['Göteborgs Stad'], date: new Date().toISOString(), reason: 'x', ...input } });
      expect((await move({ date: '2000-01-01T00:00:00.000Z' })).data!.userEmploymentMove.userErrors).toEqual([expect.objectContaining({ code: 'DATE_ORDER', field: ['input', 'date'] })]);
      expect(codes((await move({ employerId: orgs['Socialförvaltningen'] })).data!.userEmploymentMove)).toEqual(['INVALID']);
      expect(codes((await move({ reason: ' ' })).data!.userEmploymentMove)).toEqual(['REQUIRED']);
      expect(await counts()).toEqual(before);
    });

    it('a move dated in the past applies at once with its date kept; under the default rule (END) the grants end and the person is mailed', async () => {
      const date = await pastFor(demo.erik);
      const res = (await as(demo.karin, MOVE, { id: ids.erik, input: { employerId: orgs['Göteborgs Stad'], date, reason: 'Byter arbetsgivare' } })).data!.userEmploymentMove;
      expect(res.userErrors).toEqual([]);
      expect(res.employment).toEqual({ validFrom: date });
      expect(res.user!.employer).toEqual({ name: 'Göteborgs Stad' });
      expect(res.user!.employments.map((e) => [e.employer?.name, e.validFrom === date, e.validTo === date ? 'moved' : e.validTo])).toEqual([
        ['Göteborgs Stad', true, null],
        ['Arbetsförmedlingen Stockholm', false, 'moved'],
      ]);
      const grants = await sql(`select g.state, g.end_reason, ${isoOf('g.ended_at')} as ended_at from grants g join users u on u.id = g.user_id where u.email = '${demo.erik}'`);
      expect(grants).toEqual([{ state: 'revoked', end_reason: 'EMPLOYMENT_MOVED', ended_at: date }]);
      const trail = await sql<{ action: string }>(`select action from audit_events where reason in ('EMPLOYMENT_MOVED', 'Byter arbetsgivare') order by occurred_at, action`);
      expect(trail.map((t) => t.action)).toEqual(expect.arrayContaining(['employment.move', 'grant.revoke']));
      expect(await arrived(demo.erik, 'EMPLOYMENT_MOVED')).toContain('Uppf');
      // Applied once: the job finds nothing more, and his sign-in still works.
      expect(await applyDueMoves(hub.db.orm.em.fork(), new Date(Date.now() + DAY))).toEqual({ moves: 0, reviews: 0 });
      expect((await as(demo.erik, '{ me { id } }')).status).toBe(200);
    });

    describe('under a routine that keeps grants pending the new issuer (CONFIRM)', () => {
      it('Arbetsförmedlingen becomes SUS issuer, and the agencies\' routine asks for confirmation within 10 days', async () => {
        const mandate = await hub.upload<Data>(
          await hub.token(demo.karin),
          MANDATE_GRANT,
          { input: { service: sus, organisation: orgs['Arbetsförmedlingen'], agreementReference: 'FK-AF-1', agreementSignatory: 'GD', agreementDocument: null,
            supportEmail: 'sus-support@arbetsformedlingen.se', administrators: [ids.jonas], thresholdOverrideReason: 'Avtal' } },
          { 'input.agreementDocument': { bytes: pdf('Överenskommelse'), filename: 'avtal.pdf' } },
        );
        expect(mandate.data!.issuerMandateGrant.userErrors).toEqual([]);
        const routine = await as(demo.karin, ROUTINE_CREATE, {
          service: sus,
          input: {
            name: 'SUS för myndigheter: behörigheter följer med vid byte av arbetsgivare', organisationKind: 'AGENCY', effectiveFrom: new Date().toISOString(),
            decider: 'RESPONSIBLE_ISSUER', issuerThreshold: 50, eligibleOrganisationKinds: ['AGENCY', 'MUNICIPALITY', 'REGION', 'COORDINATION_ASSOCIATION'],
            orderingRequiresOrderer: false, selfRegistration: false, ordererRequestAttachments: ['ORDERER_REQUEST_FORM'],
            roles: [{ role: 'registrar', attachments: ['ORDER_FORM'] }, { role: 'analyst', attachments: ['ORDER_FORM'] }], assurance: [],
            grantsOnMove: 'CONFIRM', moveReviewDays: 10,
          },
        });
        expect(routine.data!.routineCreate.userErrors).toEqual([]);
      });

      it('a future move changes nothing until its date; then the job applies it once on any number of instances and opens a review', async () => {
        const date = new Date(Date.now() + HOUR);
        const res = (await as(demo.karin, MOVE, { id: ids.anna, input: { employerId: orgs['Arbetsförmedlingen Göteborg'], date: date.toISOString(), reason: 'Flyttar till AF' } })).data!.userEmploymentMove;
        expect(res.userErrors).toEqual([]);
        expect(res.user!.employer).toEqual({ name: 'Socialförvaltningen' });
        expect(await applyDueMoves(hub.db.orm.em.fork())).toEqual({ moves: 0, reviews: 0 });
        const later = new Date(date.getTime() + HOUR);
        const applied = await Promise.all([applyDueMoves(hub.db.orm.em.fork(), later), applyDueMoves(hub.db.orm.em.fork(), later)]);
        expect(applied.reduce((n, a) => n + a.moves, 0)).toBe(1);
        const [{ employer }] = await sql<{ employer: string }>(`select o.name as employer from users u join organisations o on o.id = u.employer_id where u.email = '${demo.anna}'`);
        expect(employer).toBe('Arbetsförmedlingen Göteborg');
        const reviews = (await as(demo.jonas, REVIEWS)).data!.grantReviews;
        expect(reviews.totalCount).toBe(1);
        expect(reviews.nodes[0]).toMatchObject({ state: 'PENDING', user: { email: demo.anna }, issuer: { name: 'Arbetsförmedlingen' }, grant: { state: 'ACTIVE' } });
        expect(reviews.nodes[0].deadline).toBe(new Date(date.getTime() + 10 * DAY).toISOString());
      });

      it('only the new issuer sees and decides the review: others get what an unknown id gets', async () => {
        expect((await as(demo.karin, REVIEWS)).data!.grantReviews).toEqual({ totalCount: 0, nodes: [] });
        const [review] = (await as(demo.jonas, REVIEWS)).data!.grantReviews.nodes;
        const unknown = toGlobalId('GrantReview', '01900000-0000-7000-8000-000000000000');
        for (const who of [demo.karin, demo.sofie, demo.anna]) {
          const other = await as(who, CONFIRM, { id: review.id });
          expect(other.data).toEqual((await as(who, CONFIRM, { id: unknown })).data);
          expect(codes(other.data!.grantReviewConfirm)).toEqual(['NOT_FOUND']);
          expect((await as(who, 'query($id: ID!) { node(id: $id) { id } }', { id: review.id })).data).toEqual({ node: null });
          expect(codes((await as(who, REVIEW_END, { id: review.id, input: { reason: 'x' } })).data!.grantReviewEnd)).toEqual(['NOT_FOUND']);
        }
        expect(await sql(`select state from grant_reviews`)).toEqual([{ state: 'pending' }]);
      });

      it('the new issuer confirms: the grant stays, and a second decision is refused', async () => {
        const [review] = (await as(demo.jonas, REVIEWS)).data!.grantReviews.nodes;
        const res = (await as(demo.jonas, CONFIRM, { id: review.id })).data!.grantReviewConfirm;
        expect(res.userErrors).toEqual([]);
        expect(res.grantReview).toMatchObject({ state: 'CONFIRMED', grant: { state: 'ACTIVE' } });
        expect(codes((await as(demo.jonas, CONFIRM, { id: review.id })).data!.grantReviewConfirm)).toEqual(['INVALID_STATE']);
        expect(await applyDueMoves(hub.db.orm.em.fork(), new Date(Date.now() + 30 * DAY))).toEqual({ moves: 0, reviews: 0 });
        expect(await sql(`select g.state from grants g join users u on u.id = g.user_id where u.email = '${demo.anna}'`)).toEqual([{ state: 'active' }]);
      });

      it('unconfirmed by the deadline, the grant ends at the deadline (MOVE_NOT_CONFIRMED) and the person is told', async () => {
        const [{ valid_from }] = await sql<{ valid_from: Date }>(`select x.valid_from from employments x join users u on u.id = x.user_id where u.email = '${demo.anna}' and x.valid_to is null`);
        const date = new Date(new Date(valid_from).getTime() + HOUR);
        const res = (await as(demo.jonas, MOVE, { id: ids.anna, input: { employerId: orgs['Arbetsförmedlingen Stockholm'], date: date.toISOString(), reason: 'Ny enhet' } })).data!.userEmploymentMove;
        expect(res.userErrors).toEqual([]);
        expect(await applyDueMoves(hub.db.orm.em.fork(), new Date(date.getTime() + 1))).toEqual({ moves: 1, reviews: 0 });
        const deadline = new Date(date.getTime() + 10 * DAY);
        expect(await applyDueMoves(hub.db.orm.em.fork(), new Date(deadline.getTime() - 1))).toEqual({ moves: 0, reviews: 0 });
        expect(await applyDueMoves(hub.db.orm.em.fork(), deadline)).toEqual({ moves: 0, reviews: 1 });
        expect(await sql(`select g.state, g.end_reason, ${isoOf('g.ended_at')} as ended_at from grants g join users u on u.id = g.user_id where u.email = '${demo.anna}'`))
          .toEqual([{ state: 'revoked', end_reason: 'MOVE_NOT_CONFIRMED', ended_at: deadline.toISOString() }]);
        expect((await as(demo.jonas, '{ grantReviews(state: PENDING) { totalCount } }')).data!.grantReviews.totalCount).toBe(0);
        expect(await arrived(demo.anna, 'MOVE_NOT_CONFIRMED')).toContain('did not confirm');
        expect(await arrived('sus-support@arbetsformedlingen.se', 'MOVE_NOT_CONFIRMED')).toContain('Anna Lindqvist');
      });
    });

    it('a past move under CONFIRM opens the review at once; the issuer may end the grant instead, and the person is told', async () => {
      const vias = (await loadDemoDirectory(hub, {}, {})).VIAS;
      const today = new Date(Math.floor(Date.now() / DAY) * DAY).toISOString();
      const routine = await as(demo.sofie, ROUTINE_CREATE, {
        service: vias,
        input: {
          name: 'VIAS: adgang følger med ved skift af leverandør', organisationKind: 'SUPPLIER', effectiveFrom: today, decider: 'AUTHORITY', issuerThreshold: 50,
          eligibleOrganisationKinds: ['SUPPLIER'], orderingRequiresOrderer: false, selfRegistration: true, ordererRequestAttachments: ['ORDERER_REQUEST_FORM'],
          roles: [{ role: 'administrative', attachments: ['MANAGER_APPROVAL'], quotaPerOrganisation: 2 }], assurance: [], grantsOnMove: 'CONFIRM',
        },
      });
      expect(routine.data!.routineCreate.userErrors).toEqual([]);
      const nord = toGlobalId('Organisation', (await sql<{ id: string }>(`select id from organisations where name = 'Specialcenter Nord ApS'`))[0].id);
      const date = await pastFor(demo.lars);
      expect((await as(demo.sofie, MOVE, { id: ids.lars, input: { employerId: nord, date, reason: 'Skifter leverandør' } })).data!.userEmploymentMove.userErrors).toEqual([]);
      const [review] = (await as(demo.sofie, REVIEWS)).data!.grantReviews.nodes;
      expect(review).toMatchObject({ state: 'PENDING', user: { email: demo.lars }, issuer: { name: 'VISO (Social- og Boligstyrelsen)' }, grant: { state: 'ACTIVE' } });
      expect(review.deadline).toBe(new Date(new Date(date).getTime() + 30 * DAY).toISOString());
      expect(codes((await as(demo.sofie, REVIEW_END, { id: review.id, input: { reason: ' ' } })).data!.grantReviewEnd)).toEqual(['REQUIRED']);
      const res = (await as(demo.sofie, REVIEW_END, { id: review.id, input: { reason: 'Ikke godkendt hos ny leverandør' } })).data!.grantReviewEnd;
      expect(res.userErrors).toEqual([]);
      expect(res.grantReview).toMatchObject({ state: 'ENDED', grant: { state: 'REVOKED' } });
      expect(await sql(`select g.end_reason from grants g join users u on u.id = g.user_id where u.email = '${demo.lars}'`)).toEqual([{ end_reason: 'MOVE_NOT_CONFIRMED' }]);
      expect(await arrived(demo.lars, 'MOVE_NOT_CONFIRMED')).toContain('Ikke godkendt');
    });
  });

  describe('placements', () => {
    const finsam = () => orgs['Samordningsförbundet Stockholms stad'];

    it('outsiders place nobody, and nobody is placed where the administrator cannot see: like unknown ids', async () => {
      const before = await counts();
      const input = { organisationId: finsam() };
      const other = await as(demo.sofie, PLACE, { id: ids.maria, input });
      expect(other.data).toEqual((await as(demo.sofie, PLACE, { id: UNKNOWN_USER, input })).data);
      expect(codes(other.data!.userPlacementAdd)).toEqual(['NOT_FOUND']);
      const hidden = toGlobalId('Organisation', (await sql<{ id: string }>(`select id from organisations where name = 'Specialcenter Nord ApS'`))[0].id);
      const outside = await as(demo.karin, PLACE, { id: ids.maria, input: { organisationId: hidden } });
      expect(outside.data).toEqual((await as(demo.karin, PLACE, { id: ids.maria, input: { organisationId: UNKNOWN_ORG } })).data);
      expect(codes((await as(demo.sofie, UNPLACE, { id: ids.erik, input: { organisationId: finsam(), endDate: new Date().toISOString() } })).data!.userPlacementEnd)).toEqual(['NOT_FOUND']);
      expect(await counts()).toEqual(before);
    });

    it('adds a dated placement, refuses an end before the start and an overlap, and ends it on a date', async () => {
      const from = new Date(Date.now() - HOUR).toISOString();
      const to = new Date(Date.now() + 30 * DAY).toISOString();
      const bad = (await as(demo.karin, PLACE, { id: ids.maria, input: { organisationId: finsam(), validFrom: to, validTo: from } })).data!.userPlacementAdd;
      expect(bad.userErrors).toEqual([expect.objectContaining({ code: 'DATE_ORDER', field: ['input', 'validTo'] })]);
      const res = (await as(demo.karin, PLACE, { id: ids.maria, input: { organisationId: finsam(), validFrom: from, validTo: to } })).data!.userPlacementAdd;
      expect(res.userErrors).toEqual([]);
      expect(res.user!.placements).toEqual([{ validFrom: from, validTo: to, organisation: { name: 'Samordningsförbundet Stockholms stad' } }]);
      expect(codes((await as(demo.karin, PLACE, { id: ids.maria, input: { organisationId: finsam() } })).data!.userPlacementAdd)).toEqual(['CONFLICT']);
      expect(codes((await as(demo.karin, UNPLACE, { id: ids.maria, input: { organisationId: finsam(), endDate: '2000-01-01T00:00:00.000Z' } })).data!.userPlacementEnd)).toEqual(['DATE_ORDER']);
      const end = new Date(Date.now() + DAY).toISOString();
      const ended = (await as(demo.karin, UNPLACE, { id: ids.maria, input: { organisationId: finsam(), endDate: end } })).data!.userPlacementEnd;
      expect(ended.userErrors).toEqual([]);
      expect(ended.user!.placements[0].validTo).toBe(end);
      expect(await sql(`select action from audit_events where action like 'placement.%' order by occurred_at`)).toEqual([{ action: 'placement.add' }, { action: 'placement.end' }]);
    });
  });

  describe('rehires', () => {
    it('a leaver\'s e-mail added again answers a CONFLICT that says to rehire; the rehire starts a new employment and sign-in works again', async () => {
      const endDate = await pastFor(demo.mette);
      expect((await as(demo.sofie, END, { id: ids.mette, input: { endDate, reason: 'Slutat' } })).data!.userEmploymentEnd.userErrors).toEqual([]);
      expect((await as(demo.mette, '{ me { id } }')).status).toBe(403);
      const nord = (await sql<{ id: string }>(`select id from organisations where name = 'Specialcenter Nord ApS'`))[0].id;
      const before = await counts();
      const dup = (await as(demo.sofie, CREATE, { input: { givenName: 'Mette', familyName: 'Nielsen', email: demo.mette, employerId: toGlobalId('Organisation', nord) } })).data!.userCreate;
      expect(dup.userErrors).toEqual([expect.objectContaining({ code: 'CONFLICT', field: ['input', 'email'] })]);
      expect(dup.userErrors[0].message).toContain('userRehire');
      // Outsiders rehire nobody.
      const other = await as(demo.karin, REHIRE, { id: ids.mette, input: {} });
      expect(other.data).toEqual((await as(demo.karin, REHIRE, { id: UNKNOWN_USER, input: {} })).data);
      expect(codes(other.data!.userRehire)).toEqual(['NOT_FOUND']);
      expect(codes((await as(demo.sofie, REHIRE, { id: ids.mette, input: { startDate: '2000-01-01T00:00:00.000Z' } })).data!.userRehire)).toEqual(['DATE_ORDER']);
      expect(await counts()).toEqual(before);

      const res = (await as(demo.sofie, REHIRE, { id: ids.mette, input: {} })).data!.userRehire;
      expect(res.userErrors).toEqual([]);
      expect(res.user!.employments.map((e) => [e.employer?.name, e.validTo === null, e.endReason])).toEqual([
        ['Specialcenter Nord ApS', true, null],
        ['Specialcenter Nord ApS', false, 'Slutat'],
      ]);
      expect((await as(demo.mette, '{ me { id } }')).status).toBe(200);
      // Nothing deleted: her ended grants are still there.
      expect(await sql(`select g.end_reason from grants g join users u on u.id = g.user_id where u.email = '${demo.mette}'`)).toEqual([{ end_reason: 'EMPLOYMENT_ENDED' }]);
      expect(codes((await as(demo.sofie, REHIRE, { id: ids.mette, input: {} })).data!.userRehire)).toEqual(['INVALID_STATE']);
    });
  });
  describe('history', () => {
    const HISTORY = `query($id: ID!, $first: Int, $after: String) { node(id: $id) { ... on User { history(first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } nodes { kind at reason organisation { name } actor { email } grant { role { code } } } } } } }`;
    interface Entry { kind: string; at: string; reason: string | null; organisation: { name: string } | null; actor: { email: string } | null; grant: { role: { code: string } } | null }
    type History = { node: { history: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string }; nodes: Entry[] } } | null };

    it('tells a mover\'s timeline oldest first, with who and why, in pages', async () => {
      const all = (await as<History>(demo.karin, HISTORY, { id: ids.erik, first: 50 })).data!.node!.history;
      expect(all.nodes.map((e) => [e.kind, e.organisation?.name ?? null, e.actor?.email ?? null, e.reason])).toEqual([
        // The seed's grant and placement date from 2024; his employment was recorded when he was.
        ['GRANT_GAINED', 'Samordningsförbundet Stockholms stad', null, null],
        ['PLACEMENT_STARTED', 'Samordningsförbundet Stockholms stad', null, null],
        ['EMPLOYMENT_STARTED', 'Arbetsförmedlingen Stockholm', null, null],
        ['EMPLOYER_CHANGED', 'Göteborgs Stad', demo.karin, 'Byter arbetsgivare'],
        ['GRANT_ENDED', 'Samordningsförbundet Stockholms stad', demo.karin, 'EMPLOYMENT_MOVED'],
      ]);
      expect(all.totalCount).toBe(5);
      // Page by page, the same entries.
      const first = (await as<History>(demo.karin, HISTORY, { id: ids.erik, first: 2 })).data!.node!.history;
      const rest = (await as<History>(demo.karin, HISTORY, { id: ids.erik, first: 50, after: first.pageInfo.endCursor })).data!.node!.history;
      expect(first.pageInfo.hasNextPage).toBe(true);
      expect([...first.nodes, ...rest.nodes]).toEqual(all.nodes);
      // He reads his own timeline too, but his former employer is now outside what he may see.
      const own = (await as<History>(demo.erik, HISTORY, { id: ids.erik, first: 50 })).data!.node!.history.nodes;
      expect(own.map((e) => e.kind)).toEqual(all.nodes.map((e) => e.kind));
      expect(own.find((e) => e.kind === 'EMPLOYMENT_STARTED')!.organisation).toBeNull();
      // A forged cursor is bad input, not a failure.
      const forged = await as<History>(demo.karin, HISTORY, { id: ids.erik, after: Buffer.from('["x","y","z"]').toString('base64url') });
      expect(forged.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    });

    it('a rehire\'s timeline keeps the leaving, and grants the viewer may not read stay out; outsiders see nothing', async () => {
      const mette = (await as<History>(demo.sofie, HISTORY, { id: ids.mette, first: 50 })).data!.node!.history.nodes;
      expect(mette.map((e) => e.kind)).toEqual(expect.arrayContaining(['EMPLOYMENT_ENDED', 'GRANT_ENDED', 'EMPLOYMENT_STARTED']));
      expect(mette.find((e) => e.kind === 'GRANT_ENDED')).toMatchObject({ reason: 'EMPLOYMENT_ENDED', actor: { email: demo.sofie } });
      expect((await as<History>(demo.karin, HISTORY, { id: ids.mette })).data!.node).toBeNull();
      expect((await as<History>(demo.sofie, HISTORY, { id: ids.erik })).data!.node).toBeNull();
    });
  });
});
