import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type EventPathSection, renderEventPathMarkdown } from './event-path-report';

/**
 * DR objectives as code: from the stack's own settings, the worst-case recovery time and data loss the design
 * allows, each with its mechanism and the source of the figure. Synth fails when the design cannot meet the
 * declared objectives; every synth writes the figures next to the stack as dr-report.json and dr-report.md.
 */

export interface DrObjectives {
  /** Recovery time objective for taking payments again after the primary region is lost. */
  readonly rtoSeconds: number;
  /** Recovery point objective for payment data (Aurora). */
  readonly rpoSeconds: number;
  /** Recovery point objective for object storage (S3 audit records); S3 RTC guarantees 15 minutes. */
  readonly objectStorageRpoSeconds: number;
  /** Time from the alarm to an operator running `npm run dr -- failover` (the failover is a human decision). */
  readonly failoverDecisionSeconds: number;
}

export interface DrDesign {
  readonly healthCheckIntervalSeconds: number;
  readonly healthCheckFailureThreshold: number;
  /** TTL resolvers may cache the failover answer for (alias records to API Gateway answer with 60 s). */
  readonly dnsTtlSeconds: number;
  /** `rds.global_db_rpo` set on the active cluster: commits block when no secondary is within this lag. */
  readonly auroraGlobalDbRpoSeconds: number;
  /** The active site (config `activeRegion`) and its region. @default primary, region unknown */
  readonly active?: SiteRef;
  /** The passive site. @default dr, region unknown */
  readonly passive?: SiteRef;
  /** Replaces the DNS failover term when clients do not come through DNS failover (src/edge-objectives.ts). */
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

export interface ComponentBound {
  readonly component: string;
  readonly mechanism: string;
  /** Worst-case seconds this component contributes to its objective. */
  readonly boundSeconds: number;
  readonly source: string;
  readonly objective: Objective;
  /** false for figures AWS gives as typical, not guaranteed. */
  readonly guaranteed: boolean;
}

export interface ObjectiveVerdict {
  readonly objective: Objective;
  readonly targetSeconds: number;
  readonly worstCaseSeconds: number;
  readonly met: boolean;
}

export interface DrReport {
  readonly objectives: DrObjectives;
  readonly design: DrDesign;
  readonly components: readonly ComponentBound[];
  readonly verdicts: readonly ObjectiveVerdict[];
  /** Empty when every objective is met. */
  readonly problems: readonly string[];
  readonly directions: Directions;
  /** The payment-event path (src/event-path-report.ts). */
  readonly eventPath?: EventPathSection;
}

/** Route 53 aggregates the results of its health checkers; we allow one more interval for that. */
const ROUTE53_SOURCE = 'Route 53 developer guide, dns-failover-determining-health-of-endpoints (interval × failure threshold)';
/** Aurora Global Database: cross-Region recovery typically under a minute; we budget twice that. */
export const AURORA_FAILOVER_SECONDS = 120;
/** The smallest `rds.global_db_rpo` Aurora PostgreSQL accepts. */
export const MIN_GLOBAL_DB_RPO_SECONDS = 20;
/** S3 Replication Time Control: 99.99% of objects within 15 minutes (S3 User Guide, replication-time-control). */
export const S3_RTC_SECONDS = 900;

export class DrObjectiveError extends Error {
  constructor(public readonly problems: readonly string[]) {
    super(`The design cannot meet the declared DR objectives:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'DrObjectiveError';
  }
}

export function evaluateObjectives(objectives: DrObjectives, design: DrDesign): DrReport {
  const name = (s: SiteRef | undefined, fallback: 'primary' | 'dr') => (s ? `${s.site} (${s.region})` : fallback);
  const activeName = name(design.active, 'primary');
  const passiveName = name(design.passive, 'dr');
  const directions: Directions = {
    failover: `${activeName} -> ${passiveName}`,
    failback: `${passiveName} -> ${activeName}`,
  };
  const detection = design.healthCheckIntervalSeconds * (design.healthCheckFailureThreshold + 1);
  const components: ComponentBound[] = [
    {
      component: 'Failure detection',
      mechanism: `Route 53 HTTPS health check on the active site's (${activeName}) deep /health: ${design.healthCheckIntervalSeconds} s × ${design.healthCheckFailureThreshold} failures, plus one interval for checker aggregation`,
      boundSeconds: detection,
      source: ROUTE53_SOURCE,
      objective: 'RTO',
      guaranteed: true,
    },
    {
      component: 'Failover decision',
      mechanism: 'On-call acts on the primary-unhealthy alarm and runs `npm run dr -- failover` (RUNBOOK.md)',
      boundSeconds: objectives.failoverDecisionSeconds,
      source: 'config objectives.failoverDecisionSeconds',
      objective: 'RTO',
      guaranteed: true,
    },
    {
      component: 'Aurora promotion',
      mechanism: `FailoverGlobalCluster (AllowDataLoss) promotes the ${passiveName} cluster to writer`,
      boundSeconds: AURORA_FAILOVER_SECONDS,
      source: 'Aurora User Guide, aurora-global-database-disaster-recovery: recovery typically within a minute (budgeted ×2)',
      objective: 'RTO',
      guaranteed: false,
    },
    design.edgeFailover ?? {
      component: 'DNS failover',
      mechanism: `The ${passiveName} health check turns healthy once it is designated and writes; resolvers drop the cached answer after the ${design.dnsTtlSeconds} s TTL; detection of the healthy DR takes one interval`,
      boundSeconds: design.dnsTtlSeconds + design.healthCheckIntervalSeconds,
      source: 'Route 53 developer guide, routing-policy-failover (non-alias CNAME records with our TTL, dns.recordTtlSeconds)',
      objective: 'RTO',
      guaranteed: true,
    },
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

  const sum = (o: Objective) => components.filter((c) => c.objective === o).reduce((a, c) => a + c.boundSeconds, 0);
  const max = (o: Objective) => Math.max(...components.filter((c) => c.objective === o).map((c) => c.boundSeconds));
  const verdicts: ObjectiveVerdict[] = [
    { objective: 'RTO', targetSeconds: objectives.rtoSeconds, worstCaseSeconds: sum('RTO'), met: sum('RTO') <= objectives.rtoSeconds },
    { objective: 'RPO', targetSeconds: objectives.rpoSeconds, worstCaseSeconds: max('RPO'), met: max('RPO') <= objectives.rpoSeconds },
    {
      objective: 'object-storage RPO',
      targetSeconds: objectives.objectStorageRpoSeconds,
      worstCaseSeconds: max('object-storage RPO'),
      met: max('object-storage RPO') <= objectives.objectStorageRpoSeconds,
    },
  ];

  const problems: string[] = [];
  const rto = verdicts[0];
  if (!rto.met) {
    const parts = components.filter((c) => c.objective === 'RTO').map((c) => `${c.component} ${c.boundSeconds} s`).join(' + ');
    problems.push(
      `objectives.rtoSeconds: ${objectives.rtoSeconds} s cannot be met; the design allows up to ${rto.worstCaseSeconds} s (${parts}). Raise rtoSeconds, or shorten detection (dns.healthCheckIntervalSeconds 10, a lower dns.healthCheckFailureThreshold) or objectives.failoverDecisionSeconds.`,
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
  return { objectives, design, components, verdicts, problems, directions };
}

/** Evaluates and throws a DrObjectiveError listing every objective the design cannot meet. */
export function assertObjectives(objectives: DrObjectives, design: DrDesign): DrReport {
  const report = evaluateObjectives(objectives, design);
  if (report.problems.length > 0) throw new DrObjectiveError(report.problems);
  return report;
}

export function renderMarkdown(report: DrReport, stackName: string): string {
  const rows = report.components.map(
    (c) => `| ${c.component} | ${c.mechanism} | ${c.boundSeconds} s${c.guaranteed ? '' : ' (typical)'} | ${c.objective} | ${c.source} |`,
  );
  const verdicts = report.verdicts.map(
    (v) => `| ${v.objective} | ${v.targetSeconds} s | ${v.worstCaseSeconds} s | ${v.met ? 'met' : '**NOT MET**'} |`,
  );
  return [
    `# DR report: ${stackName}`,
    '',
    'Generated at synth from the stack\'s own settings. Worst case per objective: RTO adds its steps; RPO is the largest bound of the stores that serve it.',
    '',
    `Failover: ${report.directions.failover}. Failback: ${report.directions.failback}.`,
    '',
    '| objective | target | worst case | verdict |',
    '|---|---|---|---|',
    ...verdicts,
    '',
    '| component | mechanism | bound | objective | source |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    ...(report.eventPath ? renderEventPathMarkdown(report.eventPath) : []),
  ].join('\n');
}

/** Writes dr-report.json and dr-report.md into the stack's output directory. */
export function writeDrReport(stackDir: string, stackName: string, report: DrReport): void {
  mkdirSync(stackDir, { recursive: true });
  writeFileSync(join(stackDir, 'dr-report.json'), `${JSON.stringify({ stack: stackName, ...report }, null, 2)}\n`);
  writeFileSync(join(stackDir, 'dr-report.md'), renderMarkdown(report, stackName));
}
