/**
 * Health check: `GET /health`, the target of the Route 53 failover health check.
 *
 * Deep: the region can take payments only if it is the designated active site (its own region's
 * active-site parameter names it), its database is the writer (`SHOW transaction_read_only` is `off`) and
 * its DynamoDB sessions table answers. A passive site is never healthy for traffic merely because its database
 * became writable: the designation moves only through the DR CLI. The checks run in parallel under one budget (default
 * 1.5 s) so the answer always beats Route 53's 2-second timeout: every dependency call has a timeout and an
 * abort signal, and a check that has not finished in time counts as failed. 200 when every check passes,
 * 503 otherwise; the body names the region, its role and each check's status.
 *
 * `GET /health/active`: 200 only while this site's designation names itself ("I am designated active"),
 * whatever its database says. Route 53 watches it **inverted** on the passive site: once the passive site
 * claims active (the DR CLI set its designation during a failover), the PRIMARY record's calculated check fails
 * and the old site cannot win DNS back even if its own `/health` passes.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { withTimeout } from '../shared/async';
import type { RuntimeConfig } from '../shared/config';
import type { Designation } from '../shared/designation';
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
  /** The site this region's designation names as active (`unknown` if it could not be read). */
  readonly activeSite: string;
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

  /** The designation of this site; `designation` records it for the report. */
  let designation: Designation | undefined;
  async function checkDesignation(timeoutMs: number): Promise<string | undefined> {
    designation = undefined;
    const d = await runtime.designation(AbortSignal.timeout(timeoutMs));
    designation = d;
    return d.designated ? undefined : `not the active site (the designation names ${d.activeSite})`;
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
      const [designated, database, dynamo] = await Promise.all([
        check('designation', timeoutMs, () => checkDesignation(timeoutMs)),
        check('database', timeoutMs, checkDatabase),
        check('dynamodb', timeoutMs, () => checkDynamoDb(cfg, timeoutMs)),
      ]);
      checks.designation = designated;
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
      activeSite: designation?.activeSite ?? 'unknown',
      checks,
      durationMs: Date.now() - started,
      checkedAt: runtime.now().toISOString(),
    };
    if (!healthy) logger.warn('region unhealthy', { checks });
    return jsonResponse(healthy ? 200 : 503, report);
  }

  /** `GET /health/active`: 200 only while this site is designated active (the passive site's claim). */
  async function claim(): Promise<ApiResult> {
    const started = Date.now();
    const result = await check('designation', budgetMs, () => checkDesignation(budgetMs));
    const designated = result.status === 'pass';
    metrics.addMetric('DesignatedActive', MetricUnit.Count, designated ? 1 : 0);
    return jsonResponse(designated ? 200 : 503, {
      status: result.status,
      region: runtime.region,
      site: designation?.site ?? 'unknown',
      activeSite: designation?.activeSite ?? 'unknown',
      designated,
      ...(result.detail ? { detail: result.detail } : {}),
      durationMs: Date.now() - started,
      checkedAt: runtime.now().toISOString(),
    });
  }

  const routes: Route[] = [
    { resource: '/health', methods: { GET: health } },
    { resource: '/health/active', methods: { GET: claim } },
  ];
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
