import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Grant, GrantState } from '../../src/grants/grant.entity.js';
import { Order, OrderKind, OrderState } from '../../src/orders/order.entity.js';
import { Organisation } from '../../src/organisations/organisation.entity.js';
import { Routine } from '../../src/routines/routine.entity.js';
import { Service, ServiceRole } from '../../src/services/service.entity.js';
import { User } from '../../src/users/user.entity.js';
import { demo, startTestHub, type TestHub } from '../support/hub.js';
import { hire } from '../orders/fixtures.js';
import { APPOINTMENT_APPROVE, APPOINTMENT_REQUEST, ORGS, SERVICES, type AppointmentPayload } from '../delegation/queries.js';
import { pdf } from '../support/files.js';

/** The fields these tests read from the API's answers (each answer holds only what its query asked). */
interface Data {
  reports: Reports;
  grants: { totalCount: number };
  organisations: { nodes: { id: string; name: string }[] };
  services: { nodes: { id: string; code: string }[] };
  orders: { totalCount: number };
  users: { totalCount: number };
  ordererAppointmentRequest: AppointmentPayload;
}

interface Reports {
  grantStatistics: {
    total: number;
    byService: { label: string; count: number }[];
    byRole: { label: string; count: number }[];
    byState: { key: string; count: number }[];
    byOrganisation: { organisation: { name: string }; subtreeTotal: number }[];
  };
  ordersWaiting: { issuer: { name: string }; waiting: number; oldestSubmittedAt: string }[];
  issuerWorkload: { issuer: { name: string }; decided: number }[];
  inactiveOrderers: { totalCount: number; nodes: { user: { email: string } }[] };
  grantsExpiring: { totalCount: number; nodes: { user: { email: string } }[] };
  peopleWithoutActiveGrant: { totalCount: number };
  grantTrend: { month: string; issued: number; ended: number }[];
}
const DAY = 86_400_000;

const STATS = `query($org: ID, $asOf: DateTime, $service: ID) { reports { grantStatistics(organisation: $org, asOf: $asOf, service: $service) {
  total byService { label count } byRole { label count } byState { key count } byOrganisation { organisation { name } subtreeTotal } } } }`;

describe('reports', () => {
  let hub: TestHub;
  const past = new Date(Date.now() - 400 * DAY);

  beforeAll(async () => {
    hub = await startTestHub();
    const emails = await hire(hub, 'Göteborgs Stad', 12, 'gbg');
    const em = hub.db.orm.em.fork();
    await em.transactional(async (tx) => {
      const sus = await tx.findOneOrFail(Service, { code: 'SUS' });
      const registrar = await tx.findOneOrFail(ServiceRole, { service: sus, code: 'registrar' });
      const gbg = await tx.findOneOrFail(Organisation, { name: 'Göteborgs Stad' });
      const routine = await tx.findOneOrFail(Routine, { service: sus, organisationKind: 'municipality' as never });
      const people = await tx.find(User, { email: { $in: emails } }, { orderBy: { email: 'asc' } });
      people.forEach((user, i) => {
        const created = new Date(past.getTime() + i * 20 * DAY);
        const state = i < 6 ? GrantState.ACTIVE : i < 8 ? GrantState.SUSPENDED : i < 10 ? GrantState.REVOKED : GrantState.EXPIRED;
        const ended = state === GrantState.REVOKED || state === GrantState.EXPIRED ? new Date(created.getTime() + 30 * DAY) : null;
        const grant = tx.create(Grant, { user, service: sus, role: registrar, scope: gbg, validFrom: created, issuedBy: sus.owner, state, endedAt: ended, suspendedAt: state === GrantState.SUSPENDED ? new Date() : null, validTo: i === 0 ? new Date(Date.now() + 5 * DAY) : null });
        grant.createdAt = created;
        if (i < 4) {
          const order = tx.create(Order, { kind: OrderKind.ORDER, user, service: sus, role: registrar, scope: gbg, validFrom: new Date(), orderedBy: user, decider: sus.owner, routine, state: OrderState.SUBMITTED });
          order.submittedAt = new Date(Date.now() - [0.5, 3, 10, 45][i] * DAY);
        }
      });
    });
  });
  afterAll(() => hub.close());

  it("the authority's totals agree with its detail list, and every breakdown sums to the total", async () => {
    const stats = (await hub.as<Data>(demo.karin, STATS)).data!.reports.grantStatistics;
    const list = await hub.as<Data>(demo.karin, '{ grants { totalCount } }');
    expect(stats.total).toBe(list.data!.grants.totalCount);
    expect(stats.total).toBe(14); // 12 in Göteborg + Anna's and Erik's
    for (const breakdown of ['byService', 'byRole', 'byState'] as const) {
      expect((stats[breakdown] as { count: number }[]).reduce((s, r) => s + r.count, 0)).toBe(stats.total);
    }
    expect((stats.byOrganisation as { subtreeTotal: number }[]).reduce((s, r) => s + r.subtreeTotal, 0)).toBe(stats.total);
    expect(stats.byState).toEqual(expect.arrayContaining([{ key: 'active', count: 8 }, { key: 'suspended', count: 2 }, { key: 'revoked', count: 2 }, { key: 'expired', count: 2 }]));
  });

  it('one level down from a chosen organisation, with subtree totals', async () => {
    const orgs = (await hub.as<Data>(demo.karin, '{ organisations(first: 100) { nodes { id name } } }')).data!.organisations.nodes as { id: string; name: string }[];
    const stockholm = orgs.find((o) => o.name === 'Stockholms stad')!.id;
    const stats = (await hub.as<Data>(demo.karin, STATS, { org: stockholm })).data!.reports.grantStatistics;
    expect(stats.total).toBe(1);
    expect(stats.byOrganisation).toEqual([{ organisation: { name: 'Socialförvaltningen' }, subtreeTotal: 1 }]);
  });

  it('as of a past date counts what existed then, in the state it had', async () => {
    const then = new Date(past.getTime() + 25 * DAY).toISOString();
    const stats = (await hub.as<Data>(demo.karin, STATS, { asOf: then })).data!.reports.grantStatistics;
    expect(stats.total).toBe(2);
    expect(stats.byState).toEqual([{ key: 'active', count: 2 }]);
    const before = (await hub.as<Data>(demo.karin, STATS, { asOf: new Date(past.getTime() - DAY).toISOString() })).data!.reports.grantStatistics;
    expect(before.total).toBe(0);
    const future = await hub.as<Data>(demo.karin, STATS, { asOf: new Date(Date.now() + DAY).toISOString() });
    expect(future.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('a dashboard sees exactly its own scope: another authority and a plain user get their own totals only', async () => {
    const viso = (await hub.as<Data>(demo.sofie, STATS)).data!.reports.grantStatistics;
    expect(viso.total).toBe(2);
    expect(viso.byService).toEqual([{ label: 'VIAS', count: 2 }]);
    const anna = (await hub.as<Data>(demo.anna, STATS)).data!.reports.grantStatistics;
    expect(anna.total).toBe(1);
    const waiting = await hub.as<Data>(demo.sofie, '{ reports { ordersWaiting { waiting } } }');
    expect(waiting.data!.reports.ordersWaiting).toEqual([]);
    const anonymous = await hub.gql<Data>('{ reports { ordersWaiting { waiting } } }');
    expect(anonymous.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('orders waiting by responsible issuer, with age buckets and the oldest', async () => {
    const res = await hub.as<Data>(demo.karin, '{ reports { ordersWaiting { issuer { name } waiting underOneDay oneToSevenDays sevenToThirtyDays overThirtyDays oldestSubmittedAt } } }');
    const [row] = res.data!.reports.ordersWaiting;
    expect(row).toMatchObject({ issuer: { name: 'Försäkringskassan' }, waiting: 4, underOneDay: 1, oneToSevenDays: 1, sevenToThirtyDays: 1, overThirtyDays: 1 });
    expect(Date.now() - new Date(row.oldestSubmittedAt).getTime()).toBeGreaterThan(44 * DAY);
    const list = await hub.as<Data>(demo.karin, '{ orders(toDecide: true, state: SUBMITTED) { totalCount } }');
    expect(list.data!.orders.totalCount).toBe(row.waiting);
  });

  it('expiring grants, people without an active grant, trend per month', async () => {
    const res = await hub.as<Data>(
      demo.karin,
      `query($from: DateTime!, $to: DateTime!) { reports {
        grantsExpiring(withinDays: 7) { totalCount nodes { user { email } } }
        peopleWithoutActiveGrant(first: 100) { totalCount }
        grantTrend(from: $from, to: $to) { month issued ended }
      } }`,
      { from: past.toISOString(), to: new Date().toISOString() },
    );
    const r = res.data!.reports;
    expect(r.grantsExpiring).toEqual({ totalCount: 1, nodes: [{ user: { email: 'gbg0@example.org' } }] });
    const trend = r.grantTrend as { issued: number; ended: number }[];
    expect(trend.reduce((s, p) => s + p.issued, 0)).toBe(14); // the 12 above and the demo's two SUS grants, issued today
    expect(trend.reduce((s, p) => s + p.ended, 0)).toBe(4);
    // Everyone Karin sees, minus those holding an active grant now.
    const people = await hub.as<Data>(demo.karin, '{ users { totalCount } }');
    expect(r.peopleWithoutActiveGrant.totalCount).toBe(people.data!.users.totalCount - 8);
  });

  it('every report keeps to its viewer: another authority and a plain user see none of the SUS figures', async () => {
    // One decided order and one orderer who has ordered nothing, so the SUS authority has something to see.
    const em = hub.db.orm.em.fork();
    const decided = await em.findOneOrFail(Order, { state: OrderState.SUBMITTED }, { orderBy: { submittedAt: 'asc' } });
    decided.state = OrderState.APPROVED;
    decided.decidedAt = new Date();
    await em.flush();
    const sus = ((await hub.gql<Data>(SERVICES)).data!.services.nodes as { id: string; code: string }[]).find((x) => x.code === 'SUS')!.id;
    const scope = ((await hub.as<Data>(demo.maria, ORGS)).data!.organisations.nodes as { id: string; name: string }[]).find((o) => o.name === 'Stockholms stad')!.id;
    const req = await hub.upload<Data>(await hub.token(demo.maria), APPOINTMENT_REQUEST, { input: { service: sus, scope, requestForm: null } }, { 'input.requestForm': { bytes: pdf(), filename: 'f.pdf' } });
    await hub.gql(APPOINTMENT_APPROVE, { id: req.data!.ordererAppointmentRequest.ordererAppointment.id }, await hub.token(demo.karin, { acr: 'high' }));

    const REPORTS = `query($from: DateTime!, $to: DateTime!) { reports {
      ordersWaiting { waiting }
      issuerWorkload(from: $from, to: $to) { issuer { name } decided }
      inactiveOrderers(days: 90) { totalCount nodes { user { email } } }
      grantsExpiring(withinDays: 7) { totalCount }
      grantTrend(from: $from, to: $to) { issued }
    } }`;
    const range = { from: past.toISOString(), to: new Date(Date.now() + DAY).toISOString() };
    const issued = (r: Reports) => (r.grantTrend as { issued: number }[]).reduce((sum, p) => sum + p.issued, 0);
    const karin = (await hub.as<Data>(demo.karin, REPORTS, range)).data!.reports;
    expect(karin.issuerWorkload).toEqual([{ issuer: { name: 'Försäkringskassan' }, decided: 1 }]);
    expect(karin.inactiveOrderers).toEqual({ totalCount: 1, nodes: [{ user: { email: demo.maria } }] });
    expect(karin.grantsExpiring.totalCount).toBe(1);
    for (const [email, ownGrants] of [[demo.sofie, 2], [demo.anna, 1]] as const) {
      const r = (await hub.as<Data>(email, REPORTS, range)).data!.reports;
      expect({ ...r, grantTrend: issued(r) }, email).toEqual({
        ordersWaiting: [],
        issuerWorkload: [],
        inactiveOrderers: { totalCount: 0, nodes: [] },
        grantsExpiring: { totalCount: 0 },
        grantTrend: ownGrants, // Sofie's VIAS grants; Anna's own
      });
    }
  });

  it('refuses ranges the wrong way round or too long', async () => {
    const res = await hub.as<Data>(demo.karin, '{ reports { grantTrend(from: "2025-01-01T00:00:00Z", to: "2024-01-01T00:00:00Z") { month } } }');
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const tooLong = await hub.as<Data>(demo.karin, '{ reports { grantsExpiring(withinDays: 99999) { totalCount } } }');
    expect(tooLong.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });
});
