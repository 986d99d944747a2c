import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type EventPathSection, renderEventPathMarkdown } from './event-path-report';

/**
 * DR objectives as code. From the stack's own settings, every step from "the active region fails" to "a client's
 * payment succeeds through the public name" is counted with its worst-case bound, where the bound comes from
 * (a quoted AWS document, our configuration, a budget we enforce, or a stated assumption), whether AWS guarantees
 * it, and a typical figure where a guide gives one. Both directions (losing the primary site, losing the DR site
 * once it is active) and both modes (manual, automatic) are counted, plus the planned failback. Synth fails when
 * the configured mode cannot meet the declared RTO in either direction, or an RPO objective cannot be met.
 */

export interface DrObjectives {
  /** Recovery time objective: payments accepted again through the public name after the active region is lost. */
  readonly rtoSeconds: number;
  /** Recovery point objective for payment data (Aurora). */
  readonly rpoSeconds: number;
  /** Recovery point objective for object storage (S3 audit records); S3 RTC guarantees 15 minutes. */
  readonly objectStorageRpoSeconds: number;
  /**
   * Manual mode: the runbook's wait before a failover is decided (RUNBOOK.md section 2: the alarm must persist
   * past the decision time). A floor, not a bound: the bound adds the on-call policy's acknowledgement and second
   * person (see {@link DrDesign.manualAcknowledgeSeconds}).
   */
  readonly failoverDecisionSeconds: number;
}

export type FailoverMode = 'manual' | 'automatic';

export interface DrDesign {
  /** The configured failover mode; the RTO verdict is for this mode (the other is reported too). */
  readonly mode: FailoverMode;
  readonly regions: { readonly primary: string; readonly dr: string };
  readonly healthCheckIntervalSeconds: number;
  readonly healthCheckFailureThreshold: number;
  /** TTL of the failover records (non-alias CNAMEs, `dns.recordTtlSeconds`). */
  readonly dnsTtlSeconds: number;
  /** `rds.global_db_rpo` on the active cluster: commits block when no secondary is within this lag. */
  readonly auroraGlobalDbRpoSeconds: number;
  /** Prober: seconds between probes, the timeout of one probe, consecutive failures before "down". */
  readonly probeIntervalSeconds: number;
  readonly probeTimeoutSeconds: number;
  readonly probeFailureThreshold: number;
  /** Promotion deadline the controller (and the CLI's wait) is held to; AWS guarantees no figure. */
  readonly promotionBudgetSeconds: number;
  /** Provisioned concurrency of the payment function (0: none, a cold start is counted). */
  readonly paymentProvisionedConcurrency: number;
  /** Connection timeout of the payment function's database pool (ms). */
  readonly paymentDbConnectTimeoutMs: number;
  /** Manual mode: the on-call policy's page acknowledgement time. */
  readonly manualAcknowledgeSeconds: number;
  /** Manual mode: time for the second person the runbook requires to confirm a failover. */
  readonly manualSecondPersonSeconds: number;
  /** The active site (config `activeRegion`) and its region. @default primary, `regions.primary` */
  readonly active?: SiteRef;
  /** The passive site. @default dr, `regions.dr` */
  readonly passive?: SiteRef;
  /**
   * Replaces the DNS steps (Route 53 seeing the new site healthy, the TTL, client caching) when clients do not come
   * through DNS failover (edge.mode "accelerator", src/edge-objectives.ts).
   */
  readonly edgeFailover?: ComponentBound;
}

/** A site of the platform and the region it is in. */
export interface SiteRef {
  readonly site: 'primary' | 'dr';
  readonly region: string;
}

/** Where a failover goes from the current configuration, and where failback returns. */
export interface Directions {
  /** From the active site to the passive one (what the RTO and RPO above are for). */
  readonly failover: string;
  /** Back to the site that is active now, once it is rebuilt as secondary (`npm run dr -- failback`). */
  readonly failback: string;
}

export type Objective = 'RTO' | 'RPO' | 'object-storage RPO' | 'sessions (best effort)';

/** Where a bound comes from. */
export type Basis = 'aws-doc' | 'config' | 'budget' | 'policy' | 'assumption';

export interface RecoveryStep {
  readonly step: string;
  readonly mechanism: string;
  /** Worst-case seconds this step adds to the recovery time (0 when it runs off the critical path). */
  readonly boundSeconds: number;
  /** A typical figure, when a guide gives one (labelled typical, never used in the verdict). */
  readonly typicalSeconds?: number;
  readonly basis: Basis;
  /** The quoted document, the config key or the measurement the bound comes from. */
  readonly source: string;
  /** Whether AWS guarantees the bound (false for budgets we hold ourselves to, policies and assumptions). */
  readonly awsGuaranteed: boolean;
}

export type Direction = 'failover' | 'failback';

export interface RecoveryScenario {
  readonly id: string;
  readonly title: string;
  readonly mode: FailoverMode | 'planned';
  readonly direction: Direction;
  readonly from: string;
  readonly to: string;
  readonly steps: readonly RecoveryStep[];
  readonly worstCaseSeconds: number;
  /** Sum of the typical figures, the bound where no typical figure exists. */
  readonly typicalSeconds: number;
  /** Whether the RTO verdict is taken from this scenario (the configured mode, unplanned). */
  readonly judged: boolean;
}

export interface ComponentBound {
  readonly component: string;
  readonly mechanism: string;
  readonly boundSeconds: number;
  readonly source: string;
  readonly objective: Objective;
  readonly guaranteed: boolean;
}

export interface ObjectiveVerdict {
  readonly objective: Objective;
  readonly targetSeconds: number;
  readonly worstCaseSeconds: number;
  readonly met: boolean;
  /**
   * Terms of the worst case that are budgets we set and enforce (basis "budget"), not bounds AWS gives: the worst
   * case is a designed worst case while they hold. Empty when every term is a documented bound, config or policy.
   */
  readonly budgetedTerms: readonly string[];
}

export interface DrReport {
  readonly objectives: DrObjectives;
  readonly design: DrDesign;
  readonly scenarios: readonly RecoveryScenario[];
  /** The data stores (RPO side). */
  readonly components: readonly ComponentBound[];
  readonly verdicts: readonly ObjectiveVerdict[];
  /** What the bounds assume and what they leave out, stated. */
  readonly assumptions: readonly string[];
  /** Empty when every objective is met. */
  readonly problems: readonly string[];
  readonly directions: Directions;
  /** The payment-event path (src/event-path-report.ts). */
  readonly eventPath?: EventPathSection;
}

/** The smallest `rds.global_db_rpo` Aurora PostgreSQL accepts. */
export const MIN_GLOBAL_DB_RPO_SECONDS = 20;
/** S3 Replication Time Control: 99.99% of objects within 15 minutes (S3 User Guide, replication-time-control). */
export const S3_RTC_SECONDS = 900;
/** Lambda's Init phase limit (Lambda developer guide, lambda-runtime-environment). */
export const LAMBDA_INIT_LIMIT_SECONDS = 10;
/** Per-call deadline of the controller's AWS calls (an abort signal on every call: lambdas/failover-controller). */
export const AWS_CALL_DEADLINE_SECONDS = 5;
/**
 * Per-call deadline of the DR CLI's AWS calls: connection 3 s, request 5 s (throwing), at most 2 attempts, 12 s on the
 * whole call (src/dr-cli, README "DR operations").
 */
export const CLI_CALL_DEADLINE_SECONDS = 12;
/** The CLI polls the global cluster this often while it waits for the new writer (`--poll-interval`, default). */
export const CLI_POLL_SECONDS = 10;
/** The controller polls the global cluster this often while it waits for the new writer. */
export const CONTROLLER_POLL_SECONDS = 5;
/** TTL of the Route 53 status records the prober resolves to read Route 53's own view of the other site. */
export const ROUTE53_VIEW_TTL_SECONDS = 5;
/** How long the Lambdas cache the active-site designation (lambdas/shared/designation.ts DESIGNATION_CACHE_MS: at most 5 s). */
export const DESIGNATION_CACHE_SECONDS = 5;
/** High-resolution alarms on the prober's metrics: 10-second period, evaluated every 10 seconds. */
export const PROBER_ALARM_PERIOD_SECONDS = 10;
/** Budget for SNS to deliver a page to a phone or an incident tool (SNS publishes no delivery-time figure). */
export const NOTIFICATION_BUDGET_SECONDS = 60;
/** Budget for EventBridge Scheduler/Step Functions to start the controller's first task after StartExecution. */
export const CONTROLLER_START_BUDGET_SECONDS = 5;
/** The controller's page when a promotion outlasts its budget (lambdas/failover-controller, PROMOTION_BUDGET_EXCEEDED_SUBJECT). */
export const PROMOTION_BUDGET_PAGE = 'promotion exceeded its budget; RTO objective breached';
/** How long the controller (PROMOTION_GIVE_UP_MS) and the CLI (--timeout default) wait for a promotion before giving up. */
export const PROMOTION_GIVE_UP_SECONDS = 15 * 60;
/** "A few minutes" read as 5 minutes, for the report's sensitivity line (not a bound AWS gives either). */
export const SLOW_PROMOTION_SECONDS = 300;
/** Starting the DR CLI and reading the stack outputs (measured locally well under a second; budgeted). */
export const CLI_START_BUDGET_SECONDS = 5;

/** Quotes from the AWS documentation, one place, so each bound cites the same words. */
export const QUOTES = {
  route53Threshold:
    'Route 53 API, HealthCheckConfig.FailureThreshold: "The number of consecutive health checks that an endpoint must pass or fail for Amazon Route 53 to change the current status of the endpoint from unhealthy to healthy or vice versa."',
  route53Interval:
    'Route 53 developer guide, dns-failover-determining-health-of-endpoints: "you can specify the interval between checks: every 10 seconds or every 30 seconds. Note that Route 53 health checkers in different data centers don\'t coordinate with one another"',
  route53Aggregation:
    'Route 53 developer guide, dns-failover-determining-health-of-endpoints: "If more than 18% of health checkers report that an endpoint is healthy, Route 53 considers it healthy. If 18% or fewer of health checkers report that an endpoint is healthy, Route 53 considers it unhealthy." (the delay of this aggregation is not documented: one interval is budgeted)',
  auroraRto:
    'Aurora User Guide, aurora-global-database-disaster-recovery: "For an Aurora global database, RTO can be in the order of minutes." No guaranteed figure for FailoverGlobalCluster',
  auroraTypical:
    'AWS Well-Architected Labs, DR workshop, Aurora failover: "you can promote a secondary region to take full read-write responsibilities in under a minute"',
  cloudwatchHighRes:
    'CloudWatch User Guide, AlarmThatSendsEmail: "If the alarm period is 10 seconds or 30 seconds, the alarm is evaluated every 10 seconds."',
  lambdaInit:
    'Lambda developer guide, lambda-runtime-environment: "The Init phase is limited to 10 seconds." and "The 10-second timeout doesn\'t apply to functions that use provisioned concurrency"',
} as const;

export class DrObjectiveError extends Error {
  constructor(public readonly problems: readonly string[]) {
    super(`The design cannot meet the declared DR objectives:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'DrObjectiveError';
  }
}

/** Route 53 turns a health check's status after `threshold` consecutive checks, in either direction, plus aggregation. */
function route53StatusChange(d: DrDesign): number {
  return d.healthCheckIntervalSeconds * d.healthCheckFailureThreshold + d.healthCheckIntervalSeconds;
}

/** The steps both modes share once the promotion is requested, up to the client's first successful payment. */
/** The DNS steps, or the edge's single term when clients come through Global Accelerator. */
function edgeSteps(d: DrDesign): RecoveryStep[] {
  if (d.edgeFailover) {
    return [
      {
        step: d.edgeFailover.component,
        mechanism: d.edgeFailover.mechanism,
        boundSeconds: d.edgeFailover.boundSeconds,
        basis: 'aws-doc',
        source: d.edgeFailover.source,
        awsGuaranteed: d.edgeFailover.guaranteed,
      },
    ];
  }
  return [
    {
      step: 'DNS: Route 53 sees the new site healthy',
      mechanism: `The new site's deep /health passes; Route 53 needs ${d.healthCheckFailureThreshold} consecutive passes at ${d.healthCheckIntervalSeconds} s (the threshold applies in both directions), plus one interval for aggregation; then it answers the SECONDARY/new record`,
      boundSeconds: route53StatusChange(d),
      basis: 'aws-doc',
      source: `config dns.healthCheckIntervalSeconds × dns.healthCheckFailureThreshold; ${QUOTES.route53Threshold}; ${QUOTES.route53Aggregation}`,
      awsGuaranteed: false,
    },
    {
      step: 'DNS TTL',
      mechanism: `Resolvers may keep the old answer for the record's TTL (${d.dnsTtlSeconds} s, a non-alias CNAME so the TTL is ours)`,
      boundSeconds: d.dnsTtlSeconds,
      basis: 'config',
      source: 'config dns.recordTtlSeconds',
      awsGuaranteed: false,
    },
    {
      step: 'Client-side DNS caching',
      mechanism: 'Assumed: clients and their resolvers honour the TTL (e.g. JVM networkaddress.cache.ttl at most the TTL, no resolver that raises TTLs). A client that caches longer recovers later than this bound',
      boundSeconds: 0,
      basis: 'assumption',
      source: 'stated assumption (client contract in README)',
      awsGuaranteed: false,
    },
  ];
}

function afterPromotion(d: DrDesign, actor: 'controller' | 'cli', to: string): RecoveryStep[] {
  const poll = actor === 'controller' ? CONTROLLER_POLL_SECONDS : CLI_POLL_SECONDS;
  const callDeadline = actor === 'controller' ? AWS_CALL_DEADLINE_SECONDS : CLI_CALL_DEADLINE_SECONDS;
  const pc = d.paymentProvisionedConcurrency;
  return [
    {
      step: 'Aurora promotion',
      mechanism:
        `FailoverGlobalCluster (AllowDataLoss) promotes the ${to} cluster; the ${actor === 'controller' ? 'controller' : 'CLI'} polls every ${poll} s. ` +
        `The ${d.promotionBudgetSeconds} s bound is a budget we set, NOT an AWS guarantee (AWS: "in the order of minutes"). ` +
        (actor === 'controller'
          ? `The controller enforces it as a detection deadline: past it, it pages "${PROMOTION_BUDGET_PAGE}", records it in the run record and keeps waiting (it gives up, and pages FAILED, after ${PROMOTION_GIVE_UP_SECONDS / 60} min). `
          : `The CLI does not page at the budget: it shows the elapsed time and waits up to its --timeout (${PROMOTION_GIVE_UP_SECONDS / 60} min by default). `) +
        `Worst case if Aurora takes its documented "minutes": the bound no longer holds and this term is whatever Aurora takes; read as ${SLOW_PROMOTION_SECONDS} s ("a few minutes") it is ${SLOW_PROMOTION_SECONDS + poll} s (+${SLOW_PROMOTION_SECONDS - d.promotionBudgetSeconds} s on this scenario), at most ${PROMOTION_GIVE_UP_SECONDS + poll} s before the ${actor === 'controller' ? 'controller' : 'CLI'} stops waiting`,
      boundSeconds: d.promotionBudgetSeconds + poll,
      typicalSeconds: 60 + poll,
      basis: 'budget',
      source: `config failover.promotionBudgetSeconds (${d.promotionBudgetSeconds} s, a detection deadline${actor === 'controller' ? ' the controller enforces and pages on' : ''}, not an AWS figure); ${QUOTES.auroraRto}; typical: ${QUOTES.auroraTypical}`,
      awsGuaranteed: false,
    },
    {
      step: 'Designation and rds.global_db_rpo',
      mechanism:
        `The active-site parameter in ${to} set to the new site (one call, ${callDeadline} s deadline); the Lambdas see it within their ${DESIGNATION_CACHE_SECONDS} s cache. ` +
        'rds.global_db_rpo is not on the path: after an unplanned failover it waits until the old cluster is a connected secondary (on the new writer it would block every commit meanwhile)',
      boundSeconds: callDeadline + DESIGNATION_CACHE_SECONDS,
      basis: 'config',
      source: `per-call deadline (${actor === 'controller' ? 'lambdas/failover-controller' : 'src/dr-cli bounded calls'}) and the designation cache (lambdas/shared/designation.ts)`,
      awsGuaranteed: false,
    },
    ...edgeSteps(d),
    {
      step: 'Lambda cold start',
      mechanism:
        pc > 0
          ? `Provisioned concurrency ${pc} keeps initialized environments of the payment function in ${to}: the first ${pc} concurrent payments meet no Init phase`
          : `No provisioned concurrency: the first payment in ${to} may wait for a new execution environment's Init phase`,
      boundSeconds: pc > 0 ? 0 : LAMBDA_INIT_LIMIT_SECONDS,
      typicalSeconds: pc > 0 ? 0 : 1,
      basis: pc > 0 ? 'config' : 'aws-doc',
      // Not a guarantee either way: an Init that overruns 10 s is retried inside the first invocation.
      source: `config api.paymentProvisionedConcurrency (${pc}); ${QUOTES.lambdaInit} (an Init that overruns is retried within the invocation; ours does no I/O at load)`,
      awsGuaranteed: false,
    },
    {
      step: 'First connection to the new writer',
      mechanism: `The payment function's pool opens a TLS connection to its regional cluster endpoint (connection timeout ${d.paymentDbConnectTimeoutMs} ms; a connection that still sees read-only is dropped and the payment answers 503 with Retry-After)`,
      boundSeconds: Math.ceil(d.paymentDbConnectTimeoutMs / 1000),
      typicalSeconds: 0.2,
      basis: 'config',
      source: 'lambdas/payment-processor db.connectionTimeoutMillis',
      awsGuaranteed: false,
    },
  ];
}

function proberDetection(d: DrDesign): number {
  // The failure starts just after a passing probe: the next probe comes within one interval, the k-th failing one
  // (k-1) intervals later, and it fails after at most the probe timeout.
  return d.probeFailureThreshold * d.probeIntervalSeconds + d.probeTimeoutSeconds;
}

function route53View(d: DrDesign): number {
  // Route 53 marks the failed site unhealthy, its status record's answer may be cached for its TTL, and the
  // prober reads it at its next probe.
  return route53StatusChange(d) + ROUTE53_VIEW_TTL_SECONDS + d.probeIntervalSeconds;
}

function unplannedSteps(d: DrDesign, mode: FailoverMode, from: string, to: string, o: DrObjectives): RecoveryStep[] {
  if (mode === 'automatic') {
    return [
      {
        step: 'Detection (prober AND Route 53)',
        mechanism:
          `The prober in ${to} probes ${from}'s public /health every ${d.probeIntervalSeconds} s (timeout ${d.probeTimeoutSeconds} s) and needs ${d.probeFailureThreshold} consecutive failures ` +
          `(${proberDetection(d)} s); it also needs Route 53's own view of ${from} to be unhealthy, read through a failover status record (TTL ${ROUTE53_VIEW_TTL_SECONDS} s) ` +
          `that Route 53 answers from the health check (${route53View(d)} s). Both run in parallel: the larger counts`,
        boundSeconds: Math.max(proberDetection(d), route53View(d)),
        basis: 'aws-doc',
        source: `config failover.probe*, dns.healthCheck*; ${QUOTES.route53Threshold}; ${QUOTES.route53Aggregation}`,
        awsGuaranteed: false,
      },
      {
        step: 'Alarm evaluation',
        mechanism: 'None on this path: the prober starts the controller itself (its alarms page in parallel)',
        boundSeconds: 0,
        basis: 'config',
        source: 'design (lambdas/prober)',
        awsGuaranteed: false,
      },
      {
        step: 'Notification',
        mechanism: 'The controller pages at start and end; nobody waits for the page',
        boundSeconds: 0,
        basis: 'config',
        source: 'design (failover controller)',
        awsGuaranteed: false,
      },
      {
        step: 'Decision',
        mechanism: `The controller (Step Functions, ${to}) starts and its first task checks the guards: kill switch, no DR operation or deploy in progress, cool-down, the designation; the last replication lag is recorded (parallel reads, ${AWS_CALL_DEADLINE_SECONDS} s deadline). The controller's Lambda has provisioned concurrency 1, so no Init phase is on the path`,
        boundSeconds: CONTROLLER_START_BUDGET_SECONDS + AWS_CALL_DEADLINE_SECONDS,
        typicalSeconds: 2,
        basis: 'budget',
        source: `budget for StartExecution to the first task; per-call deadline; ${QUOTES.lambdaInit}`,
        awsGuaranteed: false,
      },
      {
        step: 'Pre-steps',
        mechanism: 'None besides the guard reads above; nothing is read from the failed region',
        boundSeconds: 0,
        basis: 'config',
        source: 'design (failover controller)',
        awsGuaranteed: false,
      },
      {
        step: 'Fencing (parallel)',
        mechanism: `The ${from} payment function throttled to 0 and its designation set, best effort, in a parallel branch with its own ${AWS_CALL_DEADLINE_SECONDS * 3} s timeout: never on the critical path`,
        boundSeconds: 0,
        basis: 'config',
        source: 'state machine definition (Parallel state, branch timeout)',
        awsGuaranteed: false,
      },
      ...afterPromotion(d, 'controller', to),
    ];
  }
  return [
    {
      step: 'Detection',
      mechanism: `The prober in ${to} needs ${d.probeFailureThreshold} consecutive failed probes of ${from} at ${d.probeIntervalSeconds} s (timeout ${d.probeTimeoutSeconds} s)`,
      boundSeconds: proberDetection(d),
      basis: 'config',
      source: 'config failover.probeIntervalSeconds, probeTimeoutSeconds, probeFailureThreshold',
      awsGuaranteed: false,
    },
    {
      step: 'Alarm evaluation',
      mechanism: `The ${to} alarm on the prober's high-resolution metric (period ${PROBER_ALARM_PERIOD_SECONDS} s, ${d.probeFailureThreshold} of ${d.probeFailureThreshold}) is evaluated every ${PROBER_ALARM_PERIOD_SECONDS} s`,
      boundSeconds: PROBER_ALARM_PERIOD_SECONDS,
      basis: 'aws-doc',
      source: QUOTES.cloudwatchHighRes,
      awsGuaranteed: false,
    },
    {
      step: 'Notification',
      mechanism: `The pager topic in ${to} (our key) delivers to e-mail, SMS and the incident tool's HTTPS endpoint`,
      boundSeconds: NOTIFICATION_BUDGET_SECONDS,
      typicalSeconds: 5,
      basis: 'budget',
      source: 'budget: SNS publishes no delivery-time figure',
      awsGuaranteed: false,
    },
    {
      step: 'Decision',
      mechanism:
        `A floor is not a bound: the runbook waits until the alarm persists ${o.failoverDecisionSeconds} s and asks a second person to confirm. ` +
        `Bound: the later of the on-call acknowledgement (${d.manualAcknowledgeSeconds} s) and the runbook's wait, plus the second person (${d.manualSecondPersonSeconds} s)`,
      boundSeconds: Math.max(d.manualAcknowledgeSeconds, o.failoverDecisionSeconds) + d.manualSecondPersonSeconds,
      basis: 'policy',
      source: 'RUNBOOK.md section 2 (5-minute wait, second person); config failover.manualAcknowledgeSeconds, failover.manualSecondPersonSeconds (the on-call policy)',
      awsGuaranteed: false,
    },
    {
      step: 'Pre-steps (CLI)',
      mechanism: `npm run dr -- failover: start and read the outputs, then the surviving region's reads in parallel with a ${CLI_CALL_DEADLINE_SECONDS} s per-call deadline; the failed region is never waited on`,
      boundSeconds: CLI_START_BUDGET_SECONDS + CLI_CALL_DEADLINE_SECONDS,
      basis: 'config',
      source: 'src/dr-cli bounded calls (connection 3 s, request 5 s, 2 attempts, 12 s per call)',
      awsGuaranteed: false,
    },
    {
      step: 'Fencing (parallel)',
      mechanism: `Throttling the ${from} payment function runs in parallel with the promotion, best effort, recorded`,
      boundSeconds: 0,
      basis: 'config',
      source: 'issue 15 section 4 (the CLI fences in parallel)',
      awsGuaranteed: false,
    },
    ...afterPromotion(d, 'cli', to),
  ];
}

function plannedFailbackSteps(d: DrDesign, from: string, to: string): RecoveryStep[] {
  const steps = afterPromotion(d, 'cli', to).filter((s) => s.step !== 'Aurora promotion');
  return [
    {
      step: 'Pre-steps (CLI)',
      mechanism: `npm run dr -- failback (a switchover back): both regions answer; reads in parallel with a ${CLI_CALL_DEADLINE_SECONDS} s deadline`,
      boundSeconds: CLI_START_BUDGET_SECONDS + CLI_CALL_DEADLINE_SECONDS,
      basis: 'config',
      source: 'src/dr-cli bounded calls (12 s per call)',
      awsGuaranteed: false,
    },
    {
      step: 'Aurora switchover',
      mechanism: `SwitchoverGlobalCluster from ${from} to ${to}: no data loss; "Your database is unavailable for a short time" while the roles change`,
      boundSeconds: d.promotionBudgetSeconds + CLI_POLL_SECONDS,
      basis: 'budget',
      source: `config failover.promotionBudgetSeconds; RDS API reference, SwitchoverGlobalCluster: "Your database is unavailable for a short time while the primary and selected secondary clusters are assuming their new roles."`,
      awsGuaranteed: false,
    },
    ...steps,
  ];
}

function scenario(
  id: string,
  title: string,
  mode: RecoveryScenario['mode'],
  direction: Direction,
  from: string,
  to: string,
  steps: RecoveryStep[],
  judged: boolean,
): RecoveryScenario {
  const worstCaseSeconds = steps.reduce((a, s) => a + s.boundSeconds, 0);
  const typicalSeconds = Math.round(steps.reduce((a, s) => a + (s.typicalSeconds ?? s.boundSeconds), 0));
  return { id, title, mode, direction, from, to, steps, worstCaseSeconds, typicalSeconds, judged };
}

export function evaluateObjectives(objectives: DrObjectives, design: DrDesign): DrReport {
  const { primary, dr } = design.regions;
  const active: SiteRef = design.active ?? { site: 'primary', region: primary };
  const passive: SiteRef = design.passive ?? { site: 'dr', region: dr };
  const activeName = `${active.site} (${active.region})`;
  const passiveName = `${passive.site} (${passive.region})`;
  const directions: Directions = {
    failover: `${activeName} -> ${passiveName}`,
    failback: `${passiveName} -> ${activeName}`,
  };
  const scenarios: RecoveryScenario[] = [];
  for (const mode of ['automatic', 'manual'] as const) {
    const judged = mode === design.mode;
    scenarios.push(
      scenario(`failover-${mode}`, `active site ${activeName} lost, ${mode}`, mode, 'failover', active.region, passive.region, unplannedSteps(design, mode, active.region, passive.region, objectives), judged),
      scenario(
        `failback-${mode}`,
        `${passive.site} site (${passive.region}) lost once it is active (after a failover), ${mode}`,
        mode,
        'failback',
        passive.region,
        active.region,
        unplannedSteps(design, mode, passive.region, active.region, objectives),
        judged,
      ),
    );
  }
  scenarios.push(
    scenario('failback-planned', `planned failback to ${activeName} (npm run dr -- failback)`, 'planned', 'failback', passive.region, active.region, plannedFailbackSteps(design, passive.region, active.region), false),
  );

  const components: ComponentBound[] = [
    {
      component: 'Aurora global database',
      mechanism: `Storage-level replication; rds.global_db_rpo = ${design.auroraGlobalDbRpoSeconds} s on the active cluster (${activeName}) blocks commits when the ${passiveName} cluster lags more (so a problem in the passive region pauses payment writes: availability traded for bounded loss)`,
      boundSeconds: design.auroraGlobalDbRpoSeconds,
      source: 'Aurora User Guide, aurora-global-database-disaster-recovery (Managing RPOs for Aurora PostgreSQL)',
      objective: 'RPO',
      guaranteed: true,
    },
    {
      component: 'S3 payment artefacts',
      mechanism: 'Two-way cross-region replication with Replication Time Control, replication metrics and replica modification sync',
      boundSeconds: S3_RTC_SECONDS,
      source: 'S3 User Guide, replication-time-control (99.99% of objects within 15 minutes)',
      objective: 'object-storage RPO',
      guaranteed: true,
    },
    {
      component: 'DynamoDB sessions',
      mechanism: 'Global table replica (last writer wins); sessions are re-creatable, payments never depend on them',
      boundSeconds: 1,
      source: 'DynamoDB developer guide, V2globaltables_HowItWorks (typically within a second, no SLA)',
      objective: 'sessions (best effort)',
      guaranteed: false,
    },
  ];

  const judged = scenarios.filter((s) => s.judged);
  const rtoWorst = Math.max(...judged.map((s) => s.worstCaseSeconds));
  const max = (o: Objective) => Math.max(...components.filter((c) => c.objective === o).map((c) => c.boundSeconds));
  const rtoWorstScenario = judged.reduce((a, x) => (x.worstCaseSeconds > a.worstCaseSeconds ? x : a));
  const rtoBudgets = rtoWorstScenario.steps.filter((st) => st.basis === 'budget' && st.boundSeconds > 0).map((st) => `${st.step} ${st.boundSeconds} s`);
  const verdicts: ObjectiveVerdict[] = [
    { objective: 'RTO', targetSeconds: objectives.rtoSeconds, worstCaseSeconds: rtoWorst, met: rtoWorst <= objectives.rtoSeconds, budgetedTerms: rtoBudgets },
    { objective: 'RPO', targetSeconds: objectives.rpoSeconds, worstCaseSeconds: max('RPO'), met: max('RPO') <= objectives.rpoSeconds, budgetedTerms: [] },
    {
      objective: 'object-storage RPO',
      targetSeconds: objectives.objectStorageRpoSeconds,
      worstCaseSeconds: max('object-storage RPO'),
      met: max('object-storage RPO') <= objectives.objectStorageRpoSeconds,
      budgetedTerms: [],
    },
  ];

  const problems: string[] = [];
  if (!verdicts[0].met) {
    const worst = judged.reduce((a, s) => (s.worstCaseSeconds > a.worstCaseSeconds ? s : a));
    const parts = worst.steps.filter((s) => s.boundSeconds > 0).map((s) => `${s.step} ${s.boundSeconds} s`).join(' + ');
    const hint =
      design.mode === 'manual'
        ? 'Raise rtoSeconds, or use failover.mode "automatic" (no human decision on the path)'
        : 'Raise rtoSeconds, or shorten the largest terms: dns.healthCheckFailureThreshold, dns.recordTtlSeconds, failover.probe*, failover.promotionBudgetSeconds, api.paymentProvisionedConcurrency >= 1';
    problems.push(
      `objectives.rtoSeconds: ${objectives.rtoSeconds} s cannot be met in ${design.mode} mode; the design allows up to ${rtoWorst} s (${worst.title}: ${parts}). ${hint}.`,
    );
  }
  if (objectives.rpoSeconds < MIN_GLOBAL_DB_RPO_SECONDS) {
    problems.push(
      `objectives.rpoSeconds: ${objectives.rpoSeconds} s cannot be guaranteed; Aurora's rds.global_db_rpo accepts at least ${MIN_GLOBAL_DB_RPO_SECONDS} s (replication is typically sub-second, but only the parameter bounds it). Use rpoSeconds >= ${MIN_GLOBAL_DB_RPO_SECONDS}.`,
    );
  } else if (!verdicts[1].met) {
    problems.push(`objectives.rpoSeconds: ${objectives.rpoSeconds} s is below the configured rds.global_db_rpo of ${design.auroraGlobalDbRpoSeconds} s.`);
  }
  if (!verdicts[2].met) {
    problems.push(
      `objectives.objectStorageRpoSeconds: ${objectives.objectStorageRpoSeconds} s cannot be met; S3 Replication Time Control guarantees ${S3_RTC_SECONDS} s (15 minutes). Use objectStorageRpoSeconds >= ${S3_RTC_SECONDS}.`,
    );
  }
  // What the judged worst case becomes if Aurora takes "a few minutes" (read as 300 s) instead of the budget.
  const judgedWorst = judged.reduce((a, x) => (x.worstCaseSeconds > a.worstCaseSeconds ? x : a));
  const promotion = judgedWorst.steps.find((x) => x.step === 'Aurora promotion');
  const slowPromotion = promotion ? judgedWorst.worstCaseSeconds - promotion.boundSeconds + SLOW_PROMOTION_SECONDS + (promotion.boundSeconds - design.promotionBudgetSeconds) : undefined;
  const assumptions = [
    ...(slowPromotion !== undefined
      ? [
          `Sensitivity: with an Aurora promotion of ${SLOW_PROMOTION_SECONDS} s ("a few minutes"; AWS gives no figure) instead of the ${design.promotionBudgetSeconds} s budget, ${judgedWorst.title} takes up to ${slowPromotion} s.`,
        ]
      : []),
    'Clients and their resolvers honour the DNS TTL (stated above; a client caching longer recovers later).',
    'The surviving region\'s services (Lambda, Step Functions, SSM, RDS, SNS, CloudWatch) work; Route 53 health checking and DNS answering (its data plane) work. Nothing on the path calls the Route 53 API, which is served from us-east-1.',
    `Budgets (basis "budget") are deadlines we hold ourselves to, not AWS guarantees: when one is exceeded the run says so (the controller pages "${PROMOTION_BUDGET_PAGE}" and keeps waiting), and the bound no longer holds.`,
    'Aurora promotion has no guaranteed duration; the bound is failover.promotionBudgetSeconds. The typical column uses the guides\' "under a minute".',
    'Failback (unplanned) is the same sequence with the sites swapped, once activeRegion is "dr"; the planned failback is a switchover (no data loss).',
  ];
  return { objectives, design, scenarios, components, verdicts, assumptions, problems, directions };
}

/** Evaluates and throws a DrObjectiveError listing every objective the design cannot meet. */
export function assertObjectives(objectives: DrObjectives, design: DrDesign): DrReport {
  const report = evaluateObjectives(objectives, design);
  if (report.problems.length > 0) throw new DrObjectiveError(report.problems);
  return report;
}

const cell = (s: string) => s.replace(/\|/g, '\\|');

export function renderMarkdown(report: DrReport, stackName: string): string {
  const verdicts = report.verdicts.map(
    (v) =>
      `| ${v.objective} | ${v.targetSeconds} s | ${v.worstCaseSeconds} s${v.budgetedTerms.length > 0 ? ' (designed)' : ''} | ${v.met ? 'met' : '**NOT MET**'}${
        v.budgetedTerms.length > 0 ? ` while our budgets hold (${v.budgetedTerms.join(', ')}: budgets we set, not AWS bounds; see each step and the sensitivity under Assumptions)` : ''
      } |`,
  );
  const summary = report.scenarios.map(
    (s) => `| ${s.title} | ${s.mode} | ${s.worstCaseSeconds} s | ${s.typicalSeconds} s (typical) | ${s.judged ? 'judged against rtoSeconds' : 'reported'} |`,
  );
  const sections = report.scenarios.flatMap((s) => [
    `### ${s.title}`,
    '',
    `${s.from} → ${s.to}; worst case **${s.worstCaseSeconds} s**, typical ${s.typicalSeconds} s.`,
    '',
    '| step | mechanism | bound | typical | basis | AWS-guaranteed | source |',
    '|---|---|---|---|---|---|---|',
    ...s.steps.map(
      (st) =>
        `| ${cell(st.step)} | ${cell(st.mechanism)} | ${st.boundSeconds} s | ${st.typicalSeconds === undefined ? '—' : `${st.typicalSeconds} s`} | ${st.basis} | ${st.awsGuaranteed ? 'yes' : 'no'} | ${cell(st.source)} |`,
    ),
    '',
  ]);
  const rows = report.components.map(
    (c) => `| ${c.component} | ${cell(c.mechanism)} | ${c.boundSeconds} s${c.guaranteed ? '' : ' (typical)'} | ${c.objective} | ${cell(c.source)} |`,
  );
  return [
    `# DR report: ${stackName}`,
    '',
    `Generated at synth from the stack's own settings. Failover mode: **${report.design.mode}**. RTO counts every step from "the active region fails" to "a client's payment succeeds through the public name"; the verdict takes the worse direction of the configured mode. RPO is the largest bound of the stores that serve it.`,
    '',
    `Failover: ${report.directions.failover}. Failback: ${report.directions.failback}.`,
    '',
    '| objective | target | worst case | verdict |',
    '|---|---|---|---|',
    ...verdicts,
    '',
    '| scenario | mode | worst case | typical | |',
    '|---|---|---|---|---|',
    ...summary,
    '',
    ...sections,
    '### Data',
    '',
    '| component | mechanism | bound | objective | source |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    ...(report.eventPath ? renderEventPathMarkdown(report.eventPath) : []),
    '### Assumptions',
    '',
    ...report.assumptions.map((a) => `- ${a}`),
    '',
  ].join('\n');
}

/** Writes dr-report.json and dr-report.md into the stack's output directory. */
export function writeDrReport(stackDir: string, stackName: string, report: DrReport): void {
  mkdirSync(stackDir, { recursive: true });
  writeFileSync(join(stackDir, 'dr-report.json'), `${JSON.stringify({ stack: stackName, ...report }, null, 2)}\n`);
  writeFileSync(join(stackDir, 'dr-report.md'), renderMarkdown(report, stackName));
}
