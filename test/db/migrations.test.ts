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

  it('should create every trigger the report summaries, the viewer cache and the events depend on', async () => {
    // The entities no longer declare triggers (the diff ignores them), so this is what notices a lost one.
    const rows = await db.orm.em.getConnection().execute<{ name: string }[]>(
      `select tgname as name from pg_trigger where not tgisinternal order by 1`,
    );
    const authorization = ['employments', 'federated_identities', 'issuer_administrators', 'issuer_mandates', 'orderer_appointments',
      'organisations', 'placements', 'routines', 'services', 'users'].map((t) => `${t}_authorization_changed`);
    expect(rows.map((r) => r.name)).toEqual(
      expect.arrayContaining([...authorization, 'grants_summary_insert_delete', 'grants_summary_update', 'users_summary_employer',
        // The events every change writes for the services (src/events).
        'events_stamp', 'grants_events', 'employments_events', 'users_events', 'organisations_events', 'issuer_mandates_events']),
    );
  });

  it('should have nothing pending and be idempotent', async () => {
    expect(await pendingMigrations(db.orm)).toEqual([]);
    expect(await migrateUp(db.orm)).toEqual([]);
  });
});
