import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

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
  // Responses are never added as metadata (they carry payment data; X-Ray is not the place for it): the handlers
  // use the manual pattern below, not captureLambdaHandler, and annotate only the status code.
  return new Tracer({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? defaultServiceName });
}

/**
 * Runs one invocation in a `## <handler>` subsegment under Lambda's facade segment (Powertools' manual
 * instrumentation pattern; the facade segment itself cannot carry annotations), with the cold start and the
 * service as annotations. `fn` gets the subsegment (undefined when tracing is off) to flag the outcome.
 *
 * The subsegment runs in an X-Ray context of its own (`captureAsyncFunc`), so work it leaves behind cannot
 * attach to the next invocation's subsegment. Work still running when the invocation answers (a probe or
 * request that ran out of time) is closed with it and annotated `abandoned`: the X-Ray SDK sends a subsegment
 * only once all its children are closed, so the handler subsegment of exactly the slow invocations would
 * otherwise never be sent, and the late children would go out under the next invocation's trace id.
 */
export async function inHandlerSubsegment<T>(tracer: Tracer, handlerName: string | undefined, fn: (subsegment?: Subsegment) => Promise<T>): Promise<T> {
  const facade = tracer.isTracingEnabled() ? tracer.getSegment() : undefined;
  if (!facade) return fn(undefined);
  const run = async (subsegment?: Subsegment): Promise<T> => {
    try {
      tracer.annotateColdStart();
      tracer.addServiceNameAnnotation();
      return await fn(subsegment);
    } catch (err) {
      tracer.addErrorAsMetadata(err as Error);
      throw err;
    } finally {
      if (subsegment) {
        closeAbandoned(subsegment);
        if (!subsegment.isClosed()) subsegment.close();
      }
    }
  };
  return tracer.provider.captureAsyncFunc(`## ${handlerName ?? 'index.handler'}`, run, facade) as Promise<T>;
}

/** Closes (and marks `abandoned`) every descendant still open; their late completion sends nothing more. */
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
