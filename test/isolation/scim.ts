import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { TestHub } from '../support/hub.js';
import { gid, rawId } from './api.js';
import type { Model } from './model.js';

interface ListPage {
  totalResults: number;
  itemsPerPage: number;
  Resources: { id: string }[];
}

/** A small page, so that paging through startIndex is exercised on every world. */
const PAGE = 7;

async function scim<T>(hub: TestHub, token: string, path: string, search?: Record<string, unknown>): Promise<{ status: number; body: T }> {
  const res = await fetch(`${hub.url.replace(/\/graphql$/, '/scim/v2')}${path}`, {
    method: search ? 'POST' : 'GET',
    headers: { authorization: `Bearer ${token}`, ...(search ? { 'content-type': 'application/scim+json' } : {}) },
    body: search ? JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], ...search }) : undefined,
  });
  return { status: res.status, body: (await res.json()) as T };
}

/**
 * Every client's SCIM /Users, paged, is exactly the people the model says its organisation or
 * service may see, with totalResults agreeing on each page; a person outside it is absent by id
 * exactly like an unknown id. Returns the number of requests made.
 */
export async function checkScimReads(hub: TestHub, model: Model): Promise<number> {
  let requests = 0;
  for (const client of model.clients.values()) {
    const token = await hub.clientToken(client.name);
    const expected = model.clientPeople(client);
    const seen: string[] = [];
    for (let start = 1; ; start += PAGE) {
      const page = await scim<ListPage>(hub, token, `/Users?attributes=id&sortBy=userName&count=${PAGE}&startIndex=${start}`);
      requests++;
      expect(page.status, `${client.name}: /Users`).toBe(200);
      expect(page.body.totalResults, `${client.name}: totalResults`).toBe(expected.size);
      seen.push(...page.body.Resources.map((r) => rawId(r.id)));
      if (page.body.Resources.length < PAGE) break;
    }
    expect(new Set(seen).size, `${client.name}: no person twice across pages`).toBe(seen.length);
    expect([...seen].sort(), `${client.name}: SCIM /Users equals the model's people`).toEqual([...expected].sort());
    // The same people through POST /Users/.search, paged by cursor (RFC 9865).
    const walked: string[] = [];
    let cursor = '';
    for (;;) {
      const page = await scim<ListPage & { nextCursor?: string }>(hub, token, '/Users/.search', { attributes: ['id'], sortBy: 'userName', count: PAGE, cursor });
      requests++;
      expect(page.status, `${client.name}: /Users/.search`).toBe(200);
      expect(page.body.totalResults, `${client.name}: .search totalResults`).toBe(expected.size);
      walked.push(...page.body.Resources.map((r) => rawId(r.id)));
      if (!page.body.nextCursor) break;
      cursor = page.body.nextCursor;
    }
    expect(walked, `${client.name}: cursor pages equal index pages`).toEqual(seen);
    if (cursor) {
      const other = [...model.clients.values()].find((c) => c.name !== client.name);
      if (other) {
        const stolen = await scim<{ scimType?: string }>(hub, await hub.clientToken(other.name), '/Users/.search', { sortBy: 'userName', count: PAGE, cursor });
        requests++;
        expect(stolen, `${other.name}: another client's cursor reads nothing`).toMatchObject({ status: 400, body: { scimType: 'invalidCursor' } });
      }
    }
    const outsider = [...model.users.keys()].find((id) => !expected.has(id));
    if (outsider) {
      const hidden = await scim(hub, token, `/Users/${gid('User', outsider)}`);
      const unknown = await scim(hub, token, `/Users/${gid('User', randomUUID())}`);
      requests += 2;
      expect(hidden, `${client.name}: a person outside its scope answers as an unknown id`).toEqual(unknown);
    }
  }
  return requests;
}
