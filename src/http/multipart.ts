import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import busboy from 'busboy';
import { type FileUpload, Upload } from 'graphql-upload-minimal';
import { type Config, UPLOAD_FIELD_LIMIT, uploadRequestLimit } from '../config.js';
import { spool, type StagedUpload } from '../domain/upload-spool.js';

/**
 * GraphQL multipart requests (github.com/jaydenseric/graphql-multipart-request-spec), read whole
 * before the operation runs: every file goes to a temporary file under DATA_DIR/tmp/uploads, sized
 * and hashed on the way, and the resolvers get uploads that read from there. So memory holds a chunk
 * per file whatever the sizes, a file no resolver reads still costs no memory, and a request that
 * breaks the protocol is refused before anything runs. The files are removed when the response ends,
 * however it ends.
 *
 * Upload bytes in flight across all requests are capped (UPLOAD_MAX_INFLIGHT_BYTES): a request whose
 * Content-Length does not fit is answered 429 UPLOADS_BUSY before its body is read; a chunked one is
 * counted as it arrives and cut off with the same answer.
 */

/** How long a refused request's body is still read (and dropped) so that the client sees the answer. */
const LINGER_MS = 10_000;
const RETRY_AFTER_SECONDS = 5;
/** Temporary directories older than this are left over from a process that died, and are removed. */
const STALE_MS = 60 * 60 * 1000;

class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The client went away: nobody is left to answer. */
class ClientGone extends Error {}

const badRequest = (message: string) => new Refusal(400, 'BAD_REQUEST', message);
const tooLarge = (message: string) => new Refusal(413, 'PAYLOAD_TOO_LARGE', message);
const busy = () =>
  new Refusal(429, 'UPLOADS_BUSY', `The server is taking in as many uploads as it can; try again in ${RETRY_AFTER_SECONDS} seconds.`, {
    'retry-after': String(RETRY_AFTER_SECONDS),
  });

/** Upload bytes held by requests in progress, against the configured cap. */
class UploadBudget {
  private used = 0;
  constructor(readonly limit: number) {}
  reserve(bytes: number): boolean {
    if (this.used + bytes > this.limit) return false;
    this.used += bytes;
    return true;
  }
  release(bytes: number): void {
    this.used -= bytes;
  }
}

// One budget per running server: the server is made from its configuration, so the configuration identifies it.
const budgets = new WeakMap<Config, UploadBudget>();
const roots = new Map<string, Promise<string>>();

function budgetFor(config: Config): UploadBudget {
  let budget = budgets.get(config);
  if (!budget) budgets.set(config, (budget = new UploadBudget(config.uploadMaxInflightBytes)));
  return budget;
}

/** DATA_DIR/tmp/uploads (on disk next to the database, not in a tmpfs), swept of what a dead process left. */
function uploadRoot(config: Config): Promise<string> {
  const root = join(config.dataDir, 'tmp', 'uploads');
  let ready = roots.get(root);
  if (!ready) {
    ready = (async () => {
      await mkdir(root, { recursive: true, mode: 0o700 });
      const now = Date.now();
      for (const name of await readdir(root)) {
        const path = join(root, name);
        const info = await stat(path).catch(() => null);
        if (info && now - info.mtimeMs > STALE_MS) await rm(path, { recursive: true, force: true });
      }
      return root;
    })();
    ready.catch(() => roots.delete(root));
    roots.set(root, ready);
  }
  return ready;
}

function contentLength(req: IncomingMessage): number | null {
  const header = req.headers['content-length'];
  if (header === undefined) return null;
  if (!/^\d{1,15}$/.test(header)) throw badRequest('The Content-Length header is invalid.');
  return Number(header);
}

const isContainer = (value: unknown): value is Record<string, unknown> | unknown[] => typeof value === 'object' && value !== null;
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Puts `upload` at `path` ("variables.input.file", "variables.files.0") in the operation, where the
 * client left null or nothing; anything else in the way is a malformed map.
 */
function place(operations: Record<string, unknown>, path: string, upload: Upload): void {
  const keys = path.split('.');
  if (keys[0] !== 'variables' || keys.length < 2 || keys.some((k) => k === '' || UNSAFE_KEYS.has(k))) {
    throw badRequest(`The map path '${path}' must name a place in the variables ("variables.…").`);
  }
  let target: unknown = operations;
  for (const key of keys.slice(0, -1)) {
    const next: unknown = Array.isArray(target) ? (/^\d+$/.test(key) ? target[Number(key)] : undefined) : Object.hasOwn(target as object, key) ? (target as Record<string, unknown>)[key] : undefined;
    if (!isContainer(next)) throw badRequest(`The map path '${path}' leads nowhere in 'operations'.`);
    target = next;
  }
  const last = keys[keys.length - 1];
  if (Array.isArray(target)) {
    if (!/^\d+$/.test(last) || Number(last) >= target.length || target[Number(last)] !== null) throw badRequest(`The map path '${path}' must point at a null in 'operations'.`);
    target[Number(last)] = upload;
    return;
  }
  const object = target as Record<string, unknown>;
  if (Object.hasOwn(object, last) && object[last] !== null) throw badRequest(`The map path '${path}' must point at a null in 'operations'.`);
  object[last] = upload;
}

function parseJson(name: string, value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    throw badRequest(`The '${name}' field is not valid JSON.`);
  }
}

/** graphql-upload-minimal's Upload, which its Upload scalar recognises; resolved once the file is staged. */
type PendingUpload = Upload & { resolve(file: FileUpload): void };

interface Limits {
  maxFiles: number;
  maxFileSize: number;
  /** Bytes the body may have in all. */
  maxBody: number;
  /** Bytes already reserved for it (its Content-Length), or null: reserve as it comes. */
  declared: number | null;
}

/**
 * Parses the body into the operation with its uploads, each staged in `directory`. Rejects with a
 * Refusal (to answer), ClientGone, or the server's own error. `reserve` takes budget for bytes not
 * covered by a declared length, and returns false when there is none left.
 */
function parse(req: IncomingMessage, directory: string, limits: Limits, reserve: (bytes: number) => boolean): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        defParamCharset: 'utf8',
        // busboy flags a file as cut when it reaches fileSize: one byte more lets a file of exactly the cap through (spool cuts it there).
        limits: { fieldSize: UPLOAD_FIELD_LIMIT, fields: 2, files: limits.maxFiles, fileSize: limits.maxFileSize + 1, headerPairs: 16 },
      });
    } catch {
      return reject(badRequest('The multipart request has no valid boundary in its Content-Type.'));
    }
    let settled = false;
    let received = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, done: TransformCallback) {
        received += chunk.length;
        if (received > limits.maxBody) return done(tooLarge(`The request body is larger than ${limits.maxBody} bytes.`));
        if (limits.declared === null && !reserve(chunk.length)) return done(busy());
        done(null, chunk);
      },
    });
    // A Refusal is answered, ClientGone is not, anything else (a full disk) is the server's own failure.
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      req.unpipe(meter);
      meter.unpipe(parser);
      parser.destroy();
      reject(error);
    };

    let operations: Record<string, unknown> | null = null;
    let mapped = false;
    const uploads = new Map<string, PendingUpload>();
    const arrived = new Set<string>();
    const staging: Promise<void>[] = [];

    parser.on('field', (name, value, info) => {
      if (settled) return;
      try {
        if (info.valueTruncated) throw tooLarge(`The '${name}' field is larger than ${UPLOAD_FIELD_LIMIT} bytes.`);
        if (name === 'operations' && operations === null) {
          const parsed = parseJson(name, value);
          if (!isContainer(parsed) || Array.isArray(parsed)) throw badRequest("The 'operations' field must be one operation, a JSON object.");
          operations = parsed;
        } else if (name === 'map' && operations !== null && !mapped) {
          const map = parseJson(name, value);
          if (!isContainer(map) || Array.isArray(map)) throw badRequest("The 'map' field must be a JSON object.");
          const entries = Object.entries(map);
          if (entries.length > limits.maxFiles) throw badRequest(`At most ${limits.maxFiles} files may be uploaded in one request.`);
          for (const [part, paths] of entries) {
            if (!Array.isArray(paths) || paths.length === 0 || !paths.every((p) => typeof p === 'string')) {
              throw badRequest(`The map entry '${part}' must be a list of paths.`);
            }
            const upload = new Upload() as PendingUpload;
            uploads.set(part, upload);
            for (const path of paths) place(operations, path, upload);
          }
          mapped = true;
        } else {
          throw badRequest(`Unexpected field '${name}': a multipart request has 'operations', then 'map', then the files.`);
        }
      } catch (error) {
        fail(error);
      }
    });

    parser.on('file', (name, stream, info) => {
      const upload = uploads.get(name);
      let problem: Refusal | null = null;
      if (!mapped) problem = badRequest("Files must come after the 'operations' and 'map' fields.");
      else if (!upload) problem = badRequest(`The file part '${name}' is not in the map.`);
      else if (arrived.has(name)) problem = badRequest(`The file part '${name}' comes twice.`);
      if (settled || problem || !upload) {
        stream.resume();
        return fail(problem ?? badRequest(`The file part '${name}' cannot be taken.`));
      }
      arrived.add(name);
      const path = join(directory, String(arrived.size));
      staging.push(
        spool(stream, path, limits.maxFileSize).then(
          (staged) => {
            const file: StagedUpload = {
              filename: info.filename ?? '',
              fieldName: name,
              mimetype: info.mimeType,
              encoding: info.encoding,
              createReadStream: () => createReadStream(staged.path),
              staged,
            };
            upload.resolve(file);
          },
          // Destroying the parser (after a refusal, or when the client went away) ends its file streams with an error too.
          (error: unknown) => fail(req.destroyed ? new ClientGone(String(error)) : error),
        ),
      );
    });

    parser.on('fieldsLimit', () => fail(badRequest("A multipart request has only the 'operations' and 'map' fields before its files.")));
    parser.on('filesLimit', () => fail(badRequest(`At most ${limits.maxFiles} files may be uploaded in one request.`)));
    parser.on('error', (error: Error) => fail(badRequest(`The multipart body is malformed: ${error.message}`)));
    meter.on('error', (error) => fail(error));
    parser.on('finish', () => {
      if (settled) return;
      if (operations === null) return fail(badRequest("The multipart request has no 'operations' field."));
      if (!mapped) return fail(badRequest("The multipart request has no 'map' field."));
      const missing = [...uploads.keys()].filter((part) => !arrived.has(part));
      if (missing.length) return fail(badRequest(`The map names file part${missing.length > 1 ? 's' : ''} ${missing.map((p) => `'${p}'`).join(', ')}, which the request does not contain.`));
      const operation = operations;
      Promise.all(staging).then(
        () => {
          if (settled) return;
          settled = true;
          resolve(operation);
        },
        (error: unknown) => fail(error),
      );
    });
    req.on('close', () => {
      if (!req.complete) fail(new ClientGone('the client closed the connection'));
    });
    req.pipe(meter).pipe(parser);
  });
}

/** Answers a refused request, then reads and drops what is left of its body for a while: a client still sending would miss the answer otherwise. */
function answer(req: IncomingMessage, res: ServerResponse, refusal: Refusal): void {
  if (!res.headersSent) {
    res.writeHead(refusal.status, { 'content-type': 'application/json; charset=utf-8', ...refusal.headers });
    res.end(JSON.stringify({ errors: [{ message: refusal.message, extensions: { code: refusal.code } }] }));
  }
  if (req.complete) return;
  req.resume();
  const timer = setTimeout(() => req.socket.destroy(), LINGER_MS);
  timer.unref();
  req.once('end', () => clearTimeout(timer));
  req.once('close', () => clearTimeout(timer));
}

/**
 * Reads a multipart/form-data request into the operation to execute, its Upload variables staged on
 * disk; or answers it (a refusal, a protocol error) and returns null.
 */
export async function readMultipartRequest(req: IncomingMessage, res: ServerResponse, config: Config): Promise<Record<string, unknown> | null> {
  const budget = budgetFor(config);
  let reserved = 0;
  let directory: string | null = null;
  let ended = false;
  res.once('close', () => {
    ended = true;
    budget.release(reserved);
    reserved = 0;
    if (directory) void rm(directory, { recursive: true, force: true });
  });
  try {
    // Apollo's CSRF check runs later; a cross-site form must not make us stage uploads first.
    if (!req.headers['apollo-require-preflight'] && !req.headers['x-apollo-operation-name']) {
      throw badRequest('Multipart requests need the Apollo-Require-Preflight header (CSRF prevention).');
    }
    const maxBody = uploadRequestLimit(config);
    const declared = contentLength(req);
    if (declared !== null) {
      if (declared > maxBody) throw tooLarge(`The request body is larger than ${maxBody} bytes.`);
      if (!budget.reserve(declared)) throw busy();
      reserved = declared;
    }
    const made = await mkdtemp(join(await uploadRoot(config), 'request-'));
    if (ended) {
      await rm(made, { recursive: true, force: true });
      return null;
    }
    directory = made;
    const reserve = (bytes: number) => {
      if (ended || !budget.reserve(bytes)) return false;
      reserved += bytes;
      return true;
    };
    return await parse(req, made, { maxFiles: config.uploadMaxFiles, maxFileSize: config.uploadMaxFileSize, maxBody, declared }, reserve);
  } catch (error) {
    if (error instanceof Refusal) answer(req, res, error);
    else if (!(error instanceof ClientGone)) throw error;
    return null;
  }
}
