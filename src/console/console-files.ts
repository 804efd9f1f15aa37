import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, gzipSync, constants as zlib } from 'node:zlib';

/** One file of the console as it is served: its bytes, compressed once at start-up, and its ETag. */
export interface ConsoleFile {
  path: string;
  contentType: string;
  body: Buffer;
  gzip: Buffer;
  brotli: Buffer;
  etag: string;
  /** Third-party modules and the chart library are named by version: cached for a day, revalidated after. */
  immutable: boolean;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json; charset=utf-8',
};

/** The browser modules the console imports by bare name (the import map in index.html names them). */
const VENDOR: Record<string, string> = {
  'vendor/preact.mjs': 'preact',
  'vendor/preact-hooks.mjs': 'preact/hooks',
  'vendor/htm.mjs': 'htm',
};
const VENDOR_FILES: Record<string, string> = {
  'vendor/uplot.mjs': 'uplot/dist/uPlot.esm.js',
  'vendor/uplot.css': 'uplot/dist/uPlot.min.css',
};

/**
 * The console's own files: src/console/web beside this module when run from src/, else the
 * checkout's src/console/web found above the compiled module (dist/src/console, or a test build's
 * .test-build/<pid>/src/console): tsc copies no static files.
 */
function webDirectory(): string {
  const here = fileURLToPath(new URL('./web/', import.meta.url));
  if (existsSync(here)) return here;
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'src', 'console', 'web');
    if (existsSync(candidate) && statSync(candidate).isDirectory()) return candidate;
  }
  throw new Error(`the console's files (src/console/web) were not found above ${fileURLToPath(import.meta.url)}`);
}

function packageFile(specifier: string): string {
  return fileURLToPath(import.meta.resolve(specifier));
}

function nodeModulesFile(path: string): string {
  // Resolved beside preact, which every install has: the chart library's package exports name no ESM file.
  const preact = packageFile('preact');
  const root = preact.slice(0, preact.lastIndexOf(`${sep}node_modules${sep}`) + `${sep}node_modules${sep}`.length);
  return join(root, path);
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? walk(full) : [full];
  });
}

function file(path: string, body: Buffer, immutable: boolean): ConsoleFile {
  return {
    path,
    contentType: TYPES[extname(path)] ?? 'application/octet-stream',
    body,
    gzip: gzipSync(body, { level: 9 }),
    brotli: brotliCompressSync(body, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11 } }),
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
    immutable,
  };
}

/** Every file of the console, read and compressed once; `/console/<path>` serves exactly these. */
export function loadConsoleFiles(): Map<string, ConsoleFile> {
  const files = new Map<string, ConsoleFile>();
  const web = webDirectory();
  for (const full of walk(web)) {
    const path = relative(web, full).split(sep).join('/');
    files.set(path, file(path, readFileSync(full), false));
  }
  for (const [path, specifier] of Object.entries(VENDOR)) files.set(path, file(path, readFileSync(packageFile(specifier)), true));
  for (const [path, inPackage] of Object.entries(VENDOR_FILES)) files.set(path, file(path, readFileSync(nodeModulesFile(inPackage)), true));
  return files;
}

/** The SHA-256 CSP source of every inline script of a page (the import map), so nothing else inline runs. */
export function inlineScriptHashes(html: string): string[] {
  return [...html.matchAll(/<script[^>]*>([\s\S]*?)<\/script>/g)]
    .map((m) => m[1])
    .filter((body) => body.trim().length > 0)
    .map((body) => `'sha256-${createHash('sha256').update(body).digest('base64')}'`);
}
