import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cursorBinding, encodeCursor } from '../../src/scim/cursor.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { ENTERPRISE, ERROR, HUB, newUser, orgId, query, scimClient, type Json, type ListBody } from './scim-client.js';

const SEARCH = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';
const DEPARTMENT = `${ENTERPRISE}:department`;

interface CursorBody extends ListBody {
  nextCursor?: string;
  previousCursor?: string;
}

describe('SCIM search (RFC 7644 3.4.3) and cursor paging (RFC 9865)', () => {
  let hub: TestHub;
  let scim: ReturnType<typeof scimClient>;
  const search = (who: string, body: Json, path = '/Users/.search') => scim.call<CursorBody>(who, 'POST', path, { schemas: [SEARCH], ...body });
  const ids = (r: { body: ListBody }) => r.body.Resources.map((x) => x.id as string);

  beforeAll(async () => {
    hub = await startTestHub();
    scim = scimClient(hub);
    // Stockholms stad's people: some in Socialförvaltningen (a department), some in the city itself (none), two sharing a family name.
    const soc = await orgId(hub, 'Socialförvaltningen');
    const people: [string, string, boolean][] = [
      ['p1@stockholm.se', 'Berg', true],
      ['p2@stockholm.se', 'Ek', false],
      ['p3@stockholm.se', 'Berg', false],
      ['p4@stockholm.se', 'Al', true],
      ['p5@stockholm.se', 'Ek', true],
      ['p6@stockholm.se', 'Ödman', false],
    ];
    for (const [email, family, inDepartment] of people) {
      const res = await scim.call('stockholm-hr', 'POST', '/Users', newUser(email, 'P', family, inDepartment ? { [HUB]: { employer: { value: soc } } } : {}));
      expect(res.status).toBe(201);
    }
  });
  afterAll(() => hub.close());

  describe('POST /Users/.search', () => {
    it('should answer exactly as the GET of the same query, within the same scope', async () => {
      const filter = 'userName sw "p" or name.familyName eq "Lindqvist"';
      const get = await scim.call<ListBody>('stockholm-hr', 'GET', `/Users?filter=${encodeURIComponent(filter)}&sortBy=name.familyName&sortOrder=descending&startIndex=2&count=3&attributes=userName,name.familyName`);
      const post = await search('stockholm-hr', { filter, sortBy: 'name.familyName', sortOrder: 'descending', startIndex: 2, count: 3, attributes: ['userName', 'name.familyName'] });
      expect(get.status).toBe(200);
      expect(post.status).toBe(200);
      expect(post.body).toEqual(get.body);
      expect(post.body.totalResults).toBe(7);
      const excluded = await search('stockholm-hr', { filter: 'userName eq "p1@stockholm.se"', excludedAttributes: ['emails', 'meta'] });
      expect(excluded.body.Resources[0]).not.toHaveProperty('emails');
      expect(excluded.body.Resources[0]).toHaveProperty('userName', 'p1@stockholm.se');
    });

    it('should refuse a body that is no SearchRequest, a wrong type, and a GET, with SCIM errors', async () => {
      const none = await scim.call('stockholm-hr', 'POST', '/Users/.search', { filter: 'userName pr' });
      expect(none.status).toBe(400);
      expect(none.body).toMatchObject({ schemas: [ERROR], scimType: 'invalidSyntax' });
      for (const bad of [{ count: '5' }, { attributes: 'a,b' }, { attributes: [1] }, { filter: 3 }, { startIndex: 1.5 }]) {
        const res = await search('stockholm-hr', bad);
        expect(res.status, JSON.stringify(bad)).toBe(400);
        expect(res.body).toMatchObject({ scimType: 'invalidValue' });
      }
      expect((await search('stockholm-hr', { filter: 'userName eq' })).body).toMatchObject({ scimType: 'invalidFilter' });
      expect((await scim.call('stockholm-hr', 'GET', '/Users/.search')).status).toBe(405);
      expect((await scim.call('stockholm-hr', 'GET', '/.search')).status).toBe(405);
    });

    it("should show an outsider nothing of another's people, and a service none of another's groups", async () => {
      expect((await search('af-hr', { filter: 'userName sw "p" and userName ew "@stockholm.se"' })).body.totalResults).toBe(0);
      expect((await search('stockholm-hr', { filter: 'userName eq "erik.analyst@arbetsformedlingen.se"' })).body.totalResults).toBe(0);
      const sus = await search('sus-backend', {}, '/Groups/.search');
      const vias = await search('vias-backend', {}, '/Groups/.search');
      expect(sus.status).toBe(200);
      expect(ids(vias).some((id) => ids(sus).includes(id))).toBe(false);
      expect((await search('af-hr', {}, '/Groups/.search')).status).toBe(403);
    });
  });

  describe('POST /.search', () => {
    it("should list a service's people then its groups as one list, paged across both", async () => {
      const users = await scim.list('sus-backend');
      const groups = await scim.call<ListBody>('sus-backend', 'GET', '/Groups');
      const all = await search('sus-backend', { count: 200 }, '/.search');
      expect(all.status).toBe(200);
      expect(all.body.totalResults).toBe(users.body.totalResults + groups.body.totalResults);
      expect(ids(all)).toEqual([...ids(users), ...ids(groups)]);
      // A page across the boundary between the two types.
      const edge = await search('sus-backend', { startIndex: users.body.totalResults, count: 2 }, '/.search');
      expect(ids(edge)).toEqual([ids(users).at(-1), ids(groups)[0]]);
      // A filter only Groups' attributes fit matches no User, and the other way round.
      expect(ids(await search('sus-backend', { filter: 'externalId eq "analyst"' }, '/.search'))).toEqual(ids(await search('sus-backend', { filter: 'externalId eq "analyst"' }, '/Groups/.search')));
      expect((await search('sus-backend', { filter: 'userName sw "erik"' }, '/.search')).body.totalResults).toBe(1);
      expect((await search('sus-backend', { cursor: '' }, '/.search')).body).toMatchObject({ scimType: 'invalidValue' });
    });

    it("should give an organisation's client its own people only", async () => {
      const own = await search('stockholm-hr', { count: 200 }, '/.search');
      expect(ids(own)).toEqual(ids(await scim.list('stockholm-hr', 'count=200')));
      expect(own.body.Resources.every((r) => String(r.userName).endsWith('@stockholm.se'))).toBe(true);
    });
  });

  describe('cursor paging', () => {
    it('should announce both ways of paging', async () => {
      const config = await scim.call('stockholm-hr', 'GET', '/ServiceProviderConfig');
      expect(config.body).toMatchObject({ pagination: { cursor: true, index: true, defaultPaginationMethod: 'index', defaultPageSize: 100, maxPageSize: 200, cursorTimeout: 3600 } });
    });

    // Walks forward by nextCursor and back by previousCursor, and compares with the index-paged list.
    async function walk(who: string, query: string) {
      const whole = await scim.call<ListBody>(who, 'GET', `/Users?count=200&${query}`);
      const forward: string[] = [];
      let page = await scim.call<CursorBody>(who, 'GET', `/Users?cursor&count=2&${query}`);
      const pages: CursorBody[] = [];
      for (;;) {
        expect(page.status).toBe(200);
        expect(page.body).not.toHaveProperty('startIndex');
        expect(page.body.totalResults).toBe(whole.body.totalResults);
        pages.push(page.body);
        forward.push(...ids(page));
        if (!page.body.nextCursor) break;
        page = await scim.call<CursorBody>(who, 'GET', `/Users?cursor=${page.body.nextCursor}&count=2&${query}`);
      }
      expect(forward).toEqual(ids(whole));
      expect(pages[0].previousCursor).toBeUndefined();
      const backward: string[] = [];
      let back = pages.at(-1)!.previousCursor;
      while (back) {
        const res = await scim.call<CursorBody>(who, 'GET', `/Users?cursor=${back}&count=2&${query}`);
        expect(res.body.nextCursor).toBeDefined();
        backward.unshift(...ids(res));
        back = res.body.previousCursor;
      }
      expect([...backward, ...ids({ body: pages.at(-1)! })]).toEqual(ids(whole));
      return forward;
    }

    it('should walk the same list forwards and back, in any sort, nulls and ties included', async () => {
      expect(await walk('stockholm-hr', '')).toHaveLength(8);
      await walk('stockholm-hr', 'sortBy=name.familyName');
      await walk('stockholm-hr', 'sortBy=name.familyName&sortOrder=descending');
      await walk('stockholm-hr', `sortBy=${DEPARTMENT}`);
      await walk('stockholm-hr', `sortBy=${DEPARTMENT}&sortOrder=descending&filter=${encodeURIComponent('userName sw "p"')}`);
      await walk('stockholm-hr', 'sortBy=meta.created&sortOrder=descending');
      await walk('stockholm-hr', 'sortBy=meta.lastModified');
      await walk('stockholm-hr', 'sortBy=active');
      const body = await search('stockholm-hr', { cursor: '', count: 3, sortBy: 'userName' });
      expect(body.body.itemsPerPage).toBe(3);
      expect(body.body.nextCursor).toEqual(expect.any(String));
      const next = await search('stockholm-hr', { cursor: body.body.nextCursor, count: 3, sortBy: 'userName' });
      expect(ids(next)).toEqual(ids(await scim.list('stockholm-hr', 'sortBy=userName&startIndex=4&count=3')));
    });

    it('should page Groups by cursor too', async () => {
      const first = await scim.call<CursorBody>('vias-backend', 'GET', '/Groups?cursor&count=1&excludedAttributes=members');
      const second = await scim.call<CursorBody>('vias-backend', 'GET', `/Groups?cursor=${first.body.nextCursor}&count=1&excludedAttributes=members`);
      expect([...ids(first), ...ids(second)]).toEqual(ids(await scim.call<ListBody>('vias-backend', 'GET', '/Groups?excludedAttributes=members')));
      expect(second.body.nextCursor).toBeUndefined();
      expect(second.body.previousCursor).toEqual(expect.any(String));
    });

    it("should refuse a cursor that is garbage, edited, another request's or another client's (invalidCursor), or too old (expiredCursor)", async () => {
      const first = await scim.call<CursorBody>('stockholm-hr', 'GET', '/Users?cursor&count=2&sortBy=userName');
      const cursor = first.body.nextCursor!;
      const invalid = async (who: string, path: string) => {
        const res = await scim.call(who, 'GET', path);
        expect(res.status, path).toBe(400);
        expect(res.body, path).toMatchObject({ schemas: [ERROR], scimType: 'invalidCursor' });
        return res.body;
      };
      await invalid('stockholm-hr', '/Users?cursor=nonsense&count=2&sortBy=userName');
      const [payload, check] = cursor.split('.');
      const edited = Buffer.from(Buffer.from(payload, 'base64url').toString().replace('"b":false', '"b":true')).toString('base64url');
      await invalid('stockholm-hr', `/Users?cursor=${edited}.${check}&count=2&sortBy=userName`);
      await invalid('stockholm-hr', `/Users?cursor=${cursor}&count=2&sortBy=name.familyName`);
      await invalid('stockholm-hr', `/Users?cursor=${cursor}&count=2&sortBy=userName&filter=${encodeURIComponent('userName pr')}`);
      // Another client holding this client's cursor reads nothing with it: the same answer as for garbage.
      expect(await invalid('af-hr', `/Users?cursor=${cursor}&count=2&sortBy=userName`)).toEqual(await invalid('af-hr', '/Users?cursor=nonsense'));
      const [{ id }] = await query<{ id: string }>(hub, "select id from clients where name = 'stockholm-hr'");
      const old = encodeCursor({ key: ['p1@stockholm.se', '00000000-0000-7000-8000-000000000000'], backwards: false }, cursorBinding(id, 'User', null, 'userName', false), new Date(Date.now() - 2 * 3600_000));
      const expired = await scim.call('stockholm-hr', 'GET', `/Users?cursor=${old}&count=2&sortBy=userName`);
      expect(expired.status).toBe(400);
      expect(expired.body).toMatchObject({ scimType: 'expiredCursor' });
      const both = await scim.call('stockholm-hr', 'GET', `/Users?cursor=${cursor}&startIndex=3&sortBy=userName`);
      expect(both.body).toMatchObject({ scimType: 'invalidValue' });
    });
  });
});
