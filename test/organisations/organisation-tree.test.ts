import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/domain/global-id.js';
import { pdf } from '../support/files.js';
import { demo, startTestHub, type TestHub } from '../support/hub.js';
import { CATALOGUE, ids as catalogueIds, SELF_REGISTER, type Catalogue } from '../orders/queries.js';

interface UserErrors { userErrors: { code: string; field: string[] | null; message: string }[] }
interface Org { id: string; name: string; kind: string; depth: number; closedAt: string | null; registrationNumber: string | null; parent: { name: string } | null }
type Payload = UserErrors & { organisation: Org | null };
interface Data {
  organisations: { nodes: { id: string; name: string }[] };
  organisationCreate: Payload;
  organisationRename: Payload;
  organisationMove: Payload;
  organisationClose: Payload;
  userCreate: UserErrors & { user: { id: string } | null };
  userEmploymentEnd: UserErrors;
  node: Org | null;
}

const ORG = 'id name kind depth closedAt registrationNumber parent { name }';
const CREATE = `mutation($input: OrganisationCreateInput!) { organisationCreate(input: $input) { organisation { ${ORG} } userErrors { code field message } } }`;
const RENAME = `mutation($id: ID!, $name: String!) { organisationRename(id: $id, input: { name: $name }) { organisation { ${ORG} } userErrors { code field message } } }`;
const MOVE = `mutation($id: ID!, $parentId: ID) { organisationMove(id: $id, input: { parentId: $parentId }) { organisation { ${ORG} } userErrors { code field message } } }`;
const CLOSE = `mutation($id: ID!) { organisationClose(id: $id, input: { reason: "Omorganisation" }) { organisation { ${ORG} } userErrors { code field message } } }`;
const NODE = `query($id: ID!) { node(id: $id) { ... on Organisation { ${ORG} } } }`;
const ORGS = '{ organisations(first: 100) { nodes { id name } } }';
const USER_CREATE = 'mutation($input: UserCreateInput!) { userCreate(input: $input) { user { id } userErrors { code field message } } }';
const USER_END = 'mutation($id: ID!, $input: UserEmploymentEndInput!) { userEmploymentEnd(id: $id, input: $input) { userErrors { code field message } } }';
const UNKNOWN = toGlobalId('Organisation', '01900000-0000-7000-8000-000000000000');
const codes = (p: UserErrors) => p.userErrors.map((e) => e.code);

describe('the organisation tree, administered within scope', () => {
  let hub: TestHub;
  let karin: string;
  let sofie: string;
  let anna: string;
  const ids: Record<string, string> = {};
  const sql = <T = Record<string, unknown>>(q: string) => hub.db.orm.em.getConnection().execute<T[]>(q);
  const raw = (globalId: string) => Buffer.from(globalId, 'base64url').toString('utf8').split(':')[1];
  const orgTable = () => sql('select id, name, path, depth, parent_id, legal_entity_id, closed_at from organisations order by id');
  const as = <T = Data>(token: string, query: string, variables: Record<string, unknown> = {}) => hub.gql<T>(query, variables, token);

  beforeAll(async () => {
    hub = await startTestHub({ JOBS: 'false' });
    [karin, sofie, anna] = await Promise.all([hub.token(demo.karin), hub.token(demo.sofie), hub.token(demo.anna)]);
    for (const o of (await as(karin, ORGS)).data!.organisations.nodes) ids[o.name] = o.id;
    for (const o of (await as(sofie, ORGS)).data!.organisations.nodes) ids[o.name] = o.id;
  });
  afterAll(() => hub.close());

  it('creates a unit under an administered organisation, with its audit event', async () => {
    const res = (await as(karin, CREATE, { input: { kind: 'UNIT', name: 'Barn och unga', parentId: ids['Socialförvaltningen'] } })).data!.organisationCreate;
    expect(res.userErrors).toEqual([]);
    expect(res.organisation).toMatchObject({ name: 'Barn och unga', kind: 'UNIT', depth: 2, closedAt: null, parent: { name: 'Socialförvaltningen' } });
    ids['Barn och unga'] = res.organisation!.id;
    const child = (await as(karin, CREATE, { input: { kind: 'UNIT', name: 'Familjehem', parentId: ids['Barn och unga'] } })).data!.organisationCreate;
    expect(child.organisation).toMatchObject({ depth: 3 });
    ids['Familjehem'] = child.organisation!.id;
    const [row] = await sql<{ path: string; legal_entity_id: string }>(`select path, legal_entity_id from organisations where id = '${raw(ids['Familjehem'])}'`);
    expect(row.legal_entity_id).toBe(raw(ids['Stockholms stad']));
    expect(row.path.endsWith(`${raw(ids['Barn och unga'])}/${raw(ids['Familjehem'])}/`)).toBe(true);
    const events = await sql<{ action: string; actor_id: string | null }>(`select action, actor_id from audit_events where target_type = 'Organisation' and target_id = '${raw(ids['Barn och unga'])}'`);
    expect(events.map((e) => e.action)).toEqual(['organisation.create']);
    expect(events[0].actor_id).toBeTruthy();
  });

  it('lets the authority create top-level legal entities of its eligible kinds, each number once', async () => {
    const created = (await as(karin, CREATE, { input: { kind: 'MUNICIPALITY', name: 'Kiruna kommun', registrationNumber: '212000-2700' } })).data!.organisationCreate;
    expect(created.userErrors).toEqual([]);
    expect(created.organisation).toMatchObject({ depth: 0, parent: null, registrationNumber: '212000-2700' });
    ids['Kiruna kommun'] = created.organisation!.id;
    const before = await orgTable();
    const dup = (await as(karin, CREATE, { input: { kind: 'REGION', name: 'Region X', registrationNumber: '212000-2700' } })).data!.organisationCreate;
    expect(dup.userErrors).toEqual([expect.objectContaining({ code: 'DUPLICATE_REGISTRATION_NUMBER', field: ['input', 'registrationNumber'] })]);
    const missing = (await as(karin, CREATE, { input: { kind: 'REGION', name: 'Region X' } })).data!.organisationCreate;
    expect(codes(missing)).toEqual(['REQUIRED']);
    // Suppliers are VIAS's, not SUS's: Karin's routine does not admit them.
    const supplier = (await as(karin, CREATE, { input: { kind: 'SUPPLIER', name: 'Leverandør', registrationNumber: '99999999' } })).data!.organisationCreate;
    expect(codes(supplier)).toEqual(['NOT_ELIGIBLE']);
    const orphan = (await as(karin, CREATE, { input: { kind: 'UNIT', name: 'Lös enhet' } })).data!.organisationCreate;
    expect(codes(orphan)).toEqual(['REQUIRED']);
    const authority = (await as(karin, CREATE, { input: { kind: 'AUTHORITY', name: 'Ny myndighet', registrationNumber: '202100-0001' } })).data!.organisationCreate;
    expect(codes(authority)).toEqual(['NOT_ELIGIBLE']);
    expect(await orgTable()).toEqual(before);
  });

  it('outsiders create nothing: a parent outside the domain answers like an unknown one', async () => {
    const before = await orgTable();
    const input = (parentId: string) => ({ input: { kind: 'UNIT', name: 'Intrång', parentId } });
    const outside = await as(sofie, CREATE, input(ids['Socialförvaltningen']));
    const unknown = await as(sofie, CREATE, input(UNKNOWN));
    expect(outside.data).toEqual(unknown.data);
    expect(codes(outside.data!.organisationCreate)).toEqual(['NOT_FOUND']);
    // Anna works there and reads it, but administers nothing.
    expect(codes((await as(anna, CREATE, input(ids['Socialförvaltningen']))).data!.organisationCreate)).toEqual(['NOT_FOUND']);
    expect((await hub.gql<Data>(CREATE, input(ids['Socialförvaltningen']))).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect(await orgTable()).toEqual(before);
  });

  it('renames within the domain; outsiders get the answer of an unknown id', async () => {
    const res = (await as(karin, RENAME, { id: ids['Barn och unga'], name: 'Barn, unga och familj' })).data!.organisationRename;
    expect(res.organisation).toMatchObject({ name: 'Barn, unga och familj' });
    expect(codes((await as(karin, RENAME, { id: ids['Barn och unga'], name: '  ' })).data!.organisationRename)).toEqual(['REQUIRED']);
    const before = await orgTable();
    const outside = await as(sofie, RENAME, { id: ids['Barn och unga'], name: 'X' });
    const unknown = await as(sofie, RENAME, { id: UNKNOWN, name: 'X' });
    expect(outside.data).toEqual(unknown.data);
    expect(codes(outside.data!.organisationRename)).toEqual(['NOT_FOUND']);
    // Anna sees her own employer but does not administer it: visible, so FORBIDDEN rather than hidden.
    expect((await as(anna, RENAME, { id: ids['Socialförvaltningen'], name: 'X' })).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(await orgTable()).toEqual(before);
    const [event] = await sql<{ before: unknown; after: unknown }>(`select before, after from audit_events where action = 'organisation.rename'`);
    expect(event).toMatchObject({ before: { name: 'Barn och unga' }, after: { name: 'Barn, unga och familj' } });
  });

  it('moves a subtree in one statement: paths, depths and legal entities follow; people go with their unit', async () => {
    const joiner = (await as(karin, USER_CREATE, { input: { givenName: 'Frida', familyName: 'Fors', email: 'frida.fors@stockholm.se', employerId: ids['Familjehem'] } })).data!.userCreate;
    expect(joiner.userErrors).toEqual([]);
    ids.frida = joiner.user!.id;
    const res = (await as(karin, MOVE, { id: ids['Barn och unga'], parentId: ids['Göteborgs Stad'] })).data!.organisationMove;
    expect(res.userErrors).toEqual([]);
    expect(res.organisation).toMatchObject({ depth: 1, parent: { name: 'Göteborgs Stad' } });
    const rows = await sql<{ id: string; path: string; depth: number; legal_entity_id: string }>(
      `select id, path, depth, legal_entity_id from organisations where id in ('${raw(ids['Barn och unga'])}', '${raw(ids['Familjehem'])}') order by depth`,
    );
    const goteborg = raw(ids['Göteborgs Stad']);
    expect(rows.map((r) => [r.path, r.depth, r.legal_entity_id])).toEqual([
      [`${goteborg}/${raw(ids['Barn och unga'])}/`, 1, goteborg],
      [`${goteborg}/${raw(ids['Barn och unga'])}/${raw(ids['Familjehem'])}/`, 2, goteborg],
    ]);
    expect((await as(karin, NODE, { id: ids['Familjehem'] })).data!.node).toMatchObject({ depth: 2 });
    const [event] = await sql<{ after: { parentId: string } }>(`select after from audit_events where action = 'organisation.move'`);
    expect(event.after.parentId).toBe(goteborg);
  });

  it('refuses a move under itself, a descendant, outside the domain, or of the root one administers from', async () => {
    const before = await orgTable();
    const self = (await as(karin, MOVE, { id: ids['Barn och unga'], parentId: ids['Barn och unga'] })).data!.organisationMove;
    expect(self.userErrors).toEqual([expect.objectContaining({ code: 'MOVE_INTO_OWN_SUBTREE', field: ['input', 'parentId'] })]);
    const outsideParent = await as(karin, MOVE, { id: ids['Barn och unga'], parentId: ids['Specialcenter Nord ApS'] });
    const unknownParent = await as(karin, MOVE, { id: ids['Barn och unga'], parentId: UNKNOWN });
    expect(outsideParent.data).toEqual(unknownParent.data);
    expect(codes(outsideParent.data!.organisationMove)).toEqual(['NOT_FOUND']);
    expect(codes((await as(karin, MOVE, { id: ids['Familjehem'], parentId: null })).data!.organisationMove)).toEqual(['REQUIRED']);
    expect((await as(karin, MOVE, { id: ids['Försäkringskassan'], parentId: ids['Göteborgs Stad'] })).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const outsider = await as(sofie, MOVE, { id: ids['Barn och unga'], parentId: ids['Specialcenter Nord ApS'] });
    const unknown = await as(sofie, MOVE, { id: UNKNOWN, parentId: ids['Specialcenter Nord ApS'] });
    expect(outsider.data).toEqual(unknown.data);
    expect(codes(outsider.data!.organisationMove)).toEqual(['NOT_FOUND']);
    expect(await orgTable()).toEqual(before);
  });

  it('refuses to close while people or units depend on it, naming them; then closes, keeping history', async () => {
    const withPeople = (await as(karin, CLOSE, { id: ids['Familjehem'] })).data!.organisationClose;
    expect(withPeople.userErrors).toEqual([expect.objectContaining({ code: 'ORGANISATION_HAS_PEOPLE', field: ['id'] })]);
    expect(withPeople.userErrors[0].message).toContain('Frida Fors');
    const withUnits = (await as(karin, CLOSE, { id: ids['Barn och unga'] })).data!.organisationClose;
    expect(withUnits.userErrors).toEqual([expect.objectContaining({ code: 'ORGANISATION_IN_USE' })]);
    expect(withUnits.userErrors[0].message).toContain('1 open units');
    // Outsiders: like an unknown id, and nothing closes.
    const outsider = await as(sofie, CLOSE, { id: ids['Familjehem'] });
    expect(outsider.data).toEqual((await as(sofie, CLOSE, { id: UNKNOWN })).data);
    expect(await sql(`select count(*)::int as n from organisations where closed_at is not null`)).toEqual([{ n: 0 }]);

    expect((await as(karin, USER_END, { id: ids.frida, input: { endDate: new Date().toISOString(), reason: 'Slutat' } })).data!.userEmploymentEnd.userErrors).toEqual([]);
    const closed = (await as(karin, CLOSE, { id: ids['Familjehem'] })).data!.organisationClose;
    expect(closed.userErrors).toEqual([]);
    expect(closed.organisation!.closedAt).toEqual(expect.any(String));
    expect((await as(karin, NODE, { id: ids['Familjehem'] })).data!.node).toMatchObject({ name: 'Familjehem', closedAt: closed.organisation!.closedAt });
    const [event] = await sql<{ reason: string }>(`select reason from audit_events where action = 'organisation.close'`);
    expect(event.reason).toBe('Omorganisation');
  });

  it('a closed unit takes no new units, people or changes', async () => {
    const before = await orgTable();
    expect(codes((await as(karin, CREATE, { input: { kind: 'UNIT', name: 'Ny', parentId: ids['Familjehem'] } })).data!.organisationCreate)).toEqual(['ORGANISATION_CLOSED']);
    expect(codes((await as(karin, RENAME, { id: ids['Familjehem'], name: 'Ny' })).data!.organisationRename)).toEqual(['ORGANISATION_CLOSED']);
    expect(codes((await as(karin, MOVE, { id: ids['Kiruna kommun'], parentId: ids['Familjehem'] })).data!.organisationMove)).toEqual(['ORGANISATION_CLOSED']);
    expect(codes((await as(karin, CLOSE, { id: ids['Familjehem'] })).data!.organisationClose)).toEqual(['INVALID_STATE']);
    const person = (await as(karin, USER_CREATE, { input: { givenName: 'Nils', familyName: 'Ny', email: 'nils.ny@stockholm.se', employerId: ids['Familjehem'] } })).data!.userCreate;
    expect(codes(person)).toEqual(['ORGANISATION_CLOSED']);
    // Nobody is moved or placed there, nor rehired at it (Frida left it before it closed).
    const joiner = await as<{ userCreate: UserErrors & { user: { id: string } } }>(karin, USER_CREATE, { input: { givenName: 'Olle', familyName: 'Ung', email: 'olle.ung@stockholm.se', employerId: ids['Barn och unga'] } });
    expect(codes(joiner.data!.userCreate)).toEqual([]);
    const someone = joiner.data!.userCreate.user.id;
    const employments = async () => sql(`select count(*)::int as n from employments`);
    const placements = async () => sql(`select count(*)::int as n from placements`);
    const [employmentsBefore, placementsBefore] = [await employments(), await placements()];
    const move = await as<{ userEmploymentMove: UserErrors }>(karin, 'mutation($id: ID!, $input: UserEmploymentMoveInput!) { userEmploymentMove(id: $id, input: $input) { userErrors { code field message } } }',
      { id: someone, input: { employerId: ids['Familjehem'], date: new Date().toISOString(), reason: 'Omorganisation' } });
    expect(move.errors).toBeUndefined();
    expect(move.data!.userEmploymentMove.userErrors).toEqual([expect.objectContaining({ code: 'ORGANISATION_CLOSED', field: ['input', 'employerId'] })]);
    const place = await as<{ userPlacementAdd: UserErrors }>(karin, 'mutation($id: ID!, $input: UserPlacementAddInput!) { userPlacementAdd(id: $id, input: $input) { userErrors { code field message } } }',
      { id: someone, input: { organisationId: ids['Familjehem'] } });
    expect(codes(place.data!.userPlacementAdd)).toEqual(['ORGANISATION_CLOSED']);
    const rehire = await as<{ userRehire: UserErrors }>(karin, 'mutation($id: ID!, $input: UserRehireInput!) { userRehire(id: $id, input: $input) { userErrors { code field message } } }', { id: ids.frida, input: {} });
    expect(codes(rehire.data!.userRehire)).toEqual(['ORGANISATION_CLOSED']);
    expect([await employments(), await placements()]).toEqual([employmentsBefore, placementsBefore]);
    expect(await orgTable()).toEqual(before);
  });

  it('a closed unit takes no self-registration either', async () => {
    const unit = (await as(sofie, CREATE, { input: { kind: 'UNIT', name: 'Nord Syd', parentId: ids['Specialcenter Nord ApS'] } })).data!.organisationCreate;
    expect(unit.userErrors).toEqual([]);
    const c = catalogueIds((await hub.gql<Catalogue>(CATALOGUE)).data!);
    const register = async () => {
      const token = await hub.token('freja@nord.dk', { sub: 'freja@nord.dk', registration_number: '31122333', acr: 'substantial' });
      const input = { organisation: unit.organisation!.id, service: c.vias, role: c.specialist, subAreas: [c.adults], givenName: 'Freja', familyName: 'Holm', email: 'freja@nord.dk', phone: '+45 20 30 40 50', attachments: [{ kind: 'CV', subArea: c.adults, file: null }] };
      const res = await hub.upload<{ selfRegistrationSubmit: UserErrors }>(token, SELF_REGISTER, { input }, { 'input.attachments.0.file': { bytes: pdf('CV'), filename: 'cv.pdf' } });
      return res.data!.selfRegistrationSubmit;
    };
    expect((await as(sofie, CLOSE, { id: unit.organisation!.id })).data!.organisationClose.userErrors).toEqual([]);
    const orders = await sql('select count(*)::int as n from orders');
    const refused = await register();
    expect(refused.userErrors).toEqual([expect.objectContaining({ code: 'ORGANISATION_CLOSED', field: ['input', 'organisation'] })]);
    expect(await sql('select count(*)::int as n from orders')).toEqual(orders);
  });

  it("a moved unit's people see their new place at once: the move drops cached viewers", async () => {
    const chain = async () => (await as(anna, ORGS)).data!.organisations.nodes.map((o) => o.name);
    expect(await chain()).toContain('Stockholms stad');
    expect(await chain()).not.toContain('Göteborgs Stad');
    const res = (await as(karin, MOVE, { id: ids['Socialförvaltningen'], parentId: ids['Göteborgs Stad'] })).data!.organisationMove;
    expect(res.userErrors).toEqual([]);
    const after = await chain();
    expect(after).toContain('Göteborgs Stad');
    expect(after).not.toContain('Stockholms stad');
  });

  it.skipIf(!process.env.DATABASE_URL)('a move on one instance drops the viewers another instance cached (the NOTIFY trigger)', async () => {
    const other = await startTestHub({}, hub);
    try {
      const chain = async () => (await other.gql<Data>(ORGS, {}, anna)).data!.organisations.nodes.map((o) => o.name);
      await chain();
      expect(await chain()).toContain('Göteborgs Stad');
      expect(other.app.viewers.size).toBeGreaterThan(0);
      expect((await as(karin, MOVE, { id: ids['Socialförvaltningen'], parentId: ids['Stockholms stad'] })).data!.organisationMove.userErrors).toEqual([]);
      // Only the notification tells the other instance: its cache would otherwise serve Anna's old chain for a minute.
      const deadline = Date.now() + 5000;
      let seen = await chain();
      while (!seen.includes('Stockholms stad') && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        seen = await chain();
      }
      expect(seen).toContain('Stockholms stad');
      expect(seen).not.toContain('Göteborgs Stad');
    } finally {
      await other.close();
    }
  });
});
