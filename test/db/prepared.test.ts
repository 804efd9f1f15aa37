import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgreSqlConnection } from '@mikro-orm/postgresql';
import { openDatabase } from '../../src/app/database.js';
import { migrateUp } from '../../src/db/orm.js';
import { executeRead, positional } from '../../src/db/prepared.js';
import { requestStore } from '../../src/db/request-context.js';
import { execute, Sql, sql, startsWith } from '../../src/db/sql.js';
import { seedDemo } from '../../src/demo/demo-seed.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

describe('positional parameters', () => {
  it('should number the placeholders and pass the values as they are', () => {
    const at = new Date('2026-12-03T10:00:00.000Z');
    expect(positional(sql`select ${1} as a, ${'x?'} as b where t.at > ${at}`)).toEqual({
      text: 'select $1 as a, $2 as b where t.at > $3',
      values: [1, 'x?', '2026-12-03T10:00:00.000Z'],
    });
  });

  it('should make a list after IN one array parameter, and spread any other list', () => {
    expect(positional(sql`t.id in (${['a', 'b', 'c']}) and t.kind not in (${['x']}) and t.n = ${2}`)).toEqual({
      text: 't.id = any($1) and t.kind <> all($2) and t.n = $3',
      values: [['a', 'b', 'c'], ['x'], 2],
    });
    expect(positional(sql`(a, b) in (${[['1', '2'], ['3', '4']]})`)).toEqual({ text: '(a, b) in (($1, $2), ($3, $4))', values: ['1', '2', '3', '4'] });
    expect(positional(sql`coalesce(${['p', 'q']})`)).toEqual({ text: 'coalesce($1, $2)', values: ['p', 'q'] });
  });

  it('should refuse a statement whose placeholders do not match its values', () => {
    expect(() => positional(new Sql('select ?, ?', [1]))).toThrow(/2 placeholders for 1 values/);
  });
});

describe('prepared reads and subtree ranges', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    await migrateUp(db.orm);
    await seedDemo(db.orm.em.fork(), 'https://dev-issuer.test');
  });
  afterAll(() => db.drop());

  it('should answer a read with the same rows as MikroORM, lists, dates and subtree ranges included, and count it', async () => {
    const em = db.orm.em.fork();
    const [root] = await execute<{ path: string }>(em, sql`select path from organisations where depth = 0 order by path limit 1`);
    const ids = (await execute<{ id: string }>(em, sql`select id from users order by id`)).map((r) => r.id);
    const statement = sql`select u.id, u.family_name, e.path from users u join organisations e on e.id = u.employer_id
      where u.id in (${ids}) and u.created_at < ${new Date(Date.now() + 86_400_000)} and ${startsWith(Sql.raw('e.path'), root.path)} order by u.id`;
    const store = { requestId: 't', sqlStatements: 0 };
    const prepared = await requestStore.run(store, () => executeRead(em, statement));
    expect(store.sqlStatements).toBe(1);
    expect(prepared).toEqual(await execute(em, statement));
    expect(prepared.length).toBeGreaterThan(0);
    // Again: the second run reuses the prepared statement (on PostgreSQL) and answers the same.
    expect(await executeRead(em, statement)).toEqual(prepared);
  });

  it('should find by a subtree range exactly what LIKE finds, for every organisation and a prefix of an id', async () => {
    const em = db.orm.em.fork();
    const paths = (await execute<{ path: string }>(em, sql`select path from organisations order by path`)).map((r) => r.path);
    expect(paths.length).toBeGreaterThan(3);
    for (const prefix of [...paths, paths[1].slice(0, -3), `${paths[0]}zz`, '']) {
      const range = await executeRead<{ path: string }>(em, sql`select path from organisations e where ${startsWith(Sql.raw('e.path'), prefix)} order by path`);
      const like = await execute<{ path: string }>(em, sql`select path from organisations where path like ${`${prefix}%`} order by path`);
      expect(range.map((r) => r.path), prefix).toEqual(like.map((r) => r.path));
    }
  });

  it("should read inside a transaction on the transaction's own connection", async () => {
    await db.orm.em.fork().transactional(async (em) => {
      await execute(em, sql`update organisations set name = ${'Inside the transaction'} where depth = 0`);
      const [row] = await executeRead<{ n: number }>(em, sql`select count(*)::int as n from organisations where name = ${'Inside the transaction'}`);
      expect(row.n).toBeGreaterThan(0);
      throw new Error('roll back');
    }).catch((error: Error) => expect(error.message).toBe('roll back'));
    const [after] = await executeRead<{ n: number }>(db.orm.em.fork(), sql`select count(*)::int as n from organisations where name = ${'Inside the transaction'}`);
    expect(after.n).toBe(0);
  });

  it.runIf(Boolean(process.env.DATABASE_URL))('should keep the plan on PostgreSQL: the statement is prepared on its connection', async () => {
    const em = db.orm.em.fork();
    const connection = em.getConnection();
    expect(connection).toBeInstanceOf(PostgreSqlConnection);
    await executeRead(em, sql`select ${'marker'}::text as prepared_marker`);
    // pg-pool hands out its most recently released connection first: the one that just ran the read.
    const pool = await (connection as PostgreSqlConnection).getNativeClient();
    const { rows } = await pool.query<{ n: number }>(`select count(*)::int as n from pg_prepared_statements where statement like '%$1::text as prepared_marker%'`);
    expect(rows[0].n).toBe(1);
  });

  it.runIf(Boolean(process.env.DATABASE_URL))('should prepare nothing where DATABASE_PREPARED_STATEMENTS is off (a pooler in transaction mode)', async () => {
    const orm = await openDatabase({ databaseUrl: db.url, preparedStatements: false });
    try {
      const em = orm.em.fork();
      expect(await executeRead(em, sql`select ${'unprepared'}::text as unprepared_marker`)).toEqual([{ unprepared_marker: 'unprepared' }]);
      const pool = await (em.getConnection() as PostgreSqlConnection).getNativeClient();
      const { rows } = await pool.query<{ n: number }>(`select count(*)::int as n from pg_prepared_statements where statement like '%unprepared_marker%'`);
      expect(rows[0].n).toBe(0);
    } finally {
      await orm.close(true);
    }
  });

  it.runIf(Boolean(process.env.DATABASE_URL))('should answer after a table changed under a kept plan, as after a migration', async () => {
    const em = db.orm.em.fork();
    await execute(em, sql`create table prepared_probe (id int primary key)`);
    await execute(em, sql`insert into prepared_probe values (1)`);
    const read = sql`select * from prepared_probe where id = ${1}`;
    // Prepared on several of the pool's connections at once, then the table gains a column.
    await Promise.all([1, 2, 3].map(() => executeRead(em, read)));
    await execute(em, sql`alter table prepared_probe add column label text default 'new'`);
    expect(await executeRead(em, read)).toEqual([{ id: 1, label: 'new' }]);
    expect(await Promise.all([1, 2, 3].map(() => executeRead(em, read)))).toEqual([1, 2, 3].map(() => [{ id: 1, label: 'new' }]));
  });
});
