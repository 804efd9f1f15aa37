import type { Orm } from '../../db/orm.js';
import { execute, sql } from '../../db/sql.js';
import { sendJson } from '../../http/request.js';
import type { Route } from './route.js';

/**
 * Liveness and readiness, open to anyone and answered while shutting down: ready means the database
 * answers, every migration of this code is still recorded as applied, and the process is not draining.
 */
export async function healthRoutes(orm: Orm, draining: () => boolean): Promise<Route[]> {
  const appliedMigrations = async () => (await execute<{ n: number }>(orm.em.fork(), sql`select count(*)::int as n from mikro_orm_migrations`))[0].n;
  const expected = await appliedMigrations();

  async function ready(): Promise<{ ok: boolean; detail: string }> {
    if (draining()) return { ok: false, detail: 'shutting down' };
    try {
      if (Number(await appliedMigrations()) < expected) return { ok: false, detail: 'migrations not applied' };
    } catch {
      return { ok: false, detail: 'database unreachable or not migrated' };
    }
    return { ok: true, detail: 'ready' };
  }

  return [
    { name: 'healthz', open: true, matches: (_m, path) => path === '/healthz', handle: ({ res }) => Promise.resolve(sendJson(res, 200, { status: 'ok' })) },
    {
      name: 'readyz',
      open: true,
      matches: (_m, path) => path === '/readyz',
      async handle({ res }) {
        const state = await ready();
        sendJson(res, state.ok ? 200 : 503, { status: state.ok ? 'ready' : 'unavailable', detail: state.detail });
      },
    },
  ];
}
