import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateUp } from '../../src/db/orm.js';
import { readOnlyRow } from '../../src/db/read-only-row.js';
import { execute, sql } from '../../src/db/sql.js';
import { seedDemo } from '../../src/demo/demo-seed.js';
import { Grant } from '../../src/grants/grant.entity.js';
import { User } from '../../src/users/user.entity.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/** Read-only rows: what lists hand to resolvers instead of managed entities. */
describe('readOnlyRow', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    await migrateUp(db.orm);
    await seedDemo(db.orm.em.fork(), 'https://dev-issuer.test');
  });
  afterAll(() => db.drop());

  it('should give an instance of the entity with its columns and { id } links, outside the identity map', async () => {
    const em = db.orm.em.fork();
    const [row] = await execute<Record<string, unknown>>(em, sql`select * from grants order by id limit 1`);
    const grant = readOnlyRow(em, Grant, row);
    expect(grant).toBeInstanceOf(Grant);
    expect(grant.id).toBe(row.id);
    expect(grant.state).toBe(row.state);
    expect(grant.validFrom).toBeInstanceOf(Date);
    expect(grant.validFrom.getTime()).toBe(new Date(row.valid_from as string).getTime());
    expect(grant.user).toEqual({ id: row.user_id });
    expect(grant.scope).toEqual({ id: row.scope_id });
    expect(em.getUnitOfWork().getIdentityMap().values()).toHaveLength(0);
  });

  it('should never be written by a flush, whatever is assigned to it', async () => {
    const em = db.orm.em.fork();
    const [row] = await execute<Record<string, unknown>>(em, sql`select * from users order by id limit 1`);
    const user = readOnlyRow(em, User, row);
    user.givenName = 'Changed';
    await em.flush();
    const [again] = await execute<{ given_name: string }>(db.orm.em.fork(), sql`select given_name from users where id = ${row.id}`);
    expect(again.given_name).toBe(row.given_name);
    expect(user.givenName).toBe('Changed');
  });
});
