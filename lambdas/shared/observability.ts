import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

/**
 * Structured logs and metrics with Powertools for AWS Lambda. Service name and metrics namespace come from
 * `POWERTOOLS_SERVICE_NAME` and `POWERTOOLS_METRICS_NAMESPACE`.
 *
 * Tracing: X-Ray active tracing is enabled on the function by the stack (Lambda segment, trace header on
 * AWS SDK calls). Powertools Tracer is not bundled: it pulls in aws-xray-sdk-core and takes the bundle from
 * ~190 KB to ~310 KB, over the 250 KB budget.
 */

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
