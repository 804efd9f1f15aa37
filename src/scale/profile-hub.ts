/**
 * `npx tsx src/scale/profile-hub.ts [--seconds 10] [--connections 10] [--dir data/profiles]` profiles the
 * compiled hub (`npm run build` first) under the side-by-side staff page: it starts dist/src/app/main.js
 * with `--cpu-prof`, drives it with autocannon as the agency issuer, stops it and prints
 * profile-summary's table of the profile it wrote, with req/s and Node CPU per request.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { DevIssuer } from '../auth/dev-issuer.js';
import { loadConfig } from '../config.js';
import { projectRoot } from '../db/orm.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '10' },
    port: { type: 'string', default: '4500' },
    dir: { type: 'string', default: join(projectRoot, 'data', 'profiles') },
  },
});
const config = loadConfig();
const actors = JSON.parse(readFileSync(join(config.dataDir, 'scale-actors.json'), 'utf8')) as Record<string, string>;
const issuer = await DevIssuer.loadOrCreate(config.dataDir, config.devIssuerUrl, config.tokenAudience);
const agency = await issuer.sign({ sub: actors['agency-issuer'], email: actors['agency-issuer'], acr: 'high' }, 3600);
const STAFF = `query($n: Int) { users(first: $n) { nodes { id displayName email employer { name } grants(state: ACTIVE, first: 10) { nodes { id role { name } service { code } scope { name } } } } } }`;
mkdirSync(values.dir, { recursive: true });
const before = new Set(readdirSync(values.dir));
const port = Number(values.port);
const hub = spawn(process.execPath, ['--max-old-space-size=192', '--max-semi-space-size=32', '--cpu-prof', '--cpu-prof-dir', values.dir, join(projectRoot, 'dist/src/app/main.js')], {
  cwd: projectRoot,
  env: { ...process.env, WORKERS: '1', PORT: String(port), HOST: '127.0.0.1', NODE_ENV: 'production', DEV_ISSUER: 'true', LOG_LEVEL: 'warn', SEED_DEMO: 'false', JOBS: 'false', RATE_LIMIT_PER_MINUTE: '0', RATE_LIMIT_ANONYMOUS_PER_MINUTE: '0' },
  stdio: 'inherit',
});
const url = `http://127.0.0.1:${port}/graphql`;
for (let i = 0; ; i++) {
  if (await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false)) break;
  if (i > 600 || hub.exitCode !== null) throw new Error('the hub did not come up');
  await new Promise((r) => setTimeout(r, 100));
}
const body = JSON.stringify({ query: STAFF, variables: { n: 50 } });
const headers = { 'content-type': 'application/json', authorization: `Bearer ${agency}` };
const run = (duration: number) => autocannon({ url, method: 'POST', headers, body, connections: Number(values.connections), duration });
await run(2);
const ticks = () => {
  const stat = readFileSync(`/proc/${hub.pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
};
const t0 = ticks();
const result = await run(Number(values.seconds));
const cpuMs = (ticks() - t0) * 10;
hub.kill('SIGTERM');
await new Promise((r) => hub.once('exit', r));
const written = readdirSync(values.dir).filter((f) => !before.has(f) && f.endsWith('.cpuprofile'));
console.log(`${result.requests.total} requests, ${Math.round(result.requests.average)} req/s, Node CPU ${(cpuMs / result.requests.total).toFixed(2)} ms per request (profiler on)`);
for (const f of written) spawnSync(process.execPath, ['--import', 'tsx', join(projectRoot, 'src/scale/profile-summary.ts'), join(values.dir, f), '25'], { cwd: projectRoot, stdio: 'inherit' });
