/**
 * The hub side by side with PostGraphile 5 (`npm run bench`): the same reads on the same database, checked
 * to answer the same rows, then measured in interleaved rounds (hub then peer, peer then hub, …) so both
 * see the same machine. Besides req/s and latencies it measures CPU per request per process: each Node
 * server's from /proc/<pid>/stat, PostgreSQL's from the /proc stat of the database's backends (this
 * server has no pg_stat_statements preloaded), those whose client port is a socket of that server's process.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { projectRoot } from '../db/orm.js';
import { fromGlobalId } from '../domain/global-id.js';
import { Progress } from '../imports/progress.js';
import { percentile, tree } from './bench-process.js';

export const PEER_START = '<!-- postgraphile:start -->';
export const PEER_END = '<!-- postgraphile:end -->';

export interface PeerReads {
  hubUrl: string;
  peerUrl: string;
  hubPid: number;
  peerPid: number;
  /** The agency issuer's token: both servers verify it and scope by it. */
  bearer: string;
  /** A valid token of someone the hub does not know: PostGraphile's policies must show them nobody. */
  outsider: string;
}

interface Read {
  name: string;
  hub: { query: string; variables: Record<string, unknown> };
  peer: { query: string; variables: Record<string, unknown> };
}

export interface Round {
  read: string;
  connections: number;
  server: 'hub' | 'peer';
  round: number;
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** CPU milliseconds per request: the server's Node process, the database's backends. */
  nodeMs: number;
  pgMs: number;
}

const HUB_STAFF = `query($n: Int) { users(first: $n) { nodes { id displayName email employer { name } grants(state: ACTIVE, first: 10) { nodes { id role { name } service { code } scope { name } } } } } }`;
const PEER_STAFF = `query($n: Int) { allUsers(first: $n, orderBy: [FAMILY_NAME_ASC, GIVEN_NAME_ASC, PRIMARY_KEY_ASC]) { nodes { rowId givenName familyName email
  organisationByEmployerId { name }
  grantsByUserId(condition: { state: "active" }, first: 10, orderBy: [CREATED_AT_ASC, PRIMARY_KEY_ASC]) { nodes { rowId serviceRoleByRoleId { name } serviceByServiceId { code } organisationByScopeId { name } } } } } }`;
const HUB_PERSON = `query($id: ID!) { node(id: $id) { id ... on User { displayName email employer { name } } } }`;
const PEER_PERSON = `query($id: UUID!) { userByRowId(rowId: $id) { rowId givenName familyName email organisationByEmployerId { name } } }`;

interface Person {
  id: string;
  name: string;
  email: string | null;
  employer: string | null;
  grants: { id: string; role: string; service: string; scope: string }[];
}

async function post<T>(url: string, bearer: string, query: string, variables: Record<string, unknown>): Promise<T> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` }, body: JSON.stringify({ query, variables }) });
  const json = (await res.json()) as { data: T; errors?: unknown[] };
  if (json.errors) throw new Error(`${url}: ${JSON.stringify(json.errors).slice(0, 1000)}`);
  return json.data;
}

const uuidOf = (globalId: string) => fromGlobalId(globalId)?.id ?? globalId;

type HubUser = { id: string; displayName: string; email: string | null; employer: { name: string } | null; grants?: { nodes: { id: string; role: { name: string }; service: { code: string }; scope: { name: string } }[] } };
type PeerUser = { rowId: string; givenName: string; familyName: string; email: string | null; organisationByEmployerId: { name: string } | null;
  grantsByUserId?: { nodes: { rowId: string; serviceRoleByRoleId: { name: string } | null; serviceByServiceId: { code: string } | null; organisationByScopeId: { name: string } | null }[] } };

const fromHub = (u: HubUser): Person => ({
  id: uuidOf(u.id),
  name: u.displayName,
  email: u.email,
  employer: u.employer?.name ?? null,
  grants: (u.grants?.nodes ?? []).map((g) => ({ id: uuidOf(g.id), role: g.role.name, service: g.service.code, scope: g.scope.name })),
});
const fromPeer = (u: PeerUser): Person => ({
  id: u.rowId,
  name: `${u.givenName} ${u.familyName}`,
  email: u.email,
  employer: u.organisationByEmployerId?.name ?? null,
  grants: (u.grantsByUserId?.nodes ?? []).map((g) => ({ id: g.rowId, role: g.serviceRoleByRoleId?.name ?? '', service: g.serviceByServiceId?.code ?? '', scope: g.organisationByScopeId?.name ?? '' })),
});

function sameAnswer(what: string, hub: Person[], peer: Person[]): void {
  const a = JSON.stringify(hub);
  const b = JSON.stringify(peer);
  if (a === b) return;
  const at = hub.findIndex((p, i) => JSON.stringify(p) !== JSON.stringify(peer[i]));
  throw new Error(`${what}: the hub and PostGraphile answer differently (${hub.length} vs ${peer.length} people; first difference at ${at}: ${JSON.stringify(hub[at])} vs ${JSON.stringify(peer[at])})`);
}


/** utime + stime of a process, in clock ticks (USER_HZ, 100 on Linux). */
function ticks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}
const TICK_MS = 10;

/** The local TCP ports of a process's sockets (its pool's connections to PostgreSQL among them). */
function localPorts(pid: number): Set<number> {
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]);
      } catch {
        // closed meanwhile
      }
    }
  } catch {
    return new Set();
  }
  const ports = new Set<number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = (() => {
      try {
        return readFileSync(table, 'utf8');
      } catch {
        return '';
      }
    })();
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 9 && inodes.has(cols[9])) ports.add(parseInt(cols[1].split(':')[1], 16));
    }
  }
  return ports;
}

/**
 * CPU ticks of the database backends serving one server process: those whose client port is one of
 * that process's sockets, so other load on the same database (other engineers, the bench) is not counted.
 */
async function backends(client: pg.Client, pid: number): Promise<Map<number, number>> {
  const { rows } = await client.query<{ pid: number; port: number }>(
    `select pid, client_port as port from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and backend_type = 'client backend'`,
  );
  const ports = new Set(tree(pid).flatMap((p) => [...localPorts(p)]));
  return new Map(rows.filter((r) => ports.has(r.port)).map((r) => [r.pid, ticks(r.pid)]));
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function measure(url: string, pid: number, client: pg.Client, bearer: string, body: string, connections: number, duration: number) {
  const latencies: number[] = [];
  let errors = 0;
  const pgBefore = await backends(client, pid);
  const processTicks = () => tree(pid).reduce((sum, p) => sum + ticks(p), 0);
  const nodeBefore = processTicks();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      { url, connections, duration, method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` }, body },
      (error, res) => (error ? reject(error) : resolve(res)),
    );
    instance.on('response', (_c, status, _b, ms) => {
      latencies.push(ms);
      if (status >= 400) errors++;
    });
  });
  const nodeTicks = processTicks() - nodeBefore;
  const pgAfter = await backends(client, pid);
  let pgTicks = 0;
  for (const [p, t] of pgAfter) pgTicks += t - (pgBefore.get(p) ?? 0);
  latencies.sort((a, b) => a - b);
  const n = Math.max(1, latencies.length);
  return {
    requests: latencies.length,
    rps: latencies.length / duration,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    errors: errors + result.errors + result.non2xx,
    nodeMs: (nodeTicks * TICK_MS) / n,
    pgMs: (pgTicks * TICK_MS) / n,
  };
}

/** Checks both answer the same, then measures every read at every connection count in interleaved rounds. */
export async function comparePeers(
  servers: PeerReads,
  options: { rounds: number; duration: number; connections: number[]; databaseUrl: string },
): Promise<Round[]> {
  const { hubUrl, peerUrl, bearer } = servers;
  // The staff page: the same 50 people in the same order, their employer and up to 10 active grants, oldest first.
  const hubStaff = (await post<{ users: { nodes: HubUser[] } }>(hubUrl, bearer, HUB_STAFF, { n: 50 })).users.nodes.map(fromHub);
  const peerStaff = (await post<{ allUsers: { nodes: PeerUser[] } }>(peerUrl, bearer, PEER_STAFF, { n: 50 })).allUsers.nodes.map(fromPeer);
  if (hubStaff.length !== 50) throw new Error(`the staff page has ${hubStaff.length} people, not 50`);
  sameAnswer('staff page', hubStaff, peerStaff);
  const person = hubStaff[17];
  const personGlobal = (await post<{ users: { nodes: { id: string }[] } }>(hubUrl, bearer, '{ users(first: 18) { nodes { id } } }', {})).users.nodes[17].id;
  const hubPerson = fromHub((await post<{ node: HubUser }>(hubUrl, bearer, HUB_PERSON, { id: personGlobal })).node);
  const peerPerson = fromPeer((await post<{ userByRowId: PeerUser }>(peerUrl, bearer, PEER_PERSON, { id: person.id })).userByRowId);
  sameAnswer('one person', [hubPerson], [peerPerson]);
  // An outsider's token sees nobody on the peer either: its policies scope, they do not just filter the page.
  const outside = (await post<{ allUsers: { nodes: PeerUser[] } }>(peerUrl, servers.outsider, PEER_STAFF, { n: 50 })).allUsers.nodes;
  if (outside.length !== 0) throw new Error(`PostGraphile shows an unknown person ${outside.length} people: its policies do not scope`);
  const grants = hubStaff.reduce((n, p) => n + p.grants.length, 0);
  console.error(`hub and PostGraphile answer the same staff page (50 people, ${grants} grants) and the same person`);

  const reads: Read[] = [
    { name: `staff list (50 people, employer, active grants)`, hub: { query: HUB_STAFF, variables: { n: 50 } }, peer: { query: PEER_STAFF, variables: { n: 50 } } },
    { name: 'one person by id, with employer', hub: { query: HUB_PERSON, variables: { id: personGlobal } }, peer: { query: PEER_PERSON, variables: { id: person.id } } },
  ];
  const client = new pg.Client({ connectionString: options.databaseUrl });
  await client.connect();
  const rounds: Round[] = [];
  const total = reads.length * options.connections.length * options.rounds * 2;
  const progress = new Progress('hub vs PostGraphile', total);
  try {
    for (const read of reads) {
      for (const connections of options.connections) {
        // Warm both (JIT, caches, pools) before the first measured round.
        for (const [url, q] of [[hubUrl, read.hub], [peerUrl, read.peer]] as const) {
          await measure(url, 0, client, bearer, JSON.stringify(q), connections, 1);
        }
        for (let round = 0; round < options.rounds; round++) {
          const order: ('hub' | 'peer')[] = round % 2 === 0 ? ['hub', 'peer'] : ['peer', 'hub'];
          for (const server of order) {
            const q = server === 'hub' ? read.hub : read.peer;
            const m = await measure(server === 'hub' ? hubUrl : peerUrl, server === 'hub' ? servers.hubPid : servers.peerPid, client, bearer, JSON.stringify(q), connections, options.duration);
            rounds.push({ read: read.name, connections, server, round, ...m });
            progress.update(rounds.length);
          }
        }
      }
    }
  } finally {
    progress.done();
    await client.end();
  }
  return rounds;
}

const f = (n: number) => (Number.isFinite(n) ? (n >= 100 ? Math.round(n).toString() : n.toFixed(1)) : '–');

/** The side-by-side section of BENCHMARKS.md. */
export function peerSection(rounds: Round[], extra: { rss: { hub: number; peer: number }; workers: number }): string {
  const keys = [...new Set(rounds.map((r) => `${r.read}\u0000${r.connections}`))];
  const of = (read: string, c: number, server: 'hub' | 'peer') => rounds.filter((r) => r.read === read && r.connections === c && r.server === server);
  const ratioOf = (read: string, c: number) => {
    const peer = of(read, c, 'peer');
    return median(of(read, c, 'hub').map((h) => h.rps / (peer.find((p) => p.round === h.round)?.rps ?? NaN)));
  };
  const cpu = (rs: Round[], k: 'nodeMs' | 'pgMs') => rs.reduce((s, r) => s + r[k] * r.requests, 0) / Math.max(1, rs.reduce((s, r) => s + r.requests, 0));
  const rows = keys.map((key) => {
    const [read, c] = key.split('\u0000');
    const hub = of(read, Number(c), 'hub');
    const peer = of(read, Number(c), 'peer');
    const cell = (rs: Round[]) => `${rs.map((r) => Math.round(r.rps)).join(' ')} | ${f(median(rs.map((r) => r.p50)))} / ${f(median(rs.map((r) => r.p99)))} | ${cpu(rs, 'nodeMs').toFixed(2)} + ${cpu(rs, 'pgMs').toFixed(2)}`;
    const errors = [...hub, ...peer].reduce((s, r) => s + r.errors, 0);
    return `| ${read} | ${c} | ${cell(hub)} | ${cell(peer)} | **${ratioOf(read, Number(c)).toFixed(2)}** | ${errors} |`;
  });
  const n = Math.max(...rounds.map((r) => r.round)) + 1;
  const duration = rounds[0] ? Math.round(rounds[0].requests / Math.max(0.001, rounds[0].rps)) : 0;
  return `${PEER_START}
## Side by side with PostGraphile 5

Written by \`npm run bench\` on ${new Date().toISOString()} (\`--peer-only\` writes just this section). PostGraphile
5 (\`postgraphile\` ${peerVersion()}, preset amber, grafserv's node adapter; \`src/scale/postgraphile-server.ts\`) over the
same database, its reads scoped by row-level security as the agency issuer's (\`src/scale/postgraphile-rls.ts\`); both
verify the same JWT. The bench first checks that both answer the same 50 people in the same order, with the same
employer and the same active grants, and the same single person. Then ${n} interleaved rounds of ${duration} s per
server (hub first in even rounds, PostGraphile first in odd ones), one server under load at a time. The machine is
shared with other engineers' builds and tests: only the ratio within a round means much; "hub / PG" is the
median of the per-round ratios of req/s. CPU per request in ms: the server's Node process (/proc/<pid>/stat) +
the database backends connected from that process (matched by client port; /proc stat; no pg_stat_statements here).
The hub ran as ${extra.workers === 1 ? 'one process' : `${extra.workers} worker processes (\`--workers ${extra.workers}\`; CPU and backends summed over them)`}, PostGraphile as one.
Peak RSS per process: hub ${(extra.rss.hub / 2 ** 20).toFixed(0)} MB, PostGraphile ${(extra.rss.peer / 2 ** 20).toFixed(0)} MB.

| read | connections | hub req/s per round | hub p50 / p99 ms | hub CPU/req Node + PG | PG req/s per round | PG p50 / p99 ms | PG CPU/req Node + PG | hub / PG | errors |
|---|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}

${peerTargets(rounds, extra.rss.hub, ratioOf, (rs) => cpu(rs, 'nodeMs') + cpu(rs, 'pgMs'), of)}
${PEER_END}`;
}

/** Issue 16's targets, judged on this run. */
function peerTargets(
  rounds: Round[],
  rss: number,
  ratioOf: (read: string, c: number) => number,
  cpuPerPage: (rs: Round[]) => number,
  of: (read: string, c: number, server: 'hub' | 'peer') => Round[],
): string {
  const staff = rounds.find((r) => r.read.startsWith('staff list'))?.read;
  const person = rounds.find((r) => r.read.startsWith('one person'))?.read;
  if (!staff || !person) return '';
  const check = (ok: boolean) => (ok ? 'met' : '**missed**');
  const staff10 = of(staff, 10, 'hub');
  const p99 = median(staff10.map((r) => r.p99));
  const staffCpu = cpuPerPage(staff10);
  const person1 = ratioOf(person, 1);
  const person10 = ratioOf(person, 10);
  return `| target (issue 16) | measured | |
|---|---|---|
| staff list at 10 connections ≥ 2× PostGraphile's req/s | ${ratioOf(staff, 10).toFixed(2)}× | ${check(ratioOf(staff, 10) >= 2)} |
| staff list p99 ≤ 60 ms at 10 connections | ${f(p99)} ms | ${check(p99 <= 60)} |
| staff list CPU per page (Node + PostgreSQL) ≤ 6 ms | ${staffCpu.toFixed(2)} ms | ${check(staffCpu <= 6)} |
| one person by id ≥ 2× PostGraphile's req/s (1 / 10 connections) | ${person1.toFixed(2)}× / ${person10.toFixed(2)}× | ${check(person1 >= 2 && person10 >= 2)} |
| peak RSS ≤ 256 MB per process | ${(rss / 2 ** 20).toFixed(0)} MB | ${check(rss <= 256 * 2 ** 20)} |`;
}

function peerVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(projectRoot, 'node_modules/postgraphile/package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '5';
  }
}
