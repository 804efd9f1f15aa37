import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Grant } from '../../src/grants/grant.entity.js';
import { Organisation } from '../../src/organisations/organisation.entity.js';
import { reportCsv, toCsv } from '../../src/reports/report.csv.js';
import { Service, ServiceRole } from '../../src/services/service.entity.js';
import { User } from '../../src/users/user.entity.js';
import { APPOINTMENT_APPROVE, APPOINTMENT_REQUEST, ORGS, SERVICES } from '../delegation/queries.js';
import { hire } from '../orders/fixtures.js';
import { pdf } from '../support/files.js';
import { demo, startTestHub, type TestHub } from '../support/hub.js';
import { actorFor } from '../users/actors.js';

interface Person {
  familyName: string;
  givenName: string;
  email: string;
}
/** One node of the report lists this file reads: whichever of these fields its selection asked for. */
interface ReportNode extends Partial<Person> {
  user?: Person;
  service?: { code: string };
  role?: { name: string };
  scope?: { name: string };
  employer?: { name: string };
  validTo?: string;
  validFrom?: string;
}
interface Data {
  services: { nodes: { id: string; code: string }[] };
  organisations: { nodes: { id: string; name: string }[] };
  ordererAppointmentRequest: { ordererAppointment: { id: string } };
  reports: Record<string, { nodes: ReportNode[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } }>;
}
const DAY = 86_400_000;

/** The rows of a CSV answer, without the byte-order mark and the header. */
const body = (text: string) => text.replace(/^\ufeff/, '');

describe('CSV export', () => {
  let hub: TestHub;
  const get = async (path: string, email?: string) => {
    const headers: Record<string, string> = email ? { authorization: `Bearer ${await hub.token(email)}` } : {};
    return fetch(new URL(path, hub.url), { headers });
  };
  beforeAll(async () => {
    hub = await startTestHub();
    // Something in every detail list: people without grants, grants ending within days, an orderer who never ordered.
    const emails = await hire(hub, 'Göteborgs Stad', 6, 'csv');
    await hub.db.orm.em.fork().transactional(async (tx) => {
      const sus = await tx.findOneOrFail(Service, { code: 'SUS' });
      const registrar = await tx.findOneOrFail(ServiceRole, { service: sus, code: 'registrar' });
      const gbg = await tx.findOneOrFail(Organisation, { name: 'Göteborgs Stad' });
      const people = await tx.find(User, { email: { $in: emails.slice(0, 4) } }, { orderBy: { email: 'asc' } });
      people.forEach((user, i) => {
        tx.create(Grant, { user, service: sus, role: registrar, scope: gbg, validFrom: new Date(Date.now() - DAY), validTo: new Date(Date.now() + (4 - i) * DAY), issuedBy: sus.owner });
      });
    });
    const susId = ((await hub.gql<Data>(SERVICES)).data!.services.nodes as { id: string; code: string }[]).find((x) => x.code === 'SUS')!.id;
    const scope = ((await hub.as<Data>(demo.maria, ORGS)).data!.organisations.nodes as { id: string; name: string }[]).find((o) => o.name === 'Stockholms stad')!.id;
    const req = await hub.upload<Data>(await hub.token(demo.maria), APPOINTMENT_REQUEST, { input: { service: susId, scope, requestForm: null } }, { 'input.requestForm': { bytes: pdf(), filename: 'f.pdf' } });
    await hub.gql(APPOINTMENT_APPROVE, { id: req.data!.ordererAppointmentRequest.ordererAppointment.id }, await hub.token(demo.karin, { acr: 'high' }));
  });
  afterAll(() => hub.close());

  it('exports the same totals as the API, with the same scope', async () => {
    const res = await get('/reports/grant-statistics.csv', demo.karin);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const lines = (await res.text()).replace(/^\ufeff/, '').trim().split('\r\n');
    expect(lines[0]).toBe('breakdown,key,label,count');
    const api = await hub.as<{ reports: { grantStatistics: { total: number } } }>(demo.karin, '{ reports { grantStatistics { total } } }');
    expect(lines[1]).toBe(`total,,total,${api.data!.reports.grantStatistics.total}`);
    const viso = (await (await get('/reports/grant-statistics.csv', demo.sofie)).text()).split('\r\n')[1];
    expect(viso).toBe('total,,total,2');
  });

  it('lists people without an active grant for the viewer only', async () => {
    const text = await (await get('/reports/people-without-active-grant.csv', demo.sofie)).text();
    expect(text).toContain('sofie.viso@sbst.dk');
    expect(text).not.toContain('stockholm.se');
  });

  it('refuses without a token, unknown reports and bad parameters', async () => {
    expect((await get('/reports/grant-statistics.csv')).status).toBe(401);
    expect((await get('/reports/nope.csv', demo.karin)).status).toBe(404);
    const bad = await get('/reports/grant-trend.csv?from=yesterday', demo.karin);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code).toBe('BAD_USER_INPUT');
    // The same rules as the GraphQL arguments: they live in the report service both go through.
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
    for (const path of [
      `/reports/grant-statistics.csv?asOf=${tomorrow}`,
      `/reports/grant-trend.csv?from=${tomorrow}&to=2020-01-01T00:00:00Z`,
      '/reports/issuer-workload.csv?from=2000-01-01T00:00:00Z&to=2020-01-01T00:00:00Z',
      '/reports/grants-expiring.csv?withinDays=99999',
      '/reports/inactive-orderers.csv?days=-1',
      // Dates within the same bounds as DateTime arguments.
      '/reports/grant-statistics.csv?asOf=0001-01-01T00:00:00Z',
      '/reports/grant-trend.csv?from=2199-06-01T00:00:00Z&to=2200-01-01T00:00:00Z',
    ]) {
      const res = await get(path, demo.karin);
      expect(res.status, path).toBe(400);
      expect(((await res.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code, path).toBe('BAD_USER_INPUT');
    }
  });

  it('exports each detail list row for row as the API pages it', async () => {
    /** Every node of a connection of the reports, paged through the API. */
    async function nodes(field: string, args: string, selection: string): Promise<ReportNode[]> {
      const all: ReportNode[] = [];
      let after: string | null = null;
      for (let guard = 0; guard < 50; guard++) {
        const res: { data?: Data; errors?: unknown } = await hub.as<Data>(demo.karin, `query($after: String) { reports { ${field}(${args}, first: 100, after: $after) {
          nodes { ${selection} } pageInfo { hasNextPage endCursor } } } }`, { after });
        expect(res.errors).toBeUndefined();
        const conn = res.data!.reports[field];
        all.push(...conn.nodes);
        if (!conn.pageInfo.hasNextPage) return all;
        after = conn.pageInfo.endCursor;
      }
      throw new Error('paging did not end');
    }
    const person = 'familyName givenName email';
    const cases: [string, string, string[], (string | undefined)[][]][] = [
      [
        '/reports/grants-expiring.csv?withinDays=30',
        'grants-expiring.csv',
        ['family_name', 'given_name', 'email', 'service', 'role', 'valid_to'],
        (await nodes('grantsExpiring', 'withinDays: 30', `user { ${person} } service { code } role { name } validTo`)).map((g) => [
          g.user?.familyName, g.user?.givenName, g.user?.email, g.service?.code, g.role?.name, g.validTo,
        ]),
      ],
      [
        '/reports/people-without-active-grant.csv',
        'people-without-active-grant.csv',
        ['family_name', 'given_name', 'email', 'employer'],
        (await nodes('peopleWithoutActiveGrant', 'organisation: null', `${person} employer { name }`)).map((u) => [u.familyName, u.givenName, u.email, u.employer?.name]),
      ],
      [
        '/reports/inactive-orderers.csv?days=90',
        'inactive-orderers.csv',
        ['family_name', 'given_name', 'email', 'service', 'scope', 'appointed_from'],
        (await nodes('inactiveOrderers', 'days: 90', `user { ${person} } service { code } scope { name } validFrom`)).map((a) => [
          a.user?.familyName, a.user?.givenName, a.user?.email, a.service?.code, a.scope?.name, a.validFrom,
        ]),
      ],
    ];
    for (const [path, filename, columns, rows] of cases) {
      const res = await get(path, demo.karin);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-disposition'), path).toBe(`attachment; filename="${filename}"`);
      expect(body(await res.text()), path).toBe(toCsv(columns, rows));
    }
    // Not vacuous: each list has rows, the expiring grants in the order they end.
    expect(cases.map(([, , , rows]) => rows.length)).toEqual([4, expect.any(Number), 1]);
    expect(cases[0][3].map((r) => r[2])).toEqual(['csv3@example.org', 'csv2@example.org', 'csv1@example.org', 'csv0@example.org']);
    expect(cases[1][3].filter((r) => String(r[2]).startsWith('csv'))).toHaveLength(2);
  });

  it('reads a long list in chunks, and stops at the row cap', async () => {
    const actor = await actorFor(hub, demo.karin);
    for (const [name, query] of [['grants-expiring', 'withinDays=30'], ['people-without-active-grant', ''], ['inactive-orderers', 'days=90']]) {
      const params = () => new URLSearchParams(query);
      const whole = (await reportCsv(actor, name, params()))!.csv.split('\r\n');
      // Chunks of 2 and of 3 cross a chunk boundary wherever the list has more than one row.
      for (const chunkSize of [2, 3]) {
        expect((await reportCsv(actor, name, params(), { maxRows: 200_000, chunkSize }))!.csv.split('\r\n'), `${name} in chunks of ${chunkSize}`).toEqual(whole);
      }
      const capped = (await reportCsv(actor, name, params(), { maxRows: 3, chunkSize: 2 }))!.csv.split('\r\n');
      expect(capped, `${name} capped at 3 rows`).toEqual([...whole.slice(0, 1 + Math.min(3, whole.length - 2)), '']);
    }
  });

  it('quotes cells and defuses spreadsheet formulas', () => {
    expect(toCsv(['a', 'b'], [['=SUM(A1)', 'x,"y"'], ['plain', null]])).toBe('a,b\r\n\'=SUM(A1),"x,""y"""\r\nplain,\r\n');
  });
});
