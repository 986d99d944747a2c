import type { ProberState } from '../shared/control';

/**
 * The prober's decisions as pure functions: how a /health answer is read, how consecutive failures are counted,
 * and when the controller is started. Tested without AWS (__tests__/lambdas/prober-decide.test.ts).
 */

/** What one probe of a site found. */
export type ProbeOutcome = 'up' | 'down';

/** Route 53's own view of a site, read from its status record; `unknown` never counts as a failure. */
export type Route53View = 'healthy' | 'unhealthy' | 'unknown';

/**
 * Failing checks a passive site reports by design: its database is read-only and it knows it is not the active
 * site (lambdas/shared/designation.ts). Anything else failing means the site is not ready.
 */
const PASSIVE_BY_DESIGN = /read-only|not the writer|passive|not (the )?active|designation/i;

/**
 * Reads a /health answer. An active site is up only with 200. A passive site is up (ready to be promoted) when
 * it answers and only its by-design checks fail: a 503 whose failing checks are all "read-only"/"passive".
 */
export function classifyHealth(status: number | undefined, body: string | undefined, expectActive: boolean): ProbeOutcome {
  if (status === undefined) return 'down';
  if (status === 200) return 'up';
  if (expectActive || status !== 503 || !body) return 'down';
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return 'down';
  }
  const checks = (parsed as { checks?: unknown } | null)?.checks;
  if (!checks || typeof checks !== 'object') return 'down';
  const failing = Object.values(checks as Record<string, { status?: string; detail?: string }>).filter((c) => c?.status !== 'pass');
  if (failing.length === 0) return 'down'; // a 503 with nothing failing is not a state we understand
  return failing.every((c) => typeof c.detail === 'string' && PASSIVE_BY_DESIGN.test(c.detail)) ? 'up' : 'down';
}

/** Reads Route 53's status record answer (`healthy` / `unhealthy`); anything else is unknown. */
export function parseRoute53View(txt: readonly string[] | undefined): Route53View {
  const value = txt?.join('').trim().toLowerCase();
  return value === 'healthy' || value === 'unhealthy' ? value : 'unknown';
}

/**
 * The next streak after one probe of the other site. A stored state older than `maxGapMs` (no probe for a while:
 * the prober was not running) starts again from zero: consecutive means consecutive in time.
 */
export function nextState(previous: ProberState | undefined, outcome: ProbeOutcome, now: Date, maxGapMs: number): ProberState {
  const fresh = previous !== undefined && now.getTime() - Date.parse(previous.lastProbeAt) <= maxGapMs;
  const base = fresh ? previous : { streak: 0, lastProbeAt: now.toISOString() };
  if (outcome === 'up') return { streak: 0, lastProbeAt: now.toISOString() };
  return { streak: base.streak + 1, lastProbeAt: now.toISOString(), ...(base.triggeredAt ? { triggeredAt: base.triggeredAt } : {}) };
}

export interface TriggerInput {
  /** A state machine to start exists (failover.mode automatic). */
  readonly automatic: boolean;
  /** This prober's site is passive (its own region's designation names the other site). */
  readonly ownSitePassive: boolean;
  readonly state: ProberState;
  readonly threshold: number;
  readonly route53: Route53View;
}

export interface TriggerDecision {
  readonly start: boolean;
  readonly reason: string;
}

/**
 * Start the controller only when the other site is the active one, it failed `threshold` consecutive probes
 * from here AND Route 53 (health checkers in several regions) considers it unhealthy, and this streak has not
 * started a run yet. The controller checks its own guards (kill switch, cool-down, operations in progress).
 */
export function shouldStart(i: TriggerInput): TriggerDecision {
  if (!i.automatic) return { start: false, reason: 'manual mode: page only' };
  if (!i.ownSitePassive) return { start: false, reason: 'this site is active: it never fails over to itself' };
  if (i.state.streak < i.threshold) return { start: false, reason: `${i.state.streak} of ${i.threshold} consecutive failed probes` };
  if (i.route53 !== 'unhealthy') return { start: false, reason: `Route 53 view of the active site is ${i.route53}: no failover on one observer's word` };
  if (i.state.triggeredAt) return { start: false, reason: `already started for this streak at ${i.state.triggeredAt}` };
  return { start: true, reason: `${i.state.streak} consecutive failed probes and Route 53 reports the active site unhealthy` };
}
