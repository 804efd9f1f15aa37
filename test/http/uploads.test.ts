import { readdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { elf, pdf } from '../support/files.js';
import { demo, startTestHub, type TestHub } from '../support/hub.js';
import { lyingDocx, pdfStream, pdfThenElf, pdfWith, zipBombDocx } from '../documents/builders.js';

type Json = { data?: { ordererAppointmentRequest: { userErrors: UserErrors } }; errors?: { message: string; extensions?: Record<string, unknown> }[] };
type UserErrors = { code: string; field: string[]; message: string }[];

const REQUEST = `mutation($input: OrdererAppointmentRequestInput!) {
  ordererAppointmentRequest(input: $input) { ordererAppointment { id requestForm { filename contentType } } userErrors { code field message } }
}`;

/** The input of a request to become orderer for Stockholms stad in SUS, its form to be uploaded. */
async function appointmentInput(hub: TestHub): Promise<{ service: string; scope: string; requestForm: null }> {
  const services = (await hub.gql<{ services: { nodes: { id: string; code: string }[] } }>('{ services { nodes { id code } } }')).data!.services.nodes;
  const orgs = (await hub.as<{ organisations: { nodes: { id: string; name: string }[] } }>(demo.maria, '{ organisations(first: 100) { nodes { id name } } }')).data!.organisations.nodes;
  return { service: services.find((s) => s.code === 'SUS')!.id, scope: orgs.find((o) => o.name === 'Stockholms stad')!.id, requestForm: null };
}

async function documentCount(hub: TestHub): Promise<number> {
  const [row] = await hub.db.orm.em.fork().getConnection().execute<{ n: number }[]>('select count(*)::int as n from documents');
  return Number(row.n);
}

/** Request directories left under DATA_DIR/tmp/uploads (they go once the response has ended). */
async function leftovers(hub: TestHub): Promise<string[]> {
  const root = join(hub.config.dataDir, 'tmp', 'uploads');
  for (let i = 0; i < 50; i++) {
    const left = readdirSync(root);
    if (left.length === 0) return left;
    await new Promise((r) => setTimeout(r, 20));
  }
  return readdirSync(root);
}

describe('uploads over HTTP: content', () => {
  let hub: TestHub;
  let input: { service: string; scope: string; requestForm: null };

  beforeAll(async () => {
    hub = await startTestHub();
    input = await appointmentInput(hub);
  });
  afterAll(() => hub.close());

  /** Sends `bytes` as the signed request form and expects it refused with FILE_TYPE_NOT_ALLOWED and `message`, nothing stored. */
  async function refused(bytes: Buffer, filename: string, message: RegExp): Promise<void> {
    const before = await documentCount(hub);
    const res = await hub.upload<{ ordererAppointmentRequest: { ordererAppointment: null; userErrors: UserErrors } }>(await hub.token(demo.maria), REQUEST, { input }, {
      'input.requestForm': { bytes, filename },
    });
    expect(res.status).toBe(200);
    expect(res.data!.ordererAppointmentRequest.ordererAppointment).toBeNull();
    expect(res.data!.ordererAppointmentRequest.userErrors).toEqual([{ code: 'FILE_TYPE_NOT_ALLOWED', field: ['input', 'requestForm'], message: expect.stringMatching(message) as unknown }]);
    expect(await documentCount(hub)).toBe(before);
    expect(await leftovers(hub)).toEqual([]);
  }

  it('refuses a zip bomb DOCX (1 GiB of zeros in 1 MiB), and one whose directory lies about its size', async () => {
    await refused(await zipBombDocx(), 'cv.docx', /^This DOCX unpacks to far more than a document does \(a "zip bomb"\): its parts declare 1024 MiB/);
    await refused(await lyingDocx(), 'cv.docx', /larger than its directory declares/);
  }, 120_000);

  it('refuses a PDF carrying a Linux program, and one with JavaScript', async () => {
    await refused(pdfThenElf(), 'agreement.pdf', /^This PDF contains an executable program\.$/);
    await refused(pdfWith('<< /Type /Action /S /JavaScript /JS (app.launchURL("https://evil.example")) >>'), 'form.pdf', /^This PDF contains JavaScript/);
  });

  it('names a file for what it is: an executable is not a PDF because it is called one', async () => {
    await refused(elf(), 'form.pdf', /^This file is an executable program, not a PDF\.$/);
  });

  it('stores a file that passed, under a name ending in its real type, and leaves no temporary file', async () => {
    const res = await hub.upload<{ ordererAppointmentRequest: { ordererAppointment: { requestForm: { filename: string; contentType: string } } } }>(
      await hub.token(demo.maria),
      REQUEST,
      { input },
      { 'input.requestForm': { bytes: pdf('Blankett 9450'), filename: 'blankett' } },
    );
    expect(res.data!.ordererAppointmentRequest.ordererAppointment.requestForm).toEqual({ filename: 'blankett.pdf', contentType: 'application/pdf' });
    expect(await leftovers(hub)).toEqual([]);
  });
});

describe('uploads over HTTP: the multipart protocol', () => {
  let hub: TestHub;
  let token: string;
  let operations: string;

  beforeAll(async () => {
    hub = await startTestHub({ UPLOAD_MAX_FILES: '2' });
    token = await hub.token(demo.maria);
    operations = JSON.stringify({ query: REQUEST, variables: { input: await appointmentInput(hub) } });
  });
  afterAll(() => hub.close());

  /** A multipart body of the given fields and files, in this order. */
  function form(parts: [string, string | Buffer][]): FormData {
    const body = new FormData();
    for (const [name, value] of parts) {
      if (typeof value === 'string') body.append(name, value);
      else body.append(name, new Blob([new Uint8Array(value)]), `${name}.pdf`);
    }
    return body;
  }

  async function send(body: FormData): Promise<{ status: number; json: Json }> {
    const res = await fetch(hub.url, {
      method: 'POST',
      headers: { 'apollo-require-preflight': 'true', authorization: `Bearer ${token}` },
      body,
      signal: AbortSignal.timeout(15_000), // never a hang
    });
    return { status: res.status, json: (await res.json()) as Json };
  }

  /** Expects 400 BAD_REQUEST with `message`, nothing stored and no temporary file left. */
  async function badRequest(parts: [string, string | Buffer][], message: RegExp): Promise<void> {
    const before = await documentCount(hub);
    const { status, json } = await send(form(parts));
    expect(status, JSON.stringify(json)).toBe(400);
    expect(json.errors).toEqual([{ message: expect.stringMatching(message) as unknown, extensions: { code: 'BAD_REQUEST' } }]);
    expect(json.data).toBeUndefined();
    expect(await documentCount(hub)).toBe(before);
    expect(await leftovers(hub)).toEqual([]);
  }

  const map = (entries: Record<string, string[]>) => JSON.stringify(entries);

  it('a map naming a file part that never comes is 400, not an internal error', async () => {
    await badRequest([['operations', operations], ['map', map({ 0: ['variables.input.requestForm'] })]], /names file part '0', which the request does not contain/);
    await badRequest(
      [['operations', operations], ['map', map({ 0: ['variables.input.requestForm'], 1: ['variables.extra'] })], ['0', pdf()]],
      /names file part '1'/,
    );
  });

  it('a file part not in the map is 400, and the mapped file is not stored', async () => {
    await badRequest([['operations', operations], ['map', map({ 0: ['variables.input.requestForm'] })], ['0', pdf()], ['stray', pdf()]], /'stray' is not in the map/);
  });

  it('more file parts than UPLOAD_MAX_FILES, in the map or in the body, are 400', async () => {
    const three = map({ 0: ['variables.input.requestForm'], 1: ['variables.a'], 2: ['variables.b'] });
    await badRequest([['operations', operations], ['map', three], ['0', pdf()], ['1', pdf()], ['2', pdf()]], /At most 2 files/);
    // The same part name repeated: each is a file part of its own.
    const one = map({ 0: ['variables.input.requestForm'] });
    await badRequest([['operations', operations], ['map', one], ['0', pdf()], ['0', pdf()], ['0', pdf()]], /At most 2 files|comes twice/);
  });

  it('more fields than operations and map, or fields out of order, are 400', async () => {
    const one = map({ 0: ['variables.input.requestForm'] });
    await badRequest([['operations', operations], ['map', one], ['extra', 'x'], ['0', pdf()]], /only the 'operations' and 'map' fields|Unexpected field/);
    await badRequest([['map', one], ['operations', operations], ['0', pdf()]], /Unexpected field 'map'/);
    await badRequest([['operations', operations], ['0', pdf()], ['map', one]], /Files must come after/);
  });

  it('malformed operations or map are 400: bad JSON, wrong shapes, paths outside the variables', async () => {
    const one = map({ 0: ['variables.input.requestForm'] });
    await badRequest([['operations', '{"query": '], ['map', one], ['0', pdf()]], /'operations' field is not valid JSON/);
    await badRequest([['operations', `[${operations}]`], ['map', one], ['0', pdf()]], /one operation/);
    await badRequest([['operations', operations], ['map', '[1]'], ['0', pdf()]], /'map' field must be a JSON object/);
    await badRequest([['operations', operations], ['map', map({ 0: [] })], ['0', pdf()]], /list of paths/);
    await badRequest([['operations', operations], ['map', map({ 0: ['query'] })], ['0', pdf()]], /must name a place in the variables/);
    await badRequest([['operations', operations], ['map', map({ 0: ['variables.__proto__.polluted'] })], ['0', pdf()]], /must name a place in the variables/);
    await badRequest([['operations', operations], ['map', map({ 0: ['variables.input.service'] })], ['0', pdf()]], /must point at a null/);
    await badRequest([['operations', operations], ['map', map({ 0: ['variables.nowhere.file'] })], ['0', pdf()]], /leads nowhere/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('a file no resolver reads is staged and removed with the rest', async () => {
    const body = form([['operations', operations], ['map', map({ 0: ['variables.input.requestForm'], 1: ['variables.unused'] })], ['0', elf()], ['1', pdf()]]);
    const { status, json } = await send(body);
    expect(status, JSON.stringify(json)).toBe(200);
    expect(json.data!.ordererAppointmentRequest.userErrors).toEqual([expect.objectContaining({ code: 'FILE_TYPE_NOT_ALLOWED' })]);
    expect(await leftovers(hub)).toEqual([]);
  });
});

describe('uploads over HTTP: size and the bytes in flight', () => {
  let hub: TestHub;
  // 2 files of 64 KiB: a full request is 2 × 64 KiB + 2 MiB of fields + 4 × 16 KiB of part headers.
  const fullRequest = 2 * 64 * 1024 + 2 * 1024 * 1024 + 4 * 16 * 1024;

  beforeAll(async () => {
    hub = await startTestHub({ UPLOAD_MAX_FILE_SIZE: String(64 * 1024), UPLOAD_MAX_FILES: '2', UPLOAD_MAX_INFLIGHT_BYTES: String(fullRequest + 1000) });
  });
  afterAll(() => hub.close());

  /** Sends the request head with `headers` and `body` bytes, keeping the request open; resolves with the answer, if any comes. */
  function open(headers: Record<string, string>, body: Buffer) {
    const url = new URL(hub.url);
    let answered!: (value: { status: number; headers: Record<string, unknown>; body: string }) => void;
    const answer = new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve) => (answered = resolve));
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'apollo-require-preflight': 'true', ...headers } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => answered({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', () => {});
    req.write(body);
    return { answer, req };
  }
  const boundary = 'hub-test-boundary';
  const contentType = `multipart/form-data; boundary=${boundary}`;
  const start = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{"query":"{ __typename }"}\r\n`);

  it('a file of exactly UPLOAD_MAX_FILE_SIZE bytes is taken; one byte more is FILE_TOO_LARGE', async () => {
    const input = await appointmentInput(hub);
    // A PDF padded inside (a stream of spaces) to exactly `size` bytes; the stream's Length grows by a digit or two at most.
    const sized = (size: number) => {
      const overhead = pdfWith(pdfStream(Buffer.alloc(0))).length + 6;
      const padded = pdfWith(pdfStream(Buffer.alloc(size - overhead, 0x20)));
      return pdfWith(pdfStream(Buffer.alloc(size - overhead + (size - padded.length), 0x20)));
    };
    const send = async (bytes: Buffer) =>
      (await hub.upload<{ ordererAppointmentRequest: { userErrors: UserErrors } }>(await hub.token(demo.maria), REQUEST, { input }, { 'input.requestForm': { bytes, filename: 'form.pdf' } })).data!
        .ordererAppointmentRequest.userErrors;
    expect(await send(sized(64 * 1024 + 1))).toEqual([expect.objectContaining({ code: 'FILE_TOO_LARGE', field: ['input', 'requestForm'] })]);
    expect(sized(64 * 1024).length).toBe(64 * 1024);
    expect(await send(sized(64 * 1024))).toEqual([]);
  });

  it('a body larger than its files and fields could be is 413 before it is read', async () => {
    const { answer, req } = open({ 'content-type': contentType, 'content-length': String(fullRequest + 1) }, Buffer.alloc(0));
    const res = await answer;
    req.destroy();
    expect(res.status).toBe(413);
    expect((JSON.parse(res.body) as Json).errors?.[0].extensions?.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('a request that does not fit the bytes left in flight is 429 UPLOADS_BUSY with Retry-After, before it is read; then it fits again', async () => {
    // The first request declares a full body and sends only its start: its bytes are reserved while it is open.
    const first = open({ 'content-type': contentType, 'content-length': String(fullRequest) }, start);
    await new Promise((r) => setTimeout(r, 200));
    const second = open({ 'content-type': contentType, 'content-length': String(10_000) }, Buffer.alloc(0));
    const busy = await second.answer;
    second.req.destroy();
    expect(busy.status).toBe(429);
    expect(busy.headers['retry-after']).toBe('5');
    expect((JSON.parse(busy.body) as Json).errors?.[0].extensions?.code).toBe('UPLOADS_BUSY');
    // The client gives up: its reservation ends with it.
    first.req.destroy();
    await new Promise((r) => setTimeout(r, 200));
    const form = new FormData();
    form.append('operations', JSON.stringify({ query: '{ __typename }' }));
    form.append('map', '{}');
    const res = await fetch(hub.url, { method: 'POST', headers: { 'apollo-require-preflight': 'true' }, body: form });
    expect(await res.json()).toEqual({ data: { __typename: 'Query' } });
    expect(await leftovers(hub)).toEqual([]);
  });

  it('a chunked body (no Content-Length) is counted as it streams and cut off with the same answer', async () => {
    let sent = 0;
    const chunk = new Uint8Array(64 * 1024);
    const body = new ReadableStream<Uint8Array>({
      start: (c) => c.enqueue(new Uint8Array(start)),
      pull: (c) => {
        sent += chunk.length;
        if (sent > 50 * 1024 * 1024) return c.close(); // bounded, whatever happens
        c.enqueue(chunk);
      },
    });
    const res = await fetch(hub.url, {
      method: 'POST',
      headers: { 'apollo-require-preflight': 'true', 'content-type': contentType },
      body,
      duplex: 'half',
      signal: AbortSignal.timeout(15_000),
    });
    // Past the file and field limits it is too large; before that, past the bytes left, it is busy.
    expect([413, 429]).toContain(res.status);
    expect(((await res.json()) as Json).errors?.[0].extensions?.code).toMatch(/^(PAYLOAD_TOO_LARGE|UPLOADS_BUSY)$/);
    expect(sent).toBeLessThan(50 * 1024 * 1024);
    expect(await leftovers(hub)).toEqual([]);
  });
});
