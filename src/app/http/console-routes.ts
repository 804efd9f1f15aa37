import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config, TrustedIssuerConfig } from '../../config.js';
import { inlineScriptHashes, loadConsoleFiles, type ConsoleFile } from '../../console/console-files.js';
import { errorBody, sendJson } from '../../http/request.js';
import type { Route } from './route.js';

export const CONSOLE_PATH = '/console';

/** The sign-in choices the console offers: the development issuer's pages, and issuers that name a console client. */
export interface ConsoleSignInConfig {
  devIssuer: { issuer: string; name: string; clientId: string; authorizationEndpoint: string; tokenEndpoint: string } | null;
  issuers: { issuer: string; name: string; clientId: string }[];
}

export function consoleSignInConfig(config: Config, devIssuer: TrustedIssuerConfig | null): ConsoleSignInConfig {
  return {
    devIssuer: devIssuer
      ? { issuer: devIssuer.issuer, name: devIssuer.displayName ?? devIssuer.issuer, clientId: 'console', authorizationEndpoint: '/dev-issuer/authorize', tokenEndpoint: '/dev-issuer/token' }
      : null,
    issuers: config.trustedIssuers
      .filter((i) => i.consoleClientId)
      .map((i) => ({ issuer: i.issuer, name: i.displayName ?? i.issuer, clientId: i.consoleClientId! })),
  };
}

/**
 * The web console: static files only (it talks to /graphql and the download routes like any client).
 * Served from memory, compressed once, with a Content-Security-Policy that lets nothing run but the
 * console's own modules and its import map, and connect nowhere but here and the issuers it signs in with.
 */
export function consoleRoutes(config: Config, devIssuer: TrustedIssuerConfig | null): Route[] {
  const files = loadConsoleFiles();
  const signIn = consoleSignInConfig(config, devIssuer);
  files.set('config.json', {
    ...files.get('index.html')!,
    path: 'config.json',
    contentType: 'application/json; charset=utf-8',
    body: Buffer.from(JSON.stringify(signIn)),
    gzip: Buffer.alloc(0),
    brotli: Buffer.alloc(0),
    etag: '',
    immutable: false,
  });
  // Issuers' discovery documents and token endpoints are fetched by the browser; their origins are
  // known only from their `issuer` URL (a discovery document naming other hosts needs them added here).
  const issuerOrigins = [...new Set(signIn.issuers.map((i) => new URL(i.issuer).origin))].join(' ');
  const csp = [
    "default-src 'none'",
    `script-src 'self' ${inlineScriptHashes(files.get('index.html')!.body.toString('utf8')).join(' ')}`,
    "style-src 'self'",
    "img-src 'self' data: blob:",
    `connect-src 'self' ${issuerOrigins}`.trim(),
    "frame-src 'self' blob:",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return [
    {
      name: 'console',
      open: true,
      matches: (method, path) => (method === 'GET' || method === 'HEAD') && (path === CONSOLE_PATH || path.startsWith(`${CONSOLE_PATH}/`)),
      async handle({ req, res, path }) {
        if (path === CONSOLE_PATH) {
          res.writeHead(308, { location: `${CONSOLE_PATH}/` });
          return void res.end();
        }
        const name = path.slice(CONSOLE_PATH.length + 1) || 'index.html';
        const file = files.get(name);
        if (!file) return sendJson(res, 404, errorBody('NOT_FOUND', 'No such file of the console.'));
        serve(req, res, file, csp);
      },
    },
  ];
}

function serve(req: IncomingMessage, res: ServerResponse, file: ConsoleFile, csp: string): void {
  const headers: Record<string, string> = {
    'content-type': file.contentType,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    // Pages and the console's own modules are revalidated every time (cheap with the ETag), so a new
    // release is picked up at once; the vendored libraries change only with the lockfile.
    'cache-control': file.path === 'config.json' ? 'no-store' : file.immutable ? 'public, max-age=86400' : 'no-cache',
    vary: 'accept-encoding',
  };
  if (file.contentType.startsWith('text/html')) headers['content-security-policy'] = csp;
  if (file.etag) {
    headers.etag = file.etag;
    if (req.headers['if-none-match'] === file.etag) {
      res.writeHead(304, headers);
      return void res.end();
    }
  }
  const accepts = String(req.headers['accept-encoding'] ?? '');
  let body = file.body;
  if (file.brotli.length && /\bbr\b/.test(accepts)) {
    body = file.brotli;
    headers['content-encoding'] = 'br';
  } else if (file.gzip.length && /\bgzip\b/.test(accepts)) {
    body = file.gzip;
    headers['content-encoding'] = 'gzip';
  }
  headers['content-length'] = String(body.length);
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
}
