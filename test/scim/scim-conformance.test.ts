import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../support/hub.js';
import { CORE_USER, ENTERPRISE, ERROR, HUB, newUser, orgId, PATCH_OP, query, scimClient, type Json } from './scim-client.js';

const userNames = (resources: Json[]) => resources.map((r) => r.userName as string).sort();

describe('SCIM 2.0 (RFC 7644) through HTTP', () => {
  let hub: TestHub;
  let scim: ReturnType<typeof scimClient>;

  beforeAll(async () => {
    hub = await startTestHub();
    scim = scimClient(hub);
  });
  afterAll(() => hub.close());

  describe('3.12 errors and authentication', () => {
    it('should answer 401 with a SCIM Error and WWW-Authenticate without a token', async () => {
      const res = await scim.call({ token: null }, 'GET', '/Users');
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toMatch(/^application\/scim\+json/);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(res.body).toMatchObject({ schemas: [ERROR], status: '401' });
    });

    it("should refuse a person's token with 403", async () => {
      const res = await scim.call({ token: await hub.token('jonas.issuer@arbetsformedlingen.se') }, 'GET', '/Users');
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ schemas: [ERROR], status: '403' });
    });

    it('should answer 404 for an unknown endpoint and an unknown id, as SCIM Errors', async () => {
      expect((await scim.call('af-hr', 'GET', '/Nothing')).status).toBe(404);
      const res = await scim.call('af-hr', 'GET', '/Users/not-an-id');
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ schemas: [ERROR], status: '404' });
    });

    it('should refuse a body that is not JSON, not SCIM JSON, too large or too deep', async () => {
      const bad = await scim.call('af-hr', 'POST', '/Users', '{"schemas":');
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ scimType: 'invalidSyntax' });
      const type = await scim.call('af-hr', 'POST', '/Users', JSON.stringify(newUser('x@af.se')), { 'content-type': 'text/plain' });
      expect(type.status).toBe(415);
      const big = await scim.call('af-hr', 'POST', '/Users', newUser('big@af.se', 'x'.repeat(70_000)));
      expect(big.status).toBe(413);
      const deep = await scim.call('af-hr', 'POST', '/Users', `${'['.repeat(100)}${']'.repeat(100)}`);
      expect(deep.status).toBe(400);
      expect(deep.body).toMatchObject({ scimType: 'invalidSyntax' });
    });
  });

  describe('4 discovery', () => {
    it('should describe the server, its resource types and schemas', async () => {
      const config = await scim.call('sus-backend', 'GET', '/ServiceProviderConfig');
      expect(config.status).toBe(200);
      expect(config.body).toMatchObject({ patch: { supported: true }, bulk: { supported: true }, filter: { supported: true, maxResults: 200 }, etag: { supported: true }, sort: { supported: true } });
      const types = await scim.call<{ Resources: Json[] }>('sus-backend', 'GET', '/ResourceTypes');
      expect(types.body.Resources.map((r) => r.id)).toEqual(['User', 'Group']);
      const user = await scim.call('sus-backend', 'GET', '/ResourceTypes/User');
      expect(user.body).toMatchObject({ endpoint: '/Users', schema: CORE_USER, schemaExtensions: [{ schema: ENTERPRISE }, { schema: HUB }] });
      const schemas = await scim.call<{ Resources: Json[] }>('sus-backend', 'GET', '/Schemas');
      expect(schemas.body.Resources.map((s) => s.id)).toEqual(expect.arrayContaining([CORE_USER, ENTERPRISE, HUB, 'urn:ietf:params:scim:schemas:core:2.0:Group']));
      const core = await scim.call<{ attributes: Json[] }>('sus-backend', 'GET', `/Schemas/${CORE_USER}`);
      expect(core.body.attributes.find((a) => a.name === 'userName')).toMatchObject({ required: true, uniqueness: 'server', multiValued: false });
    });
  });

  describe('3.4.2 filtering, sorting, paging, attributes', () => {
    it("should list an organisation's subtree and a service's holders, nobody else", async () => {
      const af = await scim.list('af-hr');
      expect(af.status).toBe(200);
      expect(af.body.schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:ListResponse']);
      expect(userNames(af.body.Resources)).toEqual(['erik.analyst@arbetsformedlingen.se', 'jonas.issuer@arbetsformedlingen.se']);
      expect(af.body.totalResults).toBe(2);
      const sus = await scim.list('sus-backend');
      expect(userNames(sus.body.Resources)).toEqual(['anna.registrar@stockholm.se', 'erik.analyst@arbetsformedlingen.se']);
      const vias = await scim.list('vias-backend');
      expect(userNames(vias.body.Resources)).toEqual(['lars.admin@boerneklinikken.dk', 'mette.specialist@specialcenter-nord.dk']);
    });

    it('should filter with every operator, and/or/not, grouping and value paths, in the client scope', async () => {
      const cases: [string, string[]][] = [
        ['userName eq "ERIK.analyst@arbetsformedlingen.se"', ['erik.analyst@arbetsformedlingen.se']],
        ['userName ne "erik.analyst@arbetsformedlingen.se"', ['jonas.issuer@arbetsformedlingen.se']],
        ['name.givenName co "ona"', ['jonas.issuer@arbetsformedlingen.se']],
        ['name.familyName sw "joh"', ['erik.analyst@arbetsformedlingen.se']],
        ['userName ew "@arbetsformedlingen.se"', ['erik.analyst@arbetsformedlingen.se', 'jonas.issuer@arbetsformedlingen.se']],
        ['phoneNumbers pr', []],
        ['name.familyName gt "Rask"', ['jonas.issuer@arbetsformedlingen.se']],
        ['name.familyName ge "Svensson"', ['jonas.issuer@arbetsformedlingen.se']],
        ['name.familyName lt "Rask"', ['erik.analyst@arbetsformedlingen.se']],
        ['name.familyName le "Johansson"', ['erik.analyst@arbetsformedlingen.se']],
        ['meta.created gt "2000-01-01T00:00:00Z" and active eq true', ['erik.analyst@arbetsformedlingen.se', 'jonas.issuer@arbetsformedlingen.se']],
        ['not (userName sw "erik") and active eq "True"', ['jonas.issuer@arbetsformedlingen.se']],
        ['(name.givenName eq "Erik" or name.givenName eq "Jonas") and not (name.familyName eq "Svensson")', ['erik.analyst@arbetsformedlingen.se']],
        ['emails[type eq "work" and value co "jonas"]', ['jonas.issuer@arbetsformedlingen.se']],
        ['emails.value sw "erik"', ['erik.analyst@arbetsformedlingen.se']],
        [`${ENTERPRISE}:department eq "Arbetsförmedlingen Stockholm"`, ['erik.analyst@arbetsformedlingen.se']],
        [`${CORE_USER}:userName eq "jonas.issuer@arbetsformedlingen.se"`, ['jonas.issuer@arbetsformedlingen.se']],
        // Someone outside the subtree matches the filter but is not in the client's scope.
        ['userName eq "anna.registrar@stockholm.se"', []],
        ['name.givenName pr', ['erik.analyst@arbetsformedlingen.se', 'jonas.issuer@arbetsformedlingen.se']],
        // Nobody has a phone number: a comparison with it is unknown, no match, and `not` makes it one.
        ['phoneNumbers.value eq "+46 8 000 00 00"', []],
        ['not (phoneNumbers.value eq "+46 8 000 00 00")', ['erik.analyst@arbetsformedlingen.se', 'jonas.issuer@arbetsformedlingen.se']],
        ['phoneNumbers.value sw "+46" or name.givenName eq "Erik"', ['erik.analyst@arbetsformedlingen.se']],
        ['not (phoneNumbers.value sw "+46" or name.givenName eq "Erik")', ['jonas.issuer@arbetsformedlingen.se']],
        [`not (${ENTERPRISE}:department eq "Arbetsförmedlingen Stockholm")`, ['jonas.issuer@arbetsformedlingen.se']],
      ];
      for (const [filter, expected] of cases) {
        const res = await scim.filter('af-hr', filter);
        expect(res.status, filter).toBe(200);
        expect(userNames(res.body.Resources), filter).toEqual(expected);
        expect(res.body.totalResults, filter).toBe(expected.length);
      }
    });

    it('should refuse a filter that does not parse or names an unknown attribute with invalidFilter', async () => {
      for (const filter of ['userName eq', 'userName zz "x"', 'nickName eq "x"', 'active gt true', 'meta.created gt "yesterday"']) {
        const res = await scim.filter('af-hr', filter);
        expect(res.status, filter).toBe(400);
        expect(res.body, filter).toMatchObject({ schemas: [ERROR], scimType: 'invalidFilter' });
      }
    });

    it('should sort and page with startIndex and count, totalResults the whole match', async () => {
      const all = await scim.list('vias-backend', 'sortBy=name.familyName&sortOrder=descending');
      expect(all.body.Resources.map((r) => (r.name as Json).familyName)).toEqual(['Nielsen', 'Hansen']);
      const first = await scim.list('vias-backend', 'sortBy=userName&startIndex=1&count=1');
      const second = await scim.list('vias-backend', 'sortBy=userName&startIndex=2&count=1');
      expect([first.body.totalResults, second.body.totalResults]).toEqual([2, 2]);
      expect([first.body.itemsPerPage, second.body.startIndex]).toEqual([1, 2]);
      expect([...userNames(first.body.Resources), ...userNames(second.body.Resources)]).toEqual(['lars.admin@boerneklinikken.dk', 'mette.specialist@specialcenter-nord.dk']);
      const none = await scim.list('vias-backend', 'count=0');
      expect([none.body.totalResults, none.body.Resources.length]).toEqual([2, 0]);
      expect((await scim.list('vias-backend', 'startIndex=x')).status).toBe(400);
      expect((await scim.list('vias-backend', 'sortBy=nickName')).body).toMatchObject({ scimType: 'invalidValue' });
    });

    it('should read a page in the same number of statements whatever its size', async () => {
      const statements = async (count: number) => {
        const res = await scim.list('sus-backend', `count=${count}`);
        expect(res.body.Resources).toHaveLength(count);
        return Number(res.headers.get('x-sql-statements'));
      };
      const [one, two] = [await statements(1), await statements(2)];
      expect(one).toBeGreaterThan(0);
      expect(two).toBe(one);
    });

    it('should return only the attributes asked for, or all but the excluded', async () => {
      const only = await scim.list('sus-backend', 'attributes=userName,name.givenName');
      for (const r of only.body.Resources) expect(Object.keys(r).sort()).toEqual(['id', 'name', 'schemas', 'userName']);
      expect(Object.keys(only.body.Resources[0].name as Json)).toEqual(['givenName']);
      const without = await scim.list('sus-backend', `excludedAttributes=emails,${ENTERPRISE}:organization,meta`);
      const r = without.body.Resources[0];
      expect(r.emails).toBeUndefined();
      expect(r.meta).toBeUndefined();
      expect((r[ENTERPRISE] as Json).organization).toBeUndefined();
      expect(r.id).toBeDefined();
    });

    it("should show a service's client the person's usable grants of its service only", async () => {
      const sus = await scim.filter('sus-backend', 'userName eq "erik.analyst@arbetsformedlingen.se"');
      const erik = sus.body.Resources[0];
      expect(erik.roles).toEqual([{ value: 'analyst', display: 'Uppföljare', type: 'SUS' }]);
      expect((erik[HUB] as { grants: Json[] }).grants).toEqual([expect.objectContaining({ service: 'SUS', role: 'analyst', subAreas: [] })]);
      expect(erik[ENTERPRISE]).toEqual({ organization: 'Arbetsförmedlingen', department: 'Arbetsförmedlingen Stockholm' });
      const vias = await scim.filter('vias-backend', 'userName eq "mette.specialist@specialcenter-nord.dk"');
      expect((vias.body.Resources[0][HUB] as { grants: Json[] }).grants[0]).toMatchObject({ service: 'VIAS', subAreas: ['adults', 'children-youth'] });
    });
  });

  describe('3.3, 3.5, 3.6 create, replace, patch, delete; 3.14 versions', () => {
    it('should create a joiner in the subtree, conflict on a taken userName, and read them back', async () => {
      const created = await scim.call('af-hr', 'POST', '/Users', newUser('ny.anstalld@arbetsformedlingen.se', 'Ny', 'Anställd'));
      expect(created.status).toBe(201);
      expect(created.headers.get('location')).toBe(`${scim.base()}/Users/${created.body.id as string}`);
      expect(created.headers.get('etag')).toBe((created.body.meta as Json).version);
      expect(created.body).toMatchObject({ userName: 'ny.anstalld@arbetsformedlingen.se', active: true, [HUB]: { employer: { display: 'Arbetsförmedlingen' } } });
      const again = await scim.call('af-hr', 'POST', '/Users', newUser('NY.anstalld@arbetsformedlingen.se'));
      expect(again.status).toBe(409);
      expect(again.body).toMatchObject({ schemas: [ERROR], scimType: 'uniqueness', status: '409' });
      const missing = await scim.call('af-hr', 'POST', '/Users', { schemas: [CORE_USER], userName: 'no.name@arbetsformedlingen.se' });
      expect(missing.body).toMatchObject({ status: '400', scimType: 'invalidValue' });
      const audit = await query<{ action: string; actor_identity: string; actor_id: string | null }>(
        hub,
        'select action, actor_identity, actor_id from audit_events where target_id = ?',
        [Buffer.from(created.body.id as string, 'base64url').toString().split(':')[1]],
      );
      expect(audit).toEqual([{ action: 'user.create', actor_identity: expect.stringContaining('#client:af-hr') as unknown, actor_id: null }]);
    });

    it('should place a joiner at a unit of its subtree named by the hub extension, never outside it', async () => {
      const rehab = await orgId(hub, 'Rehabilitering Göteborg');
      const ok = await scim.call('af-hr', 'POST', '/Users', newUser('rehab.person@arbetsformedlingen.se', 'Rehab', 'Person', { [HUB]: { employer: { value: rehab } } }));
      expect(ok.status).toBe(201);
      expect(ok.body[ENTERPRISE]).toEqual({ organization: 'Arbetsförmedlingen', department: 'Rehabilitering Göteborg' });
      const outside = await scim.call('stockholm-hr', 'POST', '/Users', newUser('sneaky@stockholm.se', 'S', 'S', { [HUB]: { employer: { value: rehab } } }));
      expect(outside.status).toBe(400);
      expect(outside.body).toMatchObject({ scimType: 'invalidValue' });
    });

    it('should replace with PUT honouring If-Match, and answer 304 to If-None-Match', async () => {
      const created = await scim.call('stockholm-hr', 'POST', '/Users', newUser('put.me@stockholm.se', 'Put', 'Me'));
      const id = created.body.id as string;
      const version = created.headers.get('etag')!;
      const cached = await scim.call('stockholm-hr', 'GET', `/Users/${id}`, undefined, { 'if-none-match': version });
      expect(cached.status).toBe(304);
      const stale = await scim.call('stockholm-hr', 'PUT', `/Users/${id}`, newUser('put.me@stockholm.se', 'Put', 'Changed'), { 'if-match': 'W/"old"' });
      expect(stale.status).toBe(412);
      const put = await scim.call('stockholm-hr', 'PUT', `/Users/${id}`, newUser('put.me@stockholm.se', 'Put', 'Changed', { phoneNumbers: [{ value: '+46 8 1', type: 'work' }] }), { 'if-match': version });
      expect(put.status).toBe(200);
      expect(put.body).toMatchObject({ name: { familyName: 'Changed' }, phoneNumbers: [{ value: '+46 8 1' }] });
      expect(put.headers.get('etag')).not.toBe(version);
      const fresh = await scim.call('stockholm-hr', 'GET', `/Users/${id}`, undefined, { 'if-none-match': version });
      expect(fresh.status).toBe(200);
      expect(fresh.body).toMatchObject({ name: { familyName: 'Changed' } });
    });

    it('should PATCH with add, replace and remove on paths, value paths and no path', async () => {
      const created = await scim.call('stockholm-hr', 'POST', '/Users', newUser('patch.me@stockholm.se', 'Patch', 'Me'));
      const id = created.body.id as string;
      const patch = (ops: Json[]) => scim.call('stockholm-hr', 'PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: ops });
      expect((await patch([{ op: 'replace', path: 'name.givenName', value: 'Patricia' }])).body).toMatchObject({ name: { givenName: 'Patricia' } });
      expect((await patch([{ op: 'add', path: 'phoneNumbers', value: [{ value: '+46 70 1', type: 'work' }] }])).body).toMatchObject({ phoneNumbers: [{ value: '+46 70 1' }] });
      expect((await patch([{ op: 'replace', value: { name: { givenName: 'Pat', familyName: 'Mé' } } }])).body).toMatchObject({ name: { givenName: 'Pat', familyName: 'Mé' } });
      const email = await patch([{ op: 'replace', path: 'emails[type eq "work"].value', value: 'pat.me@stockholm.se' }]);
      expect(email.body).toMatchObject({ userName: 'pat.me@stockholm.se', emails: [{ value: 'pat.me@stockholm.se' }] });
      expect((await patch([{ op: 'remove', path: 'phoneNumbers' }])).body.phoneNumbers).toBeUndefined();
      const bad = await patch([{ op: 'move', path: 'name.givenName', value: 'x' }]);
      expect(bad.body).toMatchObject({ status: '400', scimType: 'invalidSyntax' });
      const noSchema = await scim.call('stockholm-hr', 'PATCH', `/Users/${id}`, { Operations: [{ op: 'replace', path: 'active', value: false }] });
      expect(noSchema.body).toMatchObject({ status: '400', scimType: 'invalidSyntax' });
      const stranger = await patch([{ op: 'replace', path: `${'x'.repeat(10)}`, value: 'y' }]);
      expect(stranger.status).toBeLessThan(500);
    });

    it('should make a leaver with active false or DELETE, ending their grants, and not reactivate them', async () => {
      const anna = await scim.filter('stockholm-hr', 'userName eq "anna.registrar@stockholm.se"');
      const id = anna.body.Resources[0].id as string;
      expect(anna.body.Resources[0].roles).toEqual([{ value: 'registrar', display: 'Registrerare', type: 'SUS' }]);
      const left = await scim.call('stockholm-hr', 'PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] });
      expect(left.status).toBe(200);
      expect(left.body.active).toBe(false);
      expect(left.body.roles).toBeUndefined();
      const sus = await scim.filter('sus-backend', 'userName eq "anna.registrar@stockholm.se"');
      expect(sus.body.Resources[0]).toMatchObject({ active: false });
      expect(sus.body.Resources[0].roles).toBeUndefined();
      const back = await scim.call('stockholm-hr', 'PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: true }] });
      expect(back.body).toMatchObject({ status: '400', scimType: 'invalidValue' });
      expect((await scim.call('stockholm-hr', 'DELETE', `/Users/${id}`)).status).toBe(404);

      const joiner = await scim.call('stockholm-hr', 'POST', '/Users', newUser('delete.me@stockholm.se', 'Delete', 'Me'));
      const deleted = await scim.call('stockholm-hr', 'DELETE', `/Users/${joiner.body.id as string}`);
      expect(deleted.status).toBe(204);
      expect((await scim.call('stockholm-hr', 'GET', `/Users/${joiner.body.id as string}`)).body).toMatchObject({ active: false });
      expect((await scim.filter('stockholm-hr', 'active eq false')).body.totalResults).toBe(2);
    });

    it("should keep a service's client read-only with 403", async () => {
      const erik = (await scim.filter('sus-backend', 'userName eq "erik.analyst@arbetsformedlingen.se"')).body.Resources[0];
      const tries = [
        await scim.call('sus-backend', 'POST', '/Users', newUser('svc@x.se')),
        await scim.call('sus-backend', 'PATCH', `/Users/${erik.id as string}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: false }] }),
        await scim.call('sus-backend', 'PUT', `/Users/${erik.id as string}`, newUser('erik.analyst@arbetsformedlingen.se', 'E', 'J')),
        await scim.call('sus-backend', 'DELETE', `/Users/${erik.id as string}`),
      ];
      expect(tries.map((t) => t.status)).toEqual([403, 403, 403, 403]);
      expect(tries[0].body).toMatchObject({ schemas: [ERROR], status: '403' });
      expect((await scim.filter('sus-backend', 'userName eq "erik.analyst@arbetsformedlingen.se"')).body.Resources[0]).toMatchObject({ active: true, name: erik.name });
    });
  });

  describe('outsiders', () => {
    it("should let one agency's client neither see nor change another's people, answering as for an unknown id", async () => {
      const jonas = (await scim.filter('af-hr', 'userName eq "jonas.issuer@arbetsformedlingen.se"')).body.Resources[0];
      const id = jonas.id as string;
      const unknown = Buffer.from('User:00000000-0000-7000-8000-000000000000').toString('base64url');
      for (const target of [id, unknown]) {
        const answers = [
          await scim.call('stockholm-hr', 'GET', `/Users/${target}`),
          await scim.call('stockholm-hr', 'PUT', `/Users/${target}`, newUser('jonas.issuer@arbetsformedlingen.se', 'Hacked', 'Name')),
          await scim.call('stockholm-hr', 'PATCH', `/Users/${target}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: false }] }),
          await scim.call('stockholm-hr', 'DELETE', `/Users/${target}`),
        ];
        expect(answers.map((a) => a.status)).toEqual([404, 404, 404, 404]);
        expect(answers.map((a) => a.body)).toEqual(answers.map(() => ({ schemas: [ERROR], status: '404', detail: 'No user with this id.' })));
      }
      expect((await scim.filter('stockholm-hr', 'userName eq "jonas.issuer@arbetsformedlingen.se"')).body.totalResults).toBe(0);
      expect((await scim.filter('vias-backend', 'userName sw "erik"')).body.totalResults).toBe(0);
      const after = (await scim.filter('af-hr', 'userName eq "jonas.issuer@arbetsformedlingen.se"')).body.Resources[0];
      expect(after).toEqual(jonas);
    });

    it("should show a service's groups to its own client only", async () => {
      const sus = await scim.call<{ Resources: Json[] }>('sus-backend', 'GET', '/Groups');
      const vias = await scim.call<{ Resources: Json[] }>('vias-backend', 'GET', '/Groups');
      const susId = sus.body.Resources[0].id as string;
      expect((await scim.call('vias-backend', 'GET', `/Groups/${susId}`)).status).toBe(404);
      expect(vias.body.Resources.some((g) => g.id === susId)).toBe(false);
      expect((await scim.call('af-hr', 'GET', '/Groups')).status).toBe(403);
    });
  });

  describe('Groups', () => {
    it("should list a service's roles with the holders of usable grants as members", async () => {
      const res = await scim.call<{ Resources: Json[]; totalResults: number }>('vias-backend', 'GET', '/Groups?sortBy=displayName');
      expect(res.status).toBe(200);
      expect(res.body.totalResults).toBe(2);
      const [admin, specialist] = res.body.Resources as { displayName: string; members: { display: string }[] }[];
      expect([admin.displayName, specialist.displayName]).toEqual(['Administrativ medarbejder', 'Specialist']);
      expect(admin.members.map((m) => m.display)).toEqual(['Lars Hansen']);
      expect(specialist.members.map((m) => m.display)).toEqual(['Mette Nielsen']);
      const lean = await scim.call<{ Resources: Json[] }>('vias-backend', 'GET', `/Groups?filter=${encodeURIComponent('displayName eq "specialist"')}&excludedAttributes=members`);
      expect(lean.body.Resources).toEqual([expect.objectContaining({ displayName: 'Specialist', externalId: 'specialist' })]);
      expect(lean.body.Resources[0].members).toBeUndefined();
      expect((await scim.call('vias-backend', 'POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'x' })).status).toBe(403);
    });
  });

  describe('3.7 bulk', () => {
    it('should run operations in order, resolve bulkId references and stop after failOnErrors', async () => {
      const res = await scim.call<{ Operations: Json[] }>('af-hr', 'POST', '/Bulk', {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
        failOnErrors: 1,
        Operations: [
          { method: 'POST', path: '/Users', bulkId: 'a', data: newUser('bulk.a@arbetsformedlingen.se', 'Bulk', 'A') },
          { method: 'PATCH', path: '/Users/bulkId:a', data: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'name.familyName', value: 'Ändrad' }] } },
          { method: 'POST', path: '/Users', bulkId: 'dup', data: newUser('bulk.a@arbetsformedlingen.se') },
          { method: 'POST', path: '/Users', bulkId: 'never', data: newUser('bulk.never@arbetsformedlingen.se') },
        ],
      });
      expect(res.status).toBe(200);
      expect(res.body.Operations.map((o) => o.status)).toEqual(['201', '200', '409']);
      expect(res.body.Operations[0]).toMatchObject({ method: 'POST', bulkId: 'a', location: expect.stringContaining('/scim/v2/Users/') as unknown });
      expect((await scim.filter('af-hr', 'userName eq "bulk.a@arbetsformedlingen.se"')).body.Resources[0]).toMatchObject({ name: { familyName: 'Ändrad' } });
      expect((await scim.filter('af-hr', 'userName eq "bulk.never@arbetsformedlingen.se"')).body.totalResults).toBe(0);
      const unknownRef = await scim.call<{ Operations: Json[] }>('af-hr', 'POST', '/Bulk', {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
        Operations: [{ method: 'DELETE', path: '/Users/bulkId:nope' }],
      });
      expect(unknownRef.body.Operations[0]).toMatchObject({ status: '400', response: { scimType: 'invalidValue' } });
      const tooMany = await scim.call('af-hr', 'POST', '/Bulk', {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
        Operations: Array.from({ length: 101 }, () => ({ method: 'DELETE', path: '/Users/x' })),
      });
      expect(tooMany.status).toBe(413);
    });
  });
  describe('suspended clients', () => {
    it('should refuse a suspended client with 403 and read nothing', async () => {
      await query(hub, "update clients set suspended_at = now(), suspend_reason = 'test' where name = 'af-hr'");
      try {
        const res = await scim.list('af-hr');
        expect(res.status).toBe(403);
        expect(res.body).toMatchObject({ schemas: [ERROR], status: '403' });
        expect(res.body).not.toHaveProperty('Resources');
      } finally {
        await query(hub, "update clients set suspended_at = null, suspend_reason = null where name = 'af-hr'");
      }
      expect((await scim.list('af-hr')).status).toBe(200);
    });
  });
});
