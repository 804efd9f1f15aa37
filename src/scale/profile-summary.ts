/**
 * `npx tsx src/scale/profile-summary.ts <file.cpuprofile> [top]` prints what a V8 CPU profile
 * (`node --cpu-prof`) spent its samples on: self time by function and by package, as Markdown, small
 * enough to commit next to BENCHMARKS.md instead of the multi-megabyte profile.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg] = process.argv.slice(2);
if (!file) throw new Error('usage: profile-summary <file.cpuprofile> [top]');
const top = Number(topArg ?? 20);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
// Self time per node from the samples and their time deltas (hitCount alone ignores the interval).
const self = new Map<number, number>();
for (let i = 0; i < profile.samples.length; i++) self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
const total = [...self.values()].reduce((a, b) => a + b, 0);

/** Where a function comes from: a package, our source, node itself, or V8's own entries. */
function origin(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  if (url.startsWith('node:')) return url;
  const ours = /\/(src|dist\/src)\/([^/]+)\//.exec(url);
  return ours ? `src/${ours[2]}` : url;
}

const fns = new Map<string, number>();
const origins = new Map<string, number>();
for (const [id, us] of self) {
  const n = byId.get(id)!;
  const { functionName, url, lineNumber } = n.callFrame;
  const from = origin(url, functionName);
  const key = `${functionName || '(anonymous)'} — ${from}${url && !url.startsWith('node:') ? `:${lineNumber + 1}` : ''}`;
  fns.set(key, (fns.get(key) ?? 0) + us);
  origins.set(from, (origins.get(from) ?? 0) + us);
}
const pct = (us: number) => `${((100 * us) / total).toFixed(1)} %`;
const rows = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, us]) => `| ${k.replaceAll('|', '\\|')} | ${pct(us)} |`).join('\n');
console.log(`Profile ${file.split('/').pop()}: ${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s, ${profile.samples.length} samples.

| self time by function | share |
|---|---|
${rows(fns)}

| self time by origin | share |
|---|---|
${rows(origins)}
`);
