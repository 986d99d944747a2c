import { resolve } from 'node:path';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { describeGlobalCluster, errorText, type GlobalClusterView } from './aws';
import { EXIT_FAILED, EXIT_OK, EXIT_REFUSED, say, tell, type Ctx, type ExitCode } from './context';
import { otherSite, writerSite } from './decisions';
import { performFailover, type FailoverResult } from './failover';
import { FINISHED, getExperiment, startExperiment, stopExperiment, type ExperimentView } from './fis';
import { formatDuration, iso } from './format';
import { measureRto, verifyAcknowledged, type RpoResult, type RtoResult } from './measure';
import type { RegionSite, Role } from './outputs';
import { performSwitchover, type SwitchoverResult } from './switchover';
import { timeline, TrafficLoop, type Attempt, type TimelineSecond, type TrafficResult } from './traffic';

/**
 * `drill`: moves the writer away from the active site while test payments flow through the public API name, and
 * measures what a client saw.
 *
 * - `--mode switchover`: the planned move (SwitchoverGlobalCluster). RPO is 0 by construction: Aurora syncs the
 *   secondary before it promotes it; the drill still reads every acknowledged payment back.
 * - `--mode failover`: the unplanned one (FailoverGlobalCluster with AllowDataLoss): acknowledged payments the
 *   secondary had not received are lost, and the drill counts them.
 * - `--inject fis`: before promoting, starts the active site's FIS experiment (cross-region isolation and the
 *   database path cut, see src/constructs/fault-injection.ts) and stops it at the end or on abort (Ctrl-C).
 *   Without it nothing is injected: the drill measures the promotion alone, from the command.
 *
 * RTO runs from the fault (injection start, or the promotion command) to the first payment acknowledged through
 * the public name after the outage began; the report has the per-second client timeline (ok / 5xx / 4xx /
 * connection errors / DNS answer) as JSON and Markdown.
 */

export type DrillMode = 'switchover' | 'failover';

export interface DrillOptions {
  readonly mode: DrillMode;
  readonly inject: 'none' | 'fis';
  /** JSON report path; the Markdown report is written next to it (`.md`). */
  readonly reportPath?: string;
  /** Promotion: overall timeout, poll interval, largest replication lag a switchover starts with. */
  readonly timeoutMs: number;
  readonly pollMs: number;
  readonly maxLagMs: number;
  /** From the fault: no payment acknowledged by then and the drill stops the injection and fails. */
  readonly rtoTimeoutMs: number;
  /** Test payments per second, for `durationMs`, at most `maxInFlight` waiting, each with `requestTimeoutMs`. */
  readonly ratePerSecond: number;
  readonly durationMs: number;
  readonly maxInFlight: number;
  readonly requestTimeoutMs: number;
  /** Traffic before the fault: the steady state the timeline starts with. */
  readonly baselineMs: number;
  /** Failover mode: time between the fault and the failover command (the on-call's detection and decision). */
  readonly decisionDelayMs: number;
  /** A failover drill on a prod (or unknown) profile needs `allowProd` and `confirmProd` = the global cluster id. */
  readonly allowProd: boolean;
  readonly confirmProd?: string;
}

export interface InjectionReport {
  readonly kind: 'fis';
  readonly templateId: string;
  readonly region: string;
  readonly experimentId?: string;
  readonly requestedAt?: string;
  /** State seen after the start, and the final state after the drill stopped it. */
  readonly startState?: ExperimentView;
  readonly finalState?: ExperimentView;
  readonly stopRequestedAt?: string;
  readonly problems: readonly string[];
}

export interface DrillReport {
  readonly kind: 'dr-drill';
  readonly version: 2;
  readonly mode: DrillMode;
  readonly injected: 'none' | 'fis';
  readonly verdict: 'passed' | 'failed' | 'aborted';
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly globalCluster: string;
  readonly apiDomainName: string;
  readonly from: { readonly role: Role; readonly region: string; readonly clusterId: string };
  readonly to: { readonly role: Role; readonly region: string; readonly clusterId: string };
  readonly faultAt?: string;
  readonly injection?: InjectionReport;
  readonly promotion?: {
    readonly operation: DrillMode;
    readonly outcome: string;
    readonly requestedAt?: string;
    readonly completedAt?: string;
    readonly durationMs?: number;
    readonly message: string;
    /** The `activeRegion` change the promotion printed: commit it, or move the writer back. */
    readonly configChange?: string;
  };
  readonly traffic: {
    readonly ratePerSecond: number;
    readonly durationMs: number;
    readonly maxInFlight: number;
    readonly keyPrefix: string;
    readonly sent: number;
    readonly ok: number;
    readonly http5xx: number;
    readonly http4xx: number;
    readonly connection: number;
    readonly skipped: number;
  };
  readonly rto?: RtoResult;
  readonly rpo?: RpoResult & { readonly basis: string };
  readonly timeline: readonly TimelineSecond[];
  /** Every test payment: idempotency key, when, what came back. */
  readonly payments: readonly Attempt[];
  readonly notes: readonly string[];
  readonly summary: string;
}

class Refusal extends Error {}

/** The drill's own events on the timeline. */
interface Events {
  add(what: string): void;
  readonly list: Array<{ at: number; what: string }>;
}

/** Reads the global cluster from whichever region answers first (the drill does not yet know which is active). */
async function readGlobalCluster(ctx: Ctx): Promise<GlobalClusterView> {
  const { deps, outputs } = ctx;
  return Promise.any(
    [outputs.dr, outputs.primary].map((s) => describeGlobalCluster(deps.aws.inRegion(s.region).rds, outputs.globalClusterId)),
  ).catch((e: unknown) => {
    const errors = e instanceof AggregateError ? e.errors.map(errorText).join('; ') : errorText(e);
    throw new Error(`could not read global cluster ${outputs.globalClusterId} in either region (${errors})`);
  });
}

/** The API client key, read in the surviving region from the secret's replica. */
async function readApiKey(ctx: Ctx, survivor: RegionSite): Promise<string> {
  const name = ctx.outputs.apiClientSecretName;
  if (!name) {
    throw new Refusal(
      'the stack outputs have no `api-client-secret-name`: the drill reads the API client key (x-api-key) from that secret; ' +
        'refresh the outputs file from a stack that defines it',
    );
  }
  const sm = ctx.deps.aws.inRegion(survivor.region).secretsManager;
  if (!sm) throw new Refusal('no Secrets Manager client available to read the API client key');
  try {
    const out = await sm.send(new GetSecretValueCommand({ SecretId: name }));
    if (!out.SecretString) throw new Error('the secret has no string value');
    return out.SecretString.trim();
  } catch (e) {
    throw new Refusal(`could not read the API client key from secret ${name} in ${survivor.region} (${errorText(e)}); nothing was changed`);
  }
}

function checkProdGuard(ctx: Ctx, opts: DrillOptions): void {
  if (opts.mode !== 'failover') return;
  const profile = ctx.outputs.profile;
  if (profile === 'dev') return;
  const what = profile === 'prod' ? 'the prod profile' : 'a stack whose outputs do not name its profile (treated as prod)';
  if (!opts.allowProd || opts.confirmProd !== ctx.outputs.globalClusterId) {
    throw new Refusal(
      `a failover drill on ${what} LOSES the payments the secondary has not received, on the real platform. ` +
        `If that is intended, re-run with --allow-prod --confirm-prod ${ctx.outputs.globalClusterId}` +
        (opts.confirmProd !== undefined && opts.confirmProd !== ctx.outputs.globalClusterId
          ? ` (--confirm-prod "${opts.confirmProd}" does not match the global cluster id)`
          : ''),
    );
  }
}

export async function drillCommand(ctx: Ctx, opts: DrillOptions): Promise<ExitCode> {
  const { deps, outputs } = ctx;
  const startedAtMs = deps.now();
  const stamp = iso(startedAtMs).replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const reportPath = resolve(deps.cwd, opts.reportPath ?? `dr-drill-${stamp}.json`);
  const markdownPath = reportPath.replace(/\.json$/i, '') + '.md';

  if (opts.baselineMs >= opts.durationMs) {
    tell(ctx, `refused: --duration ${formatDuration(opts.durationMs)} must be longer than --baseline ${formatDuration(opts.baselineMs)} (traffic must outlast the fault)`);
    return EXIT_REFUSED;
  }

  // --- Refusals and prechecks: nothing changes until the traffic starts. ---------------------------------------
  let from: RegionSite;
  let to: RegionSite;
  let apiKey: string;
  try {
    checkProdGuard(ctx, opts);
    const view = await readGlobalCluster(ctx).catch((e: unknown) => {
      throw new Refusal(`${errorText(e)}; nothing was changed`);
    });
    const writer = writerSite(view, outputs);
    if (!writer) throw new Refusal(`global cluster ${outputs.globalClusterId} has no writer among this stack's clusters; nothing to drill`);
    from = writer;
    to = otherSite(outputs, writer);
    if (opts.inject === 'fis' && !from.fisTemplateId) {
      throw new Refusal(
        `--inject fis: the stack outputs have no \`fis-experiment-template-${from.role}\` (the template that fails the active site ${from.role}); ` +
          'deploy the stack version with the fault-injection templates and refresh the outputs file',
      );
    }
    const pre =
      opts.mode === 'switchover'
        ? await performSwitchover(ctx, { to: to.role, timeoutMs: opts.timeoutMs, pollMs: opts.pollMs, maxLagMs: opts.maxLagMs, dryRun: true })
        : await performFailover(ctx, { to: to.role, confirmDataLoss: true, timeoutMs: opts.timeoutMs, pollMs: opts.pollMs, dryRun: true });
    if (pre.outcome !== 'dry-run') throw new Refusal(pre.message.replace(/^refused: /, ''));
    apiKey = await readApiKey(ctx, to);
  } catch (e) {
    if (e instanceof Refusal) {
      tell(ctx, `drill refused: ${e.message}`);
      return EXIT_REFUSED;
    }
    throw e;
  }

  const notes: string[] = [];
  if (outputs.activeRegion !== from.role) {
    const n = `the deployed config says the active site is ${outputs.activeRegion}, but the live writer is ${from.role}: the drill fails the live writer's site (${from.role})`;
    notes.push(n);
    tell(ctx, `warning: ${n}`);
  }
  const events: Events = { list: [], add: (what) => events.list.push({ at: deps.now(), what }) };
  if (opts.inject === 'none') {
    const n = `no fault injected (no --inject): this drill measures the ${opts.mode} alone, from the command; RTO excludes detection and decision`;
    notes.push(n);
    tell(ctx, `drill: ${n}`);
  }
  if (opts.mode === 'switchover') notes.push('switchover: RPO is 0 by construction (Aurora promotes the secondary only once it is in sync); every acknowledged payment is still read back');
  else notes.push('failover: FailoverGlobalCluster with AllowDataLoss: payments acknowledged by the old writer and not yet replicated are lost; reconcile them with `npm run dr -- reconcile`');

  // --- Traffic ------------------------------------------------------------------------------------------------
  const keyPrefix = `drill-${stamp}`;
  const traffic = new TrafficLoop({
    http: deps.http,
    domain: outputs.apiDomainName,
    apiKey,
    ratePerSecond: opts.ratePerSecond,
    durationMs: opts.durationMs,
    maxInFlight: opts.maxInFlight,
    requestTimeoutMs: opts.requestTimeoutMs,
    keyPrefix,
    now: deps.now,
    sleep: deps.sleep,
    resolve: deps.resolveName,
  });
  if (!deps.resolveName) notes.push('no client DNS resolver available: the timeline has no DNS answers');
  tell(ctx, `drill: ${opts.mode} ${from.role} (${from.region}) → ${to.role} (${to.region}); traffic ${opts.ratePerSecond}/s for ${formatDuration(opts.durationMs)} through https://${outputs.apiDomainName}`);
  events.add('traffic started');
  const trafficDone = traffic.start();

  // --- Abort (Ctrl-C): stop the traffic and the injection, then report. ----------------------------------------
  let aborted = false;
  let experimentId: string | undefined;
  const injection: ({ -readonly [K in keyof InjectionReport]: InjectionReport[K] } & { problems: string[] }) | undefined =
    opts.inject === 'fis' ? { kind: 'fis', templateId: from.fisTemplateId!, region: from.region, problems: [] } : undefined;
  const fis = injection ? deps.aws.inRegion(from.region).fis : undefined;
  let stopping: Promise<void> | undefined;
  const stopInjection = (why: string): Promise<void> => {
    if (!injection || !experimentId || !fis) return Promise.resolve();
    stopping ??= (async () => {
      injection.stopRequestedAt = iso(deps.now());
      events.add(`injection stop requested (${why})`);
      try {
        const current = await getExperiment(fis, experimentId!);
        if (!FINISHED.has(current.status)) await stopExperiment(fis, experimentId!);
      } catch (e) {
        injection.problems.push(`stopping experiment ${experimentId}: ${errorText(e)}`);
      }
      injection.finalState = await waitForExperiment(ctx, fis, experimentId!, (s) => FINISHED.has(s), opts.timeoutMs, opts.pollMs, injection.problems);
      tell(ctx, `drill: FIS experiment ${experimentId} ${injection.finalState?.status ?? 'state unknown'}`);
    })();
    return stopping;
  };
  const unregister = deps.onInterrupt?.(() => {
    aborted = true;
    tell(ctx, 'drill: interrupted: stopping the traffic and the injection (Ctrl-C again exits at once)');
    traffic.stop();
    void stopInjection('abort');
  });

  let faultAt: number | undefined;
  let promotion: SwitchoverResult | FailoverResult | undefined;
  let rto: RtoResult | undefined;
  let failure: string | undefined;
  try {
    // Baseline: the steady state before the fault, and proof the API takes payments at all.
    await deps.sleep(opts.baselineMs);
    if (!aborted && !traffic.sofar.some((a) => a.outcome === 'ok')) {
      failure = `no test payment was acknowledged during the ${formatDuration(opts.baselineMs)} baseline: nothing was injected or promoted (check the API key and the API)`;
      traffic.stop();
    }

    // The fault.
    if (!aborted && !failure && injection && fis) {
      injection.requestedAt = iso(deps.now());
      faultAt = deps.now();
      events.add(`FIS experiment start requested (${injection.templateId} in ${from.region})`);
      try {
        const started = await startExperiment(fis, injection.templateId, `${keyPrefix}-fis`, { Purpose: 'dr-drill', Drill: keyPrefix });
        experimentId = started.id;
        injection.experimentId = started.id;
        injection.startState = await waitForExperiment(ctx, fis, started.id, (s) => s === 'running' || FINISHED.has(s), 2 * 60_000, Math.min(opts.pollMs, 5_000), injection.problems);
        events.add(`FIS experiment ${injection.startState?.status ?? 'state unknown'}`);
        if (injection.startState?.status !== 'running') {
          failure = `the FIS experiment did not run (${injection.startState?.status ?? 'unknown'}${injection.startState?.reason ? `: ${injection.startState.reason}` : ''}); nothing was promoted`;
        } else {
          tell(ctx, `drill: FIS experiment ${started.id} running: ${from.role} (${from.region}) is cut off`);
        }
      } catch (e) {
        failure = `StartExperiment failed (${errorText(e)}); nothing was promoted`;
      }
    }

    // The promotion.
    if (!aborted && !failure) {
      if (opts.mode === 'failover' && opts.decisionDelayMs > 0) {
        events.add(`decision delay ${formatDuration(opts.decisionDelayMs)}`);
        const until = deps.now() + opts.decisionDelayMs;
        while (!aborted && deps.now() < until) await deps.sleep(Math.min(250, until - deps.now()));
      }
    }
    if (!aborted && !failure) {
      faultAt ??= deps.now();
      events.add(`${opts.mode} requested`);
      promotion =
        opts.mode === 'switchover'
          ? await performSwitchover(ctx, { to: to.role, timeoutMs: opts.timeoutMs, pollMs: opts.pollMs, maxLagMs: opts.maxLagMs })
          : await performFailover(ctx, { to: to.role, confirmDataLoss: true, timeoutMs: opts.timeoutMs, pollMs: opts.pollMs });
      events.add(`${opts.mode} ${promotion.outcome}`);
      if (promotion.outcome !== 'completed') failure = `${opts.mode} did not complete: ${promotion.message}`;
    }

    // Recovery as the client sees it, bounded by --rto-timeout from the fault.
    if (faultAt !== undefined && promotion !== undefined && !aborted) {
      for (;;) {
        rto = measureRto(traffic.sofar, faultAt, to.region);
        if (rto.verdict === 'recovered' || aborted) break;
        const elapsed = deps.now() - faultAt;
        const trafficOver = deps.now() >= startedAtMs + opts.durationMs;
        if (elapsed >= opts.rtoTimeoutMs || trafficOver) {
          failure ??= `no payment acknowledged by ${to.role} (${to.region}) within ${formatDuration(Math.min(elapsed, opts.rtoTimeoutMs))} of the fault`;
          // The guard: the takeover failed, so the fault must not outlive it.
          await stopInjection('no recovery within --rto-timeout');
          break;
        }
        await deps.sleep(Math.min(opts.pollMs, 1_000));
      }
      if (rto.verdict === 'recovered') {
        events.add(`first payment acknowledged by ${to.region} after the fault (RTO ${formatDuration(rto.rtoMs!)})`);
        tell(ctx, `drill: recovered: RTO ${formatDuration(rto.rtoMs!)} (client side)`);
      }
    }
  } finally {
    // The traffic stops by itself at --duration; a failure before the promotion ends it early.
    if (failure && promotion === undefined) traffic.stop();
  }

  const result: TrafficResult = await trafficDone;
  events.add('traffic stopped');
  await stopInjection(aborted ? 'abort' : 'end of the drill');
  unregister?.();
  if (faultAt !== undefined) rto = measureRto(result.attempts, faultAt, to.region);

  // RPO: every acknowledged payment read back from the new writer through the public name.
  let rpo: DrillReport['rpo'];
  if (result.attempts.some((a) => a.outcome === 'ok')) {
    tell(ctx, `drill: reading back ${result.attempts.filter((a) => a.outcome === 'ok').length} acknowledged payments`);
    const verified = await verifyAcknowledged(result.attempts, {
      http: deps.http,
      domain: outputs.apiDomainName,
      apiKey,
      requestTimeoutMs: opts.requestTimeoutMs,
      sleep: deps.sleep,
      retryDelayMs: Math.min(opts.pollMs, 1_000),
    });
    rpo = {
      ...verified,
      basis:
        opts.mode === 'switchover'
          ? 'RPO 0 by construction (switchover waits for full sync); verified by reading every acknowledged payment back (GET /payments/{id}, reference = idempotency key)'
          : 'acknowledged (2xx) payments read back from the new writer through the public name (GET /payments/{id}, reference = idempotency key); a 404 is a lost payment',
    };
  }

  // --- Verdict and report ----------------------------------------------------------------------------------
  const problems: string[] = [];
  if (failure) problems.push(failure);
  if (rto && rto.verdict === 'not-recovered' && !failure) problems.push('no payment acknowledged by the new writer after the fault');
  if (rpo && rpo.unknown.length > 0) problems.push(`${rpo.unknown.length} acknowledged payment(s) could not be read back: RPO not measured completely`);
  if (rpo && opts.mode === 'switchover' && (rpo.missing.length > 0 || rpo.mismatched.length > 0)) {
    problems.push(`${rpo.missing.length + rpo.mismatched.length} acknowledged payment(s) missing after a switchover, which must lose nothing`);
  }
  if (injection?.problems.length) problems.push(...injection.problems.map((p) => `injection: ${p}`));
  if (injection?.finalState && !FINISHED.has(injection.finalState.status)) {
    problems.push(`the FIS experiment ${injection.experimentId} is still ${injection.finalState.status}: stop it (aws fis stop-experiment --region ${from.region} --id ${injection.experimentId})`);
  }
  const verdict: DrillReport['verdict'] = aborted ? 'aborted' : problems.length === 0 ? 'passed' : 'failed';

  const count = (o: Attempt['outcome']) => result.attempts.filter((a) => a.outcome === o).length;
  const summaryLines = [
    `DRILL ${verdict.toUpperCase()}: ${opts.mode} ${from.role} (${from.region}) → ${to.role} (${to.region}), ${opts.inject === 'fis' ? `fault injected with FIS (${injection?.experimentId ?? 'not started'})` : 'no fault injected'}`,
    `  traffic: ${result.attempts.length} payments sent, ${count('ok')} acknowledged, ${count('http5xx')} 5xx, ${count('http4xx')} 4xx, ${count('connection')} connection errors, ${result.skipped} skipped (client saturated)`,
    `  RTO (client side, from the ${opts.inject === 'fis' ? 'injection' : 'command'}): ` +
      (!rto ? 'not measured (no fault)' : rto.verdict === 'recovered' ? formatDuration(rto.rtoMs!) : rto.verdict === 'no-outage' ? '0s (no client-visible outage)' : 'NOT RECOVERED'),
    `  RPO: ` +
      (!rpo
        ? 'not measured (no payment acknowledged)'
        : `${rpo.missing.length} of ${rpo.acknowledged} acknowledged payments missing from the new writer` +
          (rpo.lossWindow ? ` (acknowledged ${rpo.lossWindow.from} → ${rpo.lossWindow.to})` : '') +
          (rpo.mismatched.length ? `, ${rpo.mismatched.length} mismatched` : '') +
          (rpo.unknown.length ? `, ${rpo.unknown.length} unreadable` : '') +
          (opts.mode === 'switchover' ? ' (0 by construction)' : '')),
    ...problems.map((p) => `  problem: ${p}`),
    `  the writer is now ${promotion?.outcome === 'completed' ? `${to.role} (${to.region})` : 'unchanged or unknown: run `npm run dr -- status`'}` +
      (promotion?.outcome === 'completed'
        ? opts.mode === 'switchover'
          ? `; switch back with \`npm run dr -- switchover --to ${from.role}\``
          : `; ${from.role} is fenced: reconcile (\`npm run dr -- reconcile\`), then fail back (\`npm run dr -- failback\`, RUNBOOK.md)`
        : ''),
    ...(promotion?.configChange ? [`  until the writer is back: ${promotion.configChange.replace(/\n/g, '\n  ')}`] : []),
  ];
  const report: DrillReport = {
    kind: 'dr-drill',
    version: 2,
    mode: opts.mode,
    injected: opts.inject,
    verdict,
    startedAt: iso(startedAtMs),
    finishedAt: iso(deps.now()),
    globalCluster: outputs.globalClusterId,
    apiDomainName: outputs.apiDomainName,
    from: { role: from.role, region: from.region, clusterId: from.clusterId },
    to: { role: to.role, region: to.region, clusterId: to.clusterId },
    ...(faultAt !== undefined ? { faultAt: iso(faultAt) } : {}),
    ...(injection ? { injection } : {}),
    ...(promotion
      ? {
          promotion: {
            operation: opts.mode,
            outcome: promotion.outcome,
            requestedAt: promotion.requestedAt,
            completedAt: promotion.completedAt,
            durationMs: promotion.durationMs,
            message: promotion.message,
            ...(promotion.configChange ? { configChange: promotion.configChange } : {}),
          },
        }
      : {}),
    traffic: {
      ratePerSecond: opts.ratePerSecond,
      durationMs: opts.durationMs,
      maxInFlight: opts.maxInFlight,
      keyPrefix,
      sent: result.attempts.length,
      ok: count('ok'),
      http5xx: count('http5xx'),
      http4xx: count('http4xx'),
      connection: count('connection'),
      skipped: result.skipped,
    },
    ...(rto ? { rto } : {}),
    ...(rpo ? { rpo } : {}),
    timeline: timeline(result, events.list),
    payments: result.attempts,
    notes,
    summary: summaryLines.join('\n'),
  };
  try {
    deps.writeFile(reportPath, JSON.stringify(report, null, 2) + '\n');
    deps.writeFile(markdownPath, renderMarkdown(report));
    tell(ctx, `drill report: ${reportPath} and ${markdownPath}`);
  } catch (e) {
    tell(ctx, `could not write the drill report ${reportPath}: ${errorText(e)}`);
  }
  say(ctx, ctx.json ? JSON.stringify(report, null, 2) : report.summary);
  return verdict === 'passed' ? EXIT_OK : EXIT_FAILED;
}

/** Polls an experiment until `done(status)` or the timeout; returns the last state seen. */
async function waitForExperiment(
  ctx: Ctx,
  fis: NonNullable<ReturnType<Ctx['deps']['aws']['inRegion']>['fis']>,
  id: string,
  done: (status: string) => boolean,
  timeoutMs: number,
  pollMs: number,
  problems: string[],
): Promise<ExperimentView | undefined> {
  const { deps } = ctx;
  const start = deps.now();
  let last: ExperimentView | undefined;
  let lastError: string | undefined;
  for (;;) {
    try {
      last = await getExperiment(fis, id);
      lastError = undefined;
      if (done(last.status)) return last;
    } catch (e) {
      lastError = errorText(e);
    }
    if (deps.now() - start >= timeoutMs) {
      problems.push(`experiment ${id} still ${last?.status ?? 'unknown'} after ${formatDuration(timeoutMs)}${lastError ? ` (last error: ${lastError})` : ''}`);
      return last;
    }
    await deps.sleep(pollMs);
  }
}

const cell = (s: string | number | undefined) => String(s ?? '').replace(/\|/g, '\\|');

/** The report for people: the numbers, the problems, and the per-second timeline. */
export function renderMarkdown(r: DrillReport): string {
  const lines = [
    `# DR drill: ${r.mode}, ${r.verdict.toUpperCase()}`,
    '',
    `- From ${r.from.role} (${r.from.region}, ${r.from.clusterId}) to ${r.to.role} (${r.to.region}, ${r.to.clusterId}); global cluster ${r.globalCluster}`,
    `- Started ${r.startedAt}, finished ${r.finishedAt}; API name ${r.apiDomainName}`,
    `- Fault: ${r.injected === 'fis' ? `FIS experiment ${r.injection?.experimentId ?? '(not started)'} from template ${r.injection?.templateId} in ${r.injection?.region}, requested ${r.injection?.requestedAt ?? '-'}, final state ${r.injection?.finalState?.status ?? '-'}` : 'none injected (the promotion alone, measured from the command)'}`,
    `- Promotion: ${r.promotion ? `${r.promotion.operation} ${r.promotion.outcome}${r.promotion.durationMs !== undefined ? ` in ${formatDuration(r.promotion.durationMs)}` : ''}` : 'not run'}`,
    '',
    '## Measured from the client',
    '',
    '| measure | value |',
    '| --- | --- |',
    `| RTO (fault → first payment acknowledged by the new writer) | ${!r.rto ? 'not measured' : r.rto.rtoMs !== undefined ? formatDuration(r.rto.rtoMs) : 'not recovered'} |`,
    `| Outage seen by the client | ${r.rto?.firstFailureAt ?? '-'} → ${r.rto?.lastFailureAt ?? '-'} (${r.rto?.failuresAfterFault ?? 0} failed payments) |`,
    `| Payments sent / acknowledged | ${r.traffic.sent} / ${r.traffic.ok} (${r.traffic.ratePerSecond}/s for ${formatDuration(r.traffic.durationMs)}) |`,
    `| 5xx / 4xx / connection errors / skipped | ${r.traffic.http5xx} / ${r.traffic.http4xx} / ${r.traffic.connection} / ${r.traffic.skipped} |`,
    `| RPO: acknowledged payments missing from the new writer | ${r.rpo ? `${r.rpo.missing.length} of ${r.rpo.acknowledged}` : 'not measured'} |`,
    `| Read back: found / mismatched / unreadable | ${r.rpo ? `${r.rpo.found} / ${r.rpo.mismatched.length} / ${r.rpo.unknown.length}` : '-'} |`,
    '',
    ...(r.rpo ? [`RPO basis: ${r.rpo.basis}.`, ''] : []),
    ...r.notes.map((n) => `> ${n}`),
    '',
    '```',
    r.summary,
    '```',
    '',
  ];
  if (r.rpo && (r.rpo.missing.length || r.rpo.mismatched.length)) {
    lines.push('## Acknowledged payments not found on the new writer', '', '| idempotency key | payment id | acknowledged at | accepted by | detail |', '| --- | --- | --- | --- | --- |');
    for (const p of [...r.rpo.missing, ...r.rpo.mismatched]) {
      lines.push(`| ${cell(p.idempotencyKey)} | ${cell(p.paymentId)} | ${cell(p.acknowledgedAt)} | ${cell(p.acceptedBy)} | ${cell(p.detail)} |`);
    }
    lines.push('');
  }
  lines.push('## Timeline (per second, by answer time)', '', '| t (s) | time | ok | 5xx | 4xx | conn err | DNS answer | events |', '| ---: | --- | ---: | ---: | ---: | ---: | --- | --- |');
  for (const s of r.timeline) {
    lines.push(`| ${s.t} | ${s.at.slice(11, 19)} | ${s.ok} | ${s.http5xx} | ${s.http4xx} | ${s.connection} | ${cell(s.dns)} | ${cell(s.events?.join('; '))} |`);
  }
  return lines.join('\n') + '\n';
}
