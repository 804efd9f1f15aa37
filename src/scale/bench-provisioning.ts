/**
 * `npm run bench:provisioning` measures what the systems themselves call (issue 14) on the scale
 * dataset (`npm run seed:scale` first): SCIM `GET /Users?filter=…` for a service's client and an
 * organisation's client, the access check (REST and GraphQL), and an Entra-ID-like provisioning run
 * that feeds N people (default 10,000) into an agency through SCIM — probe, create, read back,
 * update, and disable one in ten — with the connection pool Entra ID's provisioning service uses.
 * It writes its section of BENCHMARKS.md and leaves the rest of the file as it is.
 *
 * The run adds N people to the scale database (named `scim-<run>-<i>@…`, so runs never collide);
 * they count as the agency's joiners, one in ten already left again.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DevIssuer } from '../auth/dev-issuer.js';
import { loadConfig } from '../config.js';
import { projectRoot } from '../db/orm.js';
import { Progress } from '../imports/progress.js';
import { benchHubEnv, build, HEAP_FLAGS, measure, ms, peakRss, percentile, replaceSection, startChild, stopOnExit, waitFor, type Load, type Measured } from './bench-process.js';

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '10000' },
    // Entra ID's provisioning service works a tenant's users with a handful of parallel requests.
    concurrency: { type: 'string', default: '10' },
    duration: { type: 'string', default: '8' },
    connections: { type: 'string', default: '1,10' },
    port: { type: 'string', default: '4410' },
    out: { type: 'string', default: join(projectRoot, 'BENCHMARKS.md') },
  },
});
const USERS = Number(values.users);
const CONCURRENCY = Number(values.concurrency);
const DURATION = Number(values.duration);
if (!Number.isInteger(USERS) || USERS < 1) throw new Error('--users must be a whole number ≥ 1');
if (!Number.isInteger(CONCURRENCY) || CONCURRENCY < 1) throw new Error('--concurrency must be a whole number ≥ 1');

const PROVISIONING_START = '<!-- provisioning:start -->';
const PROVISIONING_END = '<!-- provisioning:end -->';
const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

const config = loadConfig();
if (!config.databaseUrl) console.error('note: no DATABASE_URL, so this measures the embedded PGlite in DATA_DIR');
const actors = JSON.parse(readFileSync(join(config.dataDir, 'scale-actors.json'), 'utf8')) as Record<string, string | number>;
const issuer = await DevIssuer.loadOrCreate(config.dataDir, config.devIssuerUrl, config.tokenAudience);
const personToken = (email: string) => issuer.sign({ sub: email, email, acr: 'high' }, 7200);
const clientToken = (name: string) => issuer.sign({ sub: `client:${name}`, client_id: name }, 7200);

const port = Number(values.port);
build();
const hub = startChild('src/app/main.js', benchHubEnv(port), join(config.dataDir, 'bench-provisioning-server.log'), HEAP_FLAGS);
stopOnExit(() => [hub]);
await waitFor(`http://127.0.0.1:${port}/readyz`, hub);
const base = `http://127.0.0.1:${port}`;

async function gql<T>(bearer: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` }, body: JSON.stringify({ query, variables }) });
  const json = (await res.json()) as { data: T; errors?: unknown[] };
  if (json.errors) throw new Error(`${query.slice(0, 60)}: ${JSON.stringify(json.errors)}`);
  return json.data;
}

type ScimAnswer = { status: number; body: Record<string, unknown> | null; sql: number };
async function scim(bearer: string, method: string, path: string, body?: unknown): Promise<ScimAnswer> {
  const res = await fetch(`${base}/scim/v2${path}`, {
    method,
    headers: { authorization: `Bearer ${bearer}`, accept: 'application/scim+json', ...(body === undefined ? {} : { 'content-type': 'application/scim+json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : null, sql: Number(res.headers.get('x-sql-statements') ?? NaN) };
}

/** The bench's two clients, registered once (by name) by the people entitled to: the authority for SUS, the agency's administrator for the agency. */
async function ensureClients(): Promise<{ service: string; organisation: string; agencyName: string }> {
  const authority = await personToken(String(actors.authority));
  const agency = await personToken(String(actors['agency-issuer']));
  const services = await gql<{ services: { nodes: { id: string; code: string }[] } }>(authority, '{ services { nodes { id code } } }');
  const sus = services.services.nodes.find((s) => s.code === 'SUS')!;
  // The organisation whose SUS mandate the agency's administrator holds (Myndighet 1 in the scale dataset).
  const mandates = await gql<{ issuerMandates: { nodes: { state: string; organisation: { id: string; name: string }; administrators: { email: string }[] }[] } }>(
    agency,
    '{ issuerMandates(first: 100) { nodes { state organisation { id name } administrators { email } } } }',
  );
  const held = mandates.issuerMandates.nodes.find((m) => m.state === 'ACTIVE' && m.administrators.some((a) => a.email === actors['agency-issuer']));
  if (!held) throw new Error(`${actors['agency-issuer']} administers no mandate in force: is this the scale dataset?`);
  const me = { me: { employer: held.organisation } };
  const register = async (bearer: string, name: string, input: Record<string, string>) => {
    const existing = await gql<{ clients: { nodes: { name: string }[] } }>(bearer, '{ clients(first: 100) { nodes { name } } }');
    if (existing.clients.nodes.some((c) => c.name === name)) return;
    const made = await gql<{ clientRegister: { userErrors: { code: string; message: string }[] } }>(
      bearer,
      'mutation($input: ClientRegisterInput!) { clientRegister(input: $input) { client { id } userErrors { code message } } }',
      { input: { name, credentials: [{ issuer: config.devIssuerUrl, clientId: name }], ...input } },
    );
    if (made.clientRegister.userErrors.length) throw new Error(`${name}: ${JSON.stringify(made.clientRegister.userErrors)}`);
  };
  await register(authority, 'bench-sus-backend', { service: sus.id });
  await register(agency, 'bench-agency-hr', { organisation: me.me.employer.id });
  return { service: await clientToken('bench-sus-backend'), organisation: await clientToken('bench-agency-hr'), agencyName: me.me.employer.name };
}

const { service, organisation, agencyName } = await ensureClients();
const scimHeaders = (bearer: string) => ({ authorization: `Bearer ${bearer}`, accept: 'application/scim+json' });

// Whom to ask for: people of the agency who hold a SUS grant (the service's client sees those), found through SCIM itself.
const holders = await scim(service, 'GET', `/Users?filter=${encodeURIComponent(`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:organization eq "${agencyName}"`)}&count=50&attributes=userName`);
if (holders.status !== 200) throw new Error(`the service client's SCIM list answered ${holders.status}: ${JSON.stringify(holders.body)}`);
const holderNames = ((holders.body!.Resources as { userName: string }[]) ?? []).map((r) => r.userName);
if (holderNames.length === 0) throw new Error(`no SUS grant holders at ${agencyName}: is this the scale dataset?`);
const someone = holderNames[Math.floor(holderNames.length / 2)];
const byName = await scim(service, 'GET', `/Users?filter=${encodeURIComponent(`userName eq "${someone}"`)}`);
const page = await scim(organisation, 'GET', `/Users?filter=${encodeURIComponent('name.familyName sw "A" and active eq true')}&count=50&sortBy=name.familyName`);
const access = await fetch(`${base}/access-check?email=${encodeURIComponent(someone)}`, { headers: { authorization: `Bearer ${service}` } });
const accessBody = (await access.json()) as { allowed?: boolean; grants?: unknown[] };
if (!accessBody.allowed) throw new Error(`the access check does not allow ${someone}: ${JSON.stringify(accessBody)}`);

const loads: { load: Load; sql: number | null; note: string }[] = [
  {
    load: { name: 'SCIM GET /Users?filter=userName eq "…" (SUS back end: one person)', url: `${base}/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${someone}"`)}`, method: 'GET', headers: scimHeaders(service) },
    sql: byName.sql,
    note: `${(byName.body as { totalResults: number }).totalResults} result`,
  },
  {
    load: {
      name: 'SCIM GET /Users?filter=name.familyName sw "A" and active eq true, sorted, count=50 (agency HR client)',
      url: `${base}/scim/v2/Users?filter=${encodeURIComponent('name.familyName sw "A" and active eq true')}&count=50&sortBy=name.familyName`,
      method: 'GET',
      headers: scimHeaders(organisation),
    },
    sql: page.sql,
    note: `50 of totalResults ${(page.body as { totalResults: number }).totalResults}`,
  },
  {
    load: { name: 'GET /access-check?email=… (SUS back end)', url: `${base}/access-check?email=${encodeURIComponent(someone)}`, method: 'GET', headers: { authorization: `Bearer ${service}` } },
    sql: Number(access.headers.get('x-sql-statements') ?? NaN),
    note: `${accessBody.grants?.length ?? 0} usable grant(s)`,
  },
  {
    load: {
      name: 'GraphQL accessCheck(person: { email }) (SUS back end)',
      url: `${base}/graphql`,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${service}` },
      body: JSON.stringify({ query: 'query($e: EmailAddress!) { accessCheck(person: { email: $e }) { allowed person grants { grant role scope scopeName subAreas validFrom validTo } } }', variables: { e: someone } }),
    },
    sql: null,
    note: '',
  },
];
// The GraphQL shape must answer before it is measured (a wrong field would count as 200s with errors).
const probe = await fetch(loads[3].load.url, { method: 'POST', headers: loads[3].load.headers, body: loads[3].load.body });
const probeBody = (await probe.json()) as { errors?: unknown[]; data?: { accessCheck: { allowed: boolean } } };
if (probeBody.errors || !probeBody.data?.accessCheck.allowed) throw new Error(`accessCheck: ${JSON.stringify(probeBody)}`);
loads[3].sql = Number(probe.headers.get('x-sql-statements') ?? NaN);

const measured: { m: Measured; note: string }[] = [];
const connections = values.connections.split(',').map(Number);
const reading = new Progress('reads', loads.length * connections.length);
for (const { load, sql, note } of loads) {
  for (const c of connections) {
    measured.push({ m: await measure(load, c, DURATION, sql), note });
    reading.update(measured.length);
  }
}
reading.done();

// The Entra-like run: for each person the probe by userName, the create, a read back, an update
// (Entra's capitalised Replace and a phone number Add), and for every tenth the disable with the
// string boolean Entra sends.
const run = Date.now().toString(36);
const domain = someone.split('@')[1];
const statuses = new Map<string, number>();
const count = (step: string, status: number) => statuses.set(`${step} ${status}`, (statuses.get(`${step} ${status}`) ?? 0) + 1);
const requestLatencies: number[] = [];
const timed = async (step: string, call: () => Promise<ScimAnswer>, expected: number): Promise<ScimAnswer> => {
  const started = performance.now();
  const answer = await call();
  requestLatencies.push(performance.now() - started);
  count(step, answer.status);
  if (answer.status !== expected && (statuses.get(`${step} ${answer.status}`) ?? 0) <= 3) console.error(`\n${step} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer;
};
async function provision(i: number): Promise<void> {
  const userName = `scim-${run}-${i}@${domain}`;
  const probe = await timed('probe', () => scim(organisation, 'GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`), 200);
  if ((probe.body as { totalResults?: number } | null)?.totalResults !== 0) return;
  const created = await timed(
    'create',
    () =>
      scim(organisation, 'POST', '/Users', {
        schemas: [CORE_USER, ENTERPRISE],
        externalId: `${run}-${i}`,
        userName,
        active: true,
        emails: [{ primary: true, type: 'work', value: userName }],
        name: { givenName: `Given${i}`, familyName: `Family${i}`, formatted: `Given${i} Family${i}` },
        roles: [],
      }),
    201,
  );
  const id = created.body?.id as string | undefined;
  if (!id) return;
  await timed('read', () => scim(organisation, 'GET', `/Users/${id}`), 200);
  await timed(
    'update',
    () =>
      scim(organisation, 'PATCH', `/Users/${id}`, {
        schemas: [PATCH_OP],
        Operations: [
          { op: 'Replace', path: 'name.familyName', value: `Renamed${i}` },
          { op: 'Add', path: 'phoneNumbers[type eq "work"].value', value: `+46 10 ${String(100000 + (i % 900000)).slice(0, 3)} ${String(i % 10000).padStart(4, '0')}` },
        ],
      }),
    200,
  );
  if (i % 10 === 0) await timed('disable', () => scim(organisation, 'PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] }), 200);
}
const feeding = new Progress('SCIM provisioning', USERS);
const started = performance.now();
let next = 0;
let done = 0;
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (next < USERS) {
      const i = next++;
      await provision(i);
      feeding.update(++done);
    }
  }),
);
feeding.done();
const seconds = (performance.now() - started) / 1000;
requestLatencies.sort((a, b) => a - b);
// What the agency's client now sees of the run: every person, one in ten no longer active.
const total = await scim(organisation, 'GET', `/Users?filter=${encodeURIComponent(`userName sw "scim-${run}-"`)}&count=0`);
const stillActive = await scim(organisation, 'GET', `/Users?filter=${encodeURIComponent(`userName sw "scim-${run}-" and active eq true`)}&count=0`);
const rss = peakRss(hub.pid!);

const ok = (step: string, status: number) => statuses.get(`${step} ${status}`) ?? 0;
const unexpected = [...statuses].filter(([k]) => !['probe 200', 'create 201', 'read 200', 'update 200', 'disable 200'].includes(k));
const requests = requestLatencies.length;
const lines = [
  PROVISIONING_START,
  '## Provisioning: SCIM and the access check (issue 14)',
  '',
  `Written by \`npm run bench:provisioning\` on ${new Date().toISOString()}, ${config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : 'PGlite'}, the scale dataset`,
  `(${actors.users} people, ${actors.grants} grants, ${actors.organisations} organisations), compiled hub, one process, ${DURATION} s per read. The clients are`,
  `\`bench-sus-backend\` (SUS's back end, a service's client: it sees the people holding a SUS grant) and \`bench-agency-hr\``,
  `(${agencyName}'s HR feed, an organisation's client: it sees and writes the people employed in its subtree).`,
  '',
  '| operation | connections | req/s | p50 | p95 | p99 | SQL | errors | answer |',
  '|---|---|---|---|---|---|---|---|---|',
  ...measured.map(({ m, note }) => `| ${m.op} | ${m.connections} | ${m.rps} | ${ms(m.p50)} | ${ms(m.p95)} | ${ms(m.p99)} | ${Number.isNaN(m.sql) || m.sql === null ? '–' : m.sql} | ${m.errors} | ${note} |`),
  '',
  `**An Entra-ID-like provisioning run of ${USERS.toLocaleString('en')} people** through SCIM by \`bench-agency-hr\`, ${CONCURRENCY} requests at a time`,
  '(per person: the probe `GET /Users?filter=userName eq`, `POST /Users`, `GET /Users/{id}`, a `PATCH` with `Replace` and `Add`;',
  `for every tenth the disable \`PATCH\` with \`"False"\`): **${seconds.toFixed(0)} s** (${(seconds / 60).toFixed(1)} min), ${requests.toLocaleString('en')} requests,`,
  `${Math.round(requests / seconds)} requests/s, ${(USERS / seconds).toFixed(0)} people/s; request latency p50 ${ms(percentile(requestLatencies, 50))} ms, p95 ${ms(percentile(requestLatencies, 95))} ms,`,
  `p99 ${ms(percentile(requestLatencies, 99))} ms. Answers: ${ok('probe', 200)} probes 200, ${ok('create', 201)} creates 201, ${ok('read', 200)} reads 200, ${ok('update', 200)} updates 200,`,
  `${ok('disable', 200)} disables 200${unexpected.length ? `; unexpected: ${unexpected.map(([k, v]) => `${k}: ${v}`).join(', ')}` : '; nothing else'}. Afterwards the client's filter`,
  `\`userName sw "scim-${run}-"\` counts ${(total.body as { totalResults: number }).totalResults} people, ${(stillActive.body as { totalResults: number }).totalResults} of them active.`,
  `Peak RSS of the hub over the whole run: **${Math.round(rss / 1024 / 1024)} MB**.`,
  PROVISIONING_END,
];
const section = lines.join('\n');
console.error(section);
const old = (() => {
  try {
    return readFileSync(values.out, 'utf8');
  } catch {
    return '';
  }
})();
writeFileSync(values.out, replaceSection(old, PROVISIONING_START, PROVISIONING_END, section));
console.error(`wrote the provisioning section of ${values.out}`);
process.exit(unexpected.length ? 1 : 0);

