/**
 * Health check: `GET /health`, the target of the Route 53 failover health check.
 *
 * Deep: the region can take payments only if its database is the writer (`SHOW transaction_read_only` is
 * `off`) and its DynamoDB sessions table answers. The checks run in parallel under one budget (default
 * 1.5 s) so the answer always beats Route 53's 2-second timeout: every dependency call has a timeout and an
 * abort signal, and a check that has not finished in time counts as failed. 200 when every check passes,
 * 503 otherwise; the body names the region, its role and each check's status.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { withTimeout } from '../shared/async';
import type { RuntimeConfig } from '../shared/config';
import { describeError, TimeoutError } from '../shared/errors';
import { type ApiResult, dispatch, jsonResponse, type Route } from '../shared/http';
import { type ApiHandler, instrument, Runtime, type RuntimeDeps } from '../shared/runtime';

export const SERVICE_NAME = 'health-check';
/** Partition key read by the DynamoDB probe; the item need not exist. */
export const PROBE_SESSION_ID = '__health_check__';

export interface HealthCheckDeps extends RuntimeDeps {
  /** @default a client for the function's region */
  readonly dynamodb?: DynamoDBClient;
  /** Time for the whole check, configuration load included. @default 1500 ms */
  readonly budgetMs?: number;
}

export type CheckStatus = 'pass' | 'fail';

export interface CheckResult {
  readonly status: CheckStatus;
  readonly latencyMs: number;
  /** Why it failed (`timeout`, `read-only`, `unreachable`, …); never credentials. */
  readonly detail?: string;
}

export interface HealthReport {
  readonly status: CheckStatus;
  readonly region: string;
  /** `primary` / `dr` from the configuration, `unknown` if it could not be loaded. */
  readonly role: string;
  /** Whether this region's database accepts writes now (it may be a promoted DR region). */
  readonly writer: boolean;
  readonly checks: Readonly<Record<string, CheckResult>>;
  readonly durationMs: number;
  readonly checkedAt: string;
}

export function createHandler(deps: HealthCheckDeps = {}): ApiHandler {
  const budgetMs = deps.budgetMs ?? 1500;
  const runtime = new Runtime(deps, {
    serviceName: SERVICE_NAME,
    // One connection is enough; fail fast so a dead writer is reported, not waited for.
    db: { applicationName: SERVICE_NAME, poolMax: 1, connectionTimeoutMillis: 1000, statementTimeoutMillis: 1000, queryTimeoutMillis: 1000 },
    configTimeoutMs: budgetMs,
  });
  const { logger, metrics } = runtime;
  let dynamodb = deps.dynamodb;

  async function checkDatabase(): Promise<string | undefined> {
    const db = await runtime.database();
    const rows = await db.query<{ transaction_read_only: string }>('SHOW transaction_read_only');
    return rows[0]?.transaction_read_only === 'off' ? undefined : 'read-only (not the writer)';
  }

  async function checkDynamoDb(config: RuntimeConfig, timeoutMs: number): Promise<string | undefined> {
    dynamodb ??= runtime.traced(new DynamoDBClient({ region: runtime.region }));
    await dynamodb.send(
      new GetItemCommand({ TableName: config.sessionsTable, Key: { sessionId: { S: PROBE_SESSION_ID } }, ProjectionExpression: 'sessionId' }),
      { abortSignal: AbortSignal.timeout(timeoutMs) },
    );
    return undefined;
  }

  /** Runs one check within `timeoutMs`; a rejection or a timeout is a failed check, never an exception. */
  async function check(name: string, timeoutMs: number, run: () => Promise<string | undefined>): Promise<CheckResult> {
    const started = Date.now();
    try {
      const failure = await withTimeout(run(), timeoutMs, name);
      return failure ? { status: 'fail', latencyMs: Date.now() - started, detail: failure } : { status: 'pass', latencyMs: Date.now() - started };
    } catch (err) {
      logger.warn('health check failed', { check: name, error: describeError(err) });
      return { status: 'fail', latencyMs: Date.now() - started, detail: failureDetail(err) };
    }
  }

  async function health(): Promise<ApiResult> {
    const started = Date.now();
    const remaining = () => Math.max(0, budgetMs - (Date.now() - started));
    const checks: Record<string, CheckResult> = {};
    let role = 'unknown';

    let config: RuntimeConfig | undefined;
    const configCheck = await check('config', remaining(), async () => {
      config = await runtime.config();
      return undefined;
    });
    if (configCheck.status === 'fail') checks.config = configCheck;
    if (config) {
      role = config.regionRole;
      const cfg = config;
      const timeoutMs = remaining();
      const [database, dynamo] = await Promise.all([
        check('database', timeoutMs, checkDatabase),
        check('dynamodb', timeoutMs, () => checkDynamoDb(cfg, timeoutMs)),
      ]);
      checks.database = database;
      checks.dynamodb = dynamo;
    }

    const healthy = config !== undefined && Object.values(checks).every((c) => c.status === 'pass');
    metrics.addMetric('RegionHealthy', MetricUnit.Count, healthy ? 1 : 0);
    const report: HealthReport = {
      status: healthy ? 'pass' : 'fail',
      region: runtime.region,
      role,
      writer: checks.database?.status === 'pass',
      checks,
      durationMs: Date.now() - started,
      checkedAt: runtime.now().toISOString(),
    };
    if (!healthy) logger.warn('region unhealthy', { checks });
    return jsonResponse(healthy ? 200 : 503, report);
  }

  const routes: Route[] = [{ resource: '/health', methods: { GET: health } }];
  return instrument(runtime, (event) => dispatch(event, routes));
}

function failureDetail(err: unknown): string {
  if (err instanceof TimeoutError) return 'timeout';
  const code = (err as { code?: unknown } | null)?.code;
  if (err instanceof Error && err.name === 'AbortError') return 'timeout';
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH') return 'unreachable';
  if (err instanceof Error && /timeout/i.test(err.message)) return 'timeout';
  if (code === '28P01') return 'authentication failed';
  return err instanceof Error ? err.name : 'error';
}

export const handler: ApiHandler = createHandler();
