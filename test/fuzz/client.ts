import type { FuzzHub } from './fuzz-hub.js';
import type { Auth, FuzzRequest } from './request.js';

/** What came back for one request (status 0: nothing came back). */
export interface Answer {
  status: number;
  headers: Headers | null;
  text: string;
  /** The body parsed as JSON; undefined when it is not JSON. */
  body: unknown;
  ms: number;
  /** The id the server gave the request (ours, unless it refused the one we sent). */
  requestId: string;
  /** Why no answer came: a timeout, a reset connection. */
  failure?: string;
}

export interface GraphQLError {
  message?: unknown;
  extensions?: { code?: unknown; [key: string]: unknown };
}

export function errorsOf(body: unknown): GraphQLError[] {
  const errors = (body as { errors?: unknown } | null | undefined)?.errors;
  return Array.isArray(errors) ? (errors as GraphQLError[]) : [];
}

async function authorization(hub: FuzzHub, auth: Auth): Promise<string | undefined> {
  switch (auth.kind) {
    case 'none':
      return undefined;
    case 'user':
      return `Bearer ${await hub.token(auth.email, auth.acr ? { acr: auth.acr } : {})}`;
    case 'stranger':
      return `Bearer ${await hub.token('stranger@fuzz.example', { acr: 'high' })}`;
    case 'expired':
      return `Bearer ${await hub.token(auth.email, { ttlSeconds: -60 })}`;
    case 'header':
      return auth.value;
  }
}

function bodyOf(req: FuzzRequest): RequestInit['body'] {
  switch (req.body.kind) {
    case 'none':
      return undefined;
    case 'text':
      return req.body.text;
    case 'bytes':
      return new Uint8Array(req.body.bytes);
    case 'form': {
      const form = new FormData();
      for (const part of req.body.parts) {
        if (typeof part.value === 'string') form.append(part.name, part.value);
        else form.append(part.name, new Blob([new Uint8Array(part.value.bytes)], { type: part.value.type }), part.value.filename);
      }
      return form;
    }
  }
}

/** Sends a request (all its copies at once) over real HTTP and reads every answer in full. */
export async function send(hub: FuzzHub, req: FuzzRequest, requestId: string, timeoutMs: number): Promise<Answer[]> {
  const auth = await authorization(hub, req.auth);
  const one = async (id: string): Promise<Answer> => {
    const headers = new Headers(req.headers);
    if (!headers.has('x-request-id')) headers.set('x-request-id', id);
    if (auth !== undefined) headers.set('authorization', auth);
    const started = performance.now();
    try {
      // Joined as text: new URL('//graphql', base) would read the path as another host.
      const res = await fetch(`${new URL(hub.url).origin}${req.path}`, { method: req.method, headers, body: bodyOf(req), redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
      const text = await res.text();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      return { status: res.status, headers: res.headers, text, body, ms: performance.now() - started, requestId: res.headers.get('x-request-id') ?? id };
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      return { status: 0, headers: null, text: '', body: undefined, ms: performance.now() - started, requestId: id, failure: `${(error as Error).name}: ${(error as Error).message}${cause ? ` (${cause.code ?? cause.message})` : ''}` };
    }
  };
  return Promise.all(Array.from({ length: req.copies }, (_, i) => one(req.copies > 1 ? `${requestId}.${i}` : requestId)));
}

/** A plain GraphQL call for the set-up, failing loudly on any error. */
export async function call<T>(hub: FuzzHub, email: string | null, query: string, variables: Record<string, unknown> = {}, acr?: string): Promise<T> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (email) headers.authorization = `Bearer ${await hub.token(email, acr ? { acr } : {})}`;
  const res = await fetch(hub.url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as { data?: T; errors?: unknown[] };
  if (body.errors || !body.data) throw new Error(`set-up call failed: ${query.slice(0, 80)}: ${JSON.stringify(body.errors)}`);
  return body.data;
}

/** The same as a multipart upload of files at variable paths ("input.requestForm"). */
export async function callWithFiles<T>(
  hub: FuzzHub,
  email: string,
  query: string,
  variables: Record<string, unknown>,
  files: Record<string, { bytes: Buffer; filename: string }>,
  acr?: string,
): Promise<T> {
  const form = new FormData();
  form.append('operations', JSON.stringify({ query, variables }));
  form.append('map', JSON.stringify(Object.fromEntries(Object.keys(files).map((path, i) => [String(i), [`variables.${path}`]]))));
  Object.values(files).forEach((f, i) => form.append(String(i), new Blob([new Uint8Array(f.bytes)], { type: 'application/pdf' }), f.filename));
  const res = await fetch(hub.url, {
    method: 'POST',
    headers: { 'apollo-require-preflight': 'true', authorization: `Bearer ${await hub.token(email, acr ? { acr } : {})}` },
    body: form,
  });
  const body = (await res.json()) as { data?: T; errors?: unknown[] };
  if (body.errors || !body.data) throw new Error(`set-up upload failed: ${query.slice(0, 80)}: ${JSON.stringify(body.errors)}`);
  return body.data;
}
