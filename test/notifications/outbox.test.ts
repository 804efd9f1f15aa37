import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { migrateUp, openOrm } from '../../src/db/orm.js';
import { execute, sql } from '../../src/db/sql.js';
import { FileSinkTransport, SmtpTransport } from '../../src/notifications/mail-transport.js';
import { OutboxMessage, OutboxState } from '../../src/notifications/outbox-message.entity.js';
import { enqueueEmail } from '../../src/notifications/outbox.js';
import { defaultOutboxOptions, OutboxWorker } from '../../src/notifications/outbox-worker.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { smtpServer } from '../support/smtp.js';

const fast = { ...defaultOutboxOptions, backoffBaseMs: 1, backoffMaxMs: 5, maxAttempts: 4 };
const log = pino({ level: 'silent' });

describe('e-mail outbox', () => {
  let db: TestDatabase;
  let smtp: Awaited<ReturnType<typeof smtpServer>>;
  const pending = async () => (await execute<{ n: number }>(db.orm.em.fork(), sql`select count(*)::int as n from outbox_messages where state = 'pending'`))[0].n;

  beforeAll(async () => {
    db = await createTestDatabase();
    await migrateUp(db.orm);
    smtp = await smtpServer();
  });
  afterAll(async () => {
    await smtp.close();
    await db.drop();
  });
  beforeEach(async () => {
    smtp.refuse(false);
    smtp.received.length = 0;
    await execute(db.orm.em.fork(), sql`delete from outbox_messages`);
  });

  const enqueue = (n: number, rollback = false) =>
    db.orm.em
      .fork()
      .transactional(async (tx) => {
        for (let i = 0; i < n; i++) enqueueEmail(tx, { recipient: `person${i}@example.org`, subject: `Access approved ${i}`, body: `Hello ${i}`, topic: 'order.approved' });
        if (rollback) throw new Error('the decision failed');
      })
      .catch((e: Error) => {
        if (!rollback) throw e;
      });

  it('sends a committed mail once over SMTP, with the outbox id as Message-ID', async () => {
    await enqueue(1);
    const worker = new OutboxWorker(db.orm, new SmtpTransport(smtp.url, 'Hub <no-reply@hub.example>'), log, fast);
    expect(await worker.runOnce()).toEqual({ sent: 1, failed: 0 });
    expect(await worker.runOnce()).toEqual({ sent: 0, failed: 0 });
    expect(smtp.received).toHaveLength(1);
    expect(smtp.received[0].to).toEqual(['person0@example.org']);
    expect(smtp.received[0].data).toMatch(/Subject: Access approved 0/);
    const [row] = await db.orm.em.fork().find(OutboxMessage, {});
    expect(smtp.received[0].data).toContain(`Message-ID: <${row.id}@hub.example>`);
    expect(row.state).toBe(OutboxState.SENT);
    await worker.stop();
  });

  it('never sends a mail whose transaction rolled back', async () => {
    await enqueue(3, true);
    const worker = new OutboxWorker(db.orm, new SmtpTransport(smtp.url, 'no-reply@hub.example'), log, fast);
    expect(await worker.runOnce()).toEqual({ sent: 0, failed: 0 });
    expect(smtp.received).toHaveLength(0);
  });

  it('retries with backoff while the SMTP server refuses, loses nothing, then delivers exactly once', async () => {
    await enqueue(2);
    const worker = new OutboxWorker(db.orm, new SmtpTransport(smtp.url, 'no-reply@hub.example'), log, { ...fast, maxAttempts: 10 });
    smtp.refuse(true);
    expect(await worker.runOnce()).toEqual({ sent: 0, failed: 2 });
    const [first] = await db.orm.em.fork().find(OutboxMessage, {}, { orderBy: { createdAt: 'asc' } });
    expect(first.attempts).toBe(1);
    expect(first.lastError).toMatch(/mailbox unavailable/);
    expect(first.nextAttemptAt.getTime()).toBeGreaterThan(first.createdAt.getTime());
    await new Promise((r) => setTimeout(r, 20));
    expect((await worker.runOnce()).failed).toBe(2);
    expect(await pending()).toBe(2);
    smtp.refuse(false);
    await new Promise((r) => setTimeout(r, 20));
    expect(await worker.runOnce()).toEqual({ sent: 2, failed: 0 });
    await new Promise((r) => setTimeout(r, 20));
    expect(await worker.runOnce()).toEqual({ sent: 0, failed: 0 });
    expect(smtp.received.map((m) => m.to[0]).sort()).toEqual(['person0@example.org', 'person1@example.org']);
  });

  it('gives up after the last attempt and keeps the mail as dead', async () => {
    await enqueue(1);
    smtp.refuse(true);
    const worker = new OutboxWorker(db.orm, new SmtpTransport(smtp.url, 'no-reply@hub.example'), log, fast);
    for (let i = 0; i < 6; i++) {
      await worker.runOnce();
      await new Promise((r) => setTimeout(r, 10));
    }
    const [row] = await db.orm.em.fork().find(OutboxMessage, {});
    expect(row.state).toBe(OutboxState.DEAD);
    expect(row.attempts).toBe(4);
  });

  it('two workers (two instances on PostgreSQL) share the work and deliver each of 50 mails exactly once', async () => {
    await enqueue(50);
    const other = db.url ? await openOrm({ databaseUrl: db.url }) : db.orm;
    try {
      const a = new OutboxWorker(db.orm, new SmtpTransport(smtp.url, 'no-reply@hub.example'), log, { ...fast, batchSize: 7 });
      const b = new OutboxWorker(other, new SmtpTransport(smtp.url, 'no-reply@hub.example'), log, { ...fast, batchSize: 7 });
      for (let round = 0; round < 20 && (await pending()) > 0; round++) await Promise.all([a.runOnce(), b.runOnce()]);
      const recipients = smtp.received.map((m) => m.to[0]);
      expect(recipients).toHaveLength(50);
      expect(new Set(recipients).size).toBe(50);
    } finally {
      if (other !== db.orm) await other.close(true);
    }
  });

  it('a claim left by a worker that died is taken over once its lease expires', async () => {
    await enqueue(1);
    await execute(db.orm.em.fork(), sql`update outbox_messages set locked_by = 'dead-worker', locked_until = now() + interval '1 hour'`);
    const worker = new OutboxWorker(db.orm, new SmtpTransport(smtp.url, 'no-reply@hub.example'), log, fast);
    expect((await worker.runOnce()).sent).toBe(0);
    await execute(db.orm.em.fork(), sql`update outbox_messages set locked_until = now() - interval '1 second'`);
    expect((await worker.runOnce()).sent).toBe(1);
    expect(smtp.received).toHaveLength(1);
  });

  it('the file sink writes one .eml per mail, and a retry overwrites rather than duplicates', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'hub-mail-')), 'mail');
    const sink = new FileSinkTransport(dir, 'no-reply@hub.example');
    await sink.send({ id: 'abc', to: 'a@example.org', subject: 'Hej', text: 'Body' });
    await sink.send({ id: 'abc', to: 'a@example.org', subject: 'Hej', text: 'Body' });
    expect(readdirSync(dir)).toEqual(['abc.eml']);
    expect(readFileSync(join(dir, 'abc.eml'), 'utf8')).toMatch(/To: a@example.org[\s\S]*Body/);
    expect(existsSync(join(dir, 'abc.eml.tmp'))).toBe(false);
  });

  it('stop() waits for the batch in flight', async () => {
    await enqueue(3);
    let sends = 0;
    const slow = { send: async () => (await new Promise((r) => setTimeout(r, 50)), void sends++), close: () => undefined };
    const worker = new OutboxWorker(db.orm, slow, log, { ...fast, pollMs: 10 });
    worker.start();
    await new Promise((r) => setTimeout(r, 20));
    await worker.stop();
    expect(sends).toBe(3);
    expect(await pending()).toBe(0);
  });
});
