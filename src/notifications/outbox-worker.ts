import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Orm } from '../db/orm.js';
import { execute, sql } from '../db/sql.js';
import type { MailTransport } from './mail-transport.js';

export interface OutboxWorkerOptions {
  pollMs: number;
  batchSize: number;
  /** How long a claim lasts; a worker that dies mid-send leaves its mail to another after this. */
  leaseMs: number;
  maxAttempts: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
}

export const defaultOutboxOptions: OutboxWorkerOptions = {
  pollMs: 2_000,
  batchSize: 20,
  leaseMs: 60_000,
  maxAttempts: 8,
  backoffBaseMs: 5_000,
  backoffMaxMs: 3_600_000,
};

interface Claimed {
  id: string;
  recipient: string;
  subject: string;
  body: string;
  attempts: number;
}

/**
 * Sends the outbox. Claims are short transactions with `for update skip locked` and a lease, so
 * several instances share the work and each mail is sent by one; a mail is marked sent only by the
 * worker still holding its claim. Failures back off exponentially with jitter; after the last
 * attempt the mail is kept as dead for an operator.
 */
export class OutboxWorker {
  readonly id = `outbox-${randomUUID()}`;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private stopped = false;

  constructor(
    private readonly orm: Orm,
    private readonly transport: MailTransport,
    private readonly log: Logger,
    private readonly options: OutboxWorkerOptions = defaultOutboxOptions,
  ) {}

  start(): void {
    this.stopped = false;
    const tick = () => {
      if (this.stopped) return;
      this.running = this.runOnce()
        .catch((error: unknown) => this.log.error({ err: error }, 'outbox run failed'))
        .finally(() => {
          this.running = null;
          if (!this.stopped) this.timer = setTimeout(tick, this.options.pollMs).unref();
        });
    };
    this.timer = setTimeout(tick, 0).unref();
  }

  /** Stops polling and waits for the batch in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    this.transport.close();
  }

  async runOnce(): Promise<{ sent: number; failed: number }> {
    const em = this.orm.em.fork();
    const claimed = await em.transactional((tx) =>
      execute<Claimed>(
        tx,
        sql`update outbox_messages set locked_by = ${this.id}, locked_until = now() + ${this.options.leaseMs} * interval '1 millisecond'
          where id in (select id from outbox_messages where state = 'pending' and next_attempt_at <= now()
            and (locked_until is null or locked_until < now()) order by created_at limit ${this.options.batchSize} for update skip locked)
          returning id, recipient, subject, body, attempts`,
      ),
    );
    let sent = 0;
    let failed = 0;
    for (const mail of claimed) {
      try {
        await this.transport.send({ id: mail.id, to: mail.recipient, subject: mail.subject, text: mail.body });
        await execute(
          em,
          sql`update outbox_messages set state = 'sent', sent_at = now(), attempts = attempts + 1, locked_by = null, locked_until = null, last_error = null
            where id = ${mail.id} and locked_by = ${this.id}`,
        );
        sent++;
      } catch (error) {
        failed++;
        const attempts = Number(mail.attempts) + 1;
        const dead = attempts >= this.options.maxAttempts;
        const delay = Math.min(this.options.backoffMaxMs, this.options.backoffBaseMs * 2 ** (attempts - 1)) * (0.8 + Math.random() * 0.4);
        await execute(
          em,
          sql`update outbox_messages set attempts = ${attempts}, state = ${dead ? 'dead' : 'pending'}, last_error = ${String((error as Error).message ?? error).slice(0, 1000)},
            next_attempt_at = now() + ${Math.round(delay)} * interval '1 millisecond', locked_by = null, locked_until = null
            where id = ${mail.id} and locked_by = ${this.id}`,
        );
        this.log.warn({ outboxId: mail.id, attempts, dead, err: error }, 'mail not sent');
      }
    }
    return { sent, failed };
  }
}
