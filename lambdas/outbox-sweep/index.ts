/**
 * Outbox sweep: every minute (EventBridge schedule), in each region, sends the payment events the payment
 * processor could not send right after its commit (lambdas/shared/outbox.ts).
 *
 * - Reads the backlog first and publishes it as metrics (`OutboxUnsent`, `OutboxOldestUnsentAgeSeconds`), in
 *   either region: a read works on the read-only secondary too, so the DR CLI sees the backlog from both sides.
 * - Sends only from the active site: where this region's designation (ACTIVE_SITE_PARAMETER, lambdas/shared/parameter-names.ts) names
 *   another site, or the database is read-only (the claim fails with "read-only transaction"), it reports
 *   `standby`. The designation is the same second fence the payment function has: an old writer that Aurora has
 *   not fenced yet does not publish its rows. After a failover the new active site's sweep takes over by itself.
 * - Runs any number of times at once without sending a row twice (FOR UPDATE SKIP LOCKED).
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { Context } from 'aws-lambda';
import { classifyDbError, describeError, errorCode } from '../shared/errors';
import { globalEndpointClient } from '../shared/global-endpoint';
import { SSMClient } from '@aws-sdk/client-ssm';
import { type Backlog, EventTargetResolver, OutboxPublisher, type PublishResult, readBacklog } from '../shared/outbox';
import { lambdaHandler } from '../shared/observability';
import { Runtime, type RuntimeDeps } from '../shared/runtime';

export const SERVICE_NAME = 'outbox-sweep';

export interface OutboxSweepDeps extends RuntimeDeps {
  /** @default a SigV4a client for the function's region */
  readonly eventbridge?: EventBridgeClient;
  /** Longest time one run spends sending. @default 40000 ms (the function's timeout is 60 s) */
  readonly budgetMs?: number;
  /** Passed to the publisher (tests). */
  readonly retryBaseSeconds?: number;
}

export interface SweepResult {
  /** `active`: sent what was due; `standby`: the database is a read-only secondary; `no-outbox`: not migrated yet. */
  readonly mode: 'active' | 'standby' | 'no-outbox';
  readonly backlog?: Backlog;
  readonly published?: PublishResult;
}

export type SweepHandler = ((event: unknown, context: Context) => Promise<SweepResult>) & { readonly close: () => Promise<void> };

/** Time kept back from the Lambda timeout. */
const MARGIN_MS = 5000;

export function createHandler(deps: OutboxSweepDeps = {}): SweepHandler {
  const runtime = new Runtime(deps, {
    serviceName: SERVICE_NAME,
    db: { applicationName: SERVICE_NAME, poolMax: 1, connectionTimeoutMillis: 3000, statementTimeoutMillis: 10_000 },
    configTimeoutMs: 3000,
  });
  const { logger, metrics } = runtime;
  const budgetMs = deps.budgetMs ?? 40_000;
  let publisher: OutboxPublisher | undefined;

  let ssm = deps.ssm;
  const target = new EventTargetResolver(runtime.env, () => (ssm ??= runtime.traced(new SSMClient({ region: runtime.region }))));

  function publisherFor(): OutboxPublisher {
    if (!target.configured) throw new Error('PAYMENT_EVENTS_BUS_NAME, PAYMENT_EVENTS_SOURCE and PAYMENT_EVENTS_ENDPOINT_URL or PAYMENT_EVENTS_ENDPOINT_PARAMETER must be set');
    publisher ??= new OutboxPublisher({
      eventbridge: deps.eventbridge ?? runtime.traced(globalEndpointClient(runtime.region)),
      target: () => target.get(),
      logger,
      metrics,
      sendTimeoutMs: 5000,
      retryBaseSeconds: deps.retryBaseSeconds,
    });
    return publisher;
  }

  async function sweep(context: Context): Promise<SweepResult> {
    const db = await runtime.database();
    let backlog: Backlog;
    try {
      backlog = await readBacklog(db);
    } catch (err) {
      if (errorCode(err) !== '42P01') throw err;
      // Not migrated yet (the payment processor migrates on first use): nothing waits; report it so.
      metrics.addMetric('OutboxUnsent', MetricUnit.Count, 0);
      metrics.addMetric('OutboxOldestUnsentAgeSeconds', MetricUnit.Seconds, 0);
      return { mode: 'no-outbox' };
    }
    metrics.addMetric('OutboxUnsent', MetricUnit.Count, backlog.unsent);
    metrics.addMetric('OutboxOldestUnsentAgeSeconds', MetricUnit.Seconds, backlog.oldestAgeSeconds);
    if (backlog.unsent === 0) return { mode: 'active', backlog, published: { claimed: 0, sent: 0, failed: 0 } };

    // Fails closed: an unreadable designation fails the run (OutboxSweepFailed, error log); the backlog metrics
    // above are still published.
    const designation = await runtime.designation(AbortSignal.timeout(2000));
    if (!designation.designated) return { mode: 'standby', backlog };

    const remaining = context.getRemainingTimeInMillis?.() ?? budgetMs + MARGIN_MS;
    const deadline = Date.now() + Math.max(0, Math.min(budgetMs, remaining - MARGIN_MS));
    try {
      const published = await publisherFor().drain(db, deadline);
      logger.info('outbox sweep', { ...backlog, ...published });
      return { mode: 'active', backlog, published };
    } catch (err) {
      if (classifyDbError(err) === 'not-writer') return { mode: 'standby', backlog };
      throw err;
    }
  }

  // Powertools' handler decorators: subsegment, Lambda context, cold-start metric, metrics flush.
  const handler = lambdaHandler({ tracer: runtime.tracer, logger, metrics }, async (_event: unknown, context: Context): Promise<SweepResult> => {
    try {
      const result = await sweep(context);
      runtime.tracer.putAnnotation('mode', result.mode);
      return result;
    } catch (err) {
      logger.error('outbox sweep failed', { error: describeError(err) });
      metrics.addMetric('OutboxSweepFailed', MetricUnit.Count, 1);
      throw err;
    }
  });
  return Object.assign(handler, { close: () => runtime.close() });
}

export const handler = createHandler();
