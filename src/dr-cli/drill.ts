import { resolve } from 'node:path';
import { dnsAnswer, errorText, healthCheckStatus } from './aws';
import { EXIT_FAILED, EXIT_OK, EXIT_REFUSED, say, tell, type Ctx, type ExitCode } from './context';
import { dnsServingRole } from './decisions';
import { formatDuration, iso } from './format';
import type { Role } from './outputs';
import { createTestPayment, readPayment, type PaymentApi, type PaymentCall } from './payments';
import { Progress } from './progress';
import { performSwitchover, type SwitchoverResult } from './switchover';

/**
 * `drill`: a switchover to DR and back, measuring for each leg the RTO (switchover requested → DNS answers from the
 * new region and a test payment succeeds) and the RPO (a marker payment written before the leg must be readable
 * after it: writes lost must be 0), written to a JSON report.
 */

export interface DrillOptions {
  readonly reportPath?: string;
  /** Per switchover. */
  readonly timeoutMs: number;
  readonly pollMs: number;
  readonly maxLagMs: number;
  /** Per leg: from the switchover request until DNS and a test payment work in the new region. */
  readonly rtoTimeoutMs: number;
}

export interface ServiceCheck {
  readonly reached: boolean;
  readonly dnsAt?: string;
  readonly dnsBasis?: string;
  readonly paymentAt?: string;
  readonly payment?: PaymentCall;
  readonly attempts: number;
  readonly lastProblem?: string;
}

export interface DrillLeg {
  readonly from: Role;
  readonly to: Role;
  readonly marker: { readonly reference: string; readonly id?: string; readonly writtenAt: string };
  readonly switchover: SwitchoverResult;
  readonly service?: ServiceCheck;
  /** Switchover requested → test payment succeeded in the new region. */
  readonly rtoMs?: number;
  readonly rpo?: { readonly markerFound: boolean | undefined; readonly writesLost: number | 'unknown'; readonly detail?: string };
  readonly passed: boolean;
}

export interface DrillReport {
  readonly kind: 'dr-drill';
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly verdict: 'passed' | 'failed' | 'refused';
  readonly globalCluster: string;
  readonly apiDomainName: string;
  readonly regions: Record<Role, string>;
  readonly legs: readonly DrillLeg[];
  readonly summary: string;
}

/** Polls until Route 53 answers the API name from `to`, then until a test payment (one idempotency key) succeeds. */
async function waitForService(
  ctx: Ctx,
  api: PaymentApi,
  to: Role,
  since: number,
  opts: DrillOptions,
  idempotencyKey: string,
  reference: string,
): Promise<ServiceCheck> {
  const { deps, outputs } = ctx;
  const progress = new Progress(deps.stderr, deps.now, `drill: service from ${to} (${outputs[to].region})`, opts.rtoTimeoutMs);
  let dnsAt: number | undefined;
  let dnsBasis: string | undefined;
  let attempts = 0;
  let lastProblem: string | undefined;
  let payment: PaymentCall | undefined;
  for (;;) {
    if (dnsAt === undefined) {
      try {
        const [answer, p, d] = await Promise.all([
          dnsAnswer(deps.aws.route53, outputs.hostedZoneId, outputs.apiDomainName),
          healthCheckStatus(deps.aws.route53, outputs.primary.healthCheckId),
          healthCheckStatus(deps.aws.route53, outputs.dr.healthCheckId),
        ]);
        const serving = dnsServingRole(answer, outputs, { primary: p, dr: d });
        if (serving.role === to) {
          dnsAt = deps.now();
          dnsBasis = serving.basis;
        } else {
          lastProblem = `DNS answers from ${serving.role} (${serving.basis}: ${serving.records.join(' ') || 'no records'})`;
        }
      } catch (e) {
        lastProblem = `DNS check failed: ${errorText(e)}`;
      }
    }
    if (dnsAt !== undefined) {
      attempts += 1;
      payment = await createTestPayment(api, idempotencyKey, reference);
      if (payment.ok) {
        const at = deps.now();
        progress.done(`DNS from ${to} after ${formatDuration(dnsAt - since)}, test payment OK after ${formatDuration(at - since)}`);
        return { reached: true, dnsAt: iso(dnsAt), dnsBasis, paymentAt: iso(at), payment, attempts };
      }
      lastProblem = `test payment failed: ${payment.error ?? `HTTP ${payment.status}`}`;
    }
    progress.update(lastProblem ?? 'waiting');
    const elapsed = deps.now() - since;
    if (elapsed >= opts.rtoTimeoutMs) {
      progress.done(`not reached within ${formatDuration(opts.rtoTimeoutMs)}: ${lastProblem}`);
      return { reached: false, dnsAt: dnsAt === undefined ? undefined : iso(dnsAt), dnsBasis, payment, attempts, lastProblem };
    }
    await deps.sleep(Math.min(opts.pollMs, opts.rtoTimeoutMs - elapsed));
  }
}

/** Reads a marker back, retrying a few times when the answer is neither found nor 404. */
async function readMarker(ctx: Ctx, api: PaymentApi, id: string, pollMs: number) {
  let last: Awaited<ReturnType<typeof readPayment>> = { found: undefined };
  for (let i = 0; i < 3; i++) {
    last = await readPayment(api, id);
    if (last.found !== undefined) return last;
    await ctx.deps.sleep(pollMs);
  }
  return last;
}

async function runLeg(
  ctx: Ctx,
  api: PaymentApi,
  from: Role,
  to: Role,
  marker: DrillLeg['marker'],
  stamp: string,
  opts: DrillOptions,
): Promise<DrillLeg> {
  const { deps } = ctx;
  tell(ctx, `drill: switching over ${from} → ${to}`);
  const switchover = await performSwitchover(ctx, { to, timeoutMs: opts.timeoutMs, pollMs: opts.pollMs, maxLagMs: opts.maxLagMs });
  if (switchover.outcome !== 'completed') {
    tell(ctx, `drill: switchover ${from} → ${to} did not complete: ${switchover.message}`);
    return { from, to, marker, switchover, passed: false };
  }
  const since = new Date(switchover.requestedAt!).getTime();
  const service = await waitForService(ctx, api, to, since, opts, deps.randomId(), `drill-${stamp}-to-${to}`);
  const rtoMs = service.reached ? new Date(service.paymentAt!).getTime() - since : undefined;
  let rpo: DrillLeg['rpo'];
  if (!marker.id) {
    rpo = { markerFound: undefined, writesLost: 'unknown', detail: 'the marker payment returned no id to read back' };
  } else {
    const read = await readMarker(ctx, api, marker.id, opts.pollMs);
    rpo = {
      markerFound: read.found,
      writesLost: read.found === true ? 0 : read.found === false ? 1 : 'unknown',
      detail: read.found === true ? undefined : read.found === false ? `marker ${marker.id} is missing (HTTP 404) after the switchover` : `could not read marker ${marker.id}: ${read.error}`,
    };
  }
  return { from, to, marker, switchover, service, rtoMs, rpo, passed: service.reached && rpo.writesLost === 0 };
}

export async function drillCommand(ctx: Ctx, opts: DrillOptions): Promise<ExitCode> {
  const { deps, outputs } = ctx;
  const token = deps.env.DR_DRILL_TOKEN;
  if (!token) {
    tell(ctx, 'refused: the drill sends test payments and needs an API token: set DR_DRILL_TOKEN (sent as `Authorization: Bearer <token>`)');
    return EXIT_REFUSED;
  }
  const startedAtMs = deps.now();
  const stamp = String(startedAtMs);
  const reportPath = resolve(deps.cwd, opts.reportPath ?? `dr-drill-${iso(startedAtMs).replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}.json`);
  const api: PaymentApi = { http: deps.http, domain: outputs.apiDomainName, token, apiKey: deps.env.DR_DRILL_API_KEY || undefined };
  if (!api.apiKey) tell(ctx, 'warning: DR_DRILL_API_KEY is not set: the payments API requires an API key (x-api-key) and may answer 403');
  const legs: DrillLeg[] = [];
  const writeReport = (verdict: DrillReport['verdict'], summary: string): void => {
    const report: DrillReport = {
      kind: 'dr-drill',
      startedAt: iso(startedAtMs),
      finishedAt: iso(deps.now()),
      verdict,
      globalCluster: outputs.globalClusterId,
      apiDomainName: outputs.apiDomainName,
      regions: { primary: outputs.primary.region, dr: outputs.dr.region },
      legs,
      summary,
    };
    try {
      deps.writeFile(reportPath, JSON.stringify(report, null, 2) + '\n');
      tell(ctx, `drill report: ${reportPath}`);
    } catch (e) {
      tell(ctx, `could not write the drill report ${reportPath}: ${errorText(e)}`);
    }
    if (ctx.json) say(ctx, JSON.stringify(report, null, 2));
    else say(ctx, summary);
  };

  // Prechecks without changing anything (the same ones the switchover makes).
  const pre = await performSwitchover(ctx, { to: 'dr', timeoutMs: opts.timeoutMs, pollMs: opts.pollMs, maxLagMs: opts.maxLagMs, dryRun: true });
  if (pre.outcome !== 'dry-run') {
    tell(ctx, `drill ${pre.code === EXIT_REFUSED ? 'refused' : 'not started'}: ${pre.message.replace(/^refused: /, '')}`);
    return pre.code === EXIT_REFUSED ? EXIT_REFUSED : EXIT_FAILED;
  }

  // Leg 1 marker: written while the primary writes.
  const marker1 = await createTestPayment(api, deps.randomId(), `drill-${stamp}-marker`);
  if (!marker1.ok) {
    tell(ctx, `drill not started: the marker payment failed before any switchover (${marker1.error}); nothing was changed`);
    return EXIT_FAILED;
  }
  const leg1 = await runLeg(ctx, api, 'primary', 'dr', { reference: `drill-${stamp}-marker`, id: marker1.id, writtenAt: iso(deps.now()) }, stamp, opts);
  legs.push(leg1);
  if (leg1.switchover.outcome !== 'completed') {
    writeReport('failed', `DRILL FAILED: switchover primary → dr did not complete (${leg1.switchover.message}). Not switching back: run \`npm run dr -- status\`.`);
    return EXIT_FAILED;
  }

  // Leg 2 marker: the test payment that succeeded in DR (written while DR writes).
  const drPayment = leg1.service?.payment;
  const marker2 = { reference: `drill-${stamp}-to-dr`, id: drPayment?.ok ? drPayment.id : undefined, writtenAt: leg1.service?.paymentAt ?? iso(deps.now()) };
  const leg2 = await runLeg(ctx, api, 'dr', 'primary', marker2, stamp, opts);
  legs.push(leg2);

  const describeLeg = (l: DrillLeg) =>
    `${l.from} → ${l.to}: ` +
    (l.switchover.outcome !== 'completed'
      ? `switchover ${l.switchover.outcome}`
      : `switchover ${formatDuration(l.switchover.durationMs ?? NaN)}, RTO ${l.rtoMs === undefined ? `not reached (${l.service?.lastProblem ?? '?'})` : formatDuration(l.rtoMs)}, ` +
        `RPO writes lost ${l.rpo?.writesLost ?? 'unknown'}${l.rpo?.detail ? ` (${l.rpo.detail})` : ''}`);
  const passed = legs.every((l) => l.passed);
  const summary = [`DRILL ${passed ? 'PASSED' : 'FAILED'}`, ...legs.map((l) => `  ${describeLeg(l)}`)];
  if (leg2.switchover.outcome !== 'completed') summary.push('  The writer may still be in dr: run `npm run dr -- status`.');
  writeReport(passed ? 'passed' : 'failed', summary.join('\n'));
  return passed ? EXIT_OK : EXIT_FAILED;
}
