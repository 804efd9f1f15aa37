import type { UploadFile } from './values.js';

/** Who a request is sent as. */
export type Auth =
  | { kind: 'none' }
  /** A demo person, at their usual assurance level unless `acr` says otherwise. */
  | { kind: 'user'; email: string; acr?: string }
  /** A valid token of a subject the hub does not know. */
  | { kind: 'stranger' }
  /** A token signed by the dev issuer that expired a minute ago. */
  | { kind: 'expired'; email: string }
  /** An Authorization header as given. */
  | { kind: 'header'; value: string };

export type Body =
  | { kind: 'none' }
  | { kind: 'text'; text: string }
  | { kind: 'bytes'; bytes: Buffer }
  /** multipart/form-data as fetch writes it. */
  | { kind: 'form'; parts: { name: string; value: string | UploadFile }[] };

/** One generated request, complete enough to replay by hand. */
export interface FuzzRequest {
  /** For coverage and for grouping failures: "query orders", "mutation orderApprove", "raw malformed-json". */
  label: string;
  /** The root fields asked for (none for raw requests). */
  fields: string[];
  method: string;
  /** Path and query string from the server's root. */
  path: string;
  headers: Record<string, string>;
  auth: Auth;
  body: Body;
  /** How many identical copies are sent at once (a double submit). */
  copies: number;
}

/** About how many bytes a request sends: its path and body (files included). */
export function requestSize(req: FuzzRequest): number {
  const body = req.body;
  const size =
    body.kind === 'text'
      ? Buffer.byteLength(body.text)
      : body.kind === 'bytes'
        ? body.bytes.length
        : body.kind === 'form'
          ? body.parts.reduce((sum, p) => sum + (typeof p.value === 'string' ? Buffer.byteLength(p.value) : p.value.bytes.length), 0)
          : 0;
  return size + req.path.length;
}

/** Stands in for a request where a failure belongs to no single one (a health check, the database). */
export function noRequest(label: string, method = '-', path = '-'): FuzzRequest {
  return { label, fields: [], method, path, headers: {}, auth: { kind: 'none' }, body: { kind: 'none' }, copies: 1 };
}

/** Long runs of one character shown as ⟨c×n⟩, so that a 1 MB string fits a failure message. */
export function squeeze(text: string, max = 2500): string {
  const short = text.replace(/([\s\S])\1{39,}/gu, (run, c: string) => `⟨${JSON.stringify(c).slice(1, -1)}×${[...run].length}⟩`);
  return short.length > max ? `${short.slice(0, max)}… (${short.length} characters in all)` : short;
}

export function authLabel(auth: Auth): string {
  switch (auth.kind) {
    case 'none':
      return 'anonymous';
    case 'user':
      return `${auth.email}${auth.acr ? ` (acr ${auth.acr})` : ''}`;
    case 'stranger':
      return 'an unregistered subject';
    case 'expired':
      return `${auth.email} with an expired token`;
    case 'header':
      return `Authorization: ${squeeze(auth.value, 120)}`;
  }
}

/** The request as a reader can redo it: method, path, caller, headers, body. */
export function describeRequest(req: FuzzRequest): string {
  const headers = Object.entries(req.headers).map(([k, v]) => `${k}: ${squeeze(v, 200)}`);
  let body = '';
  switch (req.body.kind) {
    case 'text':
      body = squeeze(req.body.text);
      break;
    case 'bytes':
      body = `<${req.body.bytes.length} bytes: ${squeeze(req.body.bytes.toString('latin1'), 300)}>`;
      break;
    case 'form':
      body = req.body.parts
        .map((p) => (typeof p.value === 'string' ? `--${p.name}: ${squeeze(p.value)}` : `--${p.name}: file ${JSON.stringify(p.value.filename)} (${p.value.type}, ${p.value.bytes.length} bytes)`))
        .join('\n');
      break;
    case 'none':
  }
  return [`${req.method} ${squeeze(req.path, 400)} as ${authLabel(req.auth)}${req.copies > 1 ? `, ${req.copies} copies at once` : ''}`, ...headers, body].filter(Boolean).join('\n');
}
