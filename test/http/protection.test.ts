import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp } from '../../src/app/start.js';
import { loadConfig } from '../../src/config.js';
import { createTestDatabase } from '../support/database.js';
import { pdf } from '../support/files.js';
import { demo, startTestHub, type TestHub } from '../support/hub.js';

type Json = { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] };

describe('HTTP protections', () => {
  let hub: TestHub;
  const post = (body: string | FormData, headers: Record<string, string> = {}) => fetch(hub.url, { method: 'POST', headers, body });
  const json = (query: string, variables: object = {}, headers: Record<string, string> = {}) =>
    post(JSON.stringify({ query, variables }), { 'content-type': 'application/json', ...headers });

  beforeAll(async () => {
    hub = await startTestHub({ UPLOAD_MAX_FILE_SIZE: '2048', UPLOAD_MAX_FILES: '2' });
  });
  afterAll(() => hub.close());

  it('CSRF: simple requests (text/plain, form-encoded, GET without preflight header) are refused', async () => {
    const plain = await post(JSON.stringify({ query: '{ services { totalCount } }' }), { 'content-type': 'text/plain' });
    expect(plain.status).toBe(400);
    const form = await post('query=%7B__typename%7D', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(400);
    const get = await fetch(`${hub.url}?query=${encodeURIComponent('{ services { totalCount } }')}`);
    expect(get.status).toBe(400);
    const preflighted = await fetch(`${hub.url}?query=${encodeURIComponent('{ services { totalCount } }')}`, { headers: { 'apollo-require-preflight': 'true' } });
    expect(((await preflighted.json()) as Json).data).toEqual({ services: { totalCount: 2 } });
  });

  const multipart = (files: { name: string; bytes: Buffer }[]) => {
    const form = new FormData();
    form.append('operations', JSON.stringify({ query: '{ services { totalCount } }', variables: {} }));
    form.append('map', JSON.stringify(Object.fromEntries(files.map((_, i) => [String(i), [`variables.f${i}`]]))));
    files.forEach((f, i) => form.append(String(i), new Blob([new Uint8Array(f.bytes)]), f.name));
    return form;
  };

  it('multipart: refused without the preflight header; too many files refused; a correct one is answered', async () => {
    const noHeader = await post(multipart([{ name: 'a.pdf', bytes: pdf() }]));
    expect(noHeader.status).toBe(400);
    expect(((await noHeader.json()) as Json).errors?.[0].message).toMatch(/Apollo-Require-Preflight/);
    const tooMany = await post(multipart([1, 2, 3].map((i) => ({ name: `${i}.pdf`, bytes: pdf() }))), { 'apollo-require-preflight': 'true' });
    expect(tooMany.status).toBeGreaterThanOrEqual(400);
    expect(((await tooMany.json()) as Json).errors?.[0].extensions?.code).toMatch(/PAYLOAD_TOO_LARGE|BAD_REQUEST/);
    const ok = await post(multipart([{ name: 'a.pdf', bytes: pdf() }]), { 'apollo-require-preflight': 'true' });
    expect(((await ok.json()) as Json).data).toEqual({ services: { totalCount: 2 } });
  });

  it('an upload over the size cap is a clear userError and stores nothing', async () => {
    const sus = ((await hub.gql<{ services: { nodes: { id: string; code: string }[] } }>('{ services { nodes { id code } } }')).data!.services.nodes).find((s) => s.code === 'SUS')!.id;
    const orgs = (await hub.as<{ organisations: { nodes: { id: string; name: string }[] } }>(demo.maria, '{ organisations { nodes { id name } } }')).data!.organisations.nodes;
    const res = await hub.upload<{ ordererAppointmentRequest: { ordererAppointment: null; userErrors: { code: string }[] } }>(
      await hub.token(demo.maria),
      'mutation($input: OrdererAppointmentRequestInput!) { ordererAppointmentRequest(input: $input) { ordererAppointment { id } userErrors { code } } }',
      { input: { service: sus, scope: orgs.find((o) => o.name === 'Stockholms stad')!.id, requestForm: null } },
      { 'input.requestForm': { bytes: Buffer.concat([pdf(), Buffer.alloc(4096, 0x20)]), filename: 'big.pdf' } },
    );
    expect(res.data!.ordererAppointmentRequest).toEqual({ ordererAppointment: null, userErrors: [{ code: 'FILE_TOO_LARGE' }] });
  });

  it('bodies: over 1 MiB → 413, malformed JSON → 400, batches refused', async () => {
    const big = await post(JSON.stringify({ query: `{ __typename } #${'x'.repeat(1_100_000)}` }), { 'content-type': 'application/json' });
    expect(big.status).toBe(413);
    const broken = await post('{"query": ', { 'content-type': 'application/json' });
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as Json).errors?.[0].extensions?.code).toBe('BAD_REQUEST');
    const batch = await post(JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }]), { 'content-type': 'application/json' });
    expect(batch.status).toBe(400);
  });

  it('query limits: depth, aliases, tokens and cost each refused with HTTP 400, QUERY_TOO_COMPLEX naming the limit, and no data', async () => {
    const deep = `{ me { employer { parent { parent { parent { parent { parent { parent { parent { parent { parent { parent { parent { name } } } } } } } } } } } } } }`;
    const aliases = `{ ${Array.from({ length: 20 }, (_, i) => `a${i}: me { id }`).join(' ')} }`;
    const tokens = `{ ${Array.from({ length: 2100 }, () => '__typename').join(' ')} }`;
    const cost = `{ ${Array.from({ length: 14 }, (_, i) => `s${i}: services(first: 100) { nodes { code name roles { code name service { code name roles { code name service { code name roles { code name service { code name } } } } } } } }`).join(' ')} }`;
    const cases = { depth: deep, aliases, tokens, cost };
    for (const [limit, query] of Object.entries(cases)) {
      for (const accept of ['application/json', 'application/graphql-response+json']) {
        const res = await json(query, {}, { authorization: `Bearer ${await hub.token(demo.anna)}`, accept });
        const body = (await res.json()) as Json;
        expect(res.status, `${limit} ${accept}`).toBe(400);
        expect(body.data ?? null, limit).toBeNull();
        expect(body.errors?.[0].extensions, limit).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit });
      }
    }
  });

  it("stays out of the way of real clients: a portal's staff list of 50 people with their grants is within the limits", async () => {
    const staff = `{ users(first: 50) { totalCount nodes { id displayName email employer { name parent { name } }
      grants(state: ACTIVE, first: 10) { nodes { id validTo role { name } service { code } scope { name } subAreas { code } } } } } }`;
    const body = (await (await json(staff, {}, { authorization: `Bearer ${await hub.token(demo.karin)}` })).json()) as Json;
    expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
  });

  it('JSON nested deeper than 64 levels is refused before it is walked, in a body, a GET and a multipart request', async () => {
    const deep = `{"query":"{ __typename }","variables":{"a":${'['.repeat(200_000)}${']'.repeat(200_000)}}}`;
    const body = await post(deep, { 'content-type': 'application/json' });
    expect(body.status).toBe(400);
    expect(((await body.json()) as Json).errors?.[0].extensions?.code).toBe('BAD_REQUEST');
    const get = await fetch(`${hub.url}?query=${encodeURIComponent('{ __typename }')}&variables=${encodeURIComponent(`{"a":${'['.repeat(100)}${']'.repeat(100)}}`)}`, { headers: { 'apollo-require-preflight': 'true' } });
    expect(get.status).toBe(400);
    // Still fine at a depth real inputs have.
    const fine = await post(`{"query":"{ __typename }","variables":{"a":${'['.repeat(20)}${']'.repeat(20)}}}`, { 'content-type': 'application/json' });
    expect(fine.status).toBe(200);
  });

  it('a variable refused by its type answers one bounded error, however many fields it breaks', async () => {
    const input = { reason: 'r', ...Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`f${i}`, i])) };
    const res = await json('mutation($id: ID!, $input: GrantChangeInput!) { grantRevoke(id: $id, input: $input) { userErrors { code } } }', { id: 'x', input }, { accept: 'application/graphql-response+json' });
    const text = await res.text();
    expect(res.status).toBe(400);
    expect(text.length).toBeLessThan(2_000);
    const body = JSON.parse(text) as Json;
    expect(body.errors).toHaveLength(1);
    expect(body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const many = await json('query($a: [ID!]!) { nodes(ids: $a) { id } }', { a: Array.from({ length: 60 }, () => ({})) });
    expect(((await many.json()) as Json).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('automatic persisted queries are not offered: any persistedQuery extension answers PERSISTED_QUERY_NOT_SUPPORTED', async () => {
    for (const persistedQuery of [{ version: 1, sha256Hash: '00' }, { version: 2 }]) {
      const res = await post(JSON.stringify({ query: '{ __typename }', extensions: { persistedQuery } }), { 'content-type': 'application/json' });
      expect(res.status).toBeLessThan(500);
      expect(((await res.json()) as Json).errors?.[0].extensions?.code).toBe('PERSISTED_QUERY_NOT_SUPPORTED');
    }
  });

  it('caps page sizes', async () => {
    const big = (await (await json('{ services(first: 101) { totalCount } }')).json()) as Json;
    expect(big.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('request ids: a valid incoming one is echoed, otherwise one is made; unknown paths are JSON 404s', async () => {
    const echoed = await json('{ __typename }', {}, { 'x-request-id': 'portal-123' });
    expect(echoed.headers.get('x-request-id')).toBe('portal-123');
    const made = await json('{ __typename }', {}, { 'x-request-id': 'bad id with spaces' });
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const missing = await fetch(new URL('/nope', hub.url));
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as Json).errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });

  it('introspection and the landing page are on in development and off in production', async () => {
    const dev = (await (await json('{ __schema { queryType { name } } }')).json()) as Json;
    expect(dev.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    const landing = await fetch(hub.url, { headers: { accept: 'text/html' } });
    expect(landing.status).toBe(200);
    expect(landing.headers.get('content-type')).toMatch(/text\/html/);
    const prod = await startTestHub({ NODE_ENV: 'production', DEV_ISSUER: 'true' });
    try {
      const res = (await (await fetch(prod.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __schema { queryType { name } } }' }) })).json()) as Json;
      expect(res.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      const page = await fetch(prod.url, { headers: { accept: 'text/html' } });
      expect(page.headers.get('content-type') ?? '').not.toMatch(/text\/html/);
    } finally {
      await prod.close();
    }
  });
});

describe('masked errors, health and readiness', () => {
  it('an internal failure answers INTERNAL_SERVER_ERROR with the request id, and logs the real error with it', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    const db = await createTestDatabase();
    const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: (await import('node:fs')).mkdtempSync((await import('node:path')).join((await import('node:os')).tmpdir(), 'hub-mask-')), PORT: '0', HOST: '127.0.0.1' });
    const app = await startApp(config, pino({ level: 'info' }, sink), { orm: db.orm, port: 0, host: '127.0.0.1' });
    try {
      const token = await app.devIssuer!.sign({ sub: demo.anna, acr: 'substantial' });
      expect((await fetch(new URL('/readyz', app.hub.url))).status).toBe(200);
      // A genuine failure inside the server: a table it needs is gone.
      await db.orm.em.fork().getConnection().execute('alter table users rename to users_gone');
      const res = await fetch(app.hub.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query: '{ me { id } }' }) });
      const body = (await res.json()) as Json;
      const requestId = res.headers.get('x-request-id');
      const text = JSON.stringify(body);
      expect(body.errors?.[0].extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', requestId });
      expect(text).not.toMatch(/stack|select|pglite|mikro|at \//i);
      const logged = lines.map((l) => JSON.parse(l) as { requestId?: string; level: number; err?: unknown }).filter((l) => l.requestId === requestId && l.level >= 50);
      expect(logged.length).toBeGreaterThan(0);
      expect(JSON.stringify(logged[0].err)).not.toBe('{}');
      expect((await fetch(new URL('/healthz', app.hub.url))).status).toBe(200);
      await db.orm.em.fork().getConnection().execute('alter table mikro_orm_migrations rename to migrations_gone');
      const ready = await fetch(new URL('/readyz', app.hub.url));
      expect(ready.status).toBe(503);
      expect((await fetch(new URL('/healthz', app.hub.url))).status).toBe(200);
    } finally {
      await app.hub.stop();
      await db.drop();
    }
  });
});

describe('graceful shutdown', () => {
  it('finishes the request in flight, refuses new ones, then stops', async () => {
    const hub = await startTestHub();
    const token = await hub.token(demo.anna);
    const me = (await hub.gql<{ me: { id: string } }>('{ me { id } }', {}, token)).data!.me.id;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    // Hold the person's row (PostgreSQL) or the whole single-connection PGlite: the mutation must wait.
    const holding = hub.db.orm.em.fork().transactional(async (tx) => {
      await tx.getConnection().execute(`select id from users where id = '${Buffer.from(me, 'base64url').toString().split(':')[1]}' for update`, [], 'all', tx.getTransactionContext());
      await gate;
    });
    const inFlight = hub.gql<{ userContactUpdate: { user: { phone: string } } }>(
      'mutation($id: ID!) { userContactUpdate(id: $id, input: { phone: "+46 70 000 00 00" }) { user { phone } } }',
      { id: me },
      token,
    );
    await new Promise((r) => setTimeout(r, 300));
    const stopping = hub.app.hub.stop();
    await new Promise((r) => setTimeout(r, 100));
    const late = await fetch(new URL('/readyz', hub.url)).then((r) => r.status, () => 'refused');
    expect([503, 'refused']).toContain(late);
    release();
    await holding;
    const done = await inFlight;
    expect(done.status).toBe(200);
    expect(done.data!.userContactUpdate.user.phone).toBe('+46 70 000 00 00');
    await stopping;
    await hub.db.drop();
  });
});
