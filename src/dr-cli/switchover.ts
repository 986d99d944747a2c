import {
  describeCluster,
  describeGlobalCluster,
  errorText,
  latestMetrics,
  requestSwitchover,
  rpoLagQuery,
  type GlobalClusterView,
  type MetricSample,
} from './aws';
import { EXIT_FAILED, EXIT_OK, EXIT_REFUSED, say, STATUS_HINT, tell, type Ctx, type ExitCode, type PromotionOutcome } from './context';
import { checkSwitchover, describeWriter, otherSite, switchComplete, writerSite } from './decisions';
import { setTrafficDials, type EdgeDialResult } from './edge';
import { formatDuration, iso } from './format';
import { configChange, moveGlobalDbRpo, renderSteps, setDesignation, unfenceSite, type LiveStep } from './live';
import type { RegionSite, Role } from './outputs';
import { waitForWriter } from './wait';

/**
 * `switchover`: the planned, zero-data-loss move of the writer to the other region (SwitchoverGlobalCluster), then
 * the live settings a deploy cannot make in time: the designation in both regions, `rds.global_db_rpo` moved to
 * the new writer's parameter group, a fence on the target lifted. Re-running it resumes: an operation already
 * running towards the target is waited for, a completed one only gets its live settings.
 */

export interface SwitchoverOptions {
  readonly to: Role;
  readonly timeoutMs: number;
  readonly pollMs: number;
  readonly maxLagMs: number;
  readonly dryRun?: boolean;
  /** --global-db-rpo: used when neither parameter group holds a value. */
  readonly globalDbRpoSeconds?: number;
  /** --restore-concurrency: for a fence on the target without a recorded value. */
  readonly restoreConcurrency?: number;
  /** Name used in messages and re-run hints. @default 'switchover' */
  readonly command?: 'switchover' | 'failback';
}

export interface SwitchoverResult {
  readonly code: ExitCode;
  readonly outcome: PromotionOutcome;
  readonly to: Role;
  readonly from?: Role;
  /** True when an earlier run had already requested (or completed) the move. */
  readonly resumed?: boolean;
  readonly rpoLagBefore?: MetricSample | null;
  readonly requestedAt?: string;
  readonly completedAt?: string;
  readonly durationMs?: number;
  readonly live?: readonly LiveStep[];
  readonly configChange?: string;
  readonly warnings: readonly string[];
  readonly message: string;
  /** Accelerator mode: the traffic dials moved to the new writer (not essential: see src/dr-cli/edge.ts). */
  readonly edge?: EdgeDialResult;
}

const rerun = (opts: SwitchoverOptions) => `npm run dr -- ${opts.command ?? 'switchover'} --to ${opts.to}`;

/** True when `view` shows an operation towards `target` that an earlier request started. */
export function operationTowards(view: GlobalClusterView, target: RegionSite): boolean {
  return view.failoverState?.to === target.clusterArn;
}

/** The live settings after the writer moved to `target` (both regions answer: a planned move). */
export async function settleSwitchover(ctx: Ctx, target: RegionSite, opts: SwitchoverOptions): Promise<LiveStep[]> {
  const source = otherSite(ctx.outputs, target);
  const designations = await Promise.all([setDesignation(ctx, target, target.role), setDesignation(ctx, source, target.role)]);
  const rpo = await moveGlobalDbRpo(ctx, target, source, { setOnActive: true, passiveBestEffort: false, fallbackSeconds: opts.globalDbRpoSeconds });
  // Last: the target takes payments again only once the designation and the database agree.
  const unfence = await unfenceSite(ctx, target, opts.restoreConcurrency);
  return [...designations, ...rpo, unfence];
}

/** Prechecks, requests the switchover, waits for it, verifies, sets the live settings. Prints progress; never throws. */
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

  // 2. Resume: the move was already requested (still running) or is done; finish what is left.
  const done = switchComplete(view, target);
  const running = operationTowards(view, target);
  if ((done || running) && !opts.dryRun) {
    tell(ctx, `resuming: ${done ? `the writer is already ${target.role} (${target.region})` : 'an operation towards the target is already running'}; finishing the live settings`);
    const started = deps.now();
    if (running) {
      const waited = await waitForWriter(ctx, { target, operation: opts.command ?? 'switchover', requestedAt: started, timeoutMs: opts.timeoutMs, pollMs: opts.pollMs, before: view });
      if (waited.outcome !== 'completed') {
        return { ...base, code: EXIT_FAILED, outcome: waited.outcome, resumed: true, from: source.role, message: waited.message };
      }
    }
    return finish(ctx, opts, target, { ...base, warnings, resumed: true, from: source.role }, started, deps.now());
  }

  let rpoLag: MetricSample | null = null;
  try {
    rpoLag = (await latestMetrics(deps.aws.inRegion(target.region).cloudwatch, [rpoLagQuery(target.clusterId)], deps.now())).rpolag;
  } catch (e) {
    warnings.push(`could not read the replication lag (${errorText(e)})`);
  }

  // 3. Decide.
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

  // 4. Act.
  tell(ctx, `starting ${plan}`);
  const requestedAt = deps.now();
  try {
    await requestSwitchover(deps.aws.inRegion(target.region).rds, outputs.globalClusterId, target.clusterArn);
  } catch (e) {
    // A timed-out request may still have started the switchover: look before saying it did not.
    const after = await describeGlobalCluster(deps.aws.inRegion(target.region).rds, outputs.globalClusterId).catch(() => undefined);
    if (!after || !(operationTowards(after, target) || writerSite(after, outputs) === target)) {
      return {
        ...base,
        warnings,
        code: EXIT_FAILED,
        outcome: 'not-started',
        from: source.role,
        rpoLagBefore: rpoLag,
        message:
          `SwitchoverGlobalCluster failed (${errorText(e)}) and ${after ? 'the global cluster shows no operation towards the target' : 're-reading the global cluster failed too'}: ` +
          `the switchover did not start; the writer is still ${describeWriter(after ?? view, outputs)}`,
      };
    }
    tell(ctx, `SwitchoverGlobalCluster answered with an error (${errorText(e)}), but the global cluster shows the switchover under way; waiting for it`);
  }

  // 5. Wait and verify.
  const waited = await waitForWriter(ctx, { target, operation: opts.command ?? 'switchover', requestedAt, timeoutMs: opts.timeoutMs, pollMs: opts.pollMs, before: view });
  if (waited.outcome !== 'completed') {
    return {
      ...base,
      warnings,
      code: EXIT_FAILED,
      outcome: waited.outcome,
      from: source.role,
      rpoLagBefore: rpoLag,
      requestedAt: iso(requestedAt),
      message: `${waited.message} Re-run \`${rerun(opts)}\` to wait for it and finish the live settings.`,
    };
  }
  try {
    const c = await describeCluster(deps.aws.inRegion(target.region).rds, target.clusterId);
    if (c.status !== 'available') warnings.push(`the new writer cluster ${target.clusterId} reports status "${c.status}"`);
  } catch (e) {
    warnings.push(`could not verify the new writer cluster (${errorText(e)})`);
  }
  return finish(ctx, opts, target, { ...base, warnings, from: source.role, rpoLagBefore: rpoLag }, requestedAt, waited.completedAt);
}

async function finish(
  ctx: Ctx,
  opts: SwitchoverOptions,
  target: RegionSite,
  partial: Omit<SwitchoverResult, 'code' | 'outcome' | 'message'>,
  requestedAt: number,
  completedAt: number,
): Promise<SwitchoverResult> {
  const live = await settleSwitchover(ctx, target, opts);
  // Accelerator mode: the dials follow the writer (not essential: health-based failover moves traffic without them).
  const edge = await setTrafficDials(ctx, target.role);
  if (edge) tell(ctx, edge.message);
  const change = configChange(ctx.outputs, target.role, ctx.deps.env.DR_CONFIG);
  const durationMs = completedAt - requestedAt;
  const failedSteps = live.filter((s) => !s.ok);
  const what = `the writer is now ${target.role} (${target.region}, ${target.clusterId})`;
  const common = {
    ...partial,
    ...(edge ? { edge } : {}),
    requestedAt: iso(requestedAt),
    completedAt: iso(completedAt),
    durationMs,
    live,
    configChange: change.text,
  };
  if (failedSteps.length > 0) {
    return {
      ...common,
      code: EXIT_FAILED,
      outcome: 'completed',
      message:
        `${opts.command ?? 'switchover'}: ${what}, but ${failedSteps.length} live setting(s) failed: ` +
        `${failedSteps.map((s) => s.detail).join('; ')}. Re-run \`${rerun(opts)}\`: it resumes and only does what is left.`,
    };
  }
  return {
    ...common,
    code: EXIT_OK,
    outcome: 'completed',
    message: `${opts.command ?? 'switchover'} complete: ${what}; ${partial.resumed ? 'resumed' : `took ${formatDuration(durationMs)}`}`,
  };
}

export function renderSwitchover(r: SwitchoverResult): string {
  const lines = [r.message];
  if (r.live) lines.push('', 'Live settings:', ...renderSteps(r.live));
  if (r.configChange) lines.push('', r.configChange);
  return lines.join('\n') + '\n';
}

export async function switchoverCommand(ctx: Ctx, opts: SwitchoverOptions): Promise<ExitCode> {
  const r = await performSwitchover(ctx, opts);
  if (ctx.json) say(ctx, JSON.stringify(r, null, 2));
  if (r.code === EXIT_OK) {
    if (!ctx.json) say(ctx, renderSwitchover(r));
  } else if (r.code === EXIT_REFUSED) {
    tell(ctx, r.message);
  } else {
    // Timeouts and poll errors already say what was last seen and what to run.
    tell(ctx, `FAILED: ${renderSwitchover(r).trimEnd()}${r.outcome === 'timeout' || r.outcome === 'poll-error' || r.outcome === 'completed' ? '' : `\n${STATUS_HINT}`}`);
  }
  return r.code;
}

/**
 * `failback`: back to the site that was active before a failover, once its region is back and its cluster has
 * rejoined as a connected secondary: a switchover (no data loss) to it, its designation restored, its fence lifted,
 * `rds.global_db_rpo` moved, and the config change printed.
 */
export async function failbackCommand(ctx: Ctx, opts: Omit<SwitchoverOptions, 'to' | 'command'> & { readonly to?: Role }): Promise<ExitCode> {
  const { deps, outputs } = ctx;
  // The writer as seen from either region (the first that answers).
  const reads = await Promise.allSettled([outputs.dr, outputs.primary].map((s) => describeGlobalCluster(deps.aws.inRegion(s.region).rds, outputs.globalClusterId)));
  const view = reads.map((r) => (r.status === 'fulfilled' ? r.value : undefined)).find((v) => v !== undefined);
  if (!view) {
    tell(ctx, `refused: neither region answered DescribeGlobalClusters (${reads.map((r) => (r.status === 'rejected' ? errorText(r.reason) : '')).join('; ')}); nothing was changed`);
    return EXIT_FAILED;
  }
  const writer = writerSite(view, outputs);
  const to = opts.to ?? (writer ? otherSite(outputs, writer).role : undefined);
  if (!to) {
    tell(ctx, `refused: cannot tell the current writer (${describeWriter(view, outputs)}); name the site to fail back to with --to primary|dr`);
    return EXIT_REFUSED;
  }
  const target = outputs[to];
  const member = view.members.find((m) => m.arn === target.clusterArn);
  if (writer?.role !== to && (!member || member.synchronization !== 'connected')) {
    tell(
      ctx,
      `refused: ${target.clusterId} (${target.region}) has not rejoined ${outputs.globalClusterId} as a connected secondary ` +
        `(${member ? `synchronization "${member.synchronization ?? 'unknown'}"` : 'not a member'}). Wait until \`npm run dr -- status\` shows it ` +
        '"sync connected" (Aurora re-adds the old primary after an allow-data-loss failover once its region recovers), reconcile the loss window, then fail back.',
    );
    return EXIT_REFUSED;
  }
  return switchoverCommand(ctx, { ...opts, to, command: 'failback' });
}
