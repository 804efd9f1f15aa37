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

async function scim<T>(hub: TestHub, token: string, path: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`${hub.url.replace(/\/graphql$/, '/scim/v2')}${path}`, { headers: { authorization: `Bearer ${token}` } });
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
