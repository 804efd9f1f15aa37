import { errorsOf, type Answer } from './client.js';
import type { LogLine } from './fuzz-hub.js';
import { requestSize, type FuzzRequest } from './request.js';

/** One broken rule for one answer. */
export interface Violation {
  /** What rule broke, short: "HTTP 500", "INTERNAL_SERVER_ERROR", "internal text in an error". */
  rule: string;
  detail: string;
}

/** Text of the server's insides that must never reach a client: stack frames, SQL errors, file paths. */
const INTERNALS = /\n\s+at \S|node_modules|\.[jt]s:\d+|violates .* constraint|duplicate key value|syntax error at or near|invalid byte sequence|invalid input syntax|PGlite|MikroORM|DriverException|\bErrno\b|ECONNREFUSED/i;

/** Answers that took longer than this are a failure: a request must not hold the server. */
export const SLOW_MS = Number(process.env.FUZZ_SLOW_MS ?? 10_000);
/** How much bigger than its request a refusal may be: more is an amplifier for anyone who can send requests. */
const REFUSAL_SLACK = 64 * 1024;

/**
 * The rules every answer keeps, whatever was asked: no 5xx (a 503 or 429 only with Retry-After), no
 * INTERNAL_SERVER_ERROR, no internals in messages, JSON when it says JSON, an answer in time, and a
 * refusal not much bigger than the request.
 */
export function check(req: FuzzRequest, answer: Answer): Violation[] {
  if (answer.failure) return [{ rule: 'no answer', detail: answer.failure }];
  const found: Violation[] = [];
  const retryAfter = answer.headers?.get('retry-after');
  if (answer.status >= 500 && !(answer.status === 503 && retryAfter)) found.push({ rule: `HTTP ${answer.status}`, detail: answer.text.slice(0, 300) });
  if ((answer.status === 429 || answer.status === 503) && !retryAfter) found.push({ rule: `HTTP ${answer.status} without Retry-After`, detail: answer.text.slice(0, 300) });
  const type = answer.headers?.get('content-type') ?? '';
  if (/json/i.test(type) && answer.body === undefined && req.method !== 'HEAD') found.push({ rule: 'an answer labelled JSON that is not JSON', detail: answer.text.slice(0, 300) });
  for (const error of errorsOf(answer.body)) {
    const code = error.extensions?.code;
    if (code === 'INTERNAL_SERVER_ERROR') found.push({ rule: 'INTERNAL_SERVER_ERROR', detail: JSON.stringify(error).slice(0, 300) });
    const text = `${String(error.message)} ${JSON.stringify(error.extensions ?? {})}`;
    if (INTERNALS.test(text)) found.push({ rule: 'internal text in an error', detail: text.slice(0, 300) });
  }
  const isGraphQL = req.path.startsWith('/graphql') && answer.status === 200 && /json/i.test(type);
  if (isGraphQL && answer.body !== undefined && !errorsOf(answer.body).length && (answer.body as { data?: unknown } | null | undefined)?.data === undefined) {
    found.push({ rule: 'a 200 GraphQL answer with neither data nor errors', detail: answer.text.slice(0, 300) });
  }
  if (errorsOf(answer.body).length && (answer.body as { data?: unknown }).data == null && answer.text.length > requestSize(req) + REFUSAL_SLACK) {
    found.push({ rule: 'a refusal much bigger than its request', detail: `${answer.text.length} bytes back for ${requestSize(req)} sent: ${answer.text.slice(0, 200)}` });
  }
  if (answer.ms > SLOW_MS) found.push({ rule: `slower than ${SLOW_MS} ms`, detail: `${Math.round(answer.ms)} ms` });
  return found;
}

/** The error lines the server logged for a request, in one line. */
export function serverErrorOf(lines: LogLine[]): string {
  return lines
    .filter((l) => l.level >= 50)
    .map((l) => [l.msg, l.err?.type, l.err?.message?.split('\n')[0]].filter(Boolean).join(': '))
    .join(' | ');
}

/** The same bug seen with other ids, numbers and values reads the same. */
export function normalise(text: string): string {
  return text
    // Every syntax error is the same failure whatever the parser tripped on.
    .replace(/^Syntax Error: [\s\S]*/, 'Syntax Error: …')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<uuid>')
    .replace(/"[^"]*"/g, '"…"')
    .replace(/\d+/g, '<n>')
    .slice(0, 200);
}
