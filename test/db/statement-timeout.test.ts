import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/app/database.js';

describe('statement timeout', () => {
  it('should cancel a statement that runs past STATEMENT_TIMEOUT_MS on PostgreSQL (PGlite has one connection and no pool to starve)', async () => {
    const url = process.env.DATABASE_URL;
    const orm = await openDatabase(url ? { databaseUrl: url, statementTimeoutMs: 200 } : { pgliteDataDir: 'memory://', statementTimeoutMs: 200 });
    try {
      const slow = orm.em.fork().getConnection().execute('select pg_sleep(0.6)');
      if (url) await expect(slow).rejects.toThrow(/statement timeout/);
      else await expect(slow).resolves.toBeDefined();
    } finally {
      await orm.close(true);
    }
  });
});
