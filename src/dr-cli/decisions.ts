import type { DnsAnswerView, GlobalClusterView, HealthCheckView, MetricSample } from './aws';
import { formatDuration } from './format';
import type { RegionSite, Role, StackOutputs } from './outputs';

/** Pure decisions: no I/O, every input passed in, every refusal explained. */

export type Decision = { readonly ok: true; readonly warnings: string[] } | { readonly ok: false; readonly reason: string };

const refuse = (reason: string): Decision => ({ ok: false, reason });

export const sites = (o: StackOutputs): RegionSite[] => [o.primary, o.dr];
export const otherSite = (o: StackOutputs, s: RegionSite): RegionSite => (s.role === 'primary' ? o.dr : o.primary);

/** The site whose cluster is the global cluster's writer right now (undefined: none, or not one of ours). */
export function writerSite(view: GlobalClusterView, o: StackOutputs): RegionSite | undefined {
  const w = view.members.find((m) => m.isWriter);
  return w ? sites(o).find((s) => s.clusterArn === w.arn) : undefined;
}

export function describeWriter(view: GlobalClusterView | undefined, o: StackOutputs): string {
  if (!view) return 'unknown';
  const w = view.members.find((m) => m.isWriter);
  if (!w) return 'none';
  const s = sites(o).find((x) => x.clusterArn === w.arn);
  return s ? `${s.role} (${s.region}, ${s.clusterId})` : `${w.arn} (not a cluster of this stack)`;
}

/** True when the operation towards `target` has finished: target writes, global cluster available, nothing pending. */
export function switchComplete(view: GlobalClusterView, target: RegionSite): boolean {
  const w = view.members.find((m) => m.isWriter);
  return w?.arn === target.clusterArn && view.status === 'available' && view.failoverState === undefined;
}

/** One-line summary of the global cluster for progress displays. */
export function clusterSummary(view: GlobalClusterView, o: StackOutputs): string {
  const fs = view.failoverState?.status ? `, ${view.failoverState.status}` : '';
  const writer = writerSite(view, o);
  return `global cluster ${view.status}${fs}; writer ${writer ? `${writer.role} (${writer.region})` : describeWriter(view, o)}`;
}

export interface SwitchoverInput {
  readonly view: GlobalClusterView;
  readonly outputs: StackOutputs;
  readonly target: RegionSite;
  readonly engineVersions: Readonly<Record<Role, string>>;
  /** Newest AuroraGlobalDBRPOLag of the target (the current secondary); null when CloudWatch has none. */
  readonly rpoLag: MetricSample | null;
  readonly maxLagMs: number;
}

export function checkSwitchover(i: SwitchoverInput): Decision {
  const warnings: string[] = [];
  const member = i.view.members.find((m) => m.arn === i.target.clusterArn);
  if (!member) {
    return refuse(
      `${i.target.clusterArn} is not a member of global cluster ${i.view.id} ` +
        `(members: ${i.view.members.map((m) => m.arn).join(', ') || 'none'})`,
    );
  }
  if (member.isWriter) {
    return refuse(`the ${i.target.role} cluster (${i.target.clusterId}, ${i.target.region}) is already the writer; nothing to switch over`);
  }
  if (i.view.failoverState) {
    return refuse(
      `a ${i.view.failoverState.dataLossAllowed ? 'failover' : 'switchover'} is already in progress ` +
        `(${i.view.failoverState.status ?? 'unknown'} to ${i.view.failoverState.to ?? '?'}); watch it with \`npm run dr -- status\``,
    );
  }
  if (i.view.status !== 'available') {
    return refuse(`global cluster ${i.view.id} is "${i.view.status}", not "available"; wait until it is available`);
  }
  if (!writerSite(i.view, i.outputs)) {
    return refuse(`global cluster ${i.view.id} has no writer among this stack's clusters (writer: ${describeWriter(i.view, i.outputs)})`);
  }
  if (member.synchronization === 'pending-resync') {
    return refuse(`the ${i.target.role} cluster is "pending-resync": it cannot take over until it has resynchronized`);
  }
  if (i.engineVersions.primary !== i.engineVersions.dr) {
    return refuse(
      `engine versions differ (primary ${i.engineVersions.primary}, dr ${i.engineVersions.dr}); ` +
        'Aurora switches over only between clusters on the same engine version: upgrade the lower one first',
    );
  }
  if (i.rpoLag === null) {
    warnings.push('no recent AuroraGlobalDBRPOLag datapoint: replication lag is unknown (the switchover still waits for full sync)');
  } else if (i.rpoLag.value > i.maxLagMs) {
    return refuse(
      `replication lag is ${formatDuration(i.rpoLag.value)} (at ${i.rpoLag.at}), above --max-lag ${formatDuration(i.maxLagMs)}: ` +
        'the writer would be unavailable while the secondary catches up; wait for the lag to fall or raise --max-lag',
    );
  }
  return { ok: true, warnings };
}

export interface FailoverInput {
  readonly view: GlobalClusterView;
  readonly outputs: StackOutputs;
  readonly target: RegionSite;
  /** The region this CLI runs in (AWS_REGION / AWS_DEFAULT_REGION). */
  readonly operatingRegion: string | undefined;
  /** Engine versions; undefined where the region did not answer. */
  readonly engineVersions: Readonly<Partial<Record<Role, string>>>;
}

/** Checks that need no AWS call: the confirmation flag and knowing where we run. */
export function checkFailoverFlags(confirmed: boolean, operatingRegion: string | undefined): Decision {
  if (!confirmed) {
    return refuse(
      'failover promotes the secondary WITHOUT waiting for replication: writes the primary committed in the last ' +
        'replication-lag window are lost. For a planned move use `npm run dr -- switchover` (no data loss). ' +
        'If the primary region is really down, re-run with --confirm-data-loss',
    );
  }
  if (!operatingRegion) {
    return refuse(
      'cannot tell which region this CLI runs in: set AWS_REGION (or AWS_DEFAULT_REGION) to the region you operate from, ' +
        'which must not be the failed region',
    );
  }
  return { ok: true, warnings: [] };
}

export function checkFailover(i: FailoverInput): Decision {
  const warnings: string[] = [];
  const member = i.view.members.find((m) => m.arn === i.target.clusterArn);
  if (!member) {
    return refuse(`${i.target.clusterArn} is not a member of global cluster ${i.view.id}; it cannot be promoted`);
  }
  if (member.isWriter) {
    return refuse(`the ${i.target.role} cluster (${i.target.region}) is already the writer; nothing to fail over`);
  }
  if (i.view.failoverState) {
    return refuse(
      `a ${i.view.failoverState.dataLossAllowed ? 'failover' : 'switchover'} is already in progress ` +
        `(${i.view.failoverState.status ?? 'unknown'}); watch it with \`npm run dr -- status\` instead of starting another`,
    );
  }
  const failed = writerSite(i.view, i.outputs) ?? otherSite(i.outputs, i.target);
  if (i.operatingRegion === failed.region) {
    return refuse(
      `this CLI runs in ${i.operatingRegion} (AWS_REGION), the region of the current writer — the region that failed. ` +
        'Operating from inside the failed region is refused: its endpoints may be unreachable or answer with stale state, ' +
        'the session may die halfway through the failover, and fencing would have to reach the same broken region. ' +
        `Run it from the surviving region: AWS_REGION=${i.target.region} npm run dr -- failover --confirm-data-loss`,
    );
  }
  const { primary, dr } = i.engineVersions;
  if (primary !== undefined && dr !== undefined && primary !== dr) {
    return refuse(`engine versions differ (primary ${primary}, dr ${dr}); Aurora cannot fail over between them`);
  }
  if (primary === undefined || dr === undefined) {
    warnings.push('engine versions could not be compared (a region did not answer); Aurora checks them itself');
  }
  return { ok: true, warnings };
}

export interface DnsServing {
  readonly role: Role | 'unknown';
  /** How we know: the DNS answer names the region, or inferred from the health checks of the failover records. */
  readonly basis: 'answer' | 'health-checks' | 'none';
  readonly records: readonly string[];
}

/**
 * Which region the API name resolves to. The answer identifies a region when a record names it (a CNAME to a
 * regional `d-….execute-api.<region>.amazonaws.com` target, or the regional endpoint host); alias A records answer
 * with IP addresses, and then failover routing is inferred from the health checks: the primary record is served
 * while its health check is healthy, the secondary when the primary is unhealthy and the secondary healthy.
 */
export function dnsServingRole(
  answer: DnsAnswerView | undefined,
  o: StackOutputs,
  health: Readonly<Partial<Record<Role, HealthCheckView>>>,
): DnsServing {
  const records = answer?.records ?? [];
  if (answer) {
    const hostOf = (url: string) => url.replace(/^https:\/\//, '').split('/')[0].toLowerCase();
    const matches = sites(o).filter((s) =>
      records.some((r) => {
        const v = r.toLowerCase();
        return v.includes(s.region) || v.includes(hostOf(s.apiEndpoint));
      }),
    );
    if (matches.length === 1) return { role: matches[0].role, basis: 'answer', records };
  }
  const p = health.primary;
  const d = health.dr;
  if (p && d) {
    if (p.healthy) return { role: 'primary', basis: 'health-checks', records };
    if (d.healthy) return { role: 'dr', basis: 'health-checks', records };
    // Both unhealthy: Route 53 answers as if both were healthy, i.e. with the primary record.
    return { role: 'primary', basis: 'health-checks', records };
  }
  return { role: 'unknown', basis: 'none', records };
}

export interface LossWindow {
  readonly from: string;
  readonly to: string;
  /** True when no lag datapoint existed and the window is a conservative guess. */
  readonly estimated: boolean;
}

/**
 * The time range in which writes committed in the failed region may not have reached the promoted one: from the
 * last moment known to be replicated (newest lag datapoint minus the lag) until the old writer was fenced or
 * demoted (the failover's completion, or now).
 */
export function lossWindow(lastLag: MetricSample | null, endMs: number, fallbackMs = 15 * 60_000): LossWindow {
  if (lastLag) {
    const from = new Date(lastLag.at).getTime() - lastLag.value;
    return { from: new Date(from).toISOString(), to: new Date(endMs).toISOString(), estimated: false };
  }
  return { from: new Date(endMs - fallbackMs).toISOString(), to: new Date(endMs).toISOString(), estimated: true };
}

/** The region the CLI runs in, from the standard AWS variables. */
export function operatingRegion(env: Record<string, string | undefined>): string | undefined {
  return env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined;
}
