import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type Orm } from '../../src/db/orm.js';
import { openDatabase } from '../../src/app/database.js';

/**
 * A throw-away database for one test file: an in-memory PGlite by default, or a fresh database on
 * the PostgreSQL server named by DATABASE_URL (created here, dropped at the end).
 */
export interface TestDatabase {
  orm: Orm;
  kind: 'pglite' | 'postgresql';
  /** The connection URL when on PostgreSQL (a second server process can share it). */
  url: string | undefined;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    const orm = await openDatabase({ pgliteDataDir: 'memory://' });
    return { orm, kind: 'pglite', url: undefined, drop: () => orm.close(true) };
  }
  const name = `hub_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database "${name}"`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const orm = await openDatabase({ databaseUrl: url.toString() });
  return {
    orm,
    kind: 'postgresql',
    url: url.toString(),
    async drop() {
      await orm.close(true);
      const again = new pg.Client({ connectionString: serverUrl });
      await again.connect();
      await again.query(`drop database if exists "${name}" with (force)`);
      await again.end();
    },
  };
}

/** A second connection pool to the same PostgreSQL database, as a second server process would have. */
export async function shareDatabase(db: TestDatabase): Promise<TestDatabase> {
  if (!db.url) throw new Error('only a PostgreSQL database can be shared by two server instances');
  const orm = await openDatabase({ databaseUrl: db.url });
  return { orm, kind: 'postgresql', url: db.url, drop: () => orm.close(true) };
}
