/**
 * The peer of `npm run bench`: PostGraphile 5 (preset amber, grafserv's node adapter) over the same
 * database, as someone would run it for "GraphQL over PostgreSQL". Started by the bench only.
 *
 * It verifies the same dev-issuer JWT the hub does (jose, the issuer's public key, issuer and audience
 * checked; a verified token is reused by its exact text until it expires, as the hub does) and hands its
 * issuer and subject to PostgreSQL per request (`pgSettings`) under the role `pgl_bench_viewer`, whose
 * row-level security policies (src/scale/postgraphile-rls.ts) scope what it reads.
 */
import { createServer } from 'node:http';
import { importJWK, jwtVerify, type JWTPayload } from 'jose';
import { postgraphile } from 'postgraphile';
import { makePgService } from 'postgraphile/adaptors/pg';
import { grafserv } from 'postgraphile/grafserv/node';
import { PostGraphileAmberPreset } from 'postgraphile/presets/amber';
import { DevIssuer } from '../auth/dev-issuer.js';
import { loadConfig } from '../config.js';
import { PGL_ROLE } from './postgraphile-rls.js';

const config = loadConfig();
if (!config.databaseUrl) throw new Error('PostGraphile needs PostgreSQL: set DATABASE_URL');
const port = Number(process.env.PORT ?? 4403);
const issuer = await DevIssuer.loadOrCreate(config.dataDir, config.devIssuerUrl, config.tokenAudience);
const key = await importJWK(issuer.publicJwk, String(issuer.publicJwk.alg ?? 'ES256'));

const verified = new Map<string, JWTPayload>();
async function claims(authorization: string | undefined): Promise<JWTPayload | null> {
  const token = authorization?.startsWith('Bearer ') ? authorization.slice(7) : null;
  if (!token) return null;
  const known = verified.get(token);
  if (known && (known.exp ?? 0) * 1000 > Date.now()) return known;
  try {
    const { payload } = await jwtVerify(token, key, { issuer: config.devIssuerUrl, audience: config.tokenAudience });
    if (verified.size > 5000) verified.clear();
    verified.set(token, payload);
    return payload;
  } catch {
    return null;
  }
}

const preset: GraphileConfig.Preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [makePgService({ connectionString: config.databaseUrl, schemas: ['public'], poolConfig: { max: 10 } })],
  grafserv: { port, host: '127.0.0.1', graphqlPath: '/graphql', graphiql: false, watch: false },
  grafast: {
    explain: false,
    async context(requestContext) {
      const payload = await claims(requestContext.node?.req.headers.authorization);
      // No verified token: the role with no viewer reads nothing.
      return { pgSettings: { role: PGL_ROLE, 'pgl_bench.issuer': String(payload?.iss ?? ''), 'pgl_bench.subject': String(payload?.sub ?? '') } };
    },
  },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
server.keepAliveTimeout = 5_000;
await serv.addTo(server, false);
server.listen(port, '127.0.0.1', () => console.error(`postgraphile on http://127.0.0.1:${port}/graphql`));
const stop = () => server.close(() => void Promise.resolve(pgl.release()).then(() => process.exit(0)));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
