/**
 * The automatic failover controller's tasks, called by its Step Functions state machine (one per region: it fails
 * over TO its own region's site; the active site's is inert, see guards.ts), one action per state, so each step is a
 * visible state with its own retries and history:
 *
 *   decide → page start → [promote → wait for the writer] ∥ [fence the failed region, best effort]
 *          → designate → set rds.global_db_rpo → prove a write through the public name (a synthetic probe, no money
 *          moved: lambdas/shared/probe.ts) → finish (page end)
 *   any error → fail (record + page)
 *
 * The same steps as `npm run dr -- failover`. Every action rewrites the run record (an SSM parameter in this
 * region; its history keeps each version) before it returns or throws, so an API error midway leaves the state
 * it reached. Nothing on the critical path calls the failed region: fencing runs in a parallel branch.
 */
import { createHmac } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { LambdaClient, PutFunctionConcurrencyCommand } from '@aws-sdk/client-lambda';
import { DescribeGlobalClustersCommand, FailoverGlobalClusterCommand, ModifyDBClusterParameterGroupCommand, RDSClient } from '@aws-sdk/client-rds';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { controlParameters, otherSite, type OperationLock, type RunRecord, type Site, type StepRecord, type StepStatus } from '../shared/control';
import { describeError } from '../shared/errors';
import { PROBE_MERCHANT_ID, probeToken, SYNTHETIC_PROBE_HEADER } from '../shared/probe';
import { createLogger, createTracer, lambdaHandler } from '../shared/observability';
import { type Evidence, evaluateGuards, type GlobalClusterView, type Verdict } from './guards';
import type { Context } from 'aws-lambda';

export const SERVICE_NAME = 'failover-controller';
/** The promotion branch stops waiting (and the run fails, paging) after this long. */
export const PROMOTION_GIVE_UP_MS = 15 * 60_000;
/** The page when the promotion outlasts its budget (the DR report's self-imposed promotion term). */
export const PROMOTION_BUDGET_EXCEEDED_SUBJECT = 'Automatic failover: promotion exceeded its budget; RTO objective breached';

export type Action = 'decide' | 'page-start' | 'promote' | 'check-writer' | 'fence' | 'designate' | 'set-rpo' | 'prove-write' | 'finish' | 'fail';

/** What flows from state to state. */
export interface ControllerState {
  readonly evidence?: Evidence;
  readonly record?: RunRecord;
  readonly go?: boolean;
  /** Decide's verdict: `go`, `refused` (paged) or `nothing-to-do` (the active site's inert controller; not paged). */
  readonly verdict?: Verdict;
  readonly promotion?: { readonly requestedAt: string; readonly done: boolean; readonly overduePaged?: boolean };
  /** Set by the state machine's Catch: `{ Error, Cause }`. */
  readonly error?: { readonly Error?: string; readonly Cause?: string };
  /** The fencing branch's result. */
  readonly fence?: { readonly detail: string; readonly fenced: boolean };
  /** The parallel state's branch outputs: [promotion branch, fencing branch]. */
  readonly parallel?: readonly ControllerState[];
}

export interface ControllerEvent {
  readonly action: Action;
  readonly state: ControllerState;
  readonly executionArn?: string;
}

export interface HttpResponse {
  readonly status: number;
  readonly body: string;
}

export interface ControllerDeps {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly ssm?: SSMClient;
  readonly peerSsm?: SSMClient;
  readonly rds?: RDSClient;
  readonly cloudwatch?: CloudWatchClient;
  readonly sfn?: SFNClient;
  readonly sns?: SNSClient;
  readonly peerLambda?: LambdaClient;
  readonly secretsManager?: SecretsManagerClient;
  readonly post?: (url: string, headers: Record<string, string>, body: string, timeoutMs: number) => Promise<HttpResponse>;
  readonly logger?: Logger;
  readonly tracer?: Tracer;
  readonly now?: () => Date;
  readonly sleep?: (ms: number) => Promise<void>;
}

interface Settings {
  readonly region: string;
  readonly peerRegion: string;
  readonly site: Site;
  readonly controlPath: string;
  readonly globalClusterId: string;
  readonly targetClusterArn: string;
  readonly targetClusterId: string;
  readonly targetParameterGroup: string;
  readonly rpoSeconds: number;
  readonly peerPaymentFunction: string;
  readonly stateMachineArn: string;
  readonly pagerTopicArn: string;
  readonly apiDomain: string;
  readonly apiKeySecret: string;
  readonly probeKeySecret: string;
  readonly threshold: number;
  readonly cooldownMs: number;
  readonly promotionBudgetMs: number;
  readonly callTimeoutMs: number;
  readonly proveTimeoutMs: number;
}

function settingsFrom(env: Readonly<Record<string, string | undefined>>): Settings {
  const req = (n: string) => {
    const v = env[n];
    if (!v) throw new Error(`failover-controller: environment variable ${n} is not set`);
    return v;
  };
  const num = (n: string, fallback: number) => {
    const v = env[n];
    const x = v === undefined || v === '' ? fallback : Number(v);
    if (!Number.isFinite(x) || x <= 0) throw new Error(`failover-controller: ${n} must be a positive number, got '${v}'`);
    return x;
  };
  const site = req('SITE');
  if (site !== 'primary' && site !== 'dr') throw new Error(`failover-controller: SITE must be primary or dr, got '${site}'`);
  return {
    region: req('AWS_REGION'),
    peerRegion: req('PEER_REGION'),
    site,
    controlPath: req('CONTROL_PATH'),
    globalClusterId: req('GLOBAL_CLUSTER_ID'),
    targetClusterArn: req('TARGET_CLUSTER_ARN'),
    targetClusterId: req('TARGET_CLUSTER_ID'),
    targetParameterGroup: req('TARGET_PARAMETER_GROUP'),
    rpoSeconds: num('RPO_SECONDS', 60),
    peerPaymentFunction: req('PEER_PAYMENT_FUNCTION'),
    stateMachineArn: req('STATE_MACHINE_ARN'),
    pagerTopicArn: req('PAGER_TOPIC_ARN'),
    apiDomain: req('API_DOMAIN'),
    apiKeySecret: req('API_CLIENT_CREDENTIAL_ID'),
    probeKeySecret: req('PROBE_CREDENTIAL_ID'),
    threshold: num('FAILURE_THRESHOLD', 3),
    cooldownMs: num('COOLDOWN_SECONDS', 3600) * 1000,
    promotionBudgetMs: num('PROMOTION_BUDGET_SECONDS', 60) * 1000,
    callTimeoutMs: num('CALL_TIMEOUT_MS', 5000),
    proveTimeoutMs: num('PROVE_TIMEOUT_MS', 150_000),
  };
}

async function httpPost(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<HttpResponse> {
  const res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs) });
  return { status: res.status, body: (await res.text()).slice(0, 2000) };
}

const parseJson = (text: string): Record<string, unknown> | undefined => {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
};

const short = (s: string) => (s.length > 300 ? `${s.slice(0, 297)}...` : s);
const errText = (e: unknown) => {
  const d = describeError(e);
  return short(`${String(d.name ?? 'Error')}: ${String(d.message ?? '')}`);
};

export function createController(deps: ControllerDeps = {}) {
  const env = deps.env ?? process.env;
  const s = settingsFrom(env);
  const logger = deps.logger ?? createLogger(SERVICE_NAME);
  const tracer = deps.tracer ?? createTracer(SERVICE_NAME);
  const own = <T extends object>(c: T) => tracer.captureAWSv3Client(c);
  const ssm = deps.ssm ?? own(new SSMClient({ region: s.region }));
  const peerSsm = deps.peerSsm ?? own(new SSMClient({ region: s.peerRegion }));
  const rds = deps.rds ?? own(new RDSClient({ region: s.region }));
  const cloudwatch = deps.cloudwatch ?? own(new CloudWatchClient({ region: s.region }));
  const sfn = deps.sfn ?? own(new SFNClient({ region: s.region }));
  const sns = deps.sns ?? own(new SNSClient({ region: s.region }));
  const peerLambda = deps.peerLambda ?? own(new LambdaClient({ region: s.peerRegion }));
  const secrets = deps.secretsManager ?? own(new SecretsManagerClient({ region: s.region }));
  const post = deps.post ?? httpPost;
  const now = deps.now ?? (() => new Date());
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const names = controlParameters(s.controlPath);
  const failed = otherSite(s.site);
  // Every AWS call has a deadline (connection and answer); Step Functions retries the task, not the SDK forever.
  const deadline = () => ({ abortSignal: AbortSignal.timeout(s.callTimeoutMs) });

  async function save(record: RunRecord): Promise<void> {
    await ssm.send(new PutParameterCommand({ Name: names.lastRun, Value: JSON.stringify(record), Type: 'String', Tier: 'Advanced', Overwrite: true }), deadline());
  }

  function withStep(record: RunRecord, step: string, status: StepStatus, detail?: string): RunRecord {
    const entry: StepRecord = { step, status, at: now().toISOString(), ...(detail ? { detail: short(detail) } : {}) };
    return { ...record, steps: [...record.steps, entry] };
  }

  /** Runs `fn`, records its step either way, and rethrows a failure after the record is saved. */
  async function step(
    state: ControllerState,
    name: string,
    fn: () => Promise<{ detail?: string; status?: StepStatus; state?: Partial<ControllerState> }>,
  ): Promise<ControllerState> {
    const record = state.record;
    if (!record) throw new Error(`failover-controller: ${name} without a run record (decide runs first)`);
    try {
      const r = await fn();
      const next = withStep(record, name, r.status ?? 'ok', r.detail);
      await save(next);
      return { ...state, ...r.state, record: next };
    } catch (err) {
      const next = withStep(record, name, 'failed', errText(err));
      try {
        await save(next);
      } catch (saveErr) {
        logger.error('run record not saved', { error: describeError(saveErr) });
      }
      logger.error(`step ${name} failed`, { error: describeError(err) });
      throw err;
    }
  }

  async function page(subject: string, record: RunRecord, extra = ''): Promise<void> {
    const lines = [
      `${subject}`,
      `Run ${record.runId} (${record.executionArn ?? 'no execution'}), ${record.from} (${s.peerRegion}) → ${record.to} (${s.region}), outcome ${record.outcome}.`,
      `Last replication lag: ${record.lastReplicationLagMs === null || record.lastReplicationLagMs === undefined ? 'unknown' : `${record.lastReplicationLagMs} ms`}.`,
      ...record.steps.map((st) => `- ${st.at} ${st.step}: ${st.status}${st.detail ? ` (${st.detail})` : ''}`),
      extra,
      'Status: npm run dr -- status. Stop automatic failover: npm run dr -- auto --disable.',
    ];
    await sns.send(new PublishCommand({ TopicArn: s.pagerTopicArn, Subject: subject.slice(0, 99), Message: lines.filter(Boolean).join('\n') }), deadline());
  }

  async function readJson<T>(name: string): Promise<T | 'none' | undefined> {
    const r = await ssm.send(new GetParameterCommand({ Name: name }), deadline());
    const v = r.Parameter?.Value ?? 'none';
    return v === 'none' ? 'none' : (JSON.parse(v) as T);
  }

  async function globalCluster(): Promise<GlobalClusterView & { readonly otherConnected: boolean }> {
    const r = await rds.send(new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: s.globalClusterId }), deadline());
    const g = r.GlobalClusters?.[0];
    if (!g) throw new Error(`global cluster ${s.globalClusterId} not found`);
    const members = g.GlobalClusterMembers ?? [];
    const writer = members.find((m) => m.IsWriter);
    const fs = g.FailoverState;
    return {
      writerIsTarget: writer?.DBClusterArn === s.targetClusterArn,
      targetIsMember: members.some((m) => m.DBClusterArn === s.targetClusterArn),
      operationInProgress: fs !== undefined && (fs.Status !== undefined || fs.ToDbClusterArn !== undefined),
      otherConnected: members.some((m) => m.DBClusterArn !== s.targetClusterArn && !m.IsWriter && m.SynchronizationStatus === 'connected'),
    };
  }

  async function lastLagMs(at: Date): Promise<number | null> {
    const r = await cloudwatch.send(
      new GetMetricDataCommand({
        StartTime: new Date(at.getTime() - 10 * 60_000),
        EndTime: at,
        ScanBy: 'TimestampDescending',
        MetricDataQueries: [
          {
            Id: 'lag',
            MetricStat: { Metric: { Namespace: 'AWS/RDS', MetricName: 'AuroraGlobalDBRPOLag', Dimensions: [{ Name: 'DBClusterIdentifier', Value: s.targetClusterId }] }, Period: 60, Stat: 'Maximum' },
          },
        ],
      }),
      deadline(),
    );
    const v = r.MetricDataResults?.[0]?.Values?.[0];
    return typeof v === 'number' ? v : null;
  }

  const settle = async <T>(p: Promise<T>): Promise<T | undefined> => {
    try {
      return await p;
    } catch (err) {
      logger.warn('guard input unreadable', { error: describeError(err) });
      return undefined;
    }
  };

  async function decide(state: ControllerState, executionArn?: string): Promise<ControllerState> {
    const at = now();
    const [killSwitch, operation, designation, lastRun, cluster, running, lag] = await Promise.all([
      settle(ssm.send(new GetParameterCommand({ Name: names.autoFailover }), deadline()).then((r) => r.Parameter?.Value)),
      settle(readJson<OperationLock>(names.operationInProgress)),
      settle(ssm.send(new GetParameterCommand({ Name: names.activeSite }), deadline()).then((r) => ({ value: r.Parameter?.Value ?? '', lastModified: r.Parameter?.LastModifiedDate }))),
      settle(readJson<RunRecord>(names.lastRun)),
      settle(globalCluster()),
      settle(sfn.send(new ListExecutionsCommand({ stateMachineArn: s.stateMachineArn, statusFilter: 'RUNNING', maxResults: 10 }), deadline())),
      settle(lastLagMs(at)),
    ]);
    const otherRuns = running?.executions?.filter((e) => e.executionArn !== executionArn).length;
    const decision = evaluateGuards({
      now: at,
      self: s.site,
      threshold: s.threshold,
      cooldownMs: s.cooldownMs,
      evidence: state.evidence,
      killSwitch,
      operation: operation as OperationLock | 'none' | undefined,
      designation,
      lastRun: lastRun === 'none' ? undefined : (lastRun as RunRecord | undefined),
      globalCluster: cluster,
      otherRuns,
    });
    const runId = executionArn?.split(':').pop() ?? `run-${at.toISOString()}`;
    let record: RunRecord = {
      runId,
      ...(executionArn ? { executionArn } : {}),
      from: failed,
      to: s.site,
      startedAt: at.toISOString(),
      outcome: decision.go ? 'running' : decision.verdict === 'nothing-to-do' ? 'nothing-to-do' : 'refused',
      ...(decision.go ? {} : { completedAt: at.toISOString() }),
      lastReplicationLagMs: lag ?? null,
      evidence: state.evidence,
      steps: [],
    };
    record = withStep(record, 'decide', decision.go ? 'ok' : decision.verdict === 'nothing-to-do' ? 'skipped' : 'refused', decision.go ? 'every guard holds' : decision.reasons.join('; '));
    // A refusal (or nothing to do) is recorded in the execution history (its output, 90 days) and the logs; the
    // last-run parameter keeps the last real run, so neither resets the cool-down nor hides the last failover.
    if (decision.go) await save(record);
    else if (decision.verdict === 'nothing-to-do') logger.info('automatic failover: nothing to fail over', { reasons: decision.reasons, evidence: state.evidence });
    else logger.warn('automatic failover refused', { reasons: decision.reasons, evidence: state.evidence });
    if (decision.page) {
      try {
        await page(`Automatic failover REFUSED: ${failed} (${s.peerRegion}) looks down`, record, `Refused because: ${decision.reasons.join('; ')}. Decide by hand (RUNBOOK.md).`);
      } catch (err) {
        logger.error('page not sent', { error: describeError(err) });
      }
    }
    return { ...state, go: decision.go, verdict: decision.verdict, record };
  }

  async function promote(state: ControllerState): Promise<ControllerState> {
    return step(state, 'promote', async () => {
      const view = await globalCluster();
      const requestedAt = now().toISOString();
      if (view.writerIsTarget) return { detail: 'already the writer (a retried step)', state: { promotion: { requestedAt, done: false } } };
      if (view.operationInProgress) return { detail: 'a failover is already in progress (a retried step)', state: { promotion: { requestedAt, done: false } } };
      await rds.send(new FailoverGlobalClusterCommand({ GlobalClusterIdentifier: s.globalClusterId, TargetDbClusterIdentifier: s.targetClusterArn, AllowDataLoss: true }), deadline());
      return { detail: `FailoverGlobalCluster AllowDataLoss=true to ${s.targetClusterId}`, state: { promotion: { requestedAt, done: false } } };
    });
  }

  async function checkWriter(state: ControllerState): Promise<ControllerState> {
    const view = await globalCluster();
    const promotion = state.promotion ?? { requestedAt: now().toISOString(), done: false };
    const elapsed = now().getTime() - Date.parse(promotion.requestedAt);
    if (view.writerIsTarget && !view.operationInProgress) {
      const over = elapsed > s.promotionBudgetMs ? `; over its ${s.promotionBudgetMs / 1000} s budget: RTO objective breached` : `; within its ${s.promotionBudgetMs / 1000} s budget`;
      return step(state, 'promotion complete', async () => ({
        detail: `writer is ${s.targetClusterId} after ${Math.round(elapsed / 1000)} s${over}`,
        state: { promotion: { ...promotion, done: true } },
      }));
    }
    if (elapsed > PROMOTION_GIVE_UP_MS) {
      throw new Error(`promotion not complete after ${Math.round(elapsed / 1000)} s; the controller gives up (the request may still complete: npm run dr -- status)`);
    }
    // The DR report's promotion term is a budget we set (AWS gives no bound: "in the order of minutes"). The
    // controller enforces it as a detection deadline: past it, one page saying the RTO objective is breached, a
    // record, and it keeps waiting (until PROMOTION_GIVE_UP_MS).
    if (elapsed > s.promotionBudgetMs && !promotion.overduePaged && state.record) {
      const next = withStep(
        state.record,
        'promotion exceeded its budget',
        'failed',
        `not complete after ${Math.round(elapsed / 1000)} s > budget ${s.promotionBudgetMs / 1000} s: RTO objective breached; still waiting (gives up after ${PROMOTION_GIVE_UP_MS / 60_000} min)`,
      );
      await save(next);
      await page(PROMOTION_BUDGET_EXCEEDED_SUBJECT, next, 'Aurora gives no bound on a promotion ("in the order of minutes"); the budget is the DR report\'s. The controller keeps waiting; watch npm run dr -- status.').catch((err) =>
        logger.error('page not sent', { error: describeError(err) }),
      );
      return { ...state, record: next, promotion: { ...promotion, overduePaged: true } };
    }
    return { ...state, promotion };
  }

  /** Best effort in the failed region, each call bounded; never throws (the branch must not block promotion). */
  async function fence(): Promise<ControllerState> {
    const [concurrency, designation] = await Promise.allSettled([
      peerLambda.send(new PutFunctionConcurrencyCommand({ FunctionName: s.peerPaymentFunction, ReservedConcurrentExecutions: 0 }), deadline()),
      peerSsm.send(new PutParameterCommand({ Name: names.activeSite, Value: s.site, Type: 'String', Overwrite: true }), deadline()),
    ]);
    const part = (what: string, r: PromiseSettledResult<unknown>) => `${what}: ${r.status === 'fulfilled' ? 'done' : `FAILED (${errText(r.reason)})`}`;
    const detail = `${part(`${s.peerPaymentFunction} reserved concurrency 0`, concurrency)}; ${part(`${s.peerRegion} designation → ${s.site}`, designation)}`;
    // The branch returns its own result; the record is updated once the branches join (designate).
    return { fence: { detail, fenced: concurrency.status === 'fulfilled' && designation.status === 'fulfilled' } };
  }

  async function designate(state: ControllerState): Promise<ControllerState> {
    // Join the parallel branches: the promotion branch carries the record, the fence branch its result.
    const [promotionBranch, fenceBranch] = state.parallel ?? [];
    let joined: ControllerState = { ...state, ...(promotionBranch ?? {}), parallel: undefined };
    const f = fenceBranch?.fence;
    if (joined.record && f) {
      joined = { ...joined, record: withStep(joined.record, 'fence (parallel, best effort)', f.fenced ? 'ok' : 'failed', f.detail) };
    } else if (joined.record) {
      joined = { ...joined, record: withStep(joined.record, 'fence (parallel, best effort)', 'failed', 'the fencing branch timed out or failed') };
    }
    return step(joined, 'designate', async () => {
      await ssm.send(new PutParameterCommand({ Name: names.activeSite, Value: s.site, Type: 'String', Overwrite: true }), deadline());
      return { detail: `${names.activeSite} = ${s.site} in ${s.region}` };
    });
  }

  async function setRpo(state: ControllerState): Promise<ControllerState> {
    return step(state, 'set rds.global_db_rpo', async () => {
      // With two regions, rds.global_db_rpo on the writer blocks every commit while no secondary is within the RPO:
      // the failed region's cluster is not replicating yet, so the parameter waits (the DR CLI sets it once the old
      // cluster is a connected secondary again; AWS-NOTES, Aurora "Managing RPOs for Aurora PostgreSQL").
      const view = await globalCluster();
      if (!view.otherConnected) {
        return {
          status: 'skipped' as const,
          detail: `deferred: no connected secondary, so rds.global_db_rpo = ${s.rpoSeconds} on ${s.targetParameterGroup} would block every commit; run npm run dr -- failover --confirm-data-loss --to ${s.site} again once the old cluster is "sync connected"`,
        };
      }
      await rds.send(
        new ModifyDBClusterParameterGroupCommand({
          DBClusterParameterGroupName: s.targetParameterGroup,
          Parameters: [{ ParameterName: 'rds.global_db_rpo', ParameterValue: String(s.rpoSeconds), ApplyMethod: 'immediate' }],
        }),
        deadline(),
      );
      return { detail: `${s.targetParameterGroup}: rds.global_db_rpo = ${s.rpoSeconds}` };
    });
  }

  async function proveWrite(state: ControllerState): Promise<ControllerState> {
    return step(state, 'prove a write through the public name', async () => {
      // A synthetic probe (lambdas/shared/probe.ts): the same path and fences as a payment, committed on the new
      // writer, flagged synthetic, no money moved, no event. Idempotent per run: retries replay the same row.
      // The two secrets are read inside the retry loop: one throttled or slow Secrets Manager call during a regional
      // incident must not fail a failover whose promotion and designation are already done.
      const readSecrets = async () => {
        const [apiKey, probeKey] = await Promise.all(
          [s.apiKeySecret, s.probeKeySecret].map(async (id) => (await secrets.send(new GetSecretValueCommand({ SecretId: id }), deadline())).SecretString ?? ''),
        );
        const runId = state.record?.runId ?? 'run';
        // Idempotency keys are unique across merchants: a key anyone could predict (the run id is a timestamp) could
        // be taken by a client's payment first and turn every probe into a 409. A MAC of the run id under the probe
        // key is unpredictable without the key and the same on every retry of this run (the same row replays).
        const idempotencyKey = `auto-failover-${runId}-${createHmac('sha256', probeKey).update(runId).digest('hex').slice(0, 16)}`.slice(0, 255);
        const body = JSON.stringify({ amount: 1, currency: 'USD', merchantId: PROBE_MERCHANT_ID, reference: `auto-failover ${runId}`.slice(0, 64) });
        const headers = {
          'content-type': 'application/json',
          'x-api-key': apiKey,
          'Idempotency-Key': idempotencyKey,
          [SYNTHETIC_PROBE_HEADER]: probeToken(probeKey, idempotencyKey, body),
        };
        return { headers, body };
      };
      let request: { headers: Record<string, string>; body: string } | undefined;
      const started = now().getTime();
      let attempts = 0;
      let last = '';
      while (now().getTime() - started < s.proveTimeoutMs) {
        attempts += 1;
        try {
          request ??= await readSecrets();
          const r = await post(`https://${s.apiDomain}/payments`, request.headers, request.body, s.callTimeoutMs);
          if (r.status >= 200 && r.status < 300) {
            const answer = parseJson(r.body);
            if (answer?.synthetic !== true) {
              // Never retried: it would not be a probe either. A payment function that ignores the probe header.
              throw new Error(`POST https://${s.apiDomain}/payments answered ${r.status} but not as a synthetic probe: check the payment function's version`);
            }
            return {
              detail: `synthetic probe ${String(answer.id ?? '?')} written in ${String(answer.region ?? '?')} through https://${s.apiDomain} (HTTP ${r.status}) after ${attempts} attempt(s), ${Math.round((now().getTime() - started) / 1000)} s`,
            };
          }
          last = `HTTP ${r.status}`;
        } catch (err) {
          if (err instanceof Error && /not as a synthetic probe/.test(err.message)) throw err;
          last = errText(err);
        }
        await sleep(5000);
      }
      throw new Error(`no synthetic probe written through https://${s.apiDomain} within ${s.proveTimeoutMs / 1000} s (${attempts} attempts, last: ${last})`);
    });
  }

  async function finish(state: ControllerState): Promise<ControllerState> {
    const record = state.record!;
    const done: RunRecord = { ...record, outcome: 'completed', completedAt: now().toISOString() };
    await save(done);
    await page(`Automatic failover COMPLETE: ${s.site} (${s.region}) is active`, done, `Commit the config change: "activeRegion": "${s.site}". Reconcile the lost-write window (RUNBOOK.md).`);
    return { ...state, record: done };
  }

  async function fail(state: ControllerState): Promise<ControllerState> {
    // The failed task saved its failed step before throwing; the Catch hands over the state from before it.
    let base: RunRecord = state.record ?? { runId: 'unknown', from: failed, to: s.site, startedAt: now().toISOString(), outcome: 'failed', steps: [] };
    try {
      const saved = await readJson<RunRecord>(names.lastRun);
      if (saved && saved !== 'none' && saved.runId === base.runId && saved.steps.length >= base.steps.length) base = saved;
    } catch (err) {
      logger.warn('run record unreadable; recording from the state', { error: describeError(err) });
    }
    const withError = withStep(base, 'failed', 'failed', `${state.error?.Error ?? 'error'}: ${state.error?.Cause ?? ''}`);
    const rec: RunRecord = { ...withError, outcome: 'failed', completedAt: now().toISOString() };
    try {
      await save(rec);
    } finally {
      await page('Automatic failover FAILED: act by hand now (RUNBOOK.md section 4)', rec).catch((err) => logger.error('page not sent', { error: describeError(err) }));
    }
    return { ...state, record: rec };
  }

  async function handle(event: ControllerEvent): Promise<ControllerState> {
    const state = event.state ?? {};
    switch (event.action) {
      case 'decide':
        return decide(state, event.executionArn);
      case 'page-start':
        await page(`Automatic failover STARTED: ${failed} (${s.peerRegion}) is down`, state.record!);
        return state;
      case 'promote':
        return promote(state);
      case 'check-writer':
        return checkWriter(state);
      case 'fence':
        return fence();
      case 'designate':
        return designate(state);
      case 'set-rpo':
        return setRpo(state);
      case 'prove-write':
        return proveWrite(state);
      case 'finish':
        return finish(state);
      case 'fail':
        return fail(state);
      default:
        throw new Error(`failover-controller: unknown action ${String((event as { action?: unknown }).action)}`);
    }
  }

  // Powertools' handler decorators: the invocation's subsegment and the Lambda context on every log line.
  const handler = lambdaHandler({ tracer, logger }, (event: ControllerEvent) => handle(event));
  return { handle, handler, settings: s };
}

let instance: ReturnType<typeof createController> | undefined;

export const handler = (event: ControllerEvent, context: Context) => {
  instance ??= createController();
  return instance.handler(event, context);
};
