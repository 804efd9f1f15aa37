import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demo, startTestHub, type TestHub } from '../support/hub.js';
import { loadDemoDirectory } from '../delegation/queries.js';

interface UserErrors { userErrors: { code: string; field: string[] | null; message: string }[] }
interface Data {
  userImport: UserErrors & { dryRun: boolean | null; rows: number | null; unchanged: number | null; created: { line: number; email: string }[] | null };
}

const IMPORT = `mutation($input: UserImportInput!) { userImport(input: $input) { dryRun rows unchanged created { line email } userErrors { code field message } } }`;
const csv = (lines: string[]) => Buffer.from(['givenName,familyName,email,employer,startDate', ...lines].join('\n'));

describe('people in bulk: a CSV or JSON file of joiners, with a dry run and per-line errors', () => {
  let hub: TestHub;
  const orgs: Record<string, string> = {};
  const sql = <T = Record<string, unknown>>(q: string) => hub.db.orm.em.getConnection().execute<T[]>(q);
  const run = async (email: string, file: Buffer, dryRun: boolean, filename = 'people.csv') =>
    (await hub.upload<Data>(await hub.token(email), IMPORT, { input: { file: null, dryRun } }, { 'input.file': { bytes: file, filename, type: 'text/csv' } })).data!.userImport;
  const counts = () => sql(`select (select count(*)::int from users) as u, (select count(*)::int from employments) as e, (select count(*)::int from audit_events) as a`);

  beforeAll(async () => {
    hub = await startTestHub({ JOBS: 'false' });
    await loadDemoDirectory(hub, {}, orgs);
  });
  afterAll(() => hub.close());

  const good = () => csv([
    'Nils,Nyman,nils.nyman@stockholm.se,212000-0142,2026-12-01',
    `Sara,Stål,sara.stal@stockholm.se,${orgs['Socialförvaltningen']},`,
  ]);

  it('a dry run lists who would be added and writes nothing', async () => {
    const before = await counts();
    const res = await run(demo.karin, good(), true);
    expect(res).toEqual({ dryRun: true, rows: 2, unchanged: 0, created: [{ line: 2, email: 'nils.nyman@stockholm.se' }, { line: 3, email: 'sara.stal@stockholm.se' }], userErrors: [] });
    expect(await counts()).toEqual(before);
  });

  it('a file with broken rows answers every problem by line and column, and nothing is written', async () => {
    const before = await counts();
    const res = await run(demo.karin, csv([
      ',Nyman,nils.nyman@stockholm.se,212000-0142,',
      'Sara,Stål,not-an-address,212000-0142,',
      // VISO's supplier lies outside Karin's domain: it answers like a number nobody has.
      'Bo,Berg,bo@nord.dk,31122333,',
      'Eva,Ek,eva@stockholm.se,999999-9999,',
      'Eva,Ek,eva@stockholm.se,212000-0142,someday',
      'Ulf,Ulv,ulf@stockholm.se,212000-0142,',
      'Ulf,Ulv,ULF@stockholm.se,212000-0142,',
    ]), false);
    expect(res.created).toBeNull();
    expect(res.userErrors.map((e) => [e.code, e.field])).toEqual([
      ['REQUIRED', ['input', 'file', '2', 'givenName']],
      ['INVALID', ['input', 'file', '3', 'email']],
      ['NOT_FOUND', ['input', 'file', '4', 'employer']],
      ['NOT_FOUND', ['input', 'file', '5', 'employer']],
      ['INVALID', ['input', 'file', '6', 'startDate']],
      ['CONFLICT', ['input', 'file', '8', 'email']],
    ]);
    expect(res.userErrors.every((e) => e.message.startsWith(`Line ${e.field![2]}:`))).toBe(true);
    expect(res.userErrors[2].message).not.toContain('VISO');
    expect(await counts()).toEqual(before);
    const broken = await run(demo.karin, Buffer.from('givenName,familyName,email,employer,colour\nA,B,a@b.se,212000-0142,red\n'), false);
    expect(broken.userErrors.map((e) => [e.code, e.field])).toEqual([['INVALID', ['input', 'file', '1']]]);
  });

  it('imports the file whole, each person with an employment and an audit event; running it again changes nothing', async () => {
    const res = await run(demo.karin, good(), false);
    expect(res).toMatchObject({ dryRun: false, rows: 2, unchanged: 0, userErrors: [] });
    const people = await sql<{ email: string; employer: string; starts: string; by_someone: boolean }>(`select u.email, o.name as employer,
        to_char(x.valid_from at time zone 'UTC', 'YYYY-MM-DD') as starts, x.created_by_id is not null as by_someone
      from users u join organisations o on o.id = u.employer_id join employments x on x.user_id = u.id where u.email in ('nils.nyman@stockholm.se', 'sara.stal@stockholm.se') order by u.email`);
    expect(people).toEqual([
      { email: 'nils.nyman@stockholm.se', employer: 'Stockholms stad', starts: '2026-12-01', by_someone: true },
      { email: 'sara.stal@stockholm.se', employer: 'Socialförvaltningen', starts: new Date().toISOString().slice(0, 10), by_someone: true },
    ]);
    expect(await sql(`select count(*)::int as n from audit_events where action = 'user.create'`)).toEqual([{ n: 2 }]);
    const before = await counts();
    expect(await run(demo.karin, good(), false)).toEqual({ dryRun: false, rows: 2, unchanged: 2, created: [], userErrors: [] });
    expect(await counts()).toEqual(before);
  });

  it('reads JSON too, naming the line each object starts on', async () => {
    const json = Buffer.from(JSON.stringify([{ givenName: 'Ida', familyName: 'Ito', email: 'ida@stockholm.se', employer: '212000-0142' }, { givenName: 'Jon', familyName: '', email: 'jon@stockholm.se', employer: '212000-0142' }], null, 2));
    const res = await run(demo.karin, json, true, 'people.json');
    expect(res.userErrors.map((e) => [e.code, e.field])).toEqual([['REQUIRED', ['input', 'file', '8', 'familyName']]]);
  });

  it('outsiders add nobody: every employer of theirs answers NOT_FOUND, and an unregistered caller is refused', async () => {
    const before = await counts();
    const res = await run(demo.sofie, csv(['Ny,Person,ny.person@stockholm.se,212000-0142,']), false);
    expect(res.userErrors.map((e) => e.code)).toEqual(['NOT_FOUND']);
    const anna = await run(demo.anna, csv(['Ny,Person,ny.person@stockholm.se,212000-0142,']), false);
    expect(anna.userErrors).toEqual(res.userErrors);
    expect(await counts()).toEqual(before);
  });
});
