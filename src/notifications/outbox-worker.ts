import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Em, Orm } from '../db/orm.js';
import { execute, sql } from '../db/sql.js';
import { DEFAULT_SEND_TIMEOUT_MS, PermanentMailError, type MailTransport } from './mail-transport.js';
import { OutboxState } from './outbox-message.entity.js';
import { jobContext } from '../jobs/job-context.js';

export interface OutboxWorkerOptions {
  /** Pause between polls when the last one found less than a full batch. */
  pollMs: number;
  batchSize: number;
  /** How long a claim lasts; a worker that dies mid-batch leaves its mail to another after this. */
  leaseMs: number;
  /** Longest one hand-over may take; must be shorter than the lease. */
  sendTimeoutMs: number;
  /** Attempts before a mail is kept as dead. */
  maxAttempts: number;
  /** Delay after the first failure; it doubles per failure up to backoffMaxMs. */
  backoffBaseMs: number;
  backoffMaxMs: number;
}

/** About a day of retries (10 s doubling to an hour, 30 attempts) outlasts a mail server's outage. */
export const defaultOutboxOptions: OutboxWorkerOptions = {
  pollMs: 2_000,
  batchSize: 20,
  leaseMs: 60_000,
  sendTimeoutMs: DEFAULT_SEND_TIMEOUT_MS,
  maxAttempts: 30,
  backoffBaseMs: 10_000,
  backoffMaxMs: 3_600_000,
};

export interface OutboxRunResult {
  sent: number;
  failed: number;
}

/**
 * The wait before the next attempt after `attempts` failures: base·2^(attempts−1), capped at max, then
 * jittered down to 75–100 % so instances that failed together do not retry together. Never above max,
 * and each step still longer than the one before until the cap.
 */
export function retryDelayMs(attempts: number, options: Pick<OutboxWorkerOptions, 'backoffBaseMs' | 'backoffMaxMs'>, random: () => number = Math.random): number {
  const exponential = Math.min(options.backoffMaxMs, options.backoffBaseMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(exponential * (0.75 + 0.25 * random()));
}

interface Claimed {
  id: string;
  recipient: string;
  subject: string;
  body: string;
  topic: string;
  attempts: number;
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error)).slice(0, 1000);

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`mail not handed over within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Sends the outbox. A claim is a short transaction (`for update skip locked`, then a lease in
 * locked_by/locked_until), so several instances share the work; mail is sent outside any transaction and
 * marked only by the worker still holding the claim. A worker sends a mail only while its lease outlasts
 * the send timeout, so a claim never expires under a send in flight. Failures back off exponentially with
 * jitter; after the last attempt the mail is kept as dead for an operator. Delivery is at least once: a
 * crash between the server's acceptance and the mark resends, with the same Message-ID.
 */
export class OutboxWorker {
  /** Stored in locked_by: which process holds a claim. */
  readonly id = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`.slice(-100);
  private readonly options: OutboxWorkerOptions;
  private timer: NodeJS.Timeout | null = null;
  private started = false;
  private stopping = false;
  private readonly inFlight = new Set<Promise<OutboxRunResult>>();

  constructor(
    private readonly orm: Orm,
    private readonly transport: MailTransport,
    private readonly log: Logger,
    options: Partial<OutboxWorkerOptions> = {},
  ) {
    this.options = { ...defaultOutboxOptions, ...options };
    const o = this.options;
    for (const [name, value] of Object.entries(o)) {
      if (!Number.isInteger(value) || value < 1) throw new Error(`outbox ${name} must be a positive integer, got ${value}`);
    }
    if (o.sendTimeoutMs >= o.leaseMs) throw new Error(`outbox lease (${o.leaseMs} ms) must be longer than the send timeout (${o.sendTimeoutMs} ms)`);
    if (o.backoffMaxMs < o.backoffBaseMs) throw new Error('outbox backoffMaxMs must not be below backoffBaseMs');
  }

  /** Polls until stop(); the timer is unref'd so it never keeps the process alive on its own. */
  start(): void {
    if (this.started || this.stopping) return;
    this.started = true;
    this.schedule(0);
  }

  /** Stops polling, lets the mail being sent finish, hands the rest of its batch back, and closes the transport. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await Promise.allSettled([...this.inFlight]);
    this.transport.close?.();
  }

  /** One batch: claim, send, mark. The poller calls it; tests call it directly. */
  async runOnce(): Promise<OutboxRunResult> {
    if (this.stopping) return { sent: 0, failed: 0 };
    const run = this.run();
    this.inFlight.add(run);
    try {
      return await run;
    } finally {
      this.inFlight.delete(run);
    }
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      void jobContext
        .run('outbox', () => this.runOnce())
        // A full batch means more may be due: go again at once instead of waiting a poll.
        .then(
          (r) => (r.sent + r.failed >= this.options.batchSize ? 0 : this.options.pollMs),
          (error: unknown) => {
            this.log.error({ err: error }, 'outbox run failed');
            return this.options.pollMs;
          },
        )
        .then((next) => {
          if (!this.stopping) this.schedule(next);
        });
    }, delayMs).unref();
  }

  private async run(): Promise<OutboxRunResult> {
    const o = this.options;
    const em = this.orm.em.fork();
    // Taken before the claim, so it is no later than the lease the database records (now() + lease).
    const leaseEnds = performance.now() + o.leaseMs;
    const claimed = await em.transactional((tx) =>
      execute<Claimed>(
        tx,
        sql`update outbox_messages set locked_by = ${this.id}, locked_until = now() + ${o.leaseMs} * interval '1 millisecond'
          where id in (select id from outbox_messages where state = ${OutboxState.PENDING} and next_attempt_at <= now()
            and (locked_until is null or locked_until < now()) order by created_at limit ${o.batchSize} for update skip locked)
          returning id, recipient, subject, body, topic, attempts`,
      ),
    );
    let sent = 0;
    let failed = 0;
    let next = 0;
    try {
      while (next < claimed.length && !this.stopping && performance.now() + o.sendTimeoutMs < leaseEnds) {
        const mail = claimed[next++];
        let failure: unknown = null;
        try {
          await withTimeout(
            Promise.resolve().then(() => this.transport.send({ id: mail.id, to: mail.recipient, subject: mail.subject, text: mail.body })),
            o.sendTimeoutMs,
          );
        } catch (error) {
          failure = error ?? new Error('send failed');
        }
        // A failure to mark is not a failure to send: it propagates, and the lease resends later.
        if (failure === null) {
          await this.markSent(em, mail);
          sent++;
        } else {
          await this.markFailed(em, mail, failure);
          failed++;
        }
      }
    } finally {
      // Mail not tried goes back at once rather than after the lease; one whose mark failed keeps its
      // claim, as its outcome is unknown.
      const rest = claimed.slice(next).map((m) => m.id);
      if (rest.length) {
        await execute(em, sql`update outbox_messages set locked_by = null, locked_until = null where id in (${rest}) and locked_by = ${this.id}`).catch((error: unknown) =>
          this.log.warn({ err: error, outboxIds: rest }, 'could not hand back claimed mail; it is retried when the lease ends'),
        );
      }
    }
    return { sent, failed };
  }

  private async markSent(em: Em, mail: Claimed): Promise<void> {
    const rows = await execute(
      em,
      sql`update outbox_messages set state = ${OutboxState.SENT}, sent_at = now(), attempts = attempts + 1, locked_by = null, locked_until = null
        where id = ${mail.id} and locked_by = ${this.id} and state = ${OutboxState.PENDING} returning id`,
    );
    if (rows.length) this.log.info({ outboxId: mail.id, topic: mail.topic, attempts: Number(mail.attempts) + 1 }, 'mail sent');
    else this.log.warn({ outboxId: mail.id, topic: mail.topic }, 'mail sent after its claim passed to another worker');
  }

  private async markFailed(em: Em, mail: Claimed, error: unknown): Promise<void> {
    const o = this.options;
    const attempts = Number(mail.attempts) + 1;
    const dead = attempts >= o.maxAttempts || error instanceof PermanentMailError;
    const delay = retryDelayMs(attempts, o);
    await execute(
      em,
      sql`update outbox_messages set attempts = attempts + 1, state = ${dead ? OutboxState.DEAD : OutboxState.PENDING}, last_error = ${errorText(error)},
          next_attempt_at = now() + ${delay} * interval '1 millisecond', locked_by = null, locked_until = null
        where id = ${mail.id} and locked_by = ${this.id} and state = ${OutboxState.PENDING}`,
    );
    const context = { outboxId: mail.id, topic: mail.topic, attempts, err: error };
    if (dead) this.log.error(context, 'mail not sent; giving up, kept as dead');
    else this.log.warn({ ...context, retryInMs: delay }, 'mail not sent; will retry');
  }
}
