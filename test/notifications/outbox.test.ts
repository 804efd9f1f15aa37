import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { migrateUp, type Orm } from '../../src/db/orm.js';
import { openDatabase } from '../../src/app/database.js';
import { execute, sql } from '../../src/db/sql.js';
import { FileSinkTransport, SmtpTransport, type MailMessage, type MailTransport } from '../../src/notifications/mail-transport.js';
import { OutboxMessage, OutboxState } from '../../src/notifications/outbox-message.entity.js';
import { enqueueEmail } from '../../src/notifications/outbox.js';
import { OutboxWorker, type OutboxWorkerOptions } from '../../src/notifications/outbox-worker.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { parseMail, startSmtpServer, type TestSmtpServer } from './smtp-test-server.js';

const log = pino({ level: 'silent' });
const FROM = 'Identity hub <no-reply@hub.example>';
/** Retries due at once unless a test says otherwise; the lease and timeout keep their real relation. */
const quick: Partial<OutboxWorkerOptions> = { backoffBaseMs: 1, backoffMaxMs: 5, maxAttempts: 4, leaseMs: 10_000, sendTimeoutMs: 2_000 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** A promise the test resolves by hand. */
function gate() {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** A transport the test scripts; records every mail handed to it. */
function scripted(send: (m: MailMessage, call: number) => Promise<void>) {
  const calls: MailMessage[] = [];
  let closed = 0;
  const transport: MailTransport = {
    send: (m) => {
      calls.push(m);
      return send(m, calls.length);
    },
    close: () => void closed++,
  };
  return { transport, calls, closed: () => closed };
}

describe('e-mail outbox', () => {
  let db: TestDatabase;
  let smtp: TestSmtpServer;
  const workers: OutboxWorker[] = [];
  const fork = () => db.orm.em.fork();

  const worker = (transport: MailTransport, options: Partial<OutboxWorkerOptions> = {}, orm: Orm = db.orm) => {
    const w = new OutboxWorker(orm, transport, log, { ...quick, ...options });
    workers.push(w);
    return w;
  };
  const smtpWorker = (options: Partial<OutboxWorkerOptions> = {}, url = smtp.url) => worker(new SmtpTransport(url, FROM, 2_000), options);

  const enqueue = async (n: number, recipient = (i: number) => `person${i}@example.org`) => {
    await fork().transactional(async (tx) => {
      for (let i = 0; i < n; i++) enqueueEmail(tx, { recipient: recipient(i), subject: `Access approved ${i}`, body: `Hello ${i},\nyour access is approved.`, topic: 'order.approved' });
    });
  };
  const rows = () => fork().find(OutboxMessage, {}, { orderBy: { createdAt: 'asc', recipient: 'asc' } });
  const count = async (state: OutboxState) => (await execute<{ n: number }>(fork(), sql`select count(*)::int as n from outbox_messages where state = ${state}`))[0].n;
  /** As if every backoff had passed. */
  const makeDue = () => execute(fork(), sql`update outbox_messages set next_attempt_at = now()`);
  /** Milliseconds until each mail's next attempt, by the database's clock. */
  const waits = async () =>
    (await execute<{ ms: number }>(fork(), sql`select (extract(epoch from next_attempt_at - now()) * 1000)::float8 as ms from outbox_messages order by created_at, recipient`)).map((r) => Number(r.ms));

  beforeAll(async () => {
    db = await createTestDatabase();
    await migrateUp(db.orm);
    smtp = await startSmtpServer();
  });
  afterAll(async () => {
    await smtp.close();
    await db.drop();
  });
  beforeEach(async () => {
    smtp.refuse(null);
    smtp.received.length = 0;
    await execute(fork(), sql`delete from outbox_messages`);
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop()));
  });

  describe('enqueueEmail', () => {
    it('writes nothing by itself: the mail is stored only when the caller flushes its transaction', async () => {
      const em = fork();
      const queued = enqueueEmail(em, { recipient: 'a@example.org', subject: 'S', body: 'B', topic: 't' });
      expect(queued.state).toBe(OutboxState.PENDING);
      expect(await fork().count(OutboxMessage, {})).toBe(0);
      await em.flush();
      expect(await fork().count(OutboxMessage, {})).toBe(1);
    });

    it('shortens an over-long subject to the column and keeps it on one line, so the decision still commits', async () => {
      const subject = `Order sent back for changes: ${'Försäkringskassans uppföljningssystem '.repeat(6)}\r\n– ${'Handläggare '.repeat(12)}`;
      await fork().transactional(async (tx) => void enqueueEmail(tx, { recipient: 'a@example.org', subject, body: 'B', topic: 'order.returned' }));
      const [row] = await rows();
      expect(Array.from(row.subject)).toHaveLength(300);
      expect(row.subject).toMatch(/…$/);
      expect(row.subject).not.toMatch(/[\r\n]/);
      expect(subject.length).toBeGreaterThan(300);
    });
  });

  it('delivers a committed mail once over SMTP and records it as sent', async () => {
    await enqueue(1);
    const w = smtpWorker();
    expect(await w.runOnce()).toEqual({ sent: 1, failed: 0 });
    expect(await w.runOnce()).toEqual({ sent: 0, failed: 0 });
    await makeDue();
    expect(await w.runOnce()).toEqual({ sent: 0, failed: 0 });

    expect(smtp.received).toHaveLength(1);
    const [row] = await rows();
    expect(smtp.received[0]).toMatchObject({
      envelopeTo: ['person0@example.org'],
      subject: 'Access approved 0',
      body: 'Hello 0,\nyour access is approved.',
      messageId: `<${row.id}@hub.example>`,
    });
    expect(row).toMatchObject({ state: OutboxState.SENT, attempts: 1, lockedBy: null, lockedUntil: null, lastError: null });
    expect(row.sentAt).toBeInstanceOf(Date);
  });

  it('never delivers a mail whose transaction rolled back, even after it was flushed', async () => {
    await expect(
      fork().transactional(async (tx) => {
        for (let i = 0; i < 3; i++) enqueueEmail(tx, { recipient: `p${i}@example.org`, subject: 'Approved', body: 'B', topic: 'order.approved' });
        await tx.flush();
        throw new Error('the decision failed');
      }),
    ).rejects.toThrow('the decision failed');
    expect(await smtpWorker().runOnce()).toEqual({ sent: 0, failed: 0 });
    expect(await fork().count(OutboxMessage, {})).toBe(0);
    expect(smtp.received).toEqual([]);
  });

  describe.each([
    { failure: 'refuses the recipient', refusal: 'rcpt' as const, error: /mailbox unavailable/ },
    { failure: 'refuses the message after receiving it', refusal: 'data' as const, error: /try again later/ },
    { failure: 'is down', refusal: null, error: /ECONNREFUSED/ },
  ])('while the SMTP server $failure', ({ refusal, error }) => {
    it('retries with growing backoff, loses nothing, and delivers exactly once when it recovers', async () => {
      // A server of its own, so "down" can be a closed port that later opens.
      let server = await startSmtpServer();
      const port = server.port;
      if (refusal) server.refuse(refusal);
      else await server.close();
      try {
        await enqueue(2);
        const base = 400;
        const w = smtpWorker({ backoffBaseMs: base, backoffMaxMs: 100_000, maxAttempts: 10 }, `smtp://127.0.0.1:${port}?tls=off`);
        let previous = { waits: [0, 0], next: [0, 0] };
        for (let attempt = 1; attempt <= 3; attempt++) {
          const attemptsSeen = server.recipientAttempts;
          expect(await w.runOnce()).toEqual({ sent: 0, failed: 2 });
          if (refusal) expect(server.recipientAttempts).toBe(attemptsSeen + 2);
          const stored = await rows();
          expect(stored.map((r) => [r.state, r.attempts, r.lockedBy])).toEqual([
            [OutboxState.PENDING, attempt, null],
            [OutboxState.PENDING, attempt, null],
          ]);
          for (const r of stored) expect(r.lastError).toMatch(error);
          // base·2^(attempt−1), jittered to 75–100 %, less the few milliseconds since it was set.
          const full = base * 2 ** (attempt - 1);
          const now = { waits: await waits(), next: stored.map((r) => r.nextAttemptAt.getTime()) };
          for (const [i, wait] of now.waits.entries()) {
            expect(wait).toBeGreaterThan(0.75 * full - 250);
            expect(wait).toBeLessThanOrEqual(full);
            expect(wait).toBeGreaterThan(previous.waits[i]);
            expect(now.next[i]).toBeGreaterThan(previous.next[i]);
          }
          previous = now;
          // Not due yet: the next run leaves them alone.
          expect(await w.runOnce()).toEqual({ sent: 0, failed: 0 });
          await makeDue();
        }
        expect(server.received).toEqual([]);

        if (refusal) server.refuse(null);
        else server = await startSmtpServer({ port });
        expect(await w.runOnce()).toEqual({ sent: 2, failed: 0 });
        await makeDue();
        expect(await w.runOnce()).toEqual({ sent: 0, failed: 0 });
        expect(server.received.map((m) => m.envelopeTo).sort()).toEqual([['person0@example.org'], ['person1@example.org']]);
        const stored = await rows();
        expect(stored.map((r) => [r.state, r.attempts])).toEqual([
          [OutboxState.SENT, 4],
          [OutboxState.SENT, 4],
        ]);
        // What went wrong before it went through stays visible.
        for (const r of stored) expect(r.lastError).toMatch(error);
      } finally {
        await server.close();
      }
    });
  });

  it('after the last attempt keeps the mail as dead and never sends it, even once the server recovers', async () => {
    await enqueue(1);
    smtp.refuse('rcpt');
    const w = smtpWorker({ maxAttempts: 3 });
    for (let i = 0; i < 3; i++) {
      expect(await w.runOnce()).toEqual({ sent: 0, failed: 1 });
      await makeDue();
    }
    const [row] = await rows();
    expect(row).toMatchObject({ state: OutboxState.DEAD, attempts: 3, lockedBy: null });
    expect(row.lastError).toMatch(/mailbox unavailable/);

    smtp.refuse(null);
    await makeDue();
    expect(await w.runOnce()).toEqual({ sent: 0, failed: 0 });
    expect(smtp.received).toEqual([]);
    expect(await count(OutboxState.DEAD)).toBe(1);
  });

  it('gives up at once on a recipient that is not one address, without contacting the server', async () => {
    await enqueue(1, () => 'freja@nord.dk, mallory@evil.example');
    const before = smtp.recipientAttempts;
    expect(await smtpWorker({ maxAttempts: 10 }).runOnce()).toEqual({ sent: 0, failed: 1 });
    const [row] = await rows();
    expect(row).toMatchObject({ state: OutboxState.DEAD, attempts: 1 });
    expect(row.lastError).toMatch(/not a single e-mail address/);
    expect(smtp.recipientAttempts).toBe(before);
  });

  it(`two workers ${process.env.DATABASE_URL ? '(two server instances on one PostgreSQL)' : '(one PGlite)'} share 50 mails and deliver each exactly once`, async () => {
    await enqueue(50);
    const other = db.url ? await openDatabase({ databaseUrl: db.url }) : db.orm;
    try {
      const a = smtpWorker({ batchSize: 7 });
      const b = worker(new SmtpTransport(smtp.url, FROM, 2_000), { batchSize: 7 }, other);
      const total = { a: 0, b: 0 };
      for (let round = 0; round < 20 && (await count(OutboxState.PENDING)) > 0; round++) {
        const [ra, rb] = await Promise.all([a.runOnce(), b.runOnce()]);
        total.a += ra.sent;
        total.b += rb.sent;
        expect(ra.failed + rb.failed).toBe(0);
      }
      expect(total.a + total.b).toBe(50);
      // Both took part: the claims ran side by side and skipped each other's rows.
      expect(total.a).toBeGreaterThan(0);
      expect(total.b).toBeGreaterThan(0);
      expect(smtp.received).toHaveLength(50);
      expect(new Set(smtp.received.map((m) => m.messageId)).size).toBe(50);
      expect(new Set(smtp.received.map((m) => m.envelopeTo[0])).size).toBe(50);
      expect((await rows()).every((r) => r.state === OutboxState.SENT && r.attempts === 1)).toBe(true);
    } finally {
      await b_stop(other);
    }

    async function b_stop(orm: Orm) {
      await Promise.all(workers.splice(0).map((w) => w.stop()));
      if (orm !== db.orm) await orm.close(true);
    }
  });

  it('a claim left by a worker that crashed is taken over, once, when its lease ends', async () => {
    await enqueue(1);
    // What a worker that died right after claiming leaves behind.
    await execute(fork(), sql`update outbox_messages set locked_by = 'crashed-worker', locked_until = now() + interval '400 milliseconds'`);
    const w = smtpWorker();
    expect(await w.runOnce()).toEqual({ sent: 0, failed: 0 });
    await until(async () => (await w.runOnce()).sent === 1, 'the lease to end');
    expect(smtp.received).toHaveLength(1);
    const [row] = await rows();
    expect(row).toMatchObject({ state: OutboxState.SENT, attempts: 1, lockedBy: null });
  });

  it.runIf(!!process.env.DATABASE_URL)('an instance that dies while sending leaves its mail to another instance after the lease', async () => {
    await enqueue(1);
    const other = await openDatabase({ databaseUrl: db.url });
    const claimed = gate();
    const hangs = scripted(() => (claimed.open(), new Promise<void>(() => undefined)));
    const dying = worker(hangs.transport, { leaseMs: 1_500, sendTimeoutMs: 1_000 }, other);
    const outcome = dying.runOnce().then(
      () => 'finished',
      () => 'failed',
    );
    await claimed.opened;
    // The process dies: its connections are gone, so whatever it does next cannot reach the database.
    await other.close(true);

    const survivor = smtpWorker();
    expect(await survivor.runOnce()).toEqual({ sent: 0, failed: 0 });
    // Whether the dead instance's loop reports its lost connection or only logs it, it must send nothing.
    expect(['finished', 'failed']).toContain(await outcome);
    expect(hangs.calls).toHaveLength(1);
    await until(async () => (await survivor.runOnce()).sent === 1, 'the lease to end');
    expect(smtp.received).toHaveLength(1);
    // MikroORM may reconnect the closed ORM, in which case the dead instance's timed-out send counts as an attempt.
    expect((await rows())[0]).toMatchObject({ state: OutboxState.SENT, lockedBy: null });
    expect([1, 2]).toContain((await rows())[0].attempts);
  });

  it('a worker whose claim passed to another does not overwrite what that one records', async () => {
    await enqueue(2);
    const steal = () => execute(fork(), sql`update outbox_messages set locked_by = 'other-worker', locked_until = now() + interval '1 hour'`);
    const slow = scripted(async (_m, call) => {
      await steal();
      if (call === 2) throw new Error('refused');
    });
    const w = worker(slow.transport);
    expect(await w.runOnce()).toEqual({ sent: 1, failed: 1 });
    for (const r of await rows()) expect(r).toMatchObject({ state: OutboxState.PENDING, attempts: 0, lockedBy: 'other-worker', lastError: null, sentAt: null });
  });

  it('sends only while the lease outlasts a send, and hands the rest of the batch back untried', async () => {
    await enqueue(5);
    const slow = scripted(async () => { await sleep(150); });
    const w = worker(slow.transport, { leaseMs: 700, sendTimeoutMs: 250, batchSize: 5 });
    const first = await w.runOnce();
    expect(first.failed).toBe(0);
    expect(first.sent).toBeGreaterThanOrEqual(1);
    expect(first.sent).toBeLessThanOrEqual(4);
    const untried = (await rows()).filter((r) => r.state === OutboxState.PENDING);
    expect(untried).toHaveLength(5 - first.sent);
    for (const r of untried) expect(r).toMatchObject({ attempts: 0, lockedBy: null, lockedUntil: null });
    // Handed back, not leased: the next run takes them at once.
    await until(async () => (await w.runOnce(), (await count(OutboxState.SENT)) === 5), 'the rest to be sent');
    expect(new Set(slow.calls.map((m) => m.id)).size).toBe(5);
    expect(slow.calls).toHaveLength(5);
  });

  it('counts a send that hangs past the send timeout as a failed attempt', async () => {
    await enqueue(1);
    const hangs = scripted(() => new Promise<void>(() => undefined));
    const started = Date.now();
    expect(await worker(hangs.transport, { sendTimeoutMs: 200, leaseMs: 1_000 }).runOnce()).toEqual({ sent: 0, failed: 1 });
    expect(Date.now() - started).toBeLessThan(900);
    const [row] = await rows();
    expect(row).toMatchObject({ state: OutboxState.PENDING, attempts: 1, lockedBy: null });
    expect(row.lastError).toMatch(/within 200 ms/);
  });

  it('stop() waits for the mail being sent, hands back the rest of the batch, and polls no more', async () => {
    await enqueue(3);
    const release = gate();
    const sending = gate();
    const slow = scripted(async () => {
      sending.open();
      await release.opened;
    });
    const w = worker(slow.transport, { pollMs: 20, batchSize: 3 });
    w.start();
    await sending.opened;
    let stopped = false;
    const stopping = w.stop().then(() => (stopped = true));
    await sleep(100);
    expect(stopped).toBe(false);
    release.open();
    await stopping;

    expect(slow.calls).toHaveLength(1);
    expect(slow.closed()).toBe(1);
    const stored = await rows();
    expect(stored.filter((r) => r.state === OutboxState.SENT).map((r) => r.id)).toEqual([slow.calls[0].id]);
    for (const r of stored.filter((x) => x.state === OutboxState.PENDING)) expect(r).toMatchObject({ attempts: 0, lockedBy: null });
    await sleep(100);
    expect(slow.calls).toHaveLength(1);
    expect(await w.runOnce()).toEqual({ sent: 0, failed: 0 });
  });

  it('start() keeps polling: mail queued later arrives, over a real SMTP server', async () => {
    const w = smtpWorker({ pollMs: 30 });
    w.start();
    await enqueue(2);
    await until(() => smtp.received.length === 2, 'two mails');
    await enqueue(1, () => 'late@example.org');
    await until(() => smtp.received.length === 3, 'the third mail');
    await w.stop();
    expect(smtp.received.map((m) => m.envelopeTo[0]).sort()).toEqual(['late@example.org', 'person0@example.org', 'person1@example.org']);
  });

  it('a full batch polls again at once; otherwise it waits for the poll interval on an unref’d timer', async () => {
    const timers = vi.spyOn(globalThis, 'setTimeout');
    try {
      await enqueue(12);
      const pollMs = 59_999;
      const w = smtpWorker({ pollMs, batchSize: 5 });
      w.start();
      await until(() => smtp.received.length === 12, 'twelve mails in three batches');
      await enqueue(1, () => 'later@example.org');
      await sleep(300);
      expect(smtp.received).toHaveLength(12);
      const polls = timers.mock.results.filter((r, i) => timers.mock.calls[i][1] === pollMs).map((r) => r.value as NodeJS.Timeout);
      expect(polls.length).toBeGreaterThan(0);
      expect(polls.every((t) => !t.hasRef())).toBe(true);
    } finally {
      timers.mockRestore();
    }
  });

  it('through the file sink: one .eml per mail, and a resend after a lost mark replaces its file', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'hub-outbox-')), 'mail');
    await enqueue(3);
    const w = worker(new FileSinkTransport(dir, FROM));
    expect(await w.runOnce()).toEqual({ sent: 3, failed: 0 });
    const stored = await rows();
    expect(readdirSync(dir).sort()).toEqual(stored.map((r) => `${r.id}.eml`).sort());
    // The worker died between handing the mail over and marking it: it goes out again.
    await execute(fork(), sql`update outbox_messages set state = 'pending', sent_at = null where id = ${stored[0].id}`);
    expect(await w.runOnce()).toEqual({ sent: 1, failed: 0 });
    expect(readdirSync(dir)).toHaveLength(3);
    const eml = parseMail(readFileSync(join(dir, `${stored[0].id}.eml`), 'utf8'));
    expect(eml).toMatchObject({ subject: 'Access approved 0', body: 'Hello 0,\nyour access is approved.', messageId: `<${stored[0].id}@hub.example>` });
    expect(eml.headers.get('to')).toBe('person0@example.org');
  });

  it('refuses settings under which a claim could expire during a send', () => {
    const noop = scripted(async () => undefined).transport;
    expect(() => new OutboxWorker(db.orm, noop, log, { leaseMs: 1_000, sendTimeoutMs: 1_000 })).toThrow(/longer than the send timeout/);
    expect(() => new OutboxWorker(db.orm, noop, log, { batchSize: 0 })).toThrow(/batchSize/);
    expect(() => new OutboxWorker(db.orm, noop, log, { backoffBaseMs: 10, backoffMaxMs: 5 })).toThrow(/backoffMaxMs/);
  });
});
