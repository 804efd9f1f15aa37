import { mkdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DefaultLogger, type LogContext, type LoggerOptions, type Options } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import { MikroORM as PgliteORM } from '@mikro-orm/pglite';
import { btree_gist } from '@electric-sql/pglite/contrib/btree_gist';
import { MikroORM as PostgresORM } from '@mikro-orm/postgresql';
import type { EntityManager, MikroORM } from '@mikro-orm/sql';
import type { Logger as Pino } from 'pino';
import { requestStore } from './request-context.js';
import { withoutPreparedStatements } from './prepared.js';

export type Orm = MikroORM;
export type Em = EntityManager;

/** Where this code runs from: the project root under tsx, `dist/` when compiled (`npm run build`). */
const codeRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Running the compiled JavaScript in dist/ rather than the TypeScript sources. */
export const compiled = basename(codeRoot) === 'dist';
export const projectRoot = compiled ? dirname(codeRoot) : codeRoot;
/** The migrations' TypeScript sources (and the schema snapshot they are generated against). */
export const migrationsPath = join(projectRoot, 'migrations');

/** Counts every statement against the request that issued it, and sends SQL to the app log at debug. */
class CountingLogger extends DefaultLogger {
  constructor(
    options: LoggerOptions,
    private readonly pino: Pino | undefined,
  ) {
    super(options);
  }

  override logQuery(context: LogContext): void {
    const store = requestStore.getStore();
    if (store && !/^\s*(begin|commit|rollback|savepoint|release)/i.test(context.query ?? '')) store.sqlStatements++;
    if (context.level === 'error') this.pino?.warn({ sql: context.query, took: context.took }, 'sql failed');
    else if (this.pino?.isLevelEnabled('trace')) this.pino.trace({ sql: context.query, took: context.took }, 'sql');
  }
}

export interface DatabaseTarget {
  /** Every persisted entity (the list is assembled in src/app/entities.ts, which knows the concepts). */
  entities: NonNullable<Options['entities']>;
  /** postgres://… to use a PostgreSQL server; undefined for the embedded PGlite. */
  databaseUrl?: string;
  /** PostgreSQL statement_timeout for every connection of the pool (0: none). */
  statementTimeoutMs?: number;
  /** PGlite data directory, or "memory://" for a throw-away database. */
  pgliteDataDir?: string;
  /** PostgreSQL: list reads as named prepared statements, their plans kept (src/db/prepared.ts); default on. */
  preparedStatements?: boolean;
}

export function ormOptions(target: DatabaseTarget, log?: Pino): Partial<Options> {
  const common: Partial<Options> = {
    entities: target.entities,
    extensions: [Migrator],
    migrations: {
      path: compiled ? join(codeRoot, 'migrations') : migrationsPath,
      pathTs: migrationsPath,
      glob: compiled ? '!(*.d).js' : '!(*.d).{js,ts}',
      transactional: true,
      allOrNothing: true,
      snapshot: true,
      snapshotOnMigrate: false,
      snapshotName: '.snapshot',
      silent: true,
    },
    // Triggers and their functions are written in the migrations that create them, not on the
    // entities: the schema diff must neither propose to drop them nor ask for them on the entities.
    schemaGenerator: { ignoreTriggers: true },
    preferTs: !compiled,
    allowGlobalContext: false,
    forceUtcTimezone: true,
    debug: ['query'],
    loggerFactory: (options) => new CountingLogger(options, log),
    pool: { min: 0, max: 10 },
  };
  if (target.databaseUrl) {
    // node-postgres sets these on every connection it opens. The hub answers many small requests at
    // once: JIT compilation (tens of ms, triggered by large row estimates) and parallel workers (each
    // a process start) cost more than the work they would speed up, and take cores from other requests.
    const driverOptions = {
      ...(target.statementTimeoutMs ? { statement_timeout: target.statementTimeoutMs } : {}),
      options: '-c jit=off -c max_parallel_workers_per_gather=0',
    };
    return { ...common, clientUrl: target.databaseUrl, driverOptions };
  }
  const dataDir = target.pgliteDataDir ?? 'memory://';
  if (!dataDir.startsWith('memory://')) mkdirSync(dataDir, { recursive: true });
  // btree_gist backs the exclusion constraint of one grant in force per person, role and scope.
  return { ...common, dbName: dataDir, driverOptions: { extensions: { btree_gist } } };
}

/** Opens the database: a PostgreSQL server when a URL is given, the embedded PGlite otherwise. */
export async function openOrm(target: DatabaseTarget, log?: Pino): Promise<Orm> {
  const options = ormOptions(target, log);
  const orm = target.databaseUrl ? await PostgresORM.init(options as never) : await PgliteORM.init(options as never);
  if (target.preparedStatements === false) withoutPreparedStatements(orm.em.getConnection());
  return orm;
}

export async function migrateUp(orm: Orm): Promise<string[]> {
  const done = await orm.migrator.up();
  return done.map((m) => m.name);
}

export async function pendingMigrations(orm: Orm): Promise<string[]> {
  const pending = await orm.migrator.getPending();
  return pending.map((m) => m.name);
}
