import {
  describeCluster,
  describeGlobalCluster,
  errorText,
  fenceFunction,
  functionConcurrency,
  latestMetrics,
  requestFailover,
  rpoLagQuery,
  type MetricSample,
} from './aws';
import { EXIT_FAILED, EXIT_OK, EXIT_REFUSED, say, STATUS_HINT, tell, type Ctx, type ExitCode, type PromotionOutcome } from './context';
import { checkFailover, checkFailoverFlags, describeWriter, lossWindow, operatingRegion, otherSite, type LossWindow } from './decisions';
import { setTrafficDials, type EdgeDialResult } from './edge';
import { formatDuration, iso } from './format';
import type { RegionSite, Role, StackOutputs } from './outputs';
import { waitForWriter } from './wait';

/**
 * `failover`: the primary region is down. Fences the old region's payment function (best effort), promotes the
 * secondary with FailoverGlobalCluster AllowDataLoss=true, waits, and prints what must be reconciled.
 */

export interface FailoverOptions {
  readonly to: Role;
  readonly confirmDataLoss: boolean;
  readonly timeoutMs: number;
  readonly pollMs: number;
  readonly dryRun?: boolean;
}

export interface FencingResult {
  readonly function: string;
  readonly region: string;
  readonly fenced: boolean;
  /** Reserved concurrency before fencing: a number, null for "none reserved", undefined when unknown. */
  readonly previousReservedConcurrency?: number | null;
  readonly error?: string;
}

export interface FailoverResult {
  readonly code: ExitCode;
  readonly outcome: PromotionOutcome;
  readonly to: Role;
  readonly failedRegion?: string;
  readonly lastRpoLag?: MetricSample | null;
  readonly fencing?: FencingResult;
  readonly requestedAt?: string;
  readonly completedAt?: string;
  readonly durationMs?: number;
  readonly lossWindow?: LossWindow;
  readonly reconcile?: readonly string[];
  readonly failback?: readonly string[];
  readonly warnings: readonly string[];
  readonly message: string;
  /** Accelerator mode: the traffic dials moved to the promoted site (not essential: see src/dr-cli/edge.ts). */
  readonly edge?: EdgeDialResult;
}

async function fence(ctx: Ctx, site: RegionSite): Promise<FencingResult> {
  const lambda = ctx.deps.aws.inRegion(site.region).lambda;
  let previous: number | null | undefined;
  try {
    previous = await functionConcurrency(lambda, site.paymentFunction);
  } catch {
    previous = undefined; // unknown; still try to fence
  }
  try {
    await fenceFunction(lambda, site.paymentFunction);
    return { function: site.paymentFunction, region: site.region, fenced: true, previousReservedConcurrency: previous };
  } catch (e) {
    return { function: site.paymentFunction, region: site.region, fenced: false, previousReservedConcurrency: previous, error: errorText(e) };
  }
}

function restoreCommand(f: FencingResult): string {
  return typeof f.previousReservedConcurrency === 'number'
    ? `aws lambda put-function-concurrency --region ${f.region} --function-name ${f.function} --reserved-concurrent-executions ${f.previousReservedConcurrency}`
    : `aws lambda delete-function-concurrency --region ${f.region} --function-name ${f.function}`;
}

/** What may have been lost and where to look for it. */
export function reconciliationSteps(o: StackOutputs, failed: RegionSite, target: RegionSite, lastLag: MetricSample | null, w: LossWindow): string[] {
  const lag = lastLag ? `last RPO lag ${formatDuration(lastLag.value)} at ${lastLag.at}` : 'no RPO lag datapoint: window estimated';
  return [
    `Window of possibly lost writes: ${w.from} → ${w.to} (${lag}).`,
    `Aurora: transactions committed on ${failed.clusterId} (${failed.region}) in the window may be missing from ${target.clusterId}. ` +
      `When ${failed.region} recovers, compare the old cluster's data (Aurora keeps it; look for a cluster snapshot named ` +
      `rds:unplanned-global-failover-*) with the new writer: payments by created time and idempotency key; re-apply or refund.`,
    `S3: objects written to ${failed.bucket} in the window may not have replicated to ${target.bucket}: ` +
      `aws s3api list-object-versions --region ${failed.region} --bucket ${failed.bucket} --query "Versions[?LastModified>='${w.from}']", ` +
      `then head-object each for ReplicationStatus PENDING/FAILED and copy what is missing.`,
    `DynamoDB: items of ${o.sessionsTable} written in ${failed.region} in the window may be missing in ${target.region} ` +
      `(global tables replicate asynchronously, last writer wins): sessions are re-creatable; users may need to sign in again.`,
  ];
}

export function failbackSteps(o: StackOutputs, failed: RegionSite, fencing: FencingResult): string[] {
  return [
    `Wait until ${failed.region} is healthy again (\`npm run dr -- status\`: health check ${failed.healthCheckId}).`,
    `Confirm ${failed.clusterId} is back in global cluster ${o.globalClusterId} as a secondary (Aurora re-adds the old primary ` +
      `after an allow-data-loss failover once its region recovers); if it is not a member, re-create it as a secondary ` +
      `with the stack (\`npm run deploy\`) — never write to it as a standalone cluster.`,
    'Reconcile the window above before moving writes back.',
    `Restore the ${failed.region} payment function (fenced: ${fencing.fenced ? 'yes' : 'NO — fence it first if it can still reach a database'}): ${restoreCommand(fencing)}`,
    `Move the writer back without data loss once the lag is low: npm run dr -- switchover --to ${failed.role}`,
  ];
}

export async function performFailover(ctx: Ctx, opts: FailoverOptions): Promise<FailoverResult> {
  const { deps, outputs } = ctx;
  const target = outputs[opts.to];
  const base = { to: opts.to, warnings: [] as string[] };
  const here = operatingRegion(deps.env);

  const flags = checkFailoverFlags(opts.confirmDataLoss || opts.dryRun === true, here);
  if (!flags.ok) return { ...base, code: EXIT_REFUSED, outcome: 'refused', message: `refused: ${flags.reason}` };

  // Read the state from the surviving (target) region only.
  let view;
  try {
    view = await describeGlobalCluster(deps.aws.inRegion(target.region).rds, outputs.globalClusterId);
  } catch (e) {
    return {
      ...base,
      code: EXIT_FAILED,
      outcome: 'precheck-failed',
      message: `could not read global cluster ${outputs.globalClusterId} from ${target.region} (${errorText(e)}); nothing was changed`,
    };
  }
  const failed = otherSite(outputs, target);
  const warnings: string[] = [];
  const [targetCluster, failedCluster, lag] = await Promise.allSettled([
    describeCluster(deps.aws.inRegion(target.region).rds, target.clusterId),
    describeCluster(deps.aws.inRegion(failed.region).rds, failed.clusterId),
    latestMetrics(deps.aws.inRegion(target.region).cloudwatch, [rpoLagQuery(target.clusterId)], deps.now()),
  ]);
  const version = (r: PromiseSettledResult<{ engineVersion: string }>) => (r.status === 'fulfilled' ? r.value.engineVersion : undefined);
  const lastLag = lag.status === 'fulfilled' ? lag.value.rpolag : null;
  if (lag.status === 'rejected') warnings.push(`could not read the last replication lag (${errorText(lag.reason)})`);

  const decision = checkFailover({
    view,
    outputs,
    target,
    operatingRegion: here,
    engineVersions: { [target.role]: version(targetCluster), [failed.role]: version(failedCluster) },
  });
  if (!decision.ok) {
    return { ...base, code: EXIT_REFUSED, outcome: 'refused', failedRegion: failed.region, message: `refused: ${decision.reason}` };
  }
  warnings.push(...decision.warnings);
  for (const w of warnings) tell(ctx, `warning: ${w}`);
  const plan =
    `FAIL OVER ${outputs.globalClusterId} to ${target.role} (${target.region}) with data loss allowed; ` +
    `current writer ${describeWriter(view, outputs)}; last replication lag ${lastLag ? formatDuration(lastLag.value) : 'unknown'}; ` +
    `operating from ${here}`;
  if (opts.dryRun) {
    return { ...base, warnings, code: EXIT_OK, outcome: 'dry-run', failedRegion: failed.region, lastRpoLag: lastLag, message: `dry run, nothing changed: would ${plan}` };
  }
  tell(ctx, plan);

  // Fence first (best effort: the failed region may not answer), so the old writer takes no new payments.
  tell(ctx, `fencing: setting reserved concurrency 0 on ${failed.paymentFunction} in ${failed.region}…`);
  const fencing = await fence(ctx, failed);
  tell(ctx, fencing.fenced ? 'fencing: done' : `fencing: FAILED (${fencing.error}); continuing — the region is presumed down`);

  const requestedAt = deps.now();
  try {
    await requestFailover(deps.aws.inRegion(target.region).rds, outputs.globalClusterId, target.clusterArn);
  } catch (e) {
    const undo = fencing.fenced ? ` The ${failed.region} payment function IS fenced; if you abandon the failover, restore it: ${restoreCommand(fencing)}` : '';
    return {
      ...base,
      warnings,
      code: EXIT_FAILED,
      outcome: 'not-started',
      failedRegion: failed.region,
      lastRpoLag: lastLag,
      fencing,
      message: `FailoverGlobalCluster was rejected (${errorText(e)}): the failover did not start; the writer is still ${describeWriter(view, outputs)}.${undo}`,
    };
  }

  const waited = await waitForWriter(ctx, { target, operation: 'failover', requestedAt, timeoutMs: opts.timeoutMs, pollMs: opts.pollMs, before: view });
  const end = waited.outcome === 'completed' ? waited.completedAt : deps.now();
  const window = lossWindow(lastLag, end);
  const common = {
    ...base,
    warnings,
    failedRegion: failed.region,
    lastRpoLag: lastLag,
    fencing,
    requestedAt: iso(requestedAt),
    lossWindow: window,
    reconcile: reconciliationSteps(outputs, failed, target, lastLag, window),
    failback: failbackSteps(outputs, failed, fencing),
  };
  if (waited.outcome !== 'completed') {
    return { ...common, code: EXIT_FAILED, outcome: waited.outcome, message: waited.message };
  }
  const durationMs = waited.completedAt - requestedAt;
  const edge = await setTrafficDials(ctx, target.role);
  if (edge) tell(ctx, edge.message);
  return {
    ...common,
    ...(edge ? { edge } : {}),
    code: EXIT_OK,
    outcome: 'completed',
    completedAt: iso(waited.completedAt),
    durationMs,
    message: `failover complete: the writer is now ${target.role} (${target.region}, ${target.clusterId}); took ${formatDuration(durationMs)}`,
  };
}

export function renderFailover(r: FailoverResult): string {
  const lines = [r.message];
  if (r.fencing) {
    lines.push(
      r.fencing.fenced
        ? `Fencing: ${r.fencing.function} in ${r.fencing.region} throttled (reserved concurrency 0; before: ${r.fencing.previousReservedConcurrency ?? 'unreserved'}).`
        : `Fencing: FAILED for ${r.fencing.function} in ${r.fencing.region} (${r.fencing.error}). The old region may accept writes again when it ` +
            'recovers: fence it as soon as it is reachable (same command: aws lambda put-function-concurrency --reserved-concurrent-executions 0).',
    );
  }
  if (r.reconcile) lines.push('', 'Reconcile (writes that may have been lost):', ...r.reconcile.map((s) => `  - ${s}`));
  if (r.failback) lines.push('', 'Failback, once the failed region is back:', ...r.failback.map((s, i) => `  ${i + 1}. ${s}`));
  return lines.join('\n') + '\n';
}

export async function failoverCommand(ctx: Ctx, opts: FailoverOptions): Promise<ExitCode> {
  const r = await performFailover(ctx, opts);
  if (ctx.json) say(ctx, JSON.stringify(r, null, 2));
  if (r.code === EXIT_OK) {
    if (!ctx.json) say(ctx, renderFailover(r));
  } else {
    tell(ctx, r.code === EXIT_REFUSED ? r.message : `FAILED: ${renderFailover(r).trimEnd()}`);
    // Timeouts and poll errors already say what was last seen and what to run.
    if (r.outcome === 'not-started' || r.outcome === 'precheck-failed') tell(ctx, STATUS_HINT);
  }
  return r.code;
}
