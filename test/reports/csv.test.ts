import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toCsv } from '../../src/reports/report.csv.js';
import { demo, startTestHub, type TestHub } from '../support/hub.js';

describe('CSV export', () => {
  let hub: TestHub;
  const get = async (path: string, email?: string) => {
    const headers: Record<string, string> = email ? { authorization: `Bearer ${await hub.token(email)}` } : {};
    return fetch(new URL(path, hub.url), { headers });
  };
  beforeAll(async () => {
    hub = await startTestHub();
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

  it('quotes cells and defuses spreadsheet formulas', () => {
    expect(toCsv(['a', 'b'], [['=SUM(A1)', 'x,"y"'], ['plain', null]])).toBe('a,b\r\n\'=SUM(A1),"x,""y"""\r\nplain,\r\n');
  });
});
