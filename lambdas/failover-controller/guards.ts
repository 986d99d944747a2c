import type { OperationLock, RunRecord, Site } from '../shared/control';

/**
 * The automatic failover's guards as one pure function: every reason to refuse is listed, and a value that could
 * not be read refuses (fail safe: an automatic failover that cannot see its guards does not run).
 */

export interface Evidence {
  readonly failedSite?: string;
  readonly consecutiveFailures?: number;
  readonly route53View?: string;
}

export interface GlobalClusterView {
  /** The writer member is the cluster this controller would promote (the failover already happened). */
  readonly writerIsTarget: boolean;
  /** FailoverState is set: a switchover or failover is running. */
  readonly operationInProgress: boolean;
}

export interface GuardInput {
  readonly now: Date;
  /** The site this controller promotes (its own region's). */
  readonly self: Site;
  readonly threshold: number;
  readonly cooldownMs: number;
  readonly evidence: Evidence | undefined;
  /** The kill switch parameter's value; undefined when unreadable. */
  readonly killSwitch: string | undefined;
  /** `none`, a lock, or undefined when unreadable. */
  readonly operation: OperationLock | 'none' | undefined;
  /** This region's designation and when it last changed; undefined when unreadable. */
  readonly designation: { readonly value: string; readonly lastModified?: Date } | undefined;
  readonly lastRun: RunRecord | undefined;
  readonly globalCluster: GlobalClusterView | undefined;
  /** Executions of this state machine running besides this one; undefined when unreadable. */
  readonly otherRuns: number | undefined;
}

export interface GuardDecision {
  readonly go: boolean;
  readonly reasons: readonly string[];
}

export function evaluateGuards(i: GuardInput): GuardDecision {
  const reasons: string[] = [];
  const now = i.now.getTime();

  if (i.killSwitch === undefined) reasons.push('kill switch unreadable (fail safe)');
  else if (i.killSwitch !== 'enabled') reasons.push(`kill switch is "${i.killSwitch}" (npm run dr -- auto --enable)`);

  const e = i.evidence;
  if (!e || typeof e.consecutiveFailures !== 'number' || e.consecutiveFailures < i.threshold) {
    reasons.push(`evidence: ${e?.consecutiveFailures ?? 'no'} consecutive failed probes, ${i.threshold} required`);
  }
  if (e?.route53View !== 'unhealthy') reasons.push(`evidence: Route 53 view is "${e?.route53View ?? 'missing'}", "unhealthy" required`);
  if (e?.failedSite !== undefined && e.failedSite === i.self) reasons.push(`evidence names this site (${i.self}) as the failed one`);

  if (i.operation === undefined) reasons.push('operation lock unreadable (fail safe)');
  else if (i.operation !== 'none') {
    const until = Date.parse(i.operation.until);
    if (!Number.isFinite(until) || until > now) reasons.push(`${i.operation.operation} in progress since ${i.operation.since} (lock until ${i.operation.until})`);
  }

  if (i.designation === undefined) reasons.push('designation unreadable (fail safe)');
  else {
    if (i.designation.value === i.self) reasons.push(`this site (${i.self}) is already the active site`);
    const changed = i.designation.lastModified?.getTime();
    if (changed !== undefined && now - changed < i.cooldownMs) {
      reasons.push(`cool-down: the designation changed at ${new Date(changed).toISOString()}, less than ${i.cooldownMs / 1000} s ago`);
    }
  }
  if (i.lastRun && i.lastRun.outcome !== 'refused') {
    const started = Date.parse(i.lastRun.startedAt);
    if (Number.isFinite(started) && now - started < i.cooldownMs) {
      reasons.push(`cool-down: the last automatic failover (${i.lastRun.runId}) started at ${i.lastRun.startedAt}, less than ${i.cooldownMs / 1000} s ago`);
    }
  }

  if (i.globalCluster === undefined) reasons.push('global cluster unreadable from this region (fail safe)');
  else {
    if (i.globalCluster.writerIsTarget) reasons.push('the writer is already in this region');
    if (i.globalCluster.operationInProgress) reasons.push('a switchover or failover of the global cluster is in progress');
  }

  if (i.otherRuns === undefined) reasons.push('running executions unreadable (fail safe)');
  else if (i.otherRuns > 0) reasons.push(`${i.otherRuns} other automatic run(s) in progress`);

  return { go: reasons.length === 0, reasons };
}
