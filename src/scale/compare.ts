/**
 * `npm run bench:compare -- --other <checkout>` measures this checkout's compiled hub against another
 * checkout's (built with `npm run build` there) on the same scale data, in interleaved rounds (A B A B …)
 * so that both see the same machine: the staff page and node(id:) at 1 and 10 connections. It prints a
 * Markdown table of each round's req/s and p99 and the median ratio; figures go to BENCHMARKS.md.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { DevIssuer } from '../auth/dev-issuer.js';
import { loadConfig } from '../config.js';
import { projectRoot } from '../db/orm.js';
import { Progress } from '../imports/progress.js';

const { values } = parseArgs({
  options: {
    other: { type: 'string' },
    rounds: { type: 'string', default: '4' },
    duration: { type: 'string', default: '6' },
    port: { type: 'string', default: '4500' },
  },
});
if (!values.other) throw new Error('--other <path of another checkout, built with `npm run build`> is required');
const other = resolve(values.other);
const ROUNDS = Number(values.rounds);
const DURATION = Number(values.duration);
const config = loadConfig();
const actors = JSON.parse(readFileSync(join(config.dataDir, 'scale-actors.json'), 'utf8')) as Record<string, string>;
const issuer = await DevIssuer.loadOrCreate(config.dataDir, config.devIssuerUrl, config.tokenAudience);
const agency = await issuer.sign({ sub: actors['agency-issuer'], email: actors['agency-issuer'], acr: 'high' }, 3600);
const authority = await issuer.sign({ sub: actors.authority, email: actors.authority, acr: 'high' }, 3600);

const build = spawnSync(process.execPath, [join(projectRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: projectRoot, stdio: 'inherit' });
if (build.status !== 0) throw new Error('npm run build failed');

const env = { HOST: '127.0.0.1', NODE_ENV: 'production', DEV_ISSUER: 'true', LOG_LEVEL: 'warn', SEED_DEMO: 'false', JOBS: 'false', RATE_LIMIT_PER_MINUTE: '0', RATE_LIMIT_ANONYMOUS_PER_MINUTE: '0' };
/** The compiled entry point (older checkouts kept it at src/main.ts). */
const entry = (root: string) => [join(root, 'dist/src/app/main.js'), join(root, 'dist/src/main.js')].find((p) => existsSync(p)) ?? join(root, 'dist/src/app/main.js');
function start(root: string, port: number): ChildProcess {
  const log = openSync(join(config.dataDir, `compare-${port}.log`), 'w');
  return spawn(process.execPath, ['--max-old-space-size=192', '--max-semi-space-size=32', entry(root)], {
    cwd: root,
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', log, log],
    detached: true,
  });
}
const port = Number(values.port);
const servers = [
  { name: 'this checkout', url: `http://127.0.0.1:${port}/graphql`, child: start(projectRoot, port) },
  { name: other, url: `http://127.0.0.1:${port + 1}/graphql`, child: start(other, port + 1) },
];
process.on('exit', () => servers.forEach((s) => { try { process.kill(-s.child.pid!, 'SIGTERM'); } catch { /* gone */ } }));

for (const s of servers) {
  for (let i = 0; ; i++) {
    if (s.child.exitCode !== null || i > 600) throw new Error(`${s.name} did not come up`);
    if (await fetch(s.url.replace('/graphql', '/readyz')).then((r) => r.ok, () => false)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const STAFF = 'query($n: Int) { users(first: $n) { nodes { id displayName email employer { name } grants(state: ACTIVE, first: 10) { nodes { id role { name } service { code } scope { name } } } } } }';
const NODE = 'query($id: ID!) { node(id: $id) { id ... on Grant { state } } }';
const post = async (url: string, bearer: string, query: string, variables: object) =>
  (await (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` }, body: JSON.stringify({ query, variables }) })).json()) as {
    data: { users: { nodes: { grants: { nodes: { id: string }[] } }[] } };
  };
const page = await post(servers[0].url, agency, STAFF, { n: 50 });
const grantId = page.data.users.nodes.flatMap((u) => u.grants.nodes)[0].id;
// Both must answer the same before they are compared.
const again = await post(servers[1].url, agency, STAFF, { n: 50 });
if (JSON.stringify(again) !== JSON.stringify(page)) throw new Error('the two checkouts answer the staff page differently');

const ops = [
  { name: 'staff list (50 people)', bearer: agency, body: JSON.stringify({ query: STAFF, variables: { n: 50 } }) },
  { name: 'node(id:) of a grant, agency issuer', bearer: agency, body: JSON.stringify({ query: NODE, variables: { id: grantId } }) },
  { name: 'node(id:) of a grant, authority', bearer: authority, body: JSON.stringify({ query: NODE, variables: { id: grantId } }) },
];
const measure = (url: string, bearer: string, body: string, connections: number) =>
  new Promise<autocannon.Result>((done, fail) =>
    autocannon({ url, connections, duration: DURATION, method: 'POST', body, headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` } }, (e, r) => (e ? fail(e) : done(r))),
  );

const rows: string[] = [];
const progress = new Progress('interleaved rounds', ops.length * 2 * ROUNDS * 2);
let n = 0;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const op of ops) {
  for (const connections of [1, 10]) {
    const rps: number[][] = [[], []];
    const p99: number[][] = [[], []];
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate which goes first, so neither always runs on a warmer machine.
      const order = round % 2 === 0 ? [0, 1] : [1, 0];
      for (const i of order) {
        const r = await measure(servers[i].url, op.bearer, op.body, connections);
        if (r.non2xx || r.errors) throw new Error(`${op.name}: ${r.non2xx} non-2xx, ${r.errors} errors`);
        rps[i].push(r.requests.average);
        p99[i].push(r.latency.p99);
        progress.update(++n);
      }
    }
    const ratios = rps[0].map((a, k) => a / rps[1][k]);
    rows.push(`| ${op.name} | ${connections} | ${rps[0].map(Math.round).join(' ')} | ${rps[1].map(Math.round).join(' ')} | ${median(p99[0])} / ${median(p99[1])} | ${median(ratios).toFixed(3)} |`);
  }
}
progress.done();
console.log(`\nA = this checkout, B = ${other}; ${ROUNDS} rounds of ${DURATION} s each, interleaved\n`);
console.log('| operation | connections | A req/s per round | B req/s per round | p99 ms A / B (median) | A/B req/s (median of rounds) |');
console.log('|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
process.exit(0);
