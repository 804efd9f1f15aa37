// The console's only ways to the hub: POST /graphql (JSON or multipart uploads) and the public GET routes.
import { token } from './auth.js';

export class ApiError extends Error {
  constructor(message, extensions = {}) {
    super(message);
    this.code = extensions.code;
    this.extensions = extensions;
  }
  get stepUp() {
    return this.code === 'STEP_UP_REQUIRED' || this.extensions.reason === 'STEP_UP_REQUIRED';
  }
}

const listeners = new Set();
/** Called with every ApiError that needs the person (sign-in expired, step-up). */
export function onAuthProblem(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function headers(extra = {}) {
  const bearer = token();
  return { accept: 'application/graphql-response+json, application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}), ...extra };
}

async function answer(res) {
  const body = await res.json().catch(() => null);
  const error = body?.errors?.[0];
  if (error || !body?.data) {
    const problem = new ApiError(error?.message ?? `The hub answered ${res.status}.`, error?.extensions ?? { code: res.status === 401 ? 'UNAUTHENTICATED' : 'HTTP_' + res.status });
    if (problem.stepUp || problem.code === 'UNAUTHENTICATED') for (const l of listeners) l(problem);
    throw problem;
  }
  return body.data;
}

export async function gql(query, variables = {}) {
  return answer(await fetch('/graphql', { method: 'POST', headers: headers({ 'content-type': 'application/json' }), body: JSON.stringify({ query, variables }) }));
}

/** A GraphQL multipart request: `files` maps variable paths ("input.attachments.0.file") to File objects. */
export async function upload(query, variables, files) {
  const form = new FormData();
  const paths = Object.keys(files);
  form.append('operations', JSON.stringify({ query, variables }));
  form.append('map', JSON.stringify(Object.fromEntries(paths.map((p, i) => [String(i), [`variables.${p}`]]))));
  paths.forEach((p, i) => form.append(String(i), files[p], files[p].name));
  // The header makes the request non-simple, as Apollo's CSRF prevention asks of uploads.
  return answer(await fetch('/graphql', { method: 'POST', headers: headers({ 'apollo-require-preflight': 'true' }), body: form }));
}

/** A document or CSV of the public routes, fetched with the bearer token, as an object URL. */
export async function download(path) {
  const res = await fetch(path, { headers: headers() });
  if (!res.ok) throw new ApiError(`The hub answered ${res.status}.`, { code: 'HTTP_' + res.status });
  return URL.createObjectURL(await res.blob());
}

/** The userErrors of a payload as one message each. */
export function problemsOf(payload) {
  return (payload?.userErrors ?? []).map((e) => e.message);
}
