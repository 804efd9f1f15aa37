import type { Readable } from 'node:stream';
import type { FileUpload } from 'graphql-upload-minimal';
import { ProblemCode } from '../domain/errors.js';
import { Problems } from '../domain/problems.js';
import { isStaged } from '../domain/upload-spool.js';

/**
 * Reading an import file (CSV or JSON) into rows with their line numbers, within size limits. A
 * building block: it knows columns by name, nothing of organisations or people, so every bulk import
 * (organisations, people) reads its file the same way and names lines the same way.
 */

/** One record of the file: its values by column, and the line it starts on (for errors). */
export interface ImportRow<C extends string> {
  line: number;
  values: Record<C, string>;
}

export interface ImportFile<C extends string> {
  format: 'csv' | 'json';
  rows: ImportRow<C>[];
}

export interface ReadOptions<C extends string> {
  /** Column names as the rows carry them; files may spell them in any case, with spaces, hyphens or underscores. */
  columns: readonly C[];
  /** Columns a file must have (CSV header, or every JSON object may leave them out when empty). */
  required: readonly C[];
  maxBytes: number;
  maxRows: number;
  /** The field errors name: ["input", "file"] for GraphQL, ["file"] for the CLI. */
  field: string[];
  /** Told the bytes read so far, as they come. */
  onBytes?: (bytes: number) => void;
}

/** The field naming one line and column of the file, as per-row errors carry it. */
export const lineField = (field: string[], line: number, column?: string): string[] => [...field, String(line), ...(column ? [column] : [])];

const normalise = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, '');

/** Reads the whole source (at most maxBytes) and parses it; a broken file is a ProblemsFound naming the line. */
export async function readImportFile<C extends string>(source: Readable | Buffer | FileUpload, options: ReadOptions<C>): Promise<ImportFile<C>> {
  const bytes = Buffer.isBuffer(source) ? source : await readCapped(streamOf(source, options), options);
  if (bytes.length > options.maxBytes) throw tooLarge(options);
  let text = bytes.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '') throw Problems.single(ProblemCode.FILE_EMPTY, options.field, 'The file is empty.');
  if (text.includes('\uFFFD')) throw Problems.single(ProblemCode.FILE_TYPE_NOT_ALLOWED, options.field, 'The file is not UTF-8 text.');
  const json = /^\s*[[{]/.test(text);
  const rows = json ? parseJson(text, options) : parseCsv(text, options);
  if (rows.length > options.maxRows) throw Problems.single(ProblemCode.INVALID, options.field, `The file has ${rows.length} rows; at most ${options.maxRows} are read at once.`);
  return { format: json ? 'json' : 'csv', rows };
}

function tooLarge(options: { maxBytes: number; field: string[] }) {
  return Problems.single(ProblemCode.FILE_TOO_LARGE, options.field, `The file is larger than ${options.maxBytes} bytes.`);
}

/** An upload's bytes; one the multipart reader already cut at its size cap is too large as it stands. */
function streamOf(source: Readable | FileUpload, options: { maxBytes: number; field: string[] }): Readable {
  if (!('createReadStream' in source)) return source;
  if (isStaged(source) && (source.staged.truncated || source.staged.size > options.maxBytes)) throw tooLarge(options);
  return source.createReadStream();
}

async function readCapped(stream: Readable, options: ReadOptions<string>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  let over = false;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    // Keep reading (and dropping) past the cap: an upload's stream must be drained.
    if (size > options.maxBytes) over = true;
    else chunks.push(chunk);
    options.onBytes?.(size);
  }
  if (over || (stream as Readable & { truncated?: boolean }).truncated) throw tooLarge(options);
  return Buffer.concat(chunks);
}

/** Maps the file's column names to ours; unknown columns are an error (a typo would silently drop data). */
function columnsOf<C extends string>(names: string[], line: number, options: ReadOptions<C>): (C | null)[] {
  const known = new Map(options.columns.map((c) => [normalise(c), c]));
  const problems = new Problems();
  const mapped = names.map((name) => {
    const column = known.get(normalise(name));
    if (!column && name.trim() !== '') problems.add(ProblemCode.INVALID, lineField(options.field, line), `Line ${line}: unknown column "${name.slice(0, 64)}" (expected ${options.columns.join(', ')}).`);
    return column ?? null;
  });
  for (const c of options.required) {
    if (!mapped.includes(c)) problems.add(ProblemCode.REQUIRED, lineField(options.field, line), `Line ${line}: the column ${c} is missing.`);
  }
  problems.throwIfAny();
  return mapped;
}

/**
 * RFC 4180 CSV: a header line, then one record per line; fields quoted with " may hold the separator,
 * quotes ("") and line breaks. The separator is the header's: comma, or semicolon (spreadsheets set to
 * Swedish or Danish write those).
 */
function parseCsv<C extends string>(text: string, options: ReadOptions<C>): ImportRow<C>[] {
  const firstLine = text.slice(0, text.search(/\r?\n|$/));
  const separator = (firstLine.match(/;/g)?.length ?? 0) > (firstLine.match(/,/g)?.length ?? 0) ? ';' : ',';
  const records: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  let fieldStarted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
    } else if (ch === '"' && !fieldStarted) {
      quoted = true;
      fieldStarted = true;
    } else if (ch === separator) {
      fields.push(field);
      field = '';
      fieldStarted = false;
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      fields.push(field);
      records.push({ line: start, fields });
      fields = [];
      field = '';
      fieldStarted = false;
      line++;
      start = line;
    } else {
      field += ch;
      fieldStarted = true;
    }
  }
  if (quoted) throw Problems.single(ProblemCode.INVALID, lineField(options.field, start), `Line ${start}: a quoted field is never closed.`);
  if (fieldStarted || fields.length) {
    fields.push(field);
    records.push({ line: start, fields });
  }
  const [header, ...body] = records;
  const columns = columnsOf(header.fields, header.line, options);
  const problems = new Problems();
  const rows: ImportRow<C>[] = [];
  for (const record of body) {
    if (record.fields.length === 1 && record.fields[0].trim() === '') continue;
    if (record.fields.length !== columns.length) {
      problems.add(ProblemCode.INVALID, lineField(options.field, record.line), `Line ${record.line}: ${record.fields.length} fields, the header has ${columns.length}.`);
      continue;
    }
    const values = Object.fromEntries(options.columns.map((c) => [c, ''])) as Record<C, string>;
    columns.forEach((c, i) => {
      if (c) values[c] = record.fields[i].trim();
    });
    rows.push({ line: record.line, values });
  }
  problems.throwIfAny();
  return rows;
}

/** A JSON array of objects (or `{ "rows": [...] }`); each row's line is where its object starts. */
function parseJson<C extends string>(text: string, options: ReadOptions<C>): ImportRow<C>[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const at = /position (\d+)/.exec(String((error as Error).message));
    const line = at ? lineAt(text, Number(at[1])) : 1;
    throw Problems.single(ProblemCode.INVALID, lineField(options.field, line), `Line ${line}: the file is not valid JSON.`);
  }
  const list = Array.isArray(parsed) ? parsed : (parsed as { rows?: unknown }).rows;
  if (!Array.isArray(list)) throw Problems.single(ProblemCode.INVALID, options.field, 'A JSON import is an array of objects (or { "rows": [...] }).');
  const lines = objectLines(text, Array.isArray(parsed) ? 1 : 2);
  const problems = new Problems();
  const rows: ImportRow<C>[] = [];
  const known = new Map(options.columns.map((c) => [normalise(c), c]));
  list.forEach((item, i) => {
    const line = lines[i] ?? 1;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      problems.add(ProblemCode.INVALID, lineField(options.field, line), `Line ${line}: a row is an object.`);
      return;
    }
    const values = Object.fromEntries(options.columns.map((c) => [c, ''])) as Record<C, string>;
    for (const [key, value] of Object.entries(item as Record<string, unknown>)) {
      const column = known.get(normalise(key));
      if (!column) problems.add(ProblemCode.INVALID, lineField(options.field, line), `Line ${line}: unknown field "${key.slice(0, 64)}".`);
      else if (value === null || value === undefined) values[column] = '';
      else if (typeof value === 'string' || typeof value === 'number') values[column] = String(value).trim();
      else problems.add(ProblemCode.INVALID, lineField(options.field, line, column), `Line ${line}: ${column} is text.`);
    }
    rows.push({ line, values });
  });
  problems.throwIfAny();
  return rows;
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text[i] === '\n') line++;
  return line;
}

/** The line each object at nesting `depth` (1: the top array's items) starts on, in order. */
function objectLines(text: string, depth: number): number[] {
  const lines: number[] = [];
  let level = 0;
  let line = 1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\n') line++;
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '{' || ch === '[') {
      if (level === depth && ch === '{') lines.push(line);
      level++;
    } else if (ch === '}' || ch === ']') level--;
  }
  return lines;
}
