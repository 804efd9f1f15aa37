import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateUp, pendingMigrations } from '../../src/db/orm.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

describe('migrations', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    await migrateUp(db.orm);
  });
  afterAll(() => db.drop());

  it('should build exactly the schema the entities describe', async () => {
    const diff = await db.orm.schema.getUpdateSchemaSQL({ wrap: false });
    expect(diff.trim()).toBe('');
  });

  it('should leave nothing for a new migration (a model change needs `npm run migrate -- create <name>`)', async () => {
    expect(await db.orm.migrator.checkSchema()).toBe(false);
  });

  it('should have nothing pending and be idempotent', async () => {
    expect(await pendingMigrations(db.orm)).toEqual([]);
    expect(await migrateUp(db.orm)).toEqual([]);
  });
});
