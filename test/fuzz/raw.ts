import { actor } from './operations.js';
import { gid, type IdPool } from './pools.js';
import type { FuzzRequest } from './request.js';
import { chance, dateTimeValue, hostileString, pick, uploadFile, weighted, type Gen } from './values.js';

/**
 * Requests no GraphQL client would send: broken JSON, wrong content types, GETs, other methods,
 * oversized variables, broken multipart envelopes, odd headers and paths. The hub must refuse them
 * with a 4xx (or answer them), never fail.
 */

const SIMPLE = '{ __typename }';
const ME = '{ me { id email grants(first: 5) { totalCount } } }';
const NODES = 'query($ids: [ID!]!) { nodes(ids: $ids) { id } }';
const REVOKE = 'mutation($id: ID!, $input: GrantChangeInput!) { grantRevoke(id: $id, input: $input) { grant { id state } userErrors { code field message } } }';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function malformedJson(g: Gen, pool: IdPool): string | Buffer {
  return weighted<() => string | Buffer>(g, [
    [3, () => pick(g, ['{"query": ', '{"query":"{ __typename }"', '{"query":"{ __typename }"}}', '{"query":"{ __typename }",}', "{'query':'{ __typename }'}", '{"query":"{ __typename }" "x"}'])],
    [3, () => pick(g, ['', 'null', '[]', '"{ __typename }"', '123', 'true', '{}', '\uFEFF{"query":"{ __typename }"}', 'NaN', '{"query":"\\ud800"}'])],
    [3, () => pick(g, ['{"query":null}', '{"query":123}', '{"query":["{ __typename }"]}', '{"query":{"a":1}}', '{"query":""}', '{"query":"   "}'])],
    [3, () => JSON.stringify({ query: SIMPLE, variables: pick(g, ['{}', '', [], 5, 'null', true]) })],
    [2, () => JSON.stringify({ query: SIMPLE, operationName: pick(g, [5, [], {}, '', 'x'.repeat(10_000)]) })],
    [2, () => JSON.stringify({ query: SIMPLE, extensions: pick(g, ['x', [], 5, { persistedQuery: { version: 1, sha256Hash: 'abc' } }, { persistedQuery: { version: 2 } }]) })],
    [1, () => '{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"ecf4edb46db40b5132295c0291d62fb65d6759a9eedfa4d5d612dd5ec54a6b38"}}}'],
    [2, () => pick(g, ['{"__proto__":{"query":"{ me { id } }"}}', '{"query":"{ __typename }","constructor":{"prototype":{"polluted":1}}}', '{"query":"{ me { id } }","query":"{ __typename }"}'])],
    [2, () => `{"query":${JSON.stringify(NODES)},"variables":{"ids":[${pick(g, ['1e400', '-0', '1.0e-400', 'true', '{}'])}]}}`],
    [2, () => pick(g, ['['.repeat(100_000), `${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`, `{"query":"{ __typename }","variables":{"a":${'['.repeat(200_000)}${']'.repeat(200_000)}}}`])],
    [2, () => Buffer.concat([Buffer.from('{"query":"{ me { id '), Buffer.from(pick(g, [[0xff, 0xfe], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0x00]])), Buffer.from(' } }"}')])],
    [1, () => JSON.stringify({ query: `query($id: ID!) { node(id: $id) { id } }`, variables: { id: pool.real(g) } }).replace('"}}', `"}}${hostileString(g).slice(0, 100)}`)],
  ] as const)();
}

function contentTypeRequest(g: Gen): { type: string | null; body: string | Buffer } {
  const body = JSON.stringify({ query: ME });
  return weighted<() => { type: string | null; body: string | Buffer }>(g, [
    [1, () => ({ type: null, body: Buffer.from(body) })],
    [
      6,
      () => ({
        type: pick(g, [
          'text/plain',
          'application/json; charset=utf-16',
          'application/json; charset=latin1',
          'application/xml',
          'APPLICATION/JSON',
          'application/json, text/plain',
          ' application/json',
          'application/json;;;',
          'application/jsonx',
          'application/graphql-response+json',
          'application/vnd.api+json',
          'application/json; boundary=--x',
          '*/*',
          'application/octet-stream',
        ]),
        body,
      }),
    ],
    [1, () => ({ type: 'application/x-www-form-urlencoded', body: `query=${encodeURIComponent(ME)}` })],
    [1, () => ({ type: 'application/graphql', body: ME })],
    [1, () => ({ type: pick(g, ['multipart/form-data', 'multipart/form-data; boundary=xyz', 'multipart/mixed; boundary=xyz']), body: pick(g, ['garbage', '--xyz\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{}\r\n--xyz--\r\n', '--xyz\r\n\r\n']) })],
    [1, () => ({ type: 'application/json', body: Buffer.from(JSON.stringify({ query: ME }), 'utf16le') })],
  ] as const)();
}

function getRequest(g: Gen): { search: string; preflight: boolean } {
  const query = weighted(g, [
    [4, () => pick(g, [ME, SIMPLE, '{ services { totalCount nodes { code } } }'])],
    [2, () => pick(g, ['mutation { userContactUpdate(id: "x", input: {}) { userErrors { code } } }', 'mutation { __typename }'])],
    [1, () => hostileString(g).slice(0, 3000)],
    [1, () => `{ ${'__typename '.repeat(pick(g, [500, 1200, 3000]))}}`],
  ] as const)();
  const params = new URLSearchParams();
  if (chance(g, 0.9)) params.append('query', query);
  if (chance(g, 0.2)) params.append('query', SIMPLE);
  if (chance(g, 0.3)) params.append('variables', pick(g, ['{}', 'not json', '[]', '{"a":', 'null', JSON.stringify({ x: 'y'.repeat(2000) })]));
  if (chance(g, 0.1)) params.append('extensions', pick(g, ['{}', 'x', '{"persistedQuery":{"version":1,"sha256Hash":"00"}}']));
  if (chance(g, 0.1)) params.append('operationName', pick(g, ['', 'X', 'x'.repeat(500)]));
  return { search: params.toString(), preflight: chance(g, 0.7) };
}

function hugeVariables(g: Gen, pool: IdPool): string {
  return weighted(g, [
    [2, () => JSON.stringify({ query: SIMPLE, variables: { a: Array.from({ length: pick(g, [10_000, 150_000]) }, (_, i) => i) } })],
    [2, () => JSON.stringify({ query: SIMPLE, variables: Object.fromEntries(Array.from({ length: pick(g, [1000, 60_000]) }, (_, i) => [`k${i}`, i])) })],
    // Written out: JSON.stringify of 5,000 nested objects would overflow the test's own stack.
    [2, () => `{"query":"{ __typename }","variables":{"a":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}}`],
    [2, () => JSON.stringify({ query: NODES, variables: { ids: Array.from({ length: pick(g, [101, 20_000]) }, () => pool.real(g, 'Grant')) } })],
    [2, () => JSON.stringify({ query: REVOKE, variables: { id: pool.real(g, 'Grant'), input: { reason: 'r', ...Object.fromEntries(Array.from({ length: pick(g, [100, 20_000]) }, (_, i) => [`f${i}`, i])) } } })],
    [1, () => JSON.stringify({ query: SIMPLE, variables: { s: 'v'.repeat(pick(g, [900_000, 1_100_000])) } })],
  ] as const)();
}

/** A multipart request whose envelope is wrong in one way or another. */
function brokenMultipart(g: Gen, pool: IdPool): { name: string; value: string | ReturnType<typeof uploadFile> }[] {
  const operations = JSON.stringify({ query: REVOKE, variables: { id: pool.real(g, 'Grant'), input: { reason: null } } });
  const file = () => ({ name: '0', value: uploadFile(g) });
  return weighted(g, [
    [1, () => [{ name: 'map', value: '{"0":["variables.input.reason"]}' }, file()]],
    [1, () => [{ name: 'operations', value: operations }, file()]],
    [1, () => [{ name: 'operations', value: operations }, { name: 'map', value: pick(g, ['{', '[]', 'null', '{"0":"variables.x"}', '{"0":[5]}']) }, file()]],
    [2, () => [{ name: 'operations', value: operations }, { name: 'map', value: JSON.stringify({ 0: [pick(g, ['variables.nope', 'query', 'variables.__proto__.x', 'variables.input.__proto__', 'variables.input.reason.deeper', 'variables', 'variables.id'])] }) }, file()]],
    [1, () => [{ name: 'operations', value: operations }, { name: 'map', value: '{"1":["variables.input.reason"]}' }, file()]],
    [1, () => [{ name: 'operations', value: pick(g, ['{', '[]', `[${operations},${operations}]`, 'null']) }, { name: 'map', value: '{}' }]],
    [1, () => [{ name: 'operations', value: operations }, { name: 'map', value: JSON.stringify(Object.fromEntries(Array.from({ length: 7 }, (_, i) => [String(i), [`variables.input.f${i}`]]))) }, ...Array.from({ length: 7 }, (_, i) => ({ name: String(i), value: uploadFile(g) }))]],
    [1, () => [file(), { name: 'operations', value: operations }, { name: 'map', value: '{"0":["variables.input.reason"]}' }]],
  ] as const)();
}

/**
 * Percent-encodes any string, lone surrogates included: those as the three bytes UTF-8 would give
 * them if it allowed them (ED A0 80 …), which is no UTF-8 at all, as a hostile client can send.
 */
function encodePath(text: string): string {
  return text.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]|[\s\S]/g, (c) => {
    const u = c.charCodeAt(0);
    if (c.length === 1 && u >= 0xd800 && u <= 0xdfff) return ['%ED', 0xa0 | ((u >> 6) & 0x1f), 0x80 | (u & 0x3f)].map((b) => (typeof b === 'string' ? b : `%${b.toString(16).toUpperCase()}`)).join('');
    return encodeURIComponent(c);
  });
}

const REPORTS = ['grant-statistics', 'orders-waiting', 'issuer-workload', 'grant-trend', 'grants-expiring', 'people-without-active-grant', 'inactive-orderers', 'nope'];

function otherPath(g: Gen, pool: IdPool): string {
  return weighted(g, [
    [3, () => `/documents/${encodePath(pool.id(g, 'Document'))}`],
    [1, () => `/documents/${pick(g, ['%ZZ', '%00', '..%2F..%2Fetc%2Fpasswd', 'x'.repeat(3000), gid('Document', '00000000-0000-0000-0000-000000000000'), ''])}`],
    [
      4,
      () => {
        const params = new URLSearchParams();
        for (const name of ['from', 'to', 'asOf']) if (chance(g, 0.5)) params.append(name, dateTimeValue(g));
        for (const name of ['days', 'withinDays']) if (chance(g, 0.3)) params.append(name, pick(g, ['30', '-1', '1e9', 'x', '', '99999999999999999999', '0x10']));
        if (chance(g, 0.4)) params.append('service', pool.id(g, 'Service'));
        if (chance(g, 0.4)) params.append('organisation', pool.id(g, 'Organisation'));
        return `/reports/${pick(g, REPORTS)}.csv?${params.toString()}`;
      },
    ],
    [1, () => pick(g, ['/reports/../../etc/passwd', '/reports/GRANT-STATISTICS.csv', '/graphql/', '//graphql', '/graphql%00', '/healthz?x=1', '/readyz', '/%', '/graphql?', `/${'a'.repeat(5000)}`])],
  ] as const)();
}

function hostileAuthorization(g: Gen): string {
  const jwt = (header: unknown, payload: unknown, signature = 'c2ln') => `${b64(header)}.${b64(payload)}.${signature}`;
  const now = Math.floor(Date.now() / 1000);
  return pick(g, [
    'Bearer',
    'Bearer ',
    'Basic dXNlcjpwYXNz',
    'Bearer a.b.c',
    `Bearer ${'x'.repeat(pick(g, [5000, 15_000]))}`,
    `Bearer ${jwt({ alg: 'none', typ: 'JWT' }, { sub: 'anna.registrar@stockholm.se', exp: now + 600 }, '')}`,
    `Bearer ${jwt({ alg: 'HS256', kid: '../../../../etc/passwd' }, { sub: 'x', exp: now + 600 })}`,
    `Bearer ${jwt({ alg: 'ES256', kid: 'nope' }, { sub: 'x', iss: 'http://127.0.0.1:1/', exp: now + 600 })}`,
    `Bearer ${jwt({ alg: 'RS256', jku: 'http://169.254.169.254/latest' }, { sub: 'x', iss: 'https://example.invalid/', exp: now + 600 })}`,
    `Bearer ${b64({ not: 'a jwt' })}`,
    'Bearer ..',
    'Bearer =====',
    'Bearer a.b.c, Bearer d.e.f',
    `Bearer ${jwt({ alg: 'ES256' }, 'not an object')}`,
    `Bearer ${jwt(['array'], { sub: 1 })}`,
  ]);
}

export const RAW_KINDS = ['malformed-json', 'content-type', 'get', 'method', 'huge-variables', 'authorization', 'headers', 'multipart', 'paths', 'batch'] as const;

export function rawRequest(g: Gen, pool: IdPool): FuzzRequest {
  const kind = weighted(g, [
    [4, 'malformed-json'],
    [3, 'content-type'],
    [3, 'get'],
    [1, 'method'],
    [2, 'huge-variables'],
    [2, 'authorization'],
    [1, 'headers'],
    [2, 'multipart'],
    [3, 'paths'],
    [1, 'batch'],
  ] as const);
  const auth = actor(g, false);
  const base = { label: `raw ${kind}`, fields: [], auth, copies: 1 };
  const json = { 'content-type': 'application/json' };
  switch (kind) {
    case 'malformed-json': {
      const body = malformedJson(g, pool);
      return { ...base, method: 'POST', path: '/graphql', headers: json, body: typeof body === 'string' ? { kind: 'text', text: body } : { kind: 'bytes', bytes: body } };
    }
    case 'content-type': {
      const { type, body } = contentTypeRequest(g);
      return { ...base, method: 'POST', path: '/graphql', headers: type ? { 'content-type': type } : {}, body: typeof body === 'string' ? { kind: 'text', text: body } : { kind: 'bytes', bytes: body } };
    }
    case 'get': {
      const { search, preflight } = getRequest(g);
      return { ...base, method: 'GET', path: `/graphql?${search}`, headers: preflight ? { 'apollo-require-preflight': 'true' } : {}, body: { kind: 'none' } };
    }
    case 'method': {
      const method = pick(g, ['PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD']);
      const withBody = method !== 'HEAD' && chance(g, 0.5);
      return { ...base, method, path: pick(g, ['/graphql', '/healthz', '/documents/x', '/reports/grant-statistics.csv']), headers: withBody ? json : {}, body: withBody ? { kind: 'text', text: JSON.stringify({ query: ME }) } : { kind: 'none' } };
    }
    case 'huge-variables':
      return { ...base, method: 'POST', path: '/graphql', headers: json, body: { kind: 'text', text: hugeVariables(g, pool) } };
    case 'authorization':
      return { ...base, auth: { kind: 'header', value: hostileAuthorization(g) }, method: 'POST', path: '/graphql', headers: json, body: { kind: 'text', text: JSON.stringify({ query: ME }) } };
    case 'headers': {
      const headers: Record<string, string> = { ...json };
      const which = pick(g, ['x-request-id', 'accept', 'x-apollo-operation-name', 'apollo-require-preflight', 'accept-encoding', 'accept-charset']);
      headers[which] = pick(g, ['a'.repeat(65), '../../x', '<script>', 'application/xml', 'text/html', 'application/graphql-response+json', 'gzip, br', '*/*;q=0', '', 'utf-16', 'x'.repeat(8000)]);
      return { ...base, method: 'POST', path: '/graphql', headers, body: { kind: 'text', text: JSON.stringify({ query: ME }) } };
    }
    case 'multipart':
      return { ...base, method: 'POST', path: '/graphql', headers: chance(g, 0.85) ? { 'apollo-require-preflight': 'true' } : {}, body: { kind: 'form', parts: brokenMultipart(g, pool) } };
    case 'paths':
      return { ...base, method: 'GET', path: otherPath(g, pool), headers: {}, body: { kind: 'none' } };
    case 'batch': {
      const n = pick(g, [2, 1, 0, 50]);
      const batch = Array.from({ length: n }, () => ({ query: pick(g, [ME, SIMPLE]) }));
      return { ...base, method: 'POST', path: '/graphql', headers: json, body: { kind: 'text', text: JSON.stringify(batch) } };
    }
  }
}
