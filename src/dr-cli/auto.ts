import { DescribeExecutionCommand, ListExecutionsCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { regionCode } from '../aws-regions';
import { errorText, isUnreachable } from './aws';
import { EXIT_FAILED, EXIT_OK, EXIT_REFUSED, say, tell, type Ctx, type ExitCode } from './context';
import { withDeadline, type Deps } from './deps';
import type { Role } from './outputs';
import type { StackOutputName } from '../contracts/stack-outputs';

/**
 * `auto`: the automatic failover controllers as the operator sees them. `npm run dr -- auto` shows the mode and, for
 * EACH region's controller (armed: the passive site's region; inert: the active site's), its kill switch, operation
 * lock and last run, read in both regions in parallel: after a failover and the `activeRegion` commit the record of
 * that failover sits with the controller that is now inert, and the operator needs it then; the newest record of
 * the two is named. `--disable` / `--enable` flip the armed controller's kill switch and, best effort, the other
 * region's, so a role swap does not re-arm what an operator disabled. `status` shows the same section.
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
  readonly operationLockParameter?: string;
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

/** A parameter that could not be read: why, and whether the region did not answer in time. */
export interface ReadError {
  readonly error: string;
  readonly unreachable?: boolean;
  /** ParameterNotFound: no controller parameters in that region (a stack from before there was one per region). */
  readonly missing?: boolean;
}

/** The operation lock as written by `lock` (src/dr-cli/auto.ts lockCommand) or the deploy workflow. */
export interface OperationLockView {
  readonly operation?: string;
  readonly by?: string;
  readonly since?: string;
  readonly until?: string;
  /** `until` is in the past at the time of reading: the controller ignores it. */
  readonly expired: boolean;
}

/**
 * One region's controller as read from that region's control parameters (the same names in each region). Both
 * regions have one; the armed one is in the passive site's region (output `controller-region`), the other is inert
 * (its runs end with verdict `nothing-to-do`), but it keeps the record of the failover it ran before the role swap.
 */
export interface ControllerRegionStatus {
  readonly role: Role;
  readonly region: string;
  readonly armed: boolean;
  readonly killSwitch: string | ReadError;
  readonly lastRun: RunSummary | 'none' | ReadError;
  /** Absent when the outputs name no lock parameter (a stack from before the output existed). */
  readonly operationLock?: OperationLockView | 'none' | ReadError;
  /** This region's state machine's latest execution; absent without a Step Functions client or a derivable ARN. */
  readonly lastExecution?: LastExecution | 'none' | ReadError;
  /** At least one read in this region got no answer within the deadline. */
  readonly unreachable?: boolean;
}

/**
 * A controller's latest Step Functions execution and Decide's verdict. The run record (`lastRun`) keeps real
 * failovers only: a `refused` or `nothing-to-do` run is recorded in its execution (output, 90 days) and logs, not in
 * the parameter (lambdas/failover-controller/index.ts), so this is where the inert controller's `nothing-to-do`
 * and a paged refusal's reasons are seen.
 */
export interface LastExecution {
  readonly name: string;
  /** RUNNING | SUCCEEDED | FAILED | TIMED_OUT | ABORTED | PENDING_REDRIVE. */
  readonly status: string;
  readonly startedAt?: string;
  readonly stoppedAt?: string;
  /** Decide's verdict (`go`, `refused`, `nothing-to-do`), from the execution's output; absent while it runs. */
  readonly verdict?: string;
  /** The run record's outcome in that output. */
  readonly outcome?: string;
  /** Decide's reasons (the `decide` step's detail). */
  readonly reasons?: string;
  /** Why the output could not be read (e.g. no kms:Decrypt on the region's logs key): the listing still shows. */
  readonly outputError?: string;
}

/** The newest run record of either region (by `startedAt`), and whose it is. */
export interface MostRecentRun {
  readonly role: Role;
  readonly region: string;
  /** False after a role swap: the record of the failover that made this site active sits with the now-inert controller. */
  readonly armed: boolean;
  readonly runId: string;
  readonly outcome: string;
  readonly startedAt: string;
  /** Regions whose record could not be read: theirs may be newer. */
  readonly unread?: readonly string[];
}

export interface AutoStatus extends AutomaticOutputs {
  /** The armed controller's kill switch: `enabled` / `disabled`, or why it could not be read. */
  readonly killSwitch?: string | ReadError;
  /** The armed controller's last run. */
  readonly lastRun?: RunSummary | 'none' | ReadError;
  /** Both regions' controllers, each read in its own region in parallel. */
  readonly controllers?: Record<Role, ControllerRegionStatus>;
  /** The newest run record in either region; absent when neither region holds one. */
  readonly mostRecentRun?: MostRecentRun;
}

const NAMES = {
  'failover-mode': 'mode',
  'controller-region': 'controllerRegion',
  'controller-state-machine-arn': 'stateMachineArn',
  'kill-switch-parameter-name': 'killSwitchParameter',
  'last-run-parameter-name': 'lastRunParameter',
  'operation-lock-parameter-name': 'operationLockParameter',
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

const isNotFound = (e: unknown) => (e as { name?: string } | null)?.name === 'ParameterNotFound';

const readError = (e: unknown): ReadError => ({
  error: isNotFound(e) ? 'parameter not found (no controller parameters in this region: deploy the current stack)' : errorText(e),
  ...(isUnreachable(e) ? { unreachable: true } : {}),
  ...(isNotFound(e) ? { missing: true } : {}),
});

function parseRun(value: string): RunSummary | 'none' | ReadError {
  if (value === 'none' || value === '') return 'none';
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return { error: 'the run record is not JSON' };
  }
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as RunSummary) : { error: 'the run record is not a JSON object' };
}

function parseLock(value: string, now: number): OperationLockView | 'none' | ReadError {
  if (value === 'none' || value === '') return 'none';
  try {
    const l = JSON.parse(value) as Omit<OperationLockView, 'expired'>;
    if (typeof l !== 'object' || l === null || Array.isArray(l)) return { error: 'the operation lock is not a JSON object' };
    const until = l.until ? Date.parse(l.until) : NaN;
    return { ...l, expired: Number.isFinite(until) && until <= now };
  } catch {
    return { error: 'the operation lock is not JSON' };
  }
}

/**
 * Reads one region's control parameters (kill switch, last run, operation lock) in parallel, each call within
 * `ms`: the AbortSignal stops the SDK call, the race stops the wait whatever the client does. Never throws.
 */
async function readControllerRegion(ctx: Ctx, out: AutomaticOutputs, role: Role, ms: number): Promise<ControllerRegionStatus> {
  const region = ctx.outputs[role].region;
  const ssm = ctx.deps.aws.inRegion(region).ssm;
  const read = async (name: string | undefined) => {
    if (!name) throw new Error('the stack outputs do not name this parameter (deploy the current stack)');
    const r = await withDeadline(ssm.send(new GetParameterCommand({ Name: name }), deadline(ms)), ms, `GetParameter ${name} (${region})`);
    return r.Parameter?.Value ?? '';
  };
  const sfn = ctx.deps.aws.inRegion(region).sfn;
  const machine = out.stateMachineArn && out.controllerRegion ? stateMachineArnIn(out.stateMachineArn, out.controllerRegion, region) : undefined;
  const [kill, last, lock, exec] = await Promise.allSettled([
    read(out.killSwitchParameter),
    read(out.lastRunParameter),
    out.operationLockParameter ? read(out.operationLockParameter) : Promise.resolve(undefined),
    sfn && machine ? readLastExecution(sfn, machine, ms) : Promise.resolve(undefined),
  ]);
  const now = ctx.deps.now();
  const killSwitch = kill.status === 'fulfilled' ? kill.value : readError(kill.reason);
  const lastRun = last.status === 'fulfilled' ? parseRun(last.value) : readError(last.reason);
  const operationLock = lock.status === 'fulfilled' ? (lock.value === undefined ? undefined : parseLock(lock.value, now)) : readError(lock.reason);
  const lastExecution = exec.status === 'fulfilled' ? exec.value : readError(exec.reason);
  const unreachable = [killSwitch, lastRun, operationLock, lastExecution].some((v) => isError(v) && v.unreachable === true);
  return {
    role,
    region,
    armed: region === out.controllerRegion,
    killSwitch,
    lastRun,
    ...(operationLock !== undefined ? { operationLock } : {}),
    ...(lastExecution !== undefined ? { lastExecution } : {}),
    ...(unreachable ? { unreachable: true } : {}),
  };
}

/**
 * The state machine of `region`'s controller, from the armed one's ARN (output `controller-state-machine-arn`):
 * each controller's name is the same but for the region code (src/constructs/failover-controller.ts
 * stateMachineName; __tests__/stack-outputs-contract.test.ts checks this against the synthesized stack).
 * Undefined when the ARN does not have that shape.
 */
export function stateMachineArnIn(armedArn: string, armedRegion: string, region: string): string | undefined {
  const m = /^(arn:[^:]+:states:)([^:]+)(:\d{12}:stateMachine:)(.+)$/.exec(armedArn);
  if (!m || m[2] !== armedRegion) return undefined;
  const from = `-${regionCode(armedRegion)}-`;
  if (!m[4].includes(from)) return undefined;
  return `${m[1]}${region}${m[3]}${m[4].replace(from, `-${regionCode(region)}-`)}`;
}

/** The latest execution (ListExecutions lists the most recent first) and its verdict; within `ms` as a whole. */
async function readLastExecution(sfn: SFNClient, arn: string, ms: number): Promise<LastExecution | 'none'> {
  const started = Date.now();
  const left = () => Math.max(1, ms - (Date.now() - started));
  const list = await withDeadline(sfn.send(new ListExecutionsCommand({ stateMachineArn: arn, maxResults: 1 }), deadline(ms)), ms, `ListExecutions (${arn})`);
  const e = list.executions?.[0];
  if (!e?.executionArn) return 'none';
  const base = {
    name: e.name ?? e.executionArn.split(':').pop()!,
    status: e.status ?? 'UNKNOWN',
    ...(e.startDate ? { startedAt: e.startDate.toISOString() } : {}),
    ...(e.stopDate ? { stoppedAt: e.stopDate.toISOString() } : {}),
  };
  if (e.status === 'RUNNING') return base;
  try {
    const d = await withDeadline(sfn.send(new DescribeExecutionCommand({ executionArn: e.executionArn }), deadline(left())), left(), `DescribeExecution (${e.executionArn})`);
    if (!d.output) return base;
    const out = JSON.parse(d.output) as { verdict?: string; record?: { outcome?: string; steps?: { step?: string; detail?: string }[] } };
    const reasons = out.record?.steps?.find((s) => s.step === 'decide')?.detail;
    return {
      ...base,
      ...(out.verdict ? { verdict: out.verdict } : {}),
      ...(out.record?.outcome ? { outcome: out.record.outcome } : {}),
      ...(reasons ? { reasons } : {}),
    };
  } catch (err) {
    return { ...base, outputError: errorText(err) };
  }
}

/** The newest record of the two regions by `startedAt` (the armed one's on a tie). */
function mostRecent(controllers: Record<Role, ControllerRegionStatus>): MostRecentRun | undefined {
  let best: MostRecentRun | undefined;
  let bestAt = -Infinity;
  for (const c of [controllers.primary, controllers.dr].sort((a, b) => Number(b.armed) - Number(a.armed))) {
    const r = c.lastRun;
    if (r === 'none' || isError(r)) continue;
    const at = Date.parse(r.startedAt ?? '');
    if (!Number.isFinite(at) || at <= bestAt) continue;
    bestAt = at;
    best = { role: c.role, region: c.region, armed: c.armed, runId: r.runId, outcome: r.outcome, startedAt: r.startedAt! };
  }
  const unread = [controllers.primary, controllers.dr].filter((c) => isError(c.lastRun)).map((c) => c.region);
  return best && unread.length > 0 ? { ...best, unread } : best;
}

/**
 * Reads the kill switch, the last run and the operation lock of the controller of EACH region, both regions in
 * parallel; never throws, answers within AUTO_STATUS_DEADLINE_MS (or the status budget, if smaller). An
 * unreachable region is marked as such; the other still answers.
 */
export async function automaticFailoverStatus(ctx: Ctx): Promise<AutoStatus> {
  const out = readAutomaticOutputs(ctx);
  if (out.mode !== 'automatic' || !out.controllerRegion) return out;
  // The CLI's bounded client of each region; the section's own deadline on top keeps `status` within its budget.
  const ms = Math.min(AUTO_STATUS_DEADLINE_MS, ctx.deps.statusBudgetMs ?? AUTO_STATUS_DEADLINE_MS);
  const [primary, dr] = await Promise.all((['primary', 'dr'] as const).map((role) => readControllerRegion(ctx, out, role, ms)));
  const controllers = { primary, dr };
  const armed = [primary, dr].find((c) => c.armed);
  const latest = mostRecent(controllers);
  return {
    ...out,
    // The armed controller's, as before (a controller region that is neither site's leaves them unread).
    ...(armed
      ? { killSwitch: armed.killSwitch, lastRun: armed.lastRun }
      : { killSwitch: { error: `controller-region ${out.controllerRegion} is neither site's region` }, lastRun: { error: 'see killSwitch' } }),
    controllers,
    ...(latest ? { mostRecentRun: latest } : {}),
  };
}

const isError = (v: unknown): v is ReadError => typeof v === 'object' && v !== null && 'error' in v;

/** What the section could not read, one line each (an absent lock output is not an error). */
export function autoErrors(a: AutoStatus): string[] {
  if (a.mode !== 'automatic') return [];
  const errs: string[] = [];
  const add = (what: string, v: unknown) => {
    if (isError(v)) errs.push(`${what}: ${v.error}`);
  };
  if (!a.controllers) {
    add('automatic failover kill switch', a.killSwitch);
    add('automatic failover last run', a.lastRun);
    return errs;
  }
  for (const c of Object.values(a.controllers)) {
    add(`automatic failover kill switch ${c.region}`, c.killSwitch);
    add(`automatic failover last run ${c.region}`, c.lastRun);
    add(`automatic failover operation lock ${c.region}`, c.operationLock);
    add(`automatic failover last execution ${c.region}`, c.lastExecution);
  }
  return errs;
}

/** The regions whose control parameters got no answer in time. */
export function autoUnreachable(a: AutoStatus): string[] {
  return Object.values(a.controllers ?? {})
    .filter((c) => c.unreachable)
    .map((c) => c.region);
}

const unreadable = (e: ReadError) => `${e.unreachable ? 'UNREACHABLE' : 'UNREADABLE'} (${e.error})`;

function runLines(r: RunSummary | 'none' | ReadError, indent: string): string[] {
  if (r === 'none') return [`${indent}last run: none`];
  if (isError(r)) return [`${indent}last run: ${unreadable(r)}`];
  return [
    `${indent}last run: ${r.runId} ${r.outcome}, ${r.from ?? '?'} → ${r.to ?? '?'}, started ${r.startedAt ?? '?'}${r.completedAt ? `, ended ${r.completedAt}` : ''}; last replication lag ${r.lastReplicationLagMs == null ? 'unknown' : `${r.lastReplicationLagMs} ms`}`,
    ...r.steps.map((s) => `${indent}  ${s.at ?? ''} ${s.step}: ${s.status}${s.detail ? ` — ${s.detail}` : ''}`),
  ];
}

function lockLine(l: OperationLockView | 'none' | ReadError | undefined, indent: string): string[] {
  if (l === undefined) return [];
  if (l === 'none') return [`${indent}operation lock: none`];
  if (isError(l)) return [`${indent}operation lock: ${unreadable(l)}`];
  const what = `${l.operation ?? '?'} by ${l.by ?? '?'} since ${l.since ?? '?'} until ${l.until ?? '?'}`;
  return [`${indent}operation lock: ${l.expired ? `expired (${what}; ignored)` : `HELD: ${what} (automatic failover refuses until then)`}`];
}

function executionLines(x: LastExecution | 'none' | ReadError | undefined, indent: string): string[] {
  if (x === undefined) return [];
  if (x === 'none') return [`${indent}last execution: none`];
  if (isError(x)) return [`${indent}last execution: ${unreadable(x)}`];
  const when = `started ${x.startedAt ?? '?'}${x.stoppedAt ? `, stopped ${x.stoppedAt}` : ''}`;
  const verdict = x.verdict
    ? `; verdict ${x.verdict}${x.outcome && x.outcome !== x.verdict ? `, outcome ${x.outcome}` : ''}${x.reasons ? ` (${x.reasons})` : ''}`
    : x.outputError
      ? `; verdict unreadable (${x.outputError}: reading an execution's output needs kms:Decrypt on the region's logs key)`
      : '';
  return [`${indent}last execution: ${x.name} ${x.status}, ${when}${verdict}`];
}

function killSwitchText(ks: string | ReadError, armed: boolean): string {
  if (isError(ks)) return unreadable(ks);
  if (!armed) return `${ks} (takes effect if a role swap arms this controller)`;
  return ks === 'enabled' ? 'enabled (automatic failover armed)' : `${ks} (automatic failover will refuse)`;
}

export function renderAutoStatus(a: AutoStatus): string {
  const lines = ['Automatic failover'];
  if (a.mode !== 'automatic') {
    lines.push(
      `  mode: ${a.mode}${a.mode === 'manual' ? ' (the prober pages; an operator runs `npm run dr -- failover`)' : ' (outputs name no mode: deploy the current stack)'}`,
    );
    return lines.join('\n');
  }
  lines.push(`  mode: automatic, controller in ${a.controllerRegion ?? '?'} (${a.stateMachineArn ?? 'state machine not in outputs'})`);
  if (!a.controllers) {
    if (a.killSwitch !== undefined) lines.push(`  kill switch: ${killSwitchText(a.killSwitch, true)}`);
    if (a.lastRun !== undefined) lines.push(...runLines(a.lastRun, '  '));
    return lines.join('\n');
  }
  // The armed controller first, then the inert one: each with its own region's parameters.
  for (const c of [a.controllers.primary, a.controllers.dr].sort((x, y) => Number(y.armed) - Number(x.armed))) {
    const head = c.armed ? 'ARMED (fails over to this site when the other fails)' : 'inert (the active site\'s: its runs end with verdict nothing-to-do)';
    lines.push(`  ${c.role} ${c.region}: ${head}${c.unreachable ? ' — UNREACHABLE (no answer within the deadline)' : ''}`);
    lines.push(`    kill switch: ${killSwitchText(c.killSwitch, c.armed)}`);
    lines.push(...lockLine(c.operationLock, '    '));
    lines.push(...runLines(c.lastRun, '    '));
    lines.push(...executionLines(c.lastExecution, '    '));
  }
  const m = a.mostRecentRun;
  if (m) {
    lines.push(
      `  most recent run: ${m.runId} ${m.outcome}, started ${m.startedAt}, recorded in ${m.region} (${m.armed ? 'the armed controller' : 'the inert controller: the record of a failover stays in the region that ran it after the role swap'})` +
        (m.unread ? `; ${m.unread.join(', ')} could not be read: its record may be newer` : ''),
    );
  } else if (Object.values(a.controllers).every((c) => c.lastRun === 'none')) {
    lines.push('  most recent run: none in either region');
  } else {
    lines.push('  most recent run: unknown (a region could not be read; its record may be the newest)');
  }
  const ks = Object.values(a.controllers).map((c) => c.killSwitch);
  if (ks.every((k) => !isError(k)) && ks[0] !== ks[1]) {
    lines.push('  NOTE: the two kill switches differ: a role swap changes whether automatic failover is armed; set both with `npm run dr -- auto --enable` or `--disable`.');
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
    const otherFailed = other !== undefined && inert?.status === 'rejected';
    if (otherFailed) {
      // Which controller is armed follows the live designation, not the outputs: after a failover whose config is
      // not deployed yet, the one in `other` is the armed one. A disable that missed it is not a disable.
      tell(
        ctx,
        `${opts.enable ? 'warning' : 'FAILED'}: could not also set ${out.killSwitchParameter} in ${other} (${errorText(inert.reason)}). ` +
          `Its controller is inert only while its own site is active${opts.enable ? '' : ': if a failover made it passive and the config is not deployed yet, automatic failover can still run there'}; run this again once ${other} answers`,
      );
    }
    const status = await automaticFailoverStatus(ctx);
    if (ctx.json) say(ctx, JSON.stringify({ set: value, ...status }, null, 2));
    else {
      say(ctx, `kill switch ${out.killSwitchParameter} (${out.controllerRegion}${other && inert?.status === 'fulfilled' ? ` and ${other}` : ''}) set to ${value}.`);
      say(ctx, opts.enable ? 'Automatic failover is armed.' : 'Automatic failover will refuse (and page) until `npm run dr -- auto --enable`; a run already under way is not stopped (stop its execution in the Step Functions console).');
      say(ctx, renderAutoStatus(status));
    }
    return otherFailed && !opts.enable ? EXIT_FAILED : EXIT_OK;
  }
  const status = await automaticFailoverStatus(ctx);
  say(ctx, ctx.json ? JSON.stringify(status, null, 2) : renderAutoStatus(status));
  return autoErrors(status).length > 0 ? EXIT_FAILED : EXIT_OK;
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
  let current: string | undefined;
  try {
    current = (await ssm.send(new GetParameterCommand({ Name: name }), deadline(AUTO_STATUS_DEADLINE_MS * 2))).Parameter?.Value;
  } catch (e) {
    if (isNotFound(e)) {
      out(`${name} does not exist in ${region} yet (no controller deployed there): nothing to ${opts.release ? 'release' : 'lock'}.`);
      return EXIT_OK;
    }
    err(`FAILED: could not read ${name} in ${region} (${errorText(e)}); the lock is unchanged`);
    return EXIT_FAILED;
  }
  const now = deps.now();
  // The lock is owned by an operation: a deploy never takes over (nor releases) a lock an operator took for a
  // switchover or drill, which would let the controller act in the middle of it. The same operation renews it.
  const held = parseLock(current ?? 'none', now);
  if (held !== 'none' && !('error' in held) && !held.expired && held.operation !== opts.operation) {
    err(
      `REFUSED: the operation lock is held by "${held.operation}" (${held.by ?? 'unknown'}, until ${held.until}); ` +
        (opts.release
          ? `not released. Release it as its holder: npm run dr -- lock --release --operation ${held.operation}`
          : `wait for it, or release it as its holder: npm run dr -- lock --release --operation ${held.operation}`),
    );
    return EXIT_REFUSED;
  }
  if (opts.release && held === 'none') {
    out(`no operation lock is held (${name}, ${region}): nothing to release.`);
    return EXIT_OK;
  }
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
