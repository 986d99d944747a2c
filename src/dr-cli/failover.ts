import {
  describeCluster,
  describeGlobalCluster,
  errorText,
  latestMetrics,
  requestFailover,
  rpoLagQuery,
  type GlobalClusterView,
  type MetricSample,
} from './aws';
import { EXIT_FAILED, EXIT_OK, EXIT_REFUSED, say, STATUS_HINT, tell, type Ctx, type ExitCode, type PromotionOutcome } from './context';
import { checkFailover, checkFailoverFlags, describeWriter, lossWindow, operatingRegion, otherSite, switchComplete, writerSite, type LossWindow } from './decisions';
import { setTrafficDials, type EdgeDialResult } from './edge';
import { formatDuration, iso } from './format';
import { configChange, fenceSite, moveGlobalDbRpo, renderSteps, setDesignation, unfenceCommand, type LiveStep } from './live';
import type { RegionSite, Role, StackOutputs } from './outputs';
import { operationTowards } from './switchover';
import { waitForWriter } from './wait';

/**
 * `failover`: the active region is down. Promotes the other cluster with FailoverGlobalCluster AllowDataLoss=true
 * without waiting on the failed region: fencing it (payment function throttled, designation flipped,
 * `rds.global_db_rpo` reset) runs in parallel, best effort, each call bounded, and is recorded. After the
 * promotion: the designation of the surviving region, and the config change to commit. `rds.global_db_rpo` is set on
 * the new writer only once the old cluster replicates again (a re-run does it). Re-running resumes.
 */

export interface FailoverOptions {
  readonly to: Role;
  readonly confirmDataLoss: boolean;
  readonly timeoutMs: number;
  readonly pollMs: number;
  readonly dryRun?: boolean;
  /** --global-db-rpo: used when neither parameter group holds a value. */
  readonly globalDbRpoSeconds?: number;
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
  readonly resumed?: boolean;
  readonly failedRegion?: string;
  readonly lastRpoLag?: MetricSample | null;
  readonly fencing?: FencingResult;
  /** Everything set live, in both regions, with what failed. */
  readonly live?: readonly LiveStep[];
  readonly configChange?: string;
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

interface FailedRegionWork {
  readonly fence: LiveStep & { readonly previous?: number | null };
  readonly designation: LiveStep;
}

/** Fence and designation of the failed region: started before the promotion and never awaited before it. */
function fenceFailedRegion(ctx: Ctx, failed: RegionSite, target: RegionSite): Promise<FailedRegionWork> {
  return Promise.all([fenceSite(ctx, failed), setDesignation(ctx, failed, target.role)]).then(([fence, designation]) => ({ fence, designation }));
}

const fencingOf = (failed: RegionSite, f: FailedRegionWork['fence']): FencingResult => ({
  function: failed.paymentFunction,
  region: failed.region,
  fenced: f.ok,
  previousReservedConcurrency: f.previous,
  ...(f.ok ? {} : { error: f.detail }),
});

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
    `Re-run \`npm run dr -- failover --confirm-data-loss --to ${otherSite(o, failed).role}\` once ${failed.region} answers: it resumes and finishes ` +
      `what could not be done there (fence, designation, rds.global_db_rpo reset) and sets rds.global_db_rpo on the new writer once ` +
      `${failed.clusterId} replicates again.`,
    `Confirm ${failed.clusterId} is back in global cluster ${o.globalClusterId} as a secondary ("sync connected"; Aurora re-adds the old primary ` +
      'after an allow-data-loss failover once its region recovers). Never write to it as a standalone cluster.',
    'Reconcile the window above before moving writes back.',
    `Then: npm run dr -- failback  (switchover back to ${failed.role}, designation restored, fence lifted` +
      `${fencing.fenced ? '' : ' — the fence FAILED: fence it as soon as the region answers (re-run the failover)'}; by hand: ${unfenceCommand(failed, fencing.previousReservedConcurrency)}).`,
  ];
}

/** Whether the old writer replicates again: only then may the new writer get rds.global_db_rpo. */
function secondaryConnected(view: GlobalClusterView, failed: RegionSite): boolean {
  return view.members.find((m) => m.arn === failed.clusterArn)?.synchronization === 'connected';
}

export async function performFailover(ctx: Ctx, opts: FailoverOptions): Promise<FailoverResult> {
  const { deps, outputs } = ctx;
  const target = outputs[opts.to];
  const failed = otherSite(outputs, target);
  const base = { to: opts.to, warnings: [] as string[] };
  const here = operatingRegion(deps.env);

  const flags = checkFailoverFlags(opts.confirmDataLoss || opts.dryRun === true, here);
  if (!flags.ok) return { ...base, code: EXIT_REFUSED, outcome: 'refused', message: `refused: ${flags.reason}` };

  // Read the state from the surviving (target) region only: nothing here waits on the failed region.
  const targetRds = deps.aws.inRegion(target.region).rds;
  let view: GlobalClusterView;
  try {
    view = await describeGlobalCluster(targetRds, outputs.globalClusterId);
  } catch (e) {
    return {
      ...base,
      code: EXIT_FAILED,
      outcome: 'precheck-failed',
      message: `could not read global cluster ${outputs.globalClusterId} from ${target.region} (${errorText(e)}); nothing was changed`,
    };
  }

  // Resume: an earlier run (or its timed-out request) already promoted the target, or the promotion is running.
  if (!opts.dryRun && (switchComplete(view, target) || operationTowards(view, target))) {
    tell(ctx, `resuming: ${switchComplete(view, target) ? `the writer is already ${target.role} (${target.region})` : 'a failover towards the target is already running'}; finishing what is left`);
    const started = deps.now();
    const work = fenceFailedRegion(ctx, failed, target);
    let completedAt = started;
    if (!switchComplete(view, target)) {
      const waited = await waitForWriter(ctx, { target, operation: 'failover', requestedAt: started, timeoutMs: opts.timeoutMs, pollMs: opts.pollMs, before: view });
      if (waited.outcome !== 'completed') {
        const w = await work;
        return { ...base, code: EXIT_FAILED, outcome: waited.outcome, resumed: true, failedRegion: failed.region, fencing: fencingOf(failed, w.fence), live: [w.fence, w.designation], message: waited.message };
      }
      view = waited.view;
      completedAt = waited.completedAt;
    }
    return finish(ctx, opts, { ...base, resumed: true, failedRegion: failed.region }, { target, failed, view, work, requestedAt: started, completedAt, lastLag: null });
  }

  const warnings: string[] = [];
  const [targetCluster, lag] = await Promise.allSettled([
    describeCluster(targetRds, target.clusterId),
    latestMetrics(deps.aws.inRegion(target.region).cloudwatch, [rpoLagQuery(target.clusterId)], deps.now()),
  ]);
  const lastLag = lag.status === 'fulfilled' ? lag.value.rpolag : null;
  if (lag.status === 'rejected') warnings.push(`could not read the last replication lag (${errorText(lag.reason)})`);

  // Engine versions: the target's own against the global cluster's (read in the target region), never the failed one.
  const writer = writerSite(view, outputs) ?? failed;
  const decision = checkFailover({
    view,
    outputs,
    target,
    operatingRegion: here,
    engineVersions: { [target.role]: targetCluster.status === 'fulfilled' ? targetCluster.value.engineVersion : undefined, [writer.role]: view.engineVersion },
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

  // Fence the failed region in parallel with the promotion: best effort, bounded, recorded, never waited on first.
  tell(ctx, `fencing ${failed.region} in parallel (payment function throttled, designation → "${target.role}"), best effort`);
  const work = fenceFailedRegion(ctx, failed, target);

  const requestedAt = deps.now();
  try {
    await requestFailover(targetRds, outputs.globalClusterId, target.clusterArn);
  } catch (e) {
    // A request that timed out may still have started the failover: re-read before saying it did not.
    const after = await describeGlobalCluster(targetRds, outputs.globalClusterId).catch(() => undefined);
    if (!after || !(operationTowards(after, target) || writerSite(after, outputs) === target)) {
      const w = await work;
      const fencing = fencingOf(failed, w.fence);
      const undo = fencing.fenced
        ? ` The ${failed.region} payment function IS fenced and its designation says "${target.role}"${w.designation.ok ? '' : ' (not set: see below)'}; ` +
          `if you abandon the failover, lift the fence (${unfenceCommand(failed, fencing.previousReservedConcurrency)}) and set the designation back.`
        : '';
      return {
        ...base,
        warnings,
        code: EXIT_FAILED,
        outcome: 'not-started',
        failedRegion: failed.region,
        lastRpoLag: lastLag,
        fencing,
        live: [w.fence, w.designation],
        message:
          `FailoverGlobalCluster failed (${errorText(e)}) and ${after ? 'the global cluster shows no failover towards the target' : 're-reading the global cluster failed too'}: ` +
          `the failover did not start; the writer is still ${describeWriter(after ?? view, outputs)}.${undo}`,
      };
    }
    tell(ctx, `FailoverGlobalCluster answered with an error (${errorText(e)}), but the global cluster shows the failover under way; waiting for it`);
  }

  const waited = await waitForWriter(ctx, { target, operation: 'failover', requestedAt, timeoutMs: opts.timeoutMs, pollMs: opts.pollMs, before: view });
  if (waited.outcome !== 'completed') {
    const w = await work;
    const window = lossWindow(lastLag, deps.now());
    const fencing = fencingOf(failed, w.fence);
    return {
      ...base,
      warnings,
      code: EXIT_FAILED,
      outcome: waited.outcome,
      failedRegion: failed.region,
      lastRpoLag: lastLag,
      fencing,
      live: [w.fence, w.designation],
      requestedAt: iso(requestedAt),
      lossWindow: window,
      reconcile: reconciliationSteps(outputs, failed, target, lastLag, window),
      failback: failbackSteps(outputs, failed, fencing),
      message: `${waited.message} Re-run \`npm run dr -- failover --confirm-data-loss --to ${target.role}\` to wait for it and finish.`,
    };
  }
  return finish(ctx, opts, { ...base, warnings, failedRegion: failed.region, lastRpoLag: lastLag }, { target, failed, view: waited.view, work, requestedAt, completedAt: waited.completedAt, lastLag });
}

interface Promoted {
  readonly target: RegionSite;
  readonly failed: RegionSite;
  readonly view: GlobalClusterView;
  readonly work: Promise<FailedRegionWork>;
  readonly requestedAt: number;
  readonly completedAt: number;
  readonly lastLag: MetricSample | null;
}

/** After the promotion: the surviving region's designation, rds.global_db_rpo, the failed region's results. */
async function finish(ctx: Ctx, opts: FailoverOptions, partial: Omit<FailoverResult, 'code' | 'outcome' | 'message'>, p: Promoted): Promise<FailoverResult> {
  const { outputs } = ctx;
  const { target, failed } = p;
  const connected = secondaryConnected(p.view, failed);
  // Accelerator mode: the dials follow the writer (not essential: health-based failover moves traffic without them).
  // Started with the rest, never after the failed region's best-effort work, and set whatever the designation does.
  const [designation, rpo, w, edge] = await Promise.all([
    setDesignation(ctx, target, target.role),
    moveGlobalDbRpo(ctx, target, failed, {
      setOnActive: connected,
      deferReason:
        `${failed.clusterId} is not a connected secondary yet, and Aurora would block every commit on the new writer while no secondary ` +
        `is within the RPO; re-run this failover command once \`npm run dr -- status\` shows it "sync connected"`,
      passiveBestEffort: true,
      fallbackSeconds: opts.globalDbRpoSeconds,
    }),
    p.work,
    setTrafficDials(ctx, target.role),
  ]);
  if (edge) tell(ctx, edge.message);
  const live = [designation, w.fence, w.designation, ...rpo];
  const fencing = fencingOf(failed, w.fence);
  const window = lossWindow(p.lastLag, p.completedAt);
  const durationMs = p.completedAt - p.requestedAt;
  const change = configChange(outputs, target.role, ctx.deps.env.DR_CONFIG);
  const common = {
    ...partial,
    ...(edge ? { edge } : {}),
    fencing,
    live,
    configChange: change.text,
    requestedAt: iso(p.requestedAt),
    completedAt: iso(p.completedAt),
    durationMs,
    lossWindow: window,
    reconcile: reconciliationSteps(outputs, failed, target, p.lastLag, window),
    failback: failbackSteps(outputs, failed, fencing),
  };
  const what = `the writer is now ${target.role} (${target.region}, ${target.clusterId})`;
  // The surviving region's designation is required: without it the new writer's site refuses every payment.
  if (!designation.ok) {
    return {
      ...common,
      code: EXIT_FAILED,
      outcome: 'completed',
      message: `failover: ${what}, but ${designation.detail}: the site refuses payments until it is set. Re-run \`npm run dr -- failover --confirm-data-loss --to ${target.role}\`.`,
    };
  }
  const pending = live.filter((s) => !s.ok).length;
  return {
    ...common,
    code: EXIT_OK,
    outcome: 'completed',
    message:
      `failover complete: ${what}; ${partial.resumed ? 'resumed' : `took ${formatDuration(durationMs)}`}` +
      (pending > 0 ? `; ${pending} step(s) in ${failed.region} could not be done (recorded below): re-run once it answers` : ''),
  };
}

export function renderFailover(r: FailoverResult): string {
  const lines = [r.message];
  if (r.fencing) {
    lines.push(
      r.fencing.fenced
        ? `Fencing: ${r.fencing.function} in ${r.fencing.region} throttled (reserved concurrency 0; before: ${r.fencing.previousReservedConcurrency === undefined ? 'unknown' : (r.fencing.previousReservedConcurrency ?? 'unreserved')}).`
        : `Fencing: FAILED for ${r.fencing.function} in ${r.fencing.region} (${r.fencing.error}). The old region may accept writes again when it ` +
            'recovers: re-run the failover as soon as it is reachable (it resumes and fences).',
    );
  }
  if (r.live) lines.push('', 'Live settings:', ...renderSteps(r.live));
  if (r.configChange) lines.push('', r.configChange);
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
