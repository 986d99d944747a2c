import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import type { Context } from 'aws-lambda';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { memoizeSuccess, withTimeout } from './async';
import { loadRuntimeConfig, type RuntimeConfig } from './config';
import { Database, type DbOptions } from './db';
import { ACTIVE_SITE_PARAMETER_ENV, type Designation, DesignationReader, designationOf } from './designation';
import { ApiError, describeError, TimeoutError, TRANSIENT_RETRY_AFTER_SECONDS } from './errors';
import {
  type AlbEvent,
  type AlbResult,
  type ApiEvent,
  type ApiResult,
  errorResponse,
  fromAlbEvent,
  type HttpEvent,
  isAlbEvent,
  jsonResponse,
  presentsApiKey,
  toAlbResult,
} from './http';
import { createLogger, createMetrics, createTracer, invocationSegment, lambdaHandler } from './observability';
import { DbCredentials } from './secrets';

/**
 * What a handler factory can be given instead of the defaults (tests, the load benchmark). Everything is
 * optional; the exported `handler` of each function uses none of it.
 */
export interface RuntimeDeps {
  /**
   * Environment (`CONFIG_PATH`, `AWS_REGION`).
   * @default process.env
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * The runtime configuration.
   * @default read once from Parameter Store under `CONFIG_PATH`
   */
  readonly config?: RuntimeConfig;
  /** @default a client for the function's region */
  readonly ssm?: SSMClient;
  /** @default a client for the function's region (the DR region reads its replica of the secret) */
  readonly secretsManager?: SecretsManagerClient;
  /** Pool, TLS and timeout settings. @default TLS with certificate verification, Lambda-sized pool */
  readonly db?: DbOptions;
  /** @default a Powertools Logger for `POWERTOOLS_SERVICE_NAME` */
  readonly logger?: Logger;
  /** @default a Powertools Metrics for `POWERTOOLS_METRICS_NAMESPACE` */
  readonly metrics?: Metrics;
  /** @default a Powertools Tracer (active in Lambda, a no-op elsewhere) */
  readonly tracer?: Tracer;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** How long the client key read from Secrets Manager is trusted before it is read again (Powertools `maxAge`). @default 300 s */
  readonly apiKeyMaxAgeSeconds?: number;
}

/** How long a client-key read may take (the request waits for it on a cold start). */
const API_KEY_TIMEOUT_MS = 2000;

/** Per-container resources shared by the invocations of one handler: config, credentials, pool. */
export class Runtime {
  public readonly env: Readonly<Record<string, string | undefined>>;
  public readonly region: string;
  public readonly logger: Logger;
  public readonly metrics: Metrics;
  public readonly tracer: Tracer;
  public readonly now: () => Date;
  private readonly configCache: { get(): Promise<RuntimeConfig> };
  private readonly databaseCache: { get(): Promise<Database> };
  private ssmClient?: SSMClient;
  private secretsClient?: SecretsManagerClient;
  private secretsProvider?: SecretsProvider;
  private db?: Database;
  private readonly designationReader: DesignationReader;

  constructor(
    private readonly deps: RuntimeDeps,
    defaults: { readonly serviceName: string; readonly db: DbOptions; readonly configTimeoutMs: number },
  ) {
    this.env = deps.env ?? process.env;
    this.region = this.env.AWS_REGION ?? this.env.AWS_DEFAULT_REGION ?? 'unknown';
    this.logger = deps.logger ?? createLogger(defaults.serviceName);
    this.metrics = deps.metrics ?? createMetrics(defaults.serviceName);
    this.tracer = deps.tracer ?? createTracer(defaults.serviceName);
    this.now = deps.now ?? (() => new Date());
    this.configCache = memoizeSuccess(async () => {
      if (deps.config) return deps.config;
      // Powertools' provider takes no abort signal: a read that outlives the timeout is given up (and retried on
      // the next call), not cancelled.
      const provider = new SSMProvider({ awsSdkV3Client: this.ssm() });
      const config = await withTimeout(loadRuntimeConfig(provider, this.env.CONFIG_PATH ?? ''), defaults.configTimeoutMs, 'configuration');
      this.logger.info('runtime configuration loaded', { configPath: this.env.CONFIG_PATH, regionRole: config.regionRole });
      return config;
    });
    this.designationReader = new DesignationReader(() => this.ssm(), this.env[ACTIVE_SITE_PARAMETER_ENV], () => this.now().getTime());
    const dbOptions: DbOptions = { ...defaults.db, ...(deps.db ?? {}) };
    this.databaseCache = memoizeSuccess(async () => {
      const config = await this.config();
      this.db = new Database({
        host: config.dbClusterEndpoint,
        database: config.dbName,
        secrets: new DbCredentials(this.secrets(), config.dbSecretName),
        options: dbOptions,
        log: this.logger,
        tracer: this.tracer,
      });
      return this.db;
    });
  }

  /** The runtime configuration, loaded once per container (a failed load is retried on the next call). */
  config(): Promise<RuntimeConfig> {
    return this.configCache.get();
  }

  database(): Promise<Database> {
    return this.databaseCache.get();
  }

  /**
   * Whether this site is the designated active site: this region's `ACTIVE_SITE_PARAMETER` (cached <= 5 s)
   * against the site in the runtime configuration. Throws when either cannot be read (callers fail closed).
   */
  async designation(abortSignal?: AbortSignal): Promise<Designation> {
    const [config, activeSite] = await Promise.all([this.config(), this.designationReader.activeSite(abortSignal)]);
    return designationOf(config.regionRole, activeSite);
  }

  /**
   * The client key from this region's replica of the client-key secret (config `apiKeySecretName`), through
   * Powertools' secrets provider cached for `apiKeyMaxAgeSeconds`; a failed read is not cached. Throws a 503 when
   * the key cannot be read or is not configured.
   */
  async apiKey(): Promise<string> {
    const config = await this.config();
    if (!config.apiKeySecretName) {
      // Fail closed: an ALB request without a way to check its key is refused, never let through.
      throw new ApiError(503, 'DEPENDENCY_UNAVAILABLE', 'the client credential is not configured in this region');
    }
    return this.readKey(config.apiKeySecretName, 'client key', 'the client credential');
  }

  /**
   * The synthetic-probe key from this region's replica (config `probeKeySecretName`), read like the client key
   * (cached for `apiKeyMaxAgeSeconds`, a failed read not cached). Undefined when this deployment has none (manual
   * failover mode): probes are then refused. A read failure is a 503 (retryable).
   */
  async probeKey(): Promise<string | undefined> {
    const config = await this.config();
    if (!config.probeKeySecretName) return undefined;
    return this.readKey(config.probeKeySecretName, 'probe key', 'the synthetic-probe key');
  }

  /**
   * A key kept as a secret string in this region's replica, cached for `apiKeyMaxAgeSeconds` (a failed read is not
   * cached). Any failure is a retryable 503 naming `what`.
   */
  private async readKey(secretName: string, label: string, what: string): Promise<string> {
    try {
      const maxAge = this.deps.apiKeyMaxAgeSeconds ?? 300;
      const value = await withTimeout(this.secrets().get(secretName, { maxAge }), API_KEY_TIMEOUT_MS, label);
      if (typeof value !== 'string' || value === '') throw new Error(`secret '${secretName}' has no SecretString`);
      return value;
    } catch (err) {
      throw new ApiError(503, 'DEPENDENCY_UNAVAILABLE', `${what} is temporarily unavailable`, {
        retryAfterSeconds: TRANSIENT_RETRY_AFTER_SECONDS,
        cause: err,
      });
    }
  }

  /** Ends the pool (tests and the benchmark; a Lambda container never needs it). */
  async close(): Promise<void> {
    await this.db?.close();
  }

  /** An AWS SDK client whose calls appear as X-Ray subsegments (a no-op when tracing is off). */
  traced<T extends object>(client: T): T {
    return this.tracer.captureAWSv3Client(client);
  }

  private ssm(): SSMClient {
    this.ssmClient ??= this.deps.ssm ?? this.traced(new SSMClient({ region: this.region }));
    return this.ssmClient;
  }

  /** Powertools' Secrets Manager provider (its cache serves the database credentials and the client key). */
  private secrets(): SecretsProvider {
    this.secretsClient ??= this.deps.secretsManager ?? this.traced(new SecretsManagerClient({ region: this.region }));
    this.secretsProvider ??= new SecretsProvider({ awsSdkV3Client: this.secretsClient });
    return this.secretsProvider;
  }
}

/** Time kept back from the Lambda timeout to answer (and flush logs and metrics). */
const DEADLINE_MARGIN_MS = 500;

/**
 * A Lambda handler for API Gateway proxy events and ALB target-group events, answering each in its own shape;
 * `close()` ends its pool (tests, benchmark).
 */
export interface ApiHandler {
  (event: ApiEvent, context: Context): Promise<ApiResult>;
  (event: AlbEvent, context: Context): Promise<AlbResult>;
  readonly close: () => Promise<void>;
}

/** What only the ALB path needs (edge.mode "accelerator"); API Gateway events are unaffected. */
export interface AlbOptions {
  /**
   * Verify `x-api-key` on every ALB request against the client key (Runtime.apiKey): API Gateway checks the key
   * before it invokes the function, an ALB checks nothing, so the handler must. 403 when absent or wrong.
   */
  readonly requireApiKey?: boolean;
  /**
   * Answer `GET <path>` from the ALB with a liveness 200 without the key: the health check of a target group
   * whose function is not the deep health check (the listener never routes client requests there).
   */
  readonly livenessPath?: string;
}

/**
 * Wraps a route function with the per-invocation plumbing: Powertools' handler decorators (`lambdaHandler`: the
 * invocation's X-Ray subsegment, the Lambda context on every log line, the cold-start metric and the metrics flush),
 * the request ids on every log line, one access log line, the status code as an X-Ray annotation and flag, and
 * error-to-response mapping (an unexpected error is a logged 500 with no internals in the body).
 */
export function instrument(runtime: Runtime, fn: (event: ApiEvent) => Promise<ApiResult>, alb: AlbOptions = {}): ApiHandler {
  const { tracer, logger, metrics } = runtime;
  // The ALB shape is translated at the edge of the handler: routes only ever see the API Gateway shape.
  const serve = async (event: ApiEvent, fromAlb: boolean): Promise<ApiResult> => {
    if (!fromAlb) return fn(event);
    if (alb.livenessPath && event.httpMethod === 'GET' && event.path === alb.livenessPath) {
      return jsonResponse(200, { status: 'pass', check: 'liveness', region: runtime.region });
    }
    if (alb.requireApiKey && !presentsApiKey(event, await runtime.apiKey())) {
      metrics.addMetric('ApiKeyRejected', MetricUnit.Count, 1);
      throw new ApiError(403, 'FORBIDDEN', 'a valid x-api-key header is required');
    }
    return fn(event);
  };
  const handler = lambdaHandler({ tracer, logger, metrics }, async (raw: HttpEvent, context: Context): Promise<ApiResult | AlbResult> => {
    if (!isAlbEvent(raw)) return handle(raw, false, context);
    const result = await handle(fromAlbEvent(raw), true, context);
    return toAlbResult(result, raw.multiValueHeaders !== undefined);
  });
  const handle = async (event: ApiEvent, fromAlb: boolean, context: Context): Promise<ApiResult> => {
    const started = Date.now();
    logger.appendKeys({ apiRequestId: event.requestContext?.requestId, httpMethod: event.httpMethod, path: event.path });
    let result: ApiResult;
    try {
      // Answer before Lambda's own timeout would turn into a 502 at API Gateway: a 503 the client can retry
      // (every write is idempotent by its key, so whatever is still in flight is safe to repeat).
      const remainingMs = context.getRemainingTimeInMillis?.() ?? Infinity;
      const deadlineMs = Number.isFinite(remainingMs) ? remainingMs - DEADLINE_MARGIN_MS : Infinity;
      result = Number.isFinite(deadlineMs) ? await withTimeout(serve(event, fromAlb), Math.max(1, deadlineMs), 'request') : await serve(event, fromAlb);
    } catch (err) {
      if (err instanceof TimeoutError) {
        logger.error('request ran out of time', { error: describeError(err) });
        metrics.addMetric('DeadlineExceeded', MetricUnit.Count, 1);
        result = errorResponse(
          new ApiError(503, 'DEPENDENCY_UNAVAILABLE', 'the request could not be completed in time; retry with the same Idempotency-Key', {
            retryAfterSeconds: TRANSIENT_RETRY_AFTER_SECONDS,
          }),
        );
      } else if (err instanceof ApiError) {
        if (err.statusCode >= 500) logger.warn('request failed', { code: err.code, error: describeError(err) });
        result = errorResponse(err);
      } else {
        logger.error('unexpected error', { error: describeError(err) });
        tracer.addErrorAsMetadata(err as Error);
        metrics.addMetric('InternalError', MetricUnit.Count, 1);
        result = errorResponse(new ApiError(500, 'INTERNAL_ERROR', 'internal error'));
      }
    }
    logger.info('request completed', { statusCode: result.statusCode, durationMs: Date.now() - started });
    // Searchable by status code; 5xx marks the invocation's subsegment as a fault, 4xx as an error (client's fault).
    tracer.putAnnotation('statusCode', result.statusCode);
    const invocation = invocationSegment(tracer);
    if (result.statusCode >= 500) invocation?.addFaultFlag();
    else if (result.statusCode >= 400) invocation?.addErrorFlag();
    return result;
  };
  return Object.assign(handler, { close: () => runtime.close() }) as unknown as ApiHandler;
}
