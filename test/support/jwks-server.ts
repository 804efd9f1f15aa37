import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';

/**
 * What the identity provider's JWKS endpoint does: serves its keys, is down (connection refused),
 * answers 500, answers JSON that is no usable key set, or never answers.
 */
export type JwksMode = 'serving' | 'down' | 'error' | 'garbage' | 'hanging';

/** A real JWKS endpoint on 127.0.0.1 that can be switched between the modes and counts the requests it got. */
export async function jwksServer(initial: { keys: JWK[]; mode?: JwksMode }) {
  let mode: JwksMode = initial.mode ?? 'serving';
  let body: string | ((res: ServerResponse) => void) = JSON.stringify({ keys: initial.keys });
  let requests = 0;
  const held = new Set<ServerResponse>();
  const server = createServer((_req, res) => {
    requests++;
    if (mode === 'hanging') {
      held.add(res);
      res.on('close', () => held.delete(res));
      return;
    }
    if (mode === 'error') {
      res.writeHead(500, { 'content-type': 'text/plain' });
      return res.end('upstream broke');
    }
    if (mode === 'garbage') {
      // A key set as jose reads one, with the kid in use, but no key material.
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ keys: [{ kty: 'RSA', kid: 'a', use: 'sig' }] }));
    }
    if (typeof body === 'function') return body(res);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  });
  const listen = (port: number) => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const shut = () => {
    for (const res of held) res.destroy();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    return closed;
  };
  await listen(0);
  const port = (server.address() as AddressInfo).port;
  if (mode === 'down') await shut();

  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    /** Requests that reached the endpoint (a refused connection is none). */
    get requests() {
      return requests;
    },
    async switchTo(next: JwksMode) {
      if (next === mode) return;
      const wasDown = mode === 'down';
      mode = next;
      for (const res of held) res.destroy();
      if (next === 'down') await shut();
      if (wasDown) await listen(port);
    },
    /** What `serving` answers: a key set, or a handler writing any response. */
    serve(next: { keys: JWK[] } | ((res: ServerResponse) => void)) {
      body = typeof next === 'function' ? next : JSON.stringify(next);
    },
    close: () => (mode === 'down' ? Promise.resolve() : shut()),
  };
}

export type JwksServer = Awaited<ReturnType<typeof jwksServer>>;

/** An RS256 signing key of a test identity provider, with its public JWK under `kid`. */
export async function signingKey(kid: string) {
  const pair = await generateKeyPair('RS256', { extractable: true });
  const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid, use: 'sig' };
  let serial = 0;
  return {
    kid,
    jwk,
    privateJwk: { ...(await exportJWK(pair.privateKey)), kid } as JWK,
    /** A fresh token (its own jti, so no verified-token cache answers for it). */
    sign(claims: { iss: string; aud: string; sub?: string }, header: { kid?: string } = {}) {
      return new SignJWT({ jti: `${kid}-${++serial}-${Math.random()}` })
        .setProtectedHeader({ alg: 'RS256', kid: header.kid ?? kid })
        .setIssuer(claims.iss)
        .setAudience(claims.aud)
        .setSubject(claims.sub ?? 'someone-new')
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(pair.privateKey);
    },
  };
}

export type SigningKey = Awaited<ReturnType<typeof signingKey>>;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
