import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demo, startTestHub, type TestHub } from '../support/hub.js';

interface UserError { code: string; field: string[] | null; message: string }
interface ImportPayload {
  dryRun: boolean | null;
  rows: number | null;
  unchanged: number | null;
  changes: { action: string; registrationNumber: string; name: string; line: number | null }[] | null;
  userErrors: UserError[];
}

const IMPORT = `mutation($input: OrganisationImportInput!) { organisationImport(input: $input) {
  dryRun rows unchanged changes { action registrationNumber name line } userErrors { code field message } } }`;
const MAX_FILE = 8192;

describe('organisationImport: register files, idempotent by registration number', () => {
  let hub: TestHub;
  let karin: string;
  let sofie: string;
  const sql = <T = Record<string, unknown>>(q: string) => hub.db.orm.em.getConnection().execute<T[]>(q);
  const snapshot = () => sql('select id, name, path, depth, legal_entity_id, closed_at from organisations order by id');
  const audits = async () => (await sql<{ n: number }>(`select count(*)::int as n from audit_events where target_type = 'Organisation'`))[0].n;
  const send = async (token: string, text: string, options: { dryRun?: boolean; closeAbsent?: boolean; filename?: string } = {}) => {
    const res = await hub.upload<{ organisationImport: ImportPayload }>(
      token,
      IMPORT,
      { input: { file: null, dryRun: options.dryRun ?? false, closeAbsent: options.closeAbsent ?? false } },
      { 'input.file': { bytes: Buffer.from(text, 'utf8'), filename: options.filename ?? 'register.csv', type: 'text/csv' } },
    );
    expect(res.errors).toBeUndefined();
    return res.data!.organisationImport;
  };
  const csv = (...rows: string[]) => ['registrationNumber,name,kind,parentRegistrationNumber', ...rows].join('\n');
  const FIRST = csv('212000-2650,Luleå kommun,municipality,', '"LU-1","Socialtjänst, Luleå",unit,212000-2650', '212000-1355,Göteborgs stad,municipality,');

  beforeAll(async () => {
    hub = await startTestHub({ JOBS: 'false', UPLOAD_MAX_FILE_SIZE: String(MAX_FILE) });
    [karin, sofie] = await Promise.all([hub.token(demo.karin), hub.token(demo.sofie)]);
  });
  afterAll(() => hub.close());

  it('a dry run lists what would change and writes nothing', async () => {
    const before = await snapshot();
    const events = await audits();
    const res = await send(karin, FIRST, { dryRun: true });
    expect(res.userErrors).toEqual([]);
    expect(res).toMatchObject({ dryRun: true, rows: 3, unchanged: 0 });
    expect(res.changes).toEqual([
      { action: 'CREATE', registrationNumber: '212000-2650', name: 'Luleå kommun', line: 2 },
      { action: 'CREATE', registrationNumber: '212000-1355', name: 'Göteborgs stad', line: 4 },
      { action: 'RENAME', registrationNumber: '212000-1355', name: 'Göteborgs stad', line: 4 },
      { action: 'CREATE', registrationNumber: 'LU-1', name: 'Socialtjänst, Luleå', line: 3 },
    ].filter((c) => !(c.action === 'CREATE' && c.registrationNumber === '212000-1355')).sort(byOrder));
    expect(await snapshot()).toEqual(before);
    expect(await audits()).toBe(events);
  });

  it('a run makes those changes with one audit event each; running it again changes nothing', async () => {
    const events = await audits();
    const res = await send(karin, FIRST);
    expect(res.userErrors).toEqual([]);
    expect(res.changes!.map((c) => c.action).sort()).toEqual(['CREATE', 'CREATE', 'RENAME']);
    expect(await audits()).toBe(events + 3);
    const [unit] = await sql<{ path: string; depth: number; le: string }>(
      `select u.path, u.depth, le.registration_number as le from organisations u join organisations le on le.id = u.legal_entity_id where u.registration_number = 'LU-1'`,
    );
    expect(unit).toMatchObject({ depth: 1, le: '212000-2650' });
    const after = await snapshot();
    const again = await send(karin, FIRST);
    expect(again).toMatchObject({ dryRun: false, rows: 3, unchanged: 3, changes: [], userErrors: [] });
    expect(await snapshot()).toEqual(after);
    expect(await audits()).toBe(events + 3);
  });

  it('moves by parent number, from a JSON file, parents listed after their children', async () => {
    const json = JSON.stringify([
      { registrationNumber: 'LU-1', name: 'Socialtjänst, Luleå', kind: 'unit', parentRegistrationNumber: 'LU-0' },
      { registrationNumber: 'LU-0', name: 'Förvaltning', kind: 'unit', parentRegistrationNumber: '212000-2650' },
    ], null, 2);
    const res = await send(karin, json, { filename: 'register.json' });
    expect(res.userErrors).toEqual([]);
    expect(res.changes).toEqual([
      { action: 'CREATE', registrationNumber: 'LU-0', name: 'Förvaltning', line: 8 },
      { action: 'MOVE', registrationNumber: 'LU-1', name: 'Socialtjänst, Luleå', line: 2 },
    ]);
    const [unit] = await sql<{ depth: number }>(`select depth from organisations where registration_number = 'LU-1'`);
    expect(unit.depth).toBe(2);
    expect((await send(karin, json, { filename: 'register.json' })).changes).toEqual([]);
  });

  it('broken rows: every problem names its line and column, and nothing is written', async () => {
    const before = await snapshot();
    const res = await send(karin, csv(
      '212000-9990,Ny kommun,municipality,',
      ',Utan nummer,municipality,',
      '212000-9991,,region,',
      '212000-9992,Fel sort,planet,',
      '212000-9990,Dubblett,municipality,',
      'LU-9,Föräldralös,unit,',
      'LU-8,Okänd förälder,unit,999999-0000',
      'X-1,Cirkel A,unit,X-2',
      'X-2,Cirkel B,unit,X-1',
      '212000-1,"för, många",region,,extra',
    ));
    expect(res).toMatchObject({ dryRun: null, changes: null });
    const byLine = res.userErrors.map((e) => [e.code, e.field?.slice(2).join('.')]);
    expect(byLine).toEqual([['INVALID', '11']]);
    const fixedShape = await send(karin, csv(
      '212000-9990,Ny kommun,municipality,',
      ',Utan nummer,municipality,',
      '212000-9991,,region,',
      '212000-9992,Fel sort,planet,',
      '212000-9990,Dubblett,municipality,',
      'LU-9,Föräldralös,unit,',
    ));
    expect(fixedShape.userErrors.map((e) => [e.code, e.field?.slice(2).join('.')])).toEqual([
      ['REQUIRED', '3.registrationNumber'],
      ['REQUIRED', '4.name'],
      ['INVALID', '5.kind'],
      ['DUPLICATE_REGISTRATION_NUMBER', '6.registrationNumber'],
      ['REQUIRED', '7.parentRegistrationNumber'],
    ]);
    expect(fixedShape.userErrors[0].message).toMatch(/^Line 3: /);
    const parents = await send(karin, csv('LU-8,Okänd förälder,unit,999999-0000', 'X-1,Cirkel A,unit,X-2', 'X-2,Cirkel B,unit,X-1'));
    expect(parents.userErrors.map((e) => [e.code, e.field?.slice(2).join('.')])).toEqual([
      ['MOVE_INTO_OWN_SUBTREE', '4.parentRegistrationNumber'],
      ['NOT_FOUND', '2.parentRegistrationNumber'],
    ]);
    expect(await snapshot()).toEqual(before);
  });

  it('refuses a file that is too large, empty, or not a register file', async () => {
    const big = csv(...Array.from({ length: 400 }, (_, i) => `212001-${String(i).padStart(4, '0')},Kommun ${i},municipality,`));
    expect(Buffer.byteLength(big)).toBeGreaterThan(MAX_FILE);
    expect((await send(karin, big)).userErrors).toEqual([expect.objectContaining({ code: 'FILE_TOO_LARGE', field: ['input', 'file'] })]);
    expect((await send(karin, '')).userErrors.map((e) => e.code)).toEqual(['FILE_EMPTY']);
    expect((await send(karin, 'orgnr;namn\n1;a')).userErrors.map((e) => e.code)).toContain('INVALID');
    expect((await send(karin, '{"rows": 3}', { filename: 'x.json' })).userErrors.map((e) => e.code)).toEqual(['INVALID']);
  });

  it('outsiders: a parent outside the domain is like an unknown one, and nothing outside changes', async () => {
    const before = await snapshot();
    const outside = await send(sofie, csv('31199999,Leverandør,supplier,212000-2650'));
    const unknown = await send(sofie, csv('31199999,Leverandør,supplier,999999-0000'));
    expect(outside.userErrors.map((e) => e.code)).toEqual(['NOT_FOUND']);
    expect(outside.userErrors[0].message.replace('212000-2650', '?')).toBe(unknown.userErrors[0].message.replace('999999-0000', '?'));
    // A legal entity's number is public register data: another domain's is taken, and said so.
    expect((await send(sofie, csv('212000-2650,Luleå,supplier,'))).userErrors.map((e) => e.code)).toEqual(['DUPLICATE_REGISTRATION_NUMBER']);
    // Sofie's routine admits suppliers, not municipalities.
    expect((await send(sofie, csv('212000-7777,Kommun,municipality,'))).userErrors.map((e) => e.code)).toEqual(['NOT_ELIGIBLE']);
    const anna = await hub.token(demo.anna);
    expect((await send(anna, csv('212000-7777,Kommun,municipality,'))).userErrors.map((e) => e.code)).toEqual(['NOT_ELIGIBLE']);
    expect(await snapshot()).toEqual(before);
  });

  it('closes what the file leaves out only when asked, and only what nothing depends on', async () => {
    const mine = await sql<{ registration_number: string; name: string; kind: string; parent: string | null }>(
      `select o.registration_number, o.name, o.kind, p.registration_number as parent from organisations o left join organisations p on p.id = o.parent_id
        where o.registration_number is not null and o.kind in ('agency', 'municipality', 'region', 'coordination_association', 'unit') order by o.depth`,
    );
    const keep = mine.filter((o) => !['212000-2650', 'LU-0', 'LU-1'].includes(o.registration_number));
    const file = csv(...keep.map((o) => [o.registration_number, `"${o.name}"`, o.kind, o.parent ?? ''].join(',')));
    const without = await send(karin, file);
    expect(without.changes).toEqual([]);
    const before = await snapshot();
    const dry = await send(karin, file, { closeAbsent: true, dryRun: true });
    expect(dry.userErrors).toEqual([]);
    expect(dry.changes!.map((c) => [c.action, c.registrationNumber])).toEqual([['CLOSE', 'LU-1'], ['CLOSE', 'LU-0'], ['CLOSE', '212000-2650']]);
    expect(await snapshot()).toEqual(before);
    const res = await send(karin, file, { closeAbsent: true });
    expect(res.changes).toHaveLength(3);
    expect(await sql(`select count(*)::int as n from organisations where closed_at is not null`)).toEqual([{ n: 3 }]);
    // Listing a closed one again does not reopen it.
    expect((await send(karin, FIRST)).userErrors.map((e) => e.code)).toContain('ORGANISATION_CLOSED');
  });
});

const ORDER = ['212000-2650', 'LU-1'];
function byOrder(a: { registrationNumber: string; action: string }, b: { registrationNumber: string; action: string }): number {
  const rank = (c: { registrationNumber: string; action: string }) => (c.action === 'RENAME' ? 10 : ORDER.indexOf(c.registrationNumber));
  return rank(a) - rank(b);
}
