/**
 * Prober: runs in each region and watches the OTHER region from outside it, so a region's failure pages from the
 * region that survives it.
 *
 * EventBridge Scheduler invokes it every minute (a schedule's finest rate); one invocation probes every
 * `PROBE_INTERVAL_MS` (default 10 s) until the minute is over. Each probe:
 * - the other site's public regional `/health` (read for its role: the active site must answer 200, the passive
 *   one must answer with only its by-design checks failing),
 * - this site's own `/health` (its readiness),
 * - Route 53's own view of the other site: a failover TXT status record Route 53 answers from the other site's
 *   health check (checkers in several regions), resolved through DNS: Route 53's data plane, no API call to
 *   us-east-1.
 * Each result is a high-resolution CloudWatch metric in this region (the alarms on them page through this
 * region's topic). In automatic mode, on the passive site, `FAILURE_THRESHOLD` consecutive failures of the active
 * site AND Route 53's "unhealthy" start the failover controller (Step Functions) once per streak.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { CloudWatchClient, PutMetricDataCommand, type MetricDatum } from '@aws-sdk/client-cloudwatch';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { Context } from 'aws-lambda';
import { Resolver } from 'node:dns/promises';
import { controlParameters, otherSite, type ProberState, type Site } from '../shared/control';
import { describeError } from '../shared/errors';
import { createLogger, createTracer, lambdaHandler } from '../shared/observability';
import { classifyHealth, nextState, parseRoute53View, type ProbeOutcome, type Route53View, shouldStart } from './decide';

export const SERVICE_NAME = 'prober';
export const METRICS_NAMESPACE = 'PaymentsDR/Prober';

export interface HttpAnswer {
  readonly status?: number;
  readonly body?: string;
  readonly error?: string;
}

export interface ProberDeps {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly ssm?: SSMClient;
  readonly cloudwatch?: CloudWatchClient;
  readonly sfn?: SFNClient;
  /** GET `url` within `timeoutMs`. @default fetch */
  readonly get?: (url: string, timeoutMs: number) => Promise<HttpAnswer>;
  /** TXT lookup within `timeoutMs`. @default node:dns Resolver (the VPC or Lambda resolver) */
  readonly resolveTxt?: (name: string, timeoutMs: number) => Promise<string[][]>;
  readonly logger?: Logger;
  readonly tracer?: Tracer;
  readonly now?: () => Date;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface ProbeResult {
  readonly at: string;
  readonly designation: Site | 'unknown';
  readonly peer: ProbeOutcome;
  readonly peerDetail?: string;
  readonly own: ProbeOutcome;
  readonly route53: Route53View;
  readonly streak: number;
  readonly started?: string;
  readonly reason: string;
}

export interface ProberSettings {
  readonly region: string;
  readonly peerRegion: string;
  readonly site: Site;
  readonly peerHealthUrl: string;
  readonly ownHealthUrl: string;
  readonly peerStatusRecord: string;
  readonly controlPath: string;
  readonly stateMachineArn?: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly threshold: number;
  readonly runForMs: number;
}

function required(env: Readonly<Record<string, string | undefined>>, name: string): string {
  const v = env[name];
  if (!v) throw new Error(`prober: environment variable ${name} is not set`);
  return v;
}

function int(env: Readonly<Record<string, string | undefined>>, name: string, fallback: number): number {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`prober: ${name} must be a positive integer, got '${v}'`);
  return n;
}

export function settingsFrom(env: Readonly<Record<string, string | undefined>>): ProberSettings {
  const site = required(env, 'SITE');
  if (site !== 'primary' && site !== 'dr') throw new Error(`prober: SITE must be primary or dr, got '${site}'`);
  const intervalMs = int(env, 'PROBE_INTERVAL_MS', 10_000);
  const timeoutMs = int(env, 'PROBE_TIMEOUT_MS', 3_000);
  if (timeoutMs >= intervalMs) throw new Error(`prober: PROBE_TIMEOUT_MS (${timeoutMs}) must be below PROBE_INTERVAL_MS (${intervalMs})`);
  return {
    region: required(env, 'AWS_REGION'),
    peerRegion: required(env, 'PEER_REGION'),
    site,
    peerHealthUrl: required(env, 'PEER_HEALTH_URL'),
    ownHealthUrl: required(env, 'OWN_HEALTH_URL'),
    peerStatusRecord: required(env, 'PEER_STATUS_RECORD'),
    controlPath: required(env, 'CONTROL_PATH'),
    stateMachineArn: env.STATE_MACHINE_ARN || undefined,
    intervalMs,
    timeoutMs,
    threshold: int(env, 'FAILURE_THRESHOLD', 3),
    runForMs: int(env, 'RUN_FOR_MS', 55_000),
  };
}

async function fetchGet(url: string, timeoutMs: number): Promise<HttpAnswer> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { 'user-agent': 'payments-dr-prober' } });
    return { status: res.status, body: (await res.text()).slice(0, 8192) };
  } catch (err) {
    const d = describeError(err);
    return { error: String(d.code ?? d.name ?? 'error') };
  }
}

async function dnsTxt(name: string, timeoutMs: number): Promise<string[][]> {
  const resolver = new Resolver({ timeout: timeoutMs, tries: 1 });
  return resolver.resolveTxt(name);
}

/** One prober: `probe()` does one round, `handler` loops for one scheduled minute. */
export function createProber(deps: ProberDeps = {}) {
  const env = deps.env ?? process.env;
  const s = settingsFrom(env);
  const logger = deps.logger ?? createLogger(SERVICE_NAME);
  const tracer = deps.tracer ?? createTracer(SERVICE_NAME);
  const ssm = deps.ssm ?? tracer.captureAWSv3Client(new SSMClient({ region: s.region }));
  const cloudwatch = deps.cloudwatch ?? tracer.captureAWSv3Client(new CloudWatchClient({ region: s.region }));
  const sfn = deps.sfn ?? tracer.captureAWSv3Client(new SFNClient({ region: s.region }));
  const get = deps.get ?? fetchGet;
  const resolveTxt = deps.resolveTxt ?? dnsTxt;
  const now = deps.now ?? (() => new Date());
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const names = controlParameters(s.controlPath);
  const peerSite = otherSite(s.site);
  // Every AWS call has a deadline: a region that accepts connections and never answers cannot stall a probe.
  const deadline = () => ({ abortSignal: AbortSignal.timeout(s.timeoutMs) });

  let state: ProberState | undefined;
  let stateLoaded = false;

  async function loadState(): Promise<ProberState | undefined> {
    if (stateLoaded) return state;
    try {
      const r = await ssm.send(new GetParameterCommand({ Name: names.proberState }), deadline());
      const parsed = JSON.parse(r.Parameter?.Value ?? 'null') as ProberState | null;
      state = parsed && typeof parsed.streak === 'number' && typeof parsed.lastProbeAt === 'string' ? parsed : undefined;
    } catch (err) {
      logger.warn('prober state unreadable: starting from zero (a streak restarts, never shortens)', { error: describeError(err) });
      state = undefined;
    }
    stateLoaded = true;
    return state;
  }

  async function saveState(next: ProberState): Promise<void> {
    try {
      await ssm.send(new PutParameterCommand({ Name: names.proberState, Value: JSON.stringify(next), Type: 'String', Overwrite: true }), deadline());
    } catch (err) {
      logger.warn('prober state not saved', { error: describeError(err) });
    }
  }

  async function designation(): Promise<Site | 'unknown'> {
    try {
      const r = await ssm.send(new GetParameterCommand({ Name: names.activeSite }), deadline());
      const v = r.Parameter?.Value;
      return v === 'primary' || v === 'dr' ? v : 'unknown';
    } catch (err) {
      logger.warn('designation unreadable', { error: describeError(err) });
      return 'unknown';
    }
  }

  async function route53View(): Promise<Route53View> {
    try {
      return parseRoute53View((await resolveTxt(s.peerStatusRecord, s.timeoutMs))[0]);
    } catch (err) {
      logger.warn('Route 53 status record unresolved', { record: s.peerStatusRecord, error: describeError(err) });
      return 'unknown';
    }
  }

  async function probe(): Promise<ProbeResult> {
    const at = now();
    const [active, peerAnswer, ownAnswer, r53, previous] = await Promise.all([
      designation(),
      get(s.peerHealthUrl, s.timeoutMs),
      get(s.ownHealthUrl, s.timeoutMs),
      route53View(),
      loadState(),
    ]);
    // Unknown designation: expect the peer to be active (the stricter reading) and never start a failover.
    const peerActive = active !== s.site;
    const peer = classifyHealth(peerAnswer.status, peerAnswer.body, peerActive);
    const own = classifyHealth(ownAnswer.status, ownAnswer.body, active === s.site);
    let next = nextState(previous, peer, at, 2 * s.intervalMs + s.timeoutMs);
    const decision = shouldStart({
      automatic: s.stateMachineArn !== undefined,
      ownSitePassive: active === peerSite,
      state: next,
      threshold: s.threshold,
      route53: r53,
    });
    let started: string | undefined;
    if (decision.start && s.stateMachineArn) {
      const evidence = {
        trigger: 'prober',
        watcherRegion: s.region,
        failedSite: peerSite,
        failedRegion: s.peerRegion,
        consecutiveFailures: next.streak,
        threshold: s.threshold,
        route53View: r53,
        lastPeerAnswer: peerAnswer.status ?? peerAnswer.error ?? 'no answer',
        observedAt: at.toISOString(),
      };
      try {
        const r = await sfn.send(
          new StartExecutionCommand({
            stateMachineArn: s.stateMachineArn,
            name: `auto-${at.toISOString().replace(/[^0-9]/g, '').slice(0, 14)}`,
            input: JSON.stringify({ evidence }),
          }),
          deadline(),
        );
        started = r.executionArn;
        next = { ...next, triggeredAt: at.toISOString() };
        logger.error('automatic failover started', { executionArn: started, evidence });
      } catch (err) {
        logger.error('could not start the failover controller; the next probe tries again', { error: describeError(err) });
      }
    }
    if (next.streak > 0 || (previous?.streak ?? 0) > 0 || next.triggeredAt !== previous?.triggeredAt) await saveState(next);
    state = next;

    const dims = (name: string, value: string) => [{ Name: name, Value: value }];
    const data: MetricDatum[] = [
      { MetricName: 'PeerUp', Dimensions: dims('PeerRegion', s.peerRegion), Value: peer === 'up' ? 1 : 0, StorageResolution: 1, Timestamp: at, Unit: 'Count' },
      { MetricName: 'OwnSiteUp', Dimensions: dims('Region', s.region), Value: own === 'up' ? 1 : 0, StorageResolution: 1, Timestamp: at, Unit: 'Count' },
    ];
    if (r53 !== 'unknown') {
      data.push({ MetricName: 'PeerRoute53Healthy', Dimensions: dims('PeerRegion', s.peerRegion), Value: r53 === 'healthy' ? 1 : 0, StorageResolution: 1, Timestamp: at, Unit: 'Count' });
    }
    try {
      await cloudwatch.send(new PutMetricDataCommand({ Namespace: METRICS_NAMESPACE, MetricData: data }), deadline());
    } catch (err) {
      // The alarms treat missing data as breaching for "prober silent": a probe that cannot report still pages.
      logger.error('metrics not published', { error: describeError(err) });
    }
    const result: ProbeResult = {
      at: at.toISOString(),
      designation: active,
      peer,
      ...(peer === 'down' ? { peerDetail: String(peerAnswer.status ?? peerAnswer.error ?? 'no answer') } : {}),
      own,
      route53: r53,
      streak: next.streak,
      ...(started ? { started } : {}),
      reason: decision.reason,
    };
    (peer === 'down' || own === 'down' ? logger.warn : logger.info).call(logger, 'probe', { ...result });
    return result;
  }

  /** Probes every interval until the scheduled minute (or the invocation's time) is used up. */
  async function run(context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<ProbeResult[]> {
    const began = now().getTime();
    const budget = Math.min(s.runForMs, (context?.getRemainingTimeInMillis() ?? s.runForMs + s.intervalMs) - s.intervalMs);
    const results: ProbeResult[] = [];
    for (;;) {
      const round = now().getTime();
      results.push(await probe());
      const nextAt = round + s.intervalMs;
      if (nextAt - began > budget) break;
      await sleep(Math.max(0, nextAt - now().getTime()));
    }
    return results;
  }

  // Powertools' handler decorators: the invocation's subsegment and the Lambda context on every log line.
  const handler = lambdaHandler({ tracer, logger }, async (_event: unknown, context: Context) => {
    stateLoaded = false; // re-read once per invocation: another environment may have probed in between
    const results = await run(context);
    return { probes: results.length, last: results[results.length - 1] };
  });

  return { probe, run, handler, settings: s };
}

let instance: ReturnType<typeof createProber> | undefined;

export const handler = (event: unknown, context: Context) => {
  instance ??= createProber();
  return instance.handler(event, context);
};
