import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { Webhook } from 'standardwebhooks';
import { AuditEvent } from '../audit/audit-event.entity.js';
import { Policy } from '../auth/policy.js';
import { Viewer } from '../auth/viewer.js';
import type { Em, Orm } from '../db/orm.js';
import { execute, Sql, sql } from '../db/sql.js';
import { eventsById, readFeed, type FeedEvent } from '../events/event.repository.js';
import { jobContext } from '../jobs/job-context.js';
import { retryDelayMs } from '../notifications/outbox-worker.js';
import { guardedLookup, isPrivateAddress } from './webhook-url.js';
import { DeliveryState, DisabledCause } from './webhook.entity.js';

/** Who the audit trail names when the worker disables a subscription whose receiver is gone. */
export const WEBHOOK_WORKER_ACTOR = 'system:webhook-worker';

export interface WebhookWorkerOptions {
  pollMs: number;
  batchSize: number;
  /** How long a claim lasts; a worker killed mid-delivery leaves it to another after this. */
  leaseMs: number;
  /** Longest one POST may take; shorter than the lease. */
  timeoutMs: number;
  maxAttempts: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Events read per subscription per fan-out. */
  fanOutBatch: number;
  allowPrivateUrls: boolean;
}

/** About three days of retries (5 s doubling to an hour, 80 attempts) outlast a receiver's outage. */
export const defaultWebhookOptions: WebhookWorkerOptions = {
  pollMs: 1_000,
  batchSize: 20,
  leaseMs: 60_000,
  timeoutMs: 10_000,
  maxAttempts: 80,
  backoffBaseMs: 5_000,
  backoffMaxMs: 3_600_000,
  fanOutBatch: 500,
  allowPrivateUrls: false,
};

interface SubscriptionRow {
  id: string;
  client_id: string;
  event_types: string[] | string;
  cursor_tx: string;
  cursor_seq: string;
  service_id: string | null;
  organisation_id: string | null;
  path: string | null;
  name: string;
}

interface ClaimedDelivery {
  id: string;
  subscription_id: string;
  event_id: string;
  attempts: number;
  url: string;
  secret: string;
  previous_secret: string | null;
  previous_secret_until: Date | string | null;
}

export interface WebhookRunResult {
  queued: number;
  delivered: number;
  failed: number;
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error)).slice(0, 1000);
const textArray = (v: string[] | string) => (Array.isArray(v) ? v : v.replace(/^\{|\}$/g, '').split(',').filter(Boolean).map((s) => s.replace(/^"|"$/g, '')));

/** The Standard Webhooks body: type, timestamp and data (the event's subject and data). */
export function webhookBody(event: FeedEvent): string {
  return JSON.stringify({ type: event.type, timestamp: event.occurredAt.toISOString(), data: { subject: event.subject, ...event.data } });
}

/** The signature header: one `v1,…` per valid secret, so receivers holding either verify during a rotation. */
export function signatureHeader(secrets: string[], id: string, at: Date, body: string): string {
  return secrets.map((s) => new Webhook(s).sign(id, at, body)).join(' ');
}

/**
 * Delivers webhooks. Two steps per run, both safe on any number of instances:
 * fan-out reads each subscription's client feed (the same Policy scope as `events(after:)`) past its
 * cursor and queues one delivery per event, subscription rows locked `for update skip locked`;
 * delivery claims due deliveries with a lease (`for update skip locked`), only the oldest pending
 * one per subscription and subject (per-subject order), POSTs outside any transaction, and marks
 * the outcome only while still holding the claim. A worker killed mid-POST loses nothing: the lease
 * runs out and another sends it again with the same webhook-id. Failures back off like the mail
 * outbox; after the last attempt a delivery is a dead letter its client can see and replay. A
 * receiver answering 410 Gone disables its subscription at once (disableGone).
 */
export class WebhookWorker {
  readonly id = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`.slice(-100);
  private readonly options: WebhookWorkerOptions;
  private timer: NodeJS.Timeout | null = null;
  private started = false;
  private stopping = false;
  private running: Promise<WebhookRunResult> | null = null;

  constructor(
    private readonly orm: Orm,
    private readonly log: Logger,
    options: Partial<WebhookWorkerOptions> = {},
  ) {
    this.options = { ...defaultWebhookOptions, ...options };
    if (this.options.timeoutMs >= this.options.leaseMs) throw new Error('webhook lease must be longer than the request timeout');
  }

  start(): void {
    if (this.started || this.stopping) return;
    this.started = true;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /** One fan-out and one delivery batch. The poller calls it; tests call it directly. */
  runOnce(): Promise<WebhookRunResult> {
    if (this.stopping) return Promise.resolve({ queued: 0, delivered: 0, failed: 0 });
    this.running ??= (async () => {
      const queued = await this.fanOut();
      const { delivered, failed } = await this.deliver();
      return { queued, delivered, failed };
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      void jobContext
        .run('webhooks', () => this.runOnce())
        .then(
          (r) => (r.delivered + r.failed >= this.options.batchSize || r.queued > 0 ? 0 : this.options.pollMs),
          (error: unknown) => {
            this.log.error({ err: error }, 'webhook run failed');
            return this.options.pollMs;
          },
        )
        .then((next) => {
          if (!this.stopping) this.schedule(next);
        });
    }, delayMs).unref();
  }

  /** Queues deliveries for new events of every subscription nobody else is fanning out. */
  async fanOut(): Promise<number> {
    const em = this.orm.em.fork();
    return em.transactional(async (tx) => {
      const subs = await execute<SubscriptionRow>(
        tx,
        sql`select s.id, s.client_id, s.event_types, s.cursor_tx::text as cursor_tx, s.cursor_seq::text as cursor_seq,
            c.service_id, c.organisation_id, o.path, c.name
          from webhook_subscriptions s join clients c on c.id = s.client_id left join organisations o on o.id = c.organisation_id
          where s.disabled_at is null and c.suspended_at is null
          for update of s skip locked`,
      );
      let queued = 0;
      for (const s of subs) {
        const viewer = new Viewer(null, null, [], [], null, { id: s.client_id, name: s.name, serviceId: s.service_id, organisationId: s.organisation_id, organisationPath: s.path });
        const page = await readFeed(tx, new Policy(viewer), { after: { tx: s.cursor_tx, seq: s.cursor_seq }, size: this.options.fanOutBatch, types: textArray(s.event_types) });
        if (page.events.length === 0) continue;
        const rows = page.events.map((e) => {
          const [etx, eseq] = Buffer.from(e.cursor, 'base64url').toString('utf8').split(':');
          return sql`(${randomUUID()}, ${s.id}, ${e.id}, ${etx}::bigint, ${eseq}::bigint, ${subjectUuid(e)}, 'pending', 0, now(), now())`;
        });
        await execute(
          tx,
          sql`insert into webhook_deliveries (id, subscription_id, event_id, event_tx, event_seq, subject_id, state, attempts, next_attempt_at, created_at)
            values ${Sql.join(rows, ', ')} on conflict do nothing`,
        );
        const last = Buffer.from(page.endCursor!, 'base64url').toString('utf8').split(':');
        await execute(tx, sql`update webhook_subscriptions set cursor_tx = ${last[0]}::bigint, cursor_seq = ${last[1]}::bigint where id = ${s.id}`);
        queued += page.events.length;
      }
      return queued;
    });
  }

  /** Claims due deliveries (the oldest pending per subscription and subject), POSTs them, marks each. */
  async deliver(): Promise<{ delivered: number; failed: number }> {
    const o = this.options;
    const em = this.orm.em.fork();
    const leaseEnds = performance.now() + o.leaseMs;
    const claimed = await em.transactional((tx) =>
      execute<ClaimedDelivery>(
        tx,
        sql`with claimed as (
            update webhook_deliveries d set locked_by = ${this.id}, locked_until = now() + ${o.leaseMs} * interval '1 millisecond'
            where d.id in (select x.id from webhook_deliveries x join webhook_subscriptions s on s.id = x.subscription_id join clients c on c.id = s.client_id
              where x.state = ${DeliveryState.PENDING} and x.next_attempt_at <= now() and (x.locked_until is null or x.locked_until < now())
                and s.disabled_at is null and c.suspended_at is null
                and not exists (select 1 from webhook_deliveries y where y.subscription_id = x.subscription_id and y.subject_id = x.subject_id
                  and y.state = ${DeliveryState.PENDING} and (y.event_tx, y.event_seq) < (x.event_tx, x.event_seq))
              order by x.event_tx, x.event_seq limit ${o.batchSize} for update of x skip locked)
            returning d.id, d.event_id, d.attempts, d.subscription_id)
          select c.id, c.subscription_id, c.event_id, c.attempts, s.url, s.secret, s.previous_secret, s.previous_secret_until
          from claimed c join webhook_subscriptions s on s.id = c.subscription_id`,
      ),
    );
    const events = await eventsById(em, claimed.map((c) => c.event_id));
    let delivered = 0;
    let failed = 0;
    let next = 0;
    // Subscriptions whose receiver answered 410 Gone in this batch: the rest of their claims go back untouched.
    const gone = new Set<string>();
    const handBack: string[] = [];
    try {
      while (next < claimed.length && !this.stopping && performance.now() + o.timeoutMs < leaseEnds) {
        const d = claimed[next++];
        if (gone.has(d.subscription_id)) {
          handBack.push(d.id);
          continue;
        }
        const event = events.get(d.event_id);
        let outcome: { status: number | null; error: string | null };
        if (!event) outcome = { status: null, error: 'the event was pruned before it could be delivered' };
        else outcome = await this.post(d, event);
        if (outcome.status === 410) {
          gone.add(d.subscription_id);
          await this.disableGone(em, d);
          this.log.warn({ deliveryId: d.id, eventId: d.event_id, subscriptionId: d.subscription_id }, 'webhook receiver answered 410 Gone; subscription disabled');
          failed++;
        } else if (outcome.error === null) {
          await this.mark(em, d, { state: DeliveryState.DELIVERED, status: outcome.status, error: null, delayMs: 0 });
          delivered++;
        } else {
          const attempts = Number(d.attempts) + 1;
          const dead = !event || attempts >= o.maxAttempts;
          await this.mark(em, d, { state: dead ? DeliveryState.DEAD : DeliveryState.PENDING, status: outcome.status, error: outcome.error, delayMs: retryDelayMs(attempts, o) });
          this.log.warn({ deliveryId: d.id, eventId: d.event_id, attempts, status: outcome.status, err: outcome.error, dead }, dead ? 'webhook not delivered; kept as dead letter' : 'webhook not delivered; will retry');
          failed++;
        }
      }
    } finally {
      const rest = [...handBack, ...claimed.slice(next).map((c) => c.id)];
      if (rest.length) {
        await execute(em, sql`update webhook_deliveries set locked_by = null, locked_until = null where id in (${rest}) and locked_by = ${this.id}`).catch((error: unknown) =>
          this.log.warn({ err: error }, 'could not hand back claimed webhooks; retried when the lease ends'),
        );
      }
    }
    return { delivered, failed };
  }

  /**
   * The receiver answered 410 Gone: it wants no more webhooks, so the subscription stops at once, with
   * its cause, reason and audit event, in one transaction. The delivery stays pending (the attempt
   * counted, nothing retried while disabled): re-enabled, the subscription goes on from it, in order.
   */
  private async disableGone(em: Em, d: ClaimedDelivery): Promise<void> {
    const reason = `The receiver answered 410 Gone to event ${d.event_id}.`;
    await em.transactional(async (tx) => {
      await execute(
        tx,
        sql`update webhook_deliveries set attempts = attempts + 1, last_status = 410, last_error = ${reason}, next_attempt_at = now(), locked_by = null, locked_until = null
          where id = ${d.id} and locked_by = ${this.id} and state = ${DeliveryState.PENDING}`,
      );
      const [sub] = await execute<{ organisation_id: string | null; disabled_at: Date | string }>(
        tx,
        sql`update webhook_subscriptions s set disabled_at = now(), disabled_cause = ${DisabledCause.RECEIVER_GONE}, disabled_reason = ${reason}
          from clients c where s.id = ${d.subscription_id} and c.id = s.client_id and s.disabled_at is null
          returning c.organisation_id, s.disabled_at`,
      );
      if (!sub) return;
      tx.create(AuditEvent, {
        actor: null,
        actorIdentity: WEBHOOK_WORKER_ACTOR,
        action: 'webhook.disable',
        targetType: 'WebhookSubscription',
        targetId: d.subscription_id,
        organisation: sub.organisation_id,
        before: { disabledAt: null },
        after: { disabledAt: new Date(sub.disabled_at).toISOString(), disabledCause: DisabledCause.RECEIVER_GONE, lastStatus: 410 },
        reason,
        requestId: null,
      });
    });
  }

  private async mark(em: Em, d: ClaimedDelivery, m: { state: DeliveryState; status: number | null; error: string | null; delayMs: number }): Promise<void> {
    await execute(
      em,
      sql`update webhook_deliveries set state = ${m.state}, attempts = attempts + 1, last_status = ${m.status}, last_error = ${m.error},
          delivered_at = ${m.state === DeliveryState.DELIVERED ? sql`now()` : sql`null`},
          next_attempt_at = now() + ${m.delayMs} * interval '1 millisecond', locked_by = null, locked_until = null
        where id = ${d.id} and locked_by = ${this.id} and state = ${DeliveryState.PENDING}`,
    );
  }

  /** One POST, signed with every secret valid now; 2xx is delivered, 410 disables the subscription, anything else (or no answer in time) a failure. */
  private post(d: ClaimedDelivery, event: FeedEvent): Promise<{ status: number | null; error: string | null }> {
    const body = webhookBody(event);
    const secrets = [d.secret, ...(d.previous_secret && d.previous_secret_until && new Date(d.previous_secret_until) > new Date() ? [d.previous_secret] : [])];
    const at = new Date();
    let url: URL;
    try {
      url = new URL(d.url);
    } catch {
      return Promise.resolve({ status: null, error: 'not a URL' });
    }
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (!this.options.allowPrivateUrls && isIP(host) && isPrivateAddress(host)) return Promise.resolve({ status: null, error: 'private address refused' });
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve) => {
      const req = send(
        url,
        {
          method: 'POST',
          lookup: guardedLookup(this.options.allowPrivateUrls),
          timeout: this.options.timeoutMs,
          headers: {
            'content-type': 'application/json',
            'user-agent': 'identity-hub-webhooks/1',
            'webhook-id': event.id,
            'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
            'webhook-signature': signatureHeader(secrets, event.id, at, body),
          },
        },
        (res) => {
          res.resume();
          const status = res.statusCode ?? 0;
          res.on('end', () => resolve({ status, error: status >= 200 && status < 300 ? null : `HTTP ${status}` }));
          res.on('error', (e) => resolve({ status, error: errorText(e) }));
        },
      );
      const timer = setTimeout(() => req.destroy(new Error(`no answer within ${this.options.timeoutMs} ms`)), this.options.timeoutMs);
      req.on('error', (e) => resolve({ status: null, error: errorText(e) }));
      req.on('close', () => clearTimeout(timer));
      req.end(body);
    });
  }
}

/** The subject's row id, from its global id: deliveries are ordered per subject. */
function subjectUuid(e: FeedEvent): string {
  const decoded = Buffer.from(e.subject.id, 'base64url').toString('utf8');
  return decoded.slice(decoded.indexOf(':') + 1);
}

