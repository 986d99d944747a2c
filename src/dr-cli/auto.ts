import { GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { errorText } from './aws';
import { EXIT_FAILED, EXIT_OK, EXIT_REFUSED, say, tell, type Ctx, type ExitCode } from './context';
import type { Deps } from './deps';
import type { StackOutputName } from '../contracts/stack-outputs';

/**
 * `auto`: the automatic failover controller as the operator sees it. `npm run dr -- auto` shows the mode, the kill
 * switch and the last run of the armed controller (the passive site's region); `--disable` / `--enable` flip the kill
 * switch there and, best effort, in the other region (each region has a controller; the active site's is inert), so
 * a role swap does not re-arm what an operator disabled. `status` shows the same section.
 *
 * The controller's outputs are optional (manual mode has no controller), so they are read here from the outputs
 * file rather than required by the common outputs schema.
 */

/** How long the automatic-failover section may take: `status` must answer within its own bound. */
export const AUTO_STATUS_DEADLINE_MS = 5_000;

export interface AutomaticOutputs {
  readonly mode: 'manual' | 'automatic' | 'unknown';
  readonly controllerRegion?: string;
  readonly stateMachineArn?: string;
  readonly killSwitchParameter?: string;
  readonly lastRunParameter?: string;
}

export interface RunSummary {
  readonly runId: string;
  readonly outcome: string;
  readonly from?: string;
  readonly to?: string;
  readonly startedAt?: string;
  readonly completedAt?: string;
  readonly lastReplicationLagMs?: number | null;
  readonly steps: ReadonlyArray<{ readonly step: string; readonly status: string; readonly at?: string; readonly detail?: string }>;
}

export interface AutoStatus extends AutomaticOutputs {
  /** `enabled` / `disabled`, or an error text when it could not be read. */
  readonly killSwitch?: string | { readonly error: string };
  readonly lastRun?: RunSummary | 'none' | { readonly error: string };
}

const NAMES = {
  'failover-mode': 'mode',
  'controller-region': 'controllerRegion',
  'controller-state-machine-arn': 'stateMachineArn',
  'kill-switch-parameter-name': 'killSwitchParameter',
  'last-run-parameter-name': 'lastRunParameter',
} as const satisfies { readonly [name in StackOutputName]?: string };

/** Finds the optional outputs in a terraform/cdktf outputs file (nested by stack or construct path). */
export function automaticOutputs(json: unknown): AutomaticOutputs {
  const found: Record<string, unknown> = {};
  const walk = (v: unknown, depth: number) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v) || depth > 5) return;
    for (const [k, raw] of Object.entries(v as Record<string, unknown>)) {
      const value = typeof raw === 'object' && raw !== null && 'value' in raw ? (raw as { value: unknown }).value : raw;
      if (k in NAMES && typeof value === 'string') found[NAMES[k as keyof typeof NAMES]] ??= value;
      else walk(raw, depth + 1);
    }
  };
  walk(json, 0);
  const mode = found.mode === 'manual' || found.mode === 'automatic' ? found.mode : 'unknown';
  return { ...(found as Omit<AutomaticOutputs, 'mode'>), mode };
}

function readAutomaticOutputs(ctx: Ctx): AutomaticOutputs {
  try {
    return automaticOutputs(JSON.parse(ctx.deps.readFile(ctx.outputs.source)));
  } catch {
    return { mode: 'unknown' };
  }
}

const deadline = (ms: number) => ({ abortSignal: AbortSignal.timeout(ms) });

/** Reads the kill switch and the last run; never throws, answers within AUTO_STATUS_DEADLINE_MS. */
export async function automaticFailoverStatus(ctx: Ctx): Promise<AutoStatus> {
  const out = readAutomaticOutputs(ctx);
  if (out.mode !== 'automatic' || !out.controllerRegion) return out;
  // The CLI's bounded client of that region; the section's own deadline on top keeps `status` within its budget.
  const ssm = ctx.deps.aws.inRegion(out.controllerRegion).ssm;
  const read = async (name: string | undefined) => {
    if (!name) throw new Error('the stack outputs do not name this parameter (deploy the current stack)');
    const r = await ssm.send(new GetParameterCommand({ Name: name }), deadline(AUTO_STATUS_DEADLINE_MS));
    return r.Parameter?.Value ?? '';
  };
  const [kill, last] = await Promise.allSettled([read(out.killSwitchParameter), read(out.lastRunParameter)]);
  let lastRun: AutoStatus['lastRun'];
  if (last.status === 'rejected') lastRun = { error: errorText(last.reason) };
  else if (last.value === 'none' || last.value === '') lastRun = 'none';
  else {
    try {
      lastRun = JSON.parse(last.value) as RunSummary;
    } catch {
      lastRun = { error: 'the run record is not JSON' };
    }
  }
  return {
    ...out,
    killSwitch: kill.status === 'fulfilled' ? kill.value : { error: errorText(kill.reason) },
    lastRun,
  };
}

const isError = (v: unknown): v is { error: string } => typeof v === 'object' && v !== null && 'error' in v;

export function renderAutoStatus(a: AutoStatus): string {
  const lines = ['Automatic failover'];
  if (a.mode !== 'automatic') {
    lines.push(
      `  mode: ${a.mode}${a.mode === 'manual' ? ' (the prober pages; an operator runs `npm run dr -- failover`)' : ' (outputs name no mode: deploy the current stack)'}`,
    );
    return lines.join('\n');
  }
  lines.push(`  mode: automatic, controller in ${a.controllerRegion ?? '?'} (${a.stateMachineArn ?? 'state machine not in outputs'})`);
  const ks = a.killSwitch;
  lines.push(`  kill switch: ${isError(ks) ? `UNREADABLE (${ks.error})` : ks === 'enabled' ? 'enabled (automatic failover armed)' : `${ks} (automatic failover will refuse)`}`);
  const r = a.lastRun;
  if (r === undefined || r === 'none') lines.push('  last run: none');
  else if ('error' in r) lines.push(`  last run: UNREADABLE (${r.error})`);
  else {
    lines.push(
      `  last run: ${r.runId} ${r.outcome}, ${r.from ?? '?'} → ${r.to ?? '?'}, started ${r.startedAt ?? '?'}${r.completedAt ? `, ended ${r.completedAt}` : ''}; last replication lag ${r.lastReplicationLagMs == null ? 'unknown' : `${r.lastReplicationLagMs} ms`}`,
    );
    for (const s of r.steps) lines.push(`    ${s.at ?? ''} ${s.step}: ${s.status}${s.detail ? ` — ${s.detail}` : ''}`);
  }
  return lines.join('\n');
}

export interface AutoOptions {
  readonly enable?: boolean;
  readonly disable?: boolean;
}

export async function autoCommand(ctx: Ctx, opts: AutoOptions): Promise<ExitCode> {
  if (opts.enable && opts.disable) {
    tell(ctx, 'auto: give --enable or --disable, not both');
    return EXIT_REFUSED;
  }
  const out = readAutomaticOutputs(ctx);
  if (opts.enable || opts.disable) {
    if (out.mode !== 'automatic' || !out.controllerRegion || !out.killSwitchParameter) {
      tell(
        ctx,
        `refused: failover.mode is ${out.mode} in the deployed stack (${ctx.outputs.source}): there is no controller to ${opts.enable ? 'enable' : 'disable'}. ` +
          'Set failover.mode "automatic" in the config and deploy, then refresh the outputs file.',
      );
      return EXIT_REFUSED;
    }
    const value = opts.enable ? 'enabled' : 'disabled';
    // Each region has a controller and a kill switch (the active site's is inert). The armed one (the controller
    // region) must be set; the other is set too, in parallel and best effort, so the switch still says the same after a
    // role swap: a region that does not answer (the failed one, in an incident) never holds up the armed one.
    const other = [ctx.outputs.primary.region, ctx.outputs.dr.region].find((r) => r !== out.controllerRegion);
    const put = (region: string) =>
      ctx.deps.aws.inRegion(region).ssm.send(
        new PutParameterCommand({ Name: out.killSwitchParameter, Value: value, Type: 'String', Overwrite: true }),
        deadline(AUTO_STATUS_DEADLINE_MS * 2),
      );
    const [armed, inert] = await Promise.allSettled([put(out.controllerRegion), ...(other ? [put(other)] : [])]);
    if (armed.status === 'rejected') {
      tell(ctx, `FAILED: could not set ${out.killSwitchParameter} in ${out.controllerRegion} (${errorText(armed.reason)}); the kill switch is unchanged`);
      return EXIT_FAILED;
    }
    if (other && inert?.status === 'rejected') {
      tell(
        ctx,
        `warning: could not also set ${out.killSwitchParameter} in ${other} (${errorText(inert.reason)}): that region's controller is inert until a role swap; run this again once ${other} answers`,
      );
    }
    const status = await automaticFailoverStatus(ctx);
    if (ctx.json) say(ctx, JSON.stringify({ set: value, ...status }, null, 2));
    else {
      say(ctx, `kill switch ${out.killSwitchParameter} (${out.controllerRegion}${other && inert?.status === 'fulfilled' ? ` and ${other}` : ''}) set to ${value}.`);
      say(ctx, opts.enable ? 'Automatic failover is armed.' : 'Automatic failover will refuse (and page) until `npm run dr -- auto --enable`; a run already under way is not stopped (stop its execution in the Step Functions console).');
      say(ctx, renderAutoStatus(status));
    }
    return EXIT_OK;
  }
  const status = await automaticFailoverStatus(ctx);
  say(ctx, ctx.json ? JSON.stringify(status, null, 2) : renderAutoStatus(status));
  return isError(status.killSwitch) || isError(status.lastRun) ? EXIT_FAILED : EXIT_OK;
}

/** What `lock` needs from the config being deployed (the outputs may not exist yet: it runs before the deploy). */
export interface LockConfig {
  readonly namePrefix: string;
  readonly environmentSuffix: string;
  readonly activeRegion: 'primary' | 'dr';
  readonly regions: { readonly primary: { readonly region: string }; readonly dr: { readonly region: string } };
  readonly failover: { readonly mode: 'manual' | 'automatic' };
}

export interface LockOptions {
  /** What holds the lock (`deploy`, `switchover`, …). */
  readonly operation: string;
  readonly forMs: number;
  /** Release instead of take. */
  readonly release: boolean;
}

const isNotFound = (e: unknown) => (e as { name?: string } | null)?.name === 'ParameterNotFound';

/**
 * `lock` / `lock --release`: the operation lock the automatic controller honours (it refuses to fail over while a
 * deploy or a DR operation holds it). Written in the controller's region (the config's passive site). Manual mode,
 * or a controller not deployed yet, has nothing to lock: exit 0. The lock expires by itself (`--for`), so a job that
 * dies never blocks failover for long.
 */
export async function lockCommand(deps: Deps, config: LockConfig, opts: LockOptions): Promise<ExitCode> {
  const out = (t: string) => deps.stdout.write(`${t}\n`);
  const err = (t: string) => deps.stderr.write(`${t}\n`);
  if (config.failover.mode !== 'automatic') {
    out(`failover.mode is ${config.failover.mode}: there is no automatic controller, nothing to ${opts.release ? 'release' : 'lock'}.`);
    return EXIT_OK;
  }
  const passive = config.activeRegion === 'primary' ? 'dr' : 'primary';
  const region = config.regions[passive].region;
  const name = `/${config.namePrefix}/${config.environmentSuffix}-control/operation-in-progress`;
  const ssm = deps.aws.inRegion(region).ssm;
  try {
    await ssm.send(new GetParameterCommand({ Name: name }), deadline(AUTO_STATUS_DEADLINE_MS * 2));
  } catch (e) {
    if (isNotFound(e)) {
      out(`${name} does not exist in ${region} yet (no controller deployed there): nothing to ${opts.release ? 'release' : 'lock'}.`);
      return EXIT_OK;
    }
    err(`FAILED: could not read ${name} in ${region} (${errorText(e)}); the lock is unchanged`);
    return EXIT_FAILED;
  }
  const now = deps.now();
  const value = opts.release
    ? 'none'
    : JSON.stringify({
        operation: opts.operation,
        by: deps.env.GITHUB_ACTOR ?? deps.env.USER ?? 'unknown',
        since: new Date(now).toISOString(),
        until: new Date(now + opts.forMs).toISOString(),
      });
  try {
    await ssm.send(new PutParameterCommand({ Name: name, Value: value, Type: 'String', Overwrite: true }), deadline(AUTO_STATUS_DEADLINE_MS * 2));
  } catch (e) {
    err(`FAILED: could not write ${name} in ${region} (${errorText(e)}); the lock is unchanged`);
    return EXIT_FAILED;
  }
  out(opts.release ? `operation lock released (${name}, ${region}).` : `operation lock taken (${name}, ${region}): ${value}; automatic failover refuses until it is released or expires.`);
  return EXIT_OK;
}
