import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import type { Context } from 'aws-lambda';

/**
 * Structured logs, metrics and X-Ray tracing with Powertools for AWS Lambda. Service name and metrics namespace
 * come from `POWERTOOLS_SERVICE_NAME` and `POWERTOOLS_METRICS_NAMESPACE`.
 *
 * Powertools is not in the bundles: every function carries the Powertools Lambda layer of the exact version
 * pinned in package.json (src/powertools-layer.ts). Bundled, the Tracer alone (aws-xray-sdk-core) would add
 * ~120 KB to each bundle, over the 250 KB budget; the layer is how Powertools recommends shipping it.
 *
 * Outside Lambda (tests, the load bench) the Tracer disables itself: every call below is then a no-op.
 */

/** An X-Ray subsegment, typed through the Tracer (aws-xray-sdk-core is Powertools' dependency, not ours). */
export type Subsegment = ReturnType<NonNullable<ReturnType<Tracer['getSegment']>>['addNewSubsegment']>;

/** The logging surface the shared code needs; Powertools' Logger satisfies it, tests may pass their own. */
export interface LogSink {
  debug(message: string, ...extra: Record<string, unknown>[]): void;
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

export function createLogger(defaultServiceName: string): Logger {
  return new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? defaultServiceName });
}

export function createMetrics(defaultServiceName: string): Metrics {
  return new Metrics({
    serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? defaultServiceName,
    namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'Payments',
  });
}

export function createTracer(defaultServiceName: string): Tracer {
  return new Tracer({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? defaultServiceName });
}

/** What `lambdaHandler` wires around a handler. */
export interface HandlerObservability {
  readonly tracer: Tracer;
  /** Gets the invocation's Lambda context on every line, and its per-invocation keys reset after it. */
  readonly logger: Logger;
  /** Flushed after every invocation (only when something was added), with the cold-start metric. @default none */
  readonly metrics?: Metrics;
}

/**
 * A Lambda handler wrapped with Powertools' own handler decorators (lambdas/README.md says why the decorators and
 * not middy):
 * - `tracer.captureLambdaHandler`: the invocation runs in a `## <_HANDLER>` subsegment under Lambda's facade segment,
 *   in an X-Ray context of its own, annotated `ColdStart` and `Service`, an error added as metadata. Responses are
 *   never added (`captureResponse: false`): they carry payment data, X-Ray is not the place for it.
 * - `logger.injectLambdaContext`: the Lambda context on every log line; keys appended during the invocation are
 *   removed after it (`resetKeys`).
 *
 * Two pieces stay hand-written, each with the test that needs it:
 * - metrics are published only when the invocation added some (`metrics.logMetrics` publishes always, and an
 *   empty publish logs "No application metrics to publish" on every `GET /payments/{id}`;
 *   payment-processor.test.ts "a read adds no metric and logs no empty-metrics warning");
 * - work still open when the invocation answers is closed as abandoned (`closeAbandoned`;
 *   bundle-tracing.test.ts "work still running ..." and "an AWS SDK call ... closes late").
 */
export function lambdaHandler<E, R>(o: HandlerObservability, fn: (event: E, context: Context) => Promise<R>): (event: E, context: Context) => Promise<R> {
  const { tracer, logger, metrics } = o;
  class Handler {
    @tracer.captureLambdaHandler({ captureResponse: false })
    @logger.injectLambdaContext({ resetKeys: true })
    public async handler(event: E, context: Context): Promise<R> {
      // The `## <handler>` subsegment captureLambdaHandler opened (the current one in this X-Ray context).
      const invocation = tracer.isTracingEnabled() ? tracer.getSegment() : undefined;
      metrics?.captureColdStartMetric();
      try {
        return await fn(event, context);
      } finally {
        // Only when there is something: an empty publish logs a warning on every invocation that adds none.
        if (metrics?.hasStoredMetrics()) metrics.publishStoredMetrics();
        // Before captureLambdaHandler closes the invocation's subsegment: it is sent only once its children are closed.
        if (invocation) closeAbandoned(invocation as Subsegment);
      }
    }
  }
  const instance = new Handler();
  return (event, context) => instance.handler(event, context);
}

/** The invocation's subsegment (captureLambdaHandler's), to flag its outcome; undefined when tracing is off. */
export function invocationSegment(tracer: Tracer): Subsegment | undefined {
  return tracer.isTracingEnabled() ? (tracer.getSegment() as Subsegment | undefined) : undefined;
}

/**
 * Closes (and marks `abandoned`) every descendant of the invocation's subsegment still open when it answers: a probe
 * or request that ran out of time. Powertools has no equivalent: the X-Ray SDK sends a subsegment only once all
 * its children are closed, so the handler subsegment of exactly the slow invocations would never be sent, and the
 * late children would go out under the next invocation's trace id.
 *
 * Each closed child's `close` becomes a no-op: the code that opened it closes it when it finally settles, and the
 * X-Ray SDK's `close` is not idempotent (a second one streams the subsegment again, under whatever trace the
 * shared facade segment then has). `traced` below checks `isClosed()`; the AWS SDK's X-Ray middleware does not,
 * hence the patch (bundle-tracing.test.ts "an AWS SDK call still running ... is sent once").
 */
function closeAbandoned(parent: Subsegment): void {
  for (const child of [...(parent.subsegments ?? [])]) {
    closeAbandoned(child);
    if (child.isClosed()) continue;
    child.addAnnotation('abandoned', true);
    child.close();
    child.close = () => undefined;
  }
}

/**
 * Runs `fn` in its own X-Ray subsegment (`name`, namespace `remote` for calls leaving the function): the
 * subsegment records the error of a failing call and is closed whatever happens. PostgreSQL calls go through
 * here, as the X-Ray SDK does not see them (AWS SDK clients are captured by `tracer.captureAWSv3Client`).
 */
export async function traced<T>(tracer: Tracer | undefined, name: string, fn: () => Promise<T>, annotations: Readonly<Record<string, string>> = {}): Promise<T> {
  if (!tracer?.isTracingEnabled()) return fn();
  // captureAsyncFunc runs `fn` in a context of its own: work running in parallel (the health check's probes)
  // keeps its own parent instead of nesting under whichever subsegment was opened last.
  return tracer.provider.captureAsyncFunc(name, async (subsegment?: Subsegment) => {
    if (subsegment) subsegment.namespace = 'remote';
    for (const [key, value] of Object.entries(annotations)) subsegment?.addAnnotation(key, value);
    try {
      return await fn();
    } catch (err) {
      subsegment?.addError(err as Error);
      throw err;
    } finally {
      // Already closed when the invocation answered without waiting for it (see closeAbandoned).
      if (subsegment && !subsegment.isClosed()) subsegment.close();
    }
  }) as Promise<T>;
}
