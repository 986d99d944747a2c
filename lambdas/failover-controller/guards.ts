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
  /**
   * This region's cluster is a member of the global cluster. After an unplanned failover the old writer's cluster
   * rejoins only once its region is back and Aurora rebuilds it as a secondary: until then there is nothing to promote.
   */
  readonly targetIsMember: boolean;
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

/**
 * - `go`: fail over to this site.
 * - `refused`: the other site may be down and a guard holds: a person decides (paged).
 * - `nothing-to-do`: this site already holds both the designation and the writer. The controller exists in both
 *   regions (a role swap changes nothing structural), so the active site's controller is inert by design: when it
 *   is started, its run ends here. A failing passive site is paged by the pager's peer-down alarm of this region,
 *   never "failed over" to the site that already serves.
 */
export type Verdict = 'go' | 'refused' | 'nothing-to-do';

export interface GuardDecision {
  readonly go: boolean;
  readonly verdict: Verdict;
  readonly reasons: readonly string[];
  /** Whether the controller pages about this decision (a refusal does; nothing-to-do does not: see Verdict). */
  readonly page: boolean;
}

export function evaluateGuards(i: GuardInput): GuardDecision {
  const reasons: string[] = [];
  const now = i.now.getTime();

  // The active site's controller: both levers are already here (read, not assumed: an unreadable one is not "here").
  if (i.designation?.value === i.self && i.globalCluster?.writerIsTarget === true) {
    const peer = i.self === 'primary' ? 'dr' : 'primary';
    const about = i.evidence?.failedSite === peer ? `; the ${peer} site (passive) failing is paged by this region's peer-site-down alarm` : '';
    return {
      go: false,
      verdict: 'nothing-to-do',
      page: false,
      reasons: [`nothing to fail over: this site (${i.self}) already holds the designation and the writer${about}`],
    };
  }

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
    if (i.designation.value === i.self) reasons.push(`this site (${i.self}) is already the active site but the writer is not here (or unreadable): a half-finished operation`);
    const changed = i.designation.lastModified?.getTime();
    if (changed !== undefined && now - changed < i.cooldownMs) {
      reasons.push(`cool-down: the designation changed at ${new Date(changed).toISOString()}, less than ${i.cooldownMs / 1000} s ago`);
    }
  }
  if (i.lastRun && i.lastRun.outcome !== 'refused' && i.lastRun.outcome !== 'nothing-to-do') {
    const started = Date.parse(i.lastRun.startedAt);
    if (Number.isFinite(started) && now - started < i.cooldownMs) {
      reasons.push(`cool-down: the last automatic failover (${i.lastRun.runId}) started at ${i.lastRun.startedAt}, less than ${i.cooldownMs / 1000} s ago`);
    }
  }

  if (i.globalCluster === undefined) reasons.push('global cluster unreadable from this region (fail safe)');
  else {
    if (i.globalCluster.writerIsTarget) {
      // The designation does not name this site (else nothing-to-do above): a half-finished failover or switchover.
      reasons.push(`the writer is already in this region but the designation names ${i.designation?.value ?? 'no readable site'}: a half-finished operation (finish it by hand)`);
    } else if (!i.globalCluster.targetIsMember) {
      reasons.push('this region\'s cluster is not a member of the global cluster (not rejoined since the last failover): nothing to promote');
    }
    if (i.globalCluster.operationInProgress) reasons.push('a switchover or failover of the global cluster is in progress');
  }

  if (i.otherRuns === undefined) reasons.push('running executions unreadable (fail safe)');
  else if (i.otherRuns > 0) reasons.push(`${i.otherRuns} other automatic run(s) in progress`);

  const go = reasons.length === 0;
  return { go, verdict: go ? 'go' : 'refused', reasons, page: !go };
}
