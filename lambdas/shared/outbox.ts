/**
 * The transactional outbox of payment events (table `payment_outbox`, migration 3 of the payment processor).
 *
 * A payment and its event row commit in one PostgreSQL transaction, so an accepted payment always has exactly one
 * event row, with an event id derived from the payment id. Publishers send unsent rows to the EventBridge global
 * endpoint and mark them sent:
 * - right after the commit, in the same invocation (the common path: the event leaves within milliseconds), and
 * - in the scheduled sweep (`lambdas/outbox-sweep`), for rows whose first attempt failed or never ran.
 *
 * Claiming is `SELECT … FOR UPDATE SKIP LOCKED` inside the transaction that also marks the row: two publishers
 * never hold the same row, and a row sent and committed is never claimed again. The one window left is a crash
 * between `PutEvents` succeeding and the commit: the row is then sent again, with the **same** event id in the
 * detail (`detail.eventId`), never as a new event. EventBridge assigns its own `id` per `PutEvents` call, so
 * consumers deduplicate on `detail.eventId` (EventBridge user guide: consumers of global endpoints must be
 * idempotent).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { type EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { createHash } from 'node:crypto';
import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { ClientBase } from 'pg';
import { withTimeout } from './async';
import type { Database } from './db';
import { describeError } from './errors';
import { endpointIdFromUrl } from './global-endpoint';

/** PutEvents takes at most 10 entries per call. */
export const MAX_BATCH = 10;

/** Where and how events are published. */
export interface EventTarget {
  /** The bus name, identical in both regions. */
  readonly eventBusName: string;
  /** The global endpoint's id (`abcde.xyz`). */
  readonly endpointId: string;
  /** `source` of every event, e.g. `pay-dev.payments`. */
  readonly source: string;
}

/** One row to write into the outbox. */
export interface OutboxEvent {
  readonly eventId: string;
  readonly paymentId: string;
  /** `detail-type`, e.g. `payment.accepted`. */
  readonly eventType: string;
  readonly detail: Readonly<Record<string, unknown>>;
  readonly occurredAt: Date;
}

/**
 * The stable id of an event of a payment: a UUID (version 8, RFC 9562 custom) from sha256 of the type and the
 * payment id. The same payment always gives the same id, whichever publisher or retry sends it.
 */
export function eventIdFor(eventType: string, paymentId: string): string {
  const b = createHash('sha256').update(`${eventType}\n${paymentId.toLowerCase()}`).digest().subarray(0, 16);
  b[6] = (b[6] & 0x0f) | 0x80;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Writes the event row; call it inside the transaction that writes the payment. */
export async function enqueue(client: ClientBase, event: OutboxEvent): Promise<void> {
  await client.query(
    `INSERT INTO payment_outbox (event_id, payment_id, event_type, detail, occurred_at) VALUES ($1, $2, $3, $4, $5)`,
    [event.eventId, event.paymentId, event.eventType, JSON.stringify(event.detail), event.occurredAt],
  );
}

export interface PublishResult {
  /** Rows this call held (claimed with FOR UPDATE SKIP LOCKED). */
  readonly claimed: number;
  readonly sent: number;
  readonly failed: number;
}

export interface Backlog {
  /** Rows not yet sent. */
  readonly unsent: number;
  /** Age of the oldest unsent row (seconds), 0 when none. */
  readonly oldestAgeSeconds: number;
  /** Highest attempt count among unsent rows. */
  readonly maxAttempts: number;
}

export interface OutboxPublisherProps {
  readonly eventbridge: EventBridgeClient;
  /** Resolved before every batch (the endpoint URL may live in Parameter Store). */
  readonly target: () => Promise<EventTarget>;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Rows per PutEvents call (1-10). @default 10 */
  readonly batchSize?: number;
  /** Timeout of one PutEvents call (the SDK's own retries included). @default 2000 ms */
  readonly sendTimeoutMs?: number;
  /** First retry delay after a failed attempt; doubles per attempt. @default 5 s */
  readonly retryBaseSeconds?: number;
  /** Longest retry delay. @default 300 s */
  readonly retryMaxSeconds?: number;
}

interface OutboxRow {
  event_id: string;
  payment_id: string;
  event_type: string;
  detail: Record<string, unknown>;
  occurred_at: Date;
  attempts: number;
}

/** Sends unsent outbox rows to the global endpoint. Safe to run in any number of places at once. */
export class OutboxPublisher {
  private readonly batchSize: number;
  private readonly sendTimeoutMs: number;
  private readonly retryBaseSeconds: number;
  private readonly retryMaxSeconds: number;

  constructor(private readonly props: OutboxPublisherProps) {
    const batch = props.batchSize ?? MAX_BATCH;
    if (!Number.isInteger(batch) || batch < 1 || batch > MAX_BATCH) {
      throw new Error(`OutboxPublisher: batchSize must be 1-${MAX_BATCH} (PutEvents limit), got ${batch}`);
    }
    this.batchSize = batch;
    this.sendTimeoutMs = props.sendTimeoutMs ?? 2000;
    this.retryBaseSeconds = props.retryBaseSeconds ?? 5;
    this.retryMaxSeconds = props.retryMaxSeconds ?? 300;
  }

  /** Delay before attempt `attempts + 1`: base × 2^(attempts-1), capped. Rows are retried forever, never dropped. */
  retryDelaySeconds(attempts: number): number {
    return Math.min(this.retryMaxSeconds, this.retryBaseSeconds * 2 ** Math.max(0, Math.min(attempts - 1, 30)));
  }

  /**
   * Claims up to one batch of due, unsent rows (only the payment's, when `paymentId` is given), sends them in one
   * `PutEvents` and records the outcome per row, all in one transaction. Never throws for a publishing failure:
   * the rows stay unsent with their next attempt time; database errors propagate.
   */
  async publishBatch(db: Database, paymentId?: string): Promise<PublishResult> {
    const target = await this.props.target(); // before any row is locked
    return db.transaction(async (client) => {
      // The transaction stays open across the PutEvents call. A connection that dies meanwhile emits 'error' on a
      // checked-out client, which pg-pool does not listen to (it would crash the process): swallow it here; the
      // next query fails with "not queryable", the transaction rolls back and the rows stay unsent.
      const ignore = () => undefined;
      client.on('error', ignore);
      try {
        return await this.claimAndSend(client, target, paymentId);
      } finally {
        client.removeListener('error', ignore);
      }
    });
  }

  private async claimAndSend(client: ClientBase, target: EventTarget, paymentId: string | undefined): Promise<PublishResult> {
    const filter = paymentId ? 'AND payment_id = $2' : '';
    const { rows } = await client.query<OutboxRow>(
      `SELECT event_id, payment_id, event_type, detail, occurred_at, attempts
         FROM payment_outbox
        WHERE sent_at IS NULL AND next_attempt_at <= now() ${filter}
        ORDER BY next_attempt_at, created_at
        LIMIT $1
        FOR UPDATE SKIP LOCKED`,
      paymentId ? [this.batchSize, paymentId] : [this.batchSize],
    );
    if (rows.length === 0) return { claimed: 0, sent: 0, failed: 0 };

    const outcomes = await this.send(rows, target);
    let sent = 0;
    for (const [i, row] of rows.entries()) {
      const o = outcomes[i];
      if (o.busEventId) {
        sent++;
        await client.query(
          `UPDATE payment_outbox SET sent_at = now(), bus_event_id = $2, attempts = attempts + 1, last_error = NULL WHERE event_id = $1`,
          [row.event_id, o.busEventId],
        );
      } else {
        const delay = this.retryDelaySeconds(row.attempts + 1);
        await client.query(
          `UPDATE payment_outbox
              SET attempts = attempts + 1, last_error = $2, next_attempt_at = now() + make_interval(secs => $3)
            WHERE event_id = $1`,
          [row.event_id, (o.error ?? 'unknown').slice(0, 1000), delay],
        );
      }
    }
    const failed = rows.length - sent;
    const { metrics, logger } = this.props;
    if (sent > 0) metrics.addMetric('PaymentEventsPublished', MetricUnit.Count, sent);
    if (failed > 0) {
      metrics.addMetric('PaymentEventPublishFailed', MetricUnit.Count, failed);
      logger.warn('payment events not published; they stay in the outbox for the sweep', {
        failed,
        errors: [...new Set(outcomes.map((o) => o.error).filter(Boolean))].slice(0, 3),
      });
    }
    return { claimed: rows.length, sent, failed };
  }

  /** Publishes batches until nothing is due or `deadline` (epoch ms) passes. */
  async drain(db: Database, deadline: number, now: () => number = Date.now): Promise<PublishResult> {
    let claimed = 0;
    let sent = 0;
    let failed = 0;
    while (now() < deadline) {
      const r = await this.publishBatch(db);
      claimed += r.claimed;
      sent += r.sent;
      failed += r.failed;
      // A short batch means nothing else is due; a batch that failed entirely means the endpoint is down.
      if (r.claimed < this.batchSize || r.sent === 0) break;
    }
    return { claimed, sent, failed };
  }

  private async send(rows: readonly OutboxRow[], target: EventTarget): Promise<Array<{ busEventId?: string; error?: string }>> {
    const { eventbridge } = this.props;
    const entries: PutEventsRequestEntry[] = rows.map((r) => ({
      EventBusName: target.eventBusName,
      Source: target.source,
      DetailType: r.event_type,
      Detail: JSON.stringify(r.detail),
      Time: r.occurred_at,
    }));
    try {
      const out = await withTimeout(
        eventbridge.send(new PutEventsCommand({ EndpointId: target.endpointId, Entries: entries }), {
          abortSignal: AbortSignal.timeout(this.sendTimeoutMs),
        }),
        this.sendTimeoutMs,
        'eventbridge',
      );
      // Entries come back in request order; a failed entry has an ErrorCode and no EventId.
      return rows.map((_, i) => {
        const e = out.Entries?.[i];
        return e?.EventId ? { busEventId: e.EventId } : { error: `${e?.ErrorCode ?? 'NoEntry'}: ${e?.ErrorMessage ?? 'no result for this entry'}` };
      });
    } catch (err) {
      const d = describeError(err);
      const error = `${String(d.name ?? 'Error')}: ${String(d.message ?? '')}`;
      return rows.map(() => ({ error }));
    }
  }
}

/** What is waiting in the outbox; a plain read, so it also works on a read-only secondary. */
export async function readBacklog(db: Database): Promise<Backlog> {
  const rows = await db.query<{ unsent: number; oldest_age: number | null; max_attempts: number | null }>(
    `SELECT count(*)::int AS unsent,
            extract(epoch FROM now() - min(created_at))::float8 AS oldest_age,
            max(attempts)::int AS max_attempts
       FROM payment_outbox WHERE sent_at IS NULL`,
  );
  const r = rows[0];
  return { unsent: r.unsent, oldestAgeSeconds: Math.max(0, Math.round(r.oldest_age ?? 0)), maxAttempts: r.max_attempts ?? 0 };
}

/**
 * Where events go, from the function's environment: `PAYMENT_EVENTS_BUS_NAME`, `PAYMENT_EVENTS_SOURCE`, and the
 * global endpoint URL either directly (`PAYMENT_EVENTS_ENDPOINT_URL`) or in a Parameter Store parameter
 * (`PAYMENT_EVENTS_ENDPOINT_PARAMETER`), read through Powertools' `SSMProvider` and cached for `maxAgeSeconds`.
 * The payment function takes the parameter: the endpoint's health check watches that function's own API, so a
 * Terraform reference from the function to the endpoint would be a dependency cycle; and a re-created endpoint
 * (new `activeRegion`) gets a new URL that running containers pick up within the cache time.
 */
export class EventTargetResolver {
  private provider?: SSMProvider;

  constructor(
    private readonly env: Readonly<Record<string, string | undefined>>,
    private readonly ssm: () => SSMClient,
    private readonly maxAgeSeconds = 60,
  ) {}

  /** False when the function has no events configuration (rows then wait for a configured sweep). */
  get configured(): boolean {
    const e = this.env;
    return Boolean(e.PAYMENT_EVENTS_BUS_NAME && e.PAYMENT_EVENTS_SOURCE && (e.PAYMENT_EVENTS_ENDPOINT_URL || e.PAYMENT_EVENTS_ENDPOINT_PARAMETER));
  }

  async get(): Promise<EventTarget> {
    const e = this.env;
    if (!this.configured) {
      throw new Error('PAYMENT_EVENTS_BUS_NAME, PAYMENT_EVENTS_SOURCE and PAYMENT_EVENTS_ENDPOINT_URL or PAYMENT_EVENTS_ENDPOINT_PARAMETER must be set');
    }
    const base = { eventBusName: e.PAYMENT_EVENTS_BUS_NAME as string, source: e.PAYMENT_EVENTS_SOURCE as string };
    if (e.PAYMENT_EVENTS_ENDPOINT_URL) return { ...base, endpointId: endpointIdFromUrl(e.PAYMENT_EVENTS_ENDPOINT_URL) };
    this.provider ??= new SSMProvider({ awsSdkV3Client: this.ssm() });
    // No abort signal in Powertools' provider: a read slower than this is given up (and not cached), not cancelled.
    const url = await withTimeout(this.provider.get(e.PAYMENT_EVENTS_ENDPOINT_PARAMETER as string, { maxAge: this.maxAgeSeconds }), 2000, 'payment events endpoint parameter');
    return { ...base, endpointId: endpointIdFromUrl(url ?? '') };
  }
}
