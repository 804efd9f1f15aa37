import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCompiledHub, type CompiledHub } from '../support/compiled-hub.js';
import { demo } from '../support/hub.js';
import { pdfStream, pdfWith } from '../documents/builders.js';

const MiB = 1024 * 1024;
const FILE_SIZE = 10 * MiB - 1; // just under UPLOAD_MAX_FILE_SIZE's default (10 MiB)
const FILES = 5; // UPLOAD_MAX_FILES's default
const CONCURRENT = 8;

/**
 * Peak memory use allowed for the whole load above the idle server. What the server may hold while
 * 400 MiB of uploads pass through: a 64 KiB chunk per open stream, the one file being checked read
 * in 64 KiB pieces, the inflate window of an object stream, and garbage buffers V8 has not collected
 * yet (it collects once about 64 MiB of external memory is pending). Before the uploads were staged
 * on disk the same load grew the process by ~500 MiB; holding even one request's files in memory
 * would be 50 MiB, all eight 400 MiB.
 */
const RSS_GROWTH_BOUND = 150 * MiB;

/** VmHWM (peak resident set) and VmRSS of a process, in bytes. */
function memoryOf(pid: number): { peak: number; now: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)![1]) * 1024;
  return { peak: kib('VmHWM'), now: kib('VmRSS') };
}

/** Resets a process's peak resident set to its current one (Linux ≥ 4.0); false where that is not allowed. */
function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** A PDF of exactly `size` bytes, mostly a stream of random bytes, whose JavaScript comes last: checking it reads all of it. */
function pdfWithScriptAtTheEnd(size: number): Buffer {
  const script = Buffer.from('\n<< /S /JavaScript /JS (app.alert(1)) >>', 'latin1');
  const random = randomBytes(size);
  const build = (padding: number) => pdfWith(Buffer.concat([pdfStream(random.subarray(0, padding)), script]));
  const first = build(size - 1000);
  return build(size - 1000 + (size - first.length));
}

describe('upload memory on the compiled production server', () => {
  let hub: CompiledHub;
  let dataDir: string;
  let url: string;
  let token: string;
  let input: { person: string; service: string; role: string; attachments: { kind: string; file: null }[] };

  beforeAll(async () => {
    // The current code, compiled and run as production runs it (`npm run start:compiled`'s heap flags).
    hub = await startCompiledHub();
    url = hub.url;
    dataDir = hub.dataDir;
    token = await hub.token(demo.maria);
    const gql = async <T>(query: string, bearer?: string) =>
      ((await (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) }, body: JSON.stringify({ query }) })).json()) as { data: T }).data;
    const sus = (await gql<{ services: { nodes: { id: string; code: string; roles: { id: string; code: string }[] }[] } }>('{ services { nodes { id code roles { id code } } } }')).services.nodes.find((s) => s.code === 'SUS')!;
    const me = (await gql<{ me: { id: string } }>('{ me { id } }', token)).me;
    input = {
      person: me.id,
      service: sus.id,
      role: sus.roles.find((r) => r.code === 'registrar')!.id,
      attachments: Array.from({ length: FILES }, () => ({ kind: 'ORDER_FORM', file: null })),
    };
  }, 300_000);

  afterAll(() => hub?.close(), 60_000);

  const MUTATION = `mutation($input: OrderCreateInput!) { orderCreate(input: $input) { order { id } userErrors { code field message } } }`;

  /** An order with five attachments: the service reads and checks every one of them before it refuses them. */
  function uploadForm(files: Blob[]): FormData {
    const form = new FormData();
    form.append('operations', JSON.stringify({ query: MUTATION, variables: { input } }));
    form.append('map', JSON.stringify(Object.fromEntries(files.map((_, i) => [String(i), [`variables.input.attachments.${i}.file`]]))));
    files.forEach((file, i) => form.append(String(i), file, `form-${i}.pdf`));
    return form;
  }

  async function send(files: Blob[]): Promise<{ status: number; retryAfter: string | null; body: { data?: { orderCreate: { order: unknown; userErrors: { code: string; message: string }[] } }; errors?: { extensions?: { code?: string } }[] } }> {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'apollo-require-preflight': 'true', authorization: `Bearer ${token}` },
      body: uploadForm(files),
      signal: AbortSignal.timeout(60_000),
    });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as never };
  }

  it(`keeps memory bounded under ${CONCURRENT} concurrent requests of ${FILES} × 10 MiB, answering each with 429 or the file's refusal, never 5xx`, async () => {
    const pid = hub.pid;
    // Each file is read whole by the checks before it is refused.
    const files = Array.from({ length: FILES }, () => new Blob([new Uint8Array(pdfWithScriptAtTheEnd(FILE_SIZE))]));
    expect(files.map((f) => f.size)).toEqual(Array(FILES).fill(FILE_SIZE));

    // Warm up: the whole path once, so that what follows measures the load and not the first run's code.
    const warm = await send(files.map((f) => f.slice(0, 64 * 1024)));
    expect(warm.status).toBe(200);
    await new Promise((r) => setTimeout(r, 500));
    const idle = memoryOf(pid);
    const reset = resetPeak(pid);
    let sampledPeak = idle.now;
    const sampler = setInterval(() => {
      sampledPeak = Math.max(sampledPeak, memoryOf(pid).now);
    }, 50);

    const started = Date.now();
    const statuses: number[] = [];
    const firstRound: number[] = [];
    let busy = 0;
    await Promise.all(
      Array.from({ length: CONCURRENT }, async (_, n) => {
        // A refused client comes back until it gets through: every one of the 400 MiB passes through the server.
        for (let attempt = 0; attempt < 400 && Date.now() - started < 150_000; attempt++) {
          const res = await send(files);
          if (attempt === 0) firstRound[n] = res.status;
          statuses.push(res.status);
          expect(res.status, JSON.stringify(res.body)).toBeLessThan(500);
          if (res.status === 429) {
            busy++;
            expect(res.retryAfter).toBe('5');
            expect(res.body.errors?.[0].extensions?.code).toBe('UPLOADS_BUSY');
            await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
            continue;
          }
          expect(res.status).toBe(200);
          expect(res.body.data!.orderCreate.order).toBeNull();
          expect(res.body.data!.orderCreate.userErrors.map((e) => e.message)).toEqual(Array(FILES).fill('This PDF contains JavaScript, which could run when it is opened.'));
          return;
        }
        throw new Error('a request never got through');
      }),
    );
    clearInterval(sampler);
    const after = memoryOf(pid);
    const peak = reset ? after.peak : sampledPeak;
    const growth = peak - idle.now;
    console.log(
      `upload memory: idle RSS ${(idle.now / MiB).toFixed(1)} MiB, peak ${(peak / MiB).toFixed(1)} MiB (VmHWM${reset ? ' after reset' : ' not resettable: sampled VmRSS'}; sampled VmRSS peak ${(sampledPeak / MiB).toFixed(1)} MiB), ` +
        `growth ${(growth / MiB).toFixed(1)} MiB, after ${(after.now / MiB).toFixed(1)} MiB; ${statuses.length} requests (${busy} answered 429), first round ${firstRound.join(' ')}, ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    // Only one full request fits the default 64 MiB in flight: the others were told to come back.
    expect(firstRound.filter((s) => s === 429).length).toBeGreaterThanOrEqual(CONCURRENT - 2);
    expect(growth).toBeLessThan(RSS_GROWTH_BOUND);

    // Nothing was kept, and no temporary file is left.
    const orders = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ orders { totalCount } }' }),
    });
    expect(((await orders.json()) as { data: unknown }).data).toEqual({ orders: { totalCount: 0 } });
    expect(spawnSync('find', [join(dataDir, 'tmp', 'uploads'), '-mindepth', '1'], { encoding: 'utf8' }).stdout).toBe('');
  }, 240_000);
});
