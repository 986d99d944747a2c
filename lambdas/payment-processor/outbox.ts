/**
 * The payment processor's side of the outbox: the `payment.accepted` event written in the payment's transaction,
 * and one publishing attempt right after the commit.
 *
 * Why publish in the request as well as in the sweep: the event leaves within milliseconds of the commit in the
 * common case (the sweep alone would add up to its schedule interval), and the answer never waits on EventBridge
 * for long (bounded by the send timeout) nor depends on it (failures leave the row for the sweep, which retries
 * with backoff). The sweep covers what the request path cannot: a failed or timed-out send, a container frozen
 * or killed after the commit, a global endpoint that is down.
 */
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { ClientBase } from 'pg';
import type { Database } from '../shared/db';
import { describeError } from '../shared/errors';
import { globalEndpointClient } from '../shared/global-endpoint';
import { SSMClient } from '@aws-sdk/client-ssm';
import { enqueue, eventIdFor, EventTargetResolver, type OutboxEvent, OutboxPublisher } from '../shared/outbox';
import type { Runtime } from '../shared/runtime';
import type { PaymentView } from './index';

export const PAYMENT_ACCEPTED = 'payment.accepted';
/** Version of the event's `detail` schema; consumers branch on it. */
export const PAYMENT_EVENT_SCHEMA_VERSION = 1;

/** The `payment.accepted` event of a payment, as the outbox stores and EventBridge delivers it (`detail`). */
export function paymentAcceptedEvent(payment: PaymentView): OutboxEvent {
  const eventId = eventIdFor(PAYMENT_ACCEPTED, payment.id);
  return {
    eventId,
    paymentId: payment.id,
    eventType: PAYMENT_ACCEPTED,
    occurredAt: new Date(payment.createdAt),
    detail: {
      // EventBridge gives each PutEvents call its own `id`; this one is stable: deduplicate on it.
      eventId,
      eventType: PAYMENT_ACCEPTED,
      schemaVersion: PAYMENT_EVENT_SCHEMA_VERSION,
      occurredAt: payment.createdAt,
      payment,
    },
  };
}

export class PaymentOutbox {
  private readonly target: EventTargetResolver;
  private publisher?: OutboxPublisher;

  constructor(
    private readonly runtime: Runtime,
    private readonly eventbridge?: EventBridgeClient,
    ssm?: SSMClient,
    /** Timeout of the after-commit PutEvents. @default 1500 ms */
    private readonly sendTimeoutMs = 1500,
  ) {
    let client = ssm;
    this.target = new EventTargetResolver(runtime.env, () => (client ??= runtime.traced(new SSMClient({ region: runtime.region }))));
  }

  /** Inside the payment's transaction: the event commits with the payment or not at all. */
  async enqueueAccepted(client: ClientBase, payment: PaymentView): Promise<void> {
    await enqueue(client, paymentAcceptedEvent(payment));
  }

  /** After the commit: one attempt for this payment's unsent event. Never rejects; the sweep retries. */
  async publishAfterCommit(db: Database, paymentId: string): Promise<void> {
    if (!this.target.configured) return;
    try {
      this.publisher ??= new OutboxPublisher({
        eventbridge: this.eventbridge ?? this.runtime.traced(globalEndpointClient(this.runtime.region, { maxAttempts: 1 })),
        target: () => this.target.get(),
        logger: this.runtime.logger,
        metrics: this.runtime.metrics,
        batchSize: 1,
        sendTimeoutMs: this.sendTimeoutMs,
      });
      await this.publisher.publishBatch(db, paymentId);
    } catch (err) {
      this.runtime.logger.warn('payment event not published after commit; the sweep will send it', { paymentId, error: describeError(err) });
    }
  }
}
