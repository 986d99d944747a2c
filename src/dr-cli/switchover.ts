import {
  describeCluster,
  describeGlobalCluster,
  errorText,
  latestMetrics,
  requestSwitchover,
  rpoLagQuery,
  type MetricSample,
} from './aws';
import { EXIT_FAILED, EXIT_OK, EXIT_REFUSED, say, STATUS_HINT, tell, type Ctx, type ExitCode, type PromotionOutcome } from './context';
import { checkSwitchover, describeWriter, otherSite } from './decisions';
import { setTrafficDials, type EdgeDialResult } from './edge';
import { formatDuration, iso } from './format';
import type { Role } from './outputs';
import { waitForWriter } from './wait';

/** `switchover`: the planned, zero-data-loss move of the writer to the other region (SwitchoverGlobalCluster). */

export interface SwitchoverOptions {
  readonly to: Role;
  readonly timeoutMs: number;
  readonly pollMs: number;
  readonly maxLagMs: number;
  readonly dryRun?: boolean;
}

export interface SwitchoverResult {
  readonly code: ExitCode;
  readonly outcome: PromotionOutcome;
  readonly to: Role;
  readonly from?: Role;
  readonly rpoLagBefore?: MetricSample | null;
  readonly requestedAt?: string;
  readonly completedAt?: string;
  readonly durationMs?: number;
  readonly warnings: readonly string[];
  readonly message: string;
  /** Accelerator mode: the traffic dials moved to the new writer (not essential: see src/dr-cli/edge.ts). */
  readonly edge?: EdgeDialResult;
}

/** Prechecks, requests the switchover, waits for it, verifies. Prints progress; never throws. */
export async function performSwitchover(ctx: Ctx, opts: SwitchoverOptions): Promise<SwitchoverResult> {
  const { deps, outputs } = ctx;
  const target = outputs[opts.to];
  const source = otherSite(outputs, target);
  const base = { to: opts.to, warnings: [] as string[] };

  // 1. Read the state. Nothing has changed yet, so any error here is a clean stop.
  let pre;
  try {
    pre = await Promise.all([
      describeGlobalCluster(deps.aws.inRegion(target.region).rds, outputs.globalClusterId),
      describeCluster(deps.aws.inRegion(outputs.primary.region).rds, outputs.primary.clusterId),
      describeCluster(deps.aws.inRegion(outputs.dr.region).rds, outputs.dr.clusterId),
    ]);
  } catch (e) {
    return {
      ...base,
      code: EXIT_FAILED,
      outcome: 'precheck-failed',
      message: `could not read the current state (${errorText(e)}); nothing was changed`,
    };
  }
  const [view, primaryCluster, drCluster] = pre;
  const warnings: string[] = [];
  let rpoLag: MetricSample | null = null;
  try {
    rpoLag = (await latestMetrics(deps.aws.inRegion(target.region).cloudwatch, [rpoLagQuery(target.clusterId)], deps.now())).rpolag;
  } catch (e) {
    warnings.push(`could not read the replication lag (${errorText(e)})`);
  }

  // 2. Decide.
  const decision = checkSwitchover({
    view,
    outputs,
    target,
    engineVersions: { primary: primaryCluster.engineVersion, dr: drCluster.engineVersion },
    rpoLag,
    maxLagMs: opts.maxLagMs,
  });
  if (!decision.ok) {
    return { ...base, code: EXIT_REFUSED, outcome: 'refused', rpoLagBefore: rpoLag, message: `refused: ${decision.reason}` };
  }
  warnings.push(...decision.warnings);
  for (const w of warnings) tell(ctx, `warning: ${w}`);
  const lagText = rpoLag ? formatDuration(rpoLag.value) : 'unknown';
  const plan =
    `switchover ${source.role} (${source.region}) → ${target.role} (${target.region}) of ${outputs.globalClusterId}: ` +
    `engine ${primaryCluster.engineVersion} on both, replication lag ${lagText}`;
  if (opts.dryRun) {
    return { ...base, warnings, code: EXIT_OK, outcome: 'dry-run', from: source.role, rpoLagBefore: rpoLag, message: `dry run, nothing changed: would ${plan}` };
  }

  // 3. Act.
  tell(ctx, `starting ${plan}`);
  const requestedAt = deps.now();
  try {
    await requestSwitchover(deps.aws.inRegion(target.region).rds, outputs.globalClusterId, target.clusterArn);
  } catch (e) {
    return {
      ...base,
      warnings,
      code: EXIT_FAILED,
      outcome: 'not-started',
      from: source.role,
      rpoLagBefore: rpoLag,
      message: `SwitchoverGlobalCluster was rejected (${errorText(e)}): the switchover did not start; the writer is still ${describeWriter(view, outputs)}`,
    };
  }

  // 4. Wait and verify.
  const waited = await waitForWriter(ctx, { target, operation: 'switchover', requestedAt, timeoutMs: opts.timeoutMs, pollMs: opts.pollMs, before: view });
  if (waited.outcome !== 'completed') {
    return {
      ...base,
      warnings,
      code: EXIT_FAILED,
      outcome: waited.outcome,
      from: source.role,
      rpoLagBefore: rpoLag,
      requestedAt: iso(requestedAt),
      message: waited.message,
    };
  }
  try {
    const c = await describeCluster(deps.aws.inRegion(target.region).rds, target.clusterId);
    if (c.status !== 'available') warnings.push(`the new writer cluster ${target.clusterId} reports status "${c.status}"`);
  } catch (e) {
    warnings.push(`could not verify the new writer cluster (${errorText(e)})`);
  }
  const durationMs = waited.completedAt - requestedAt;
  const edge = await setTrafficDials(ctx, target.role);
  if (edge) tell(ctx, edge.message);
  return {
    ...base,
    ...(edge ? { edge } : {}),
    warnings,
    code: EXIT_OK,
    outcome: 'completed',
    from: source.role,
    rpoLagBefore: rpoLag,
    requestedAt: iso(requestedAt),
    completedAt: iso(waited.completedAt),
    durationMs,
    message: `switchover complete: the writer is now ${target.role} (${target.region}, ${target.clusterId}); took ${formatDuration(durationMs)}`,
  };
}

export async function switchoverCommand(ctx: Ctx, opts: SwitchoverOptions): Promise<ExitCode> {
  const r = await performSwitchover(ctx, opts);
  if (ctx.json) say(ctx, JSON.stringify(r, null, 2));
  if (r.code === EXIT_OK) {
    if (!ctx.json) say(ctx, r.message);
  } else if (r.code === EXIT_REFUSED) {
    tell(ctx, r.message);
  } else {
    // Timeouts and poll errors already say what was last seen and what to run.
    tell(ctx, `FAILED: ${r.message}${r.outcome === 'timeout' || r.outcome === 'poll-error' ? '' : `\n${STATUS_HINT}`}`);
  }
  return r.code;
}
