import {
  bucketReplication,
  describeGlobalCluster,
  describeTableReplicas,
  dnsAnswer,
  errorText,
  healthCheckStatus,
  isUnreachable,
  latestMetrics,
  readDesignation,
  rpoLagQuery,
  type GlobalClusterView,
  type HealthCheckView,
  type MetricQuery,
  type MetricSample,
  type ReplicationRuleView,
} from './aws';
import { autoErrors, autoUnreachable, automaticFailoverStatus, renderAutoStatus } from './auto';
import { EXIT_FAILED, EXIT_OK, say, type Ctx, type ExitCode } from './context';
import { STATUS_BUDGET_MS, withDeadline } from './deps';
import { fenceState } from './live';
import { eventsErrors, eventsRows, gatherEvents, type EventsStatus } from './events';
import { dnsServingRole, otherSite, sites, writerSite, type DnsServing } from './decisions';
import { edgeErrors, edgeRows, edgeStatus, edgeSummary, type EdgeStatus } from './edge';
import { formatDuration, iso, renderTable } from './format';
import type { RegionSite, Role } from './outputs';

/** `status`: one read-only snapshot of every replication and routing signal, each section failing on its own. */

/** A section's value, or why it could not be read (`unreachable`: the endpoint did not answer in time). */
export type Checked<T> = T | { readonly error: string; readonly unreachable?: boolean };
export const failed = (c: unknown): c is { readonly error: string; readonly unreachable?: boolean } =>
  typeof c === 'object' && c !== null && 'error' in c;

const checkError = (e: unknown) => ({ error: errorText(e), ...(isUnreachable(e) ? { unreachable: true } : {}) });

/** Runs one section within `ms` (real time): a section that hangs is marked unreachable, the others still print. */
async function check<T>(f: () => Promise<T>, ms: number): Promise<Checked<T>> {
  try {
    return await withDeadline(f(), ms, 'no answer');
  } catch (e) {
    return checkError(e);
  }
}

export interface StatusReport {
  readonly at: string;
  readonly outputs: string;
  readonly globalCluster: Checked<GlobalClusterView & { readonly writer: Role | 'unknown'; readonly readFrom: string }>;
  readonly rpoLag: Checked<{ readonly cluster: string; readonly region: string; readonly lag: MetricSample | null }>;
  readonly healthChecks: Record<Role, Checked<HealthCheckView & { readonly id: string; readonly region: string }>>;
  readonly dns: Checked<DnsServing & { readonly name: string; readonly responseCode: string }>;
  readonly dynamodb: Checked<{
    readonly table: string;
    readonly status: string;
    readonly replicas: readonly { region: string; status: string }[];
    readonly readFrom: string;
    /** Average ReplicationLatency into each region (ms), from CloudWatch in the other region. */
    readonly latencyInto: Record<string, Checked<MetricSample | null>>;
  }>;
  readonly s3: Record<
    Role,
    Checked<{
      readonly bucket: string;
      readonly region: string;
      readonly rules: readonly (ReplicationRuleView & {
        readonly latency?: Checked<MetricSample | null>;
        readonly failedOperations?: Checked<MetricSample | null>;
      })[];
    }>
  >;
  /** The active-site designation in each region, and whether its payment function is fenced. */
  readonly sites: Record<Role, Checked<{ readonly region: string; readonly designation: string | null; readonly fenced: boolean; readonly preFence?: number | null }>>;
  /** Payment events: global endpoint and outbox backlog (src/dr-cli/events.ts); absent for stacks without them. */
  readonly events?: EventsStatus;
  /** Accelerator mode: the traffic dials and endpoint health of each site (src/dr-cli/edge.ts). */
  readonly edge?: EdgeStatus;
  /** Sections that could not be read. */
  readonly errors: readonly string[];
  /** Regions (or `route53`) with at least one call that got no answer in time. */
  readonly unreachable: readonly string[];
}

/**
 * Runs `read` against both regions at once and returns the DR region's answer, else the primary's, with the region
 * it came from: the global cluster and the global table look the same from either region, and asking both in
 * parallel means a hanging region costs no extra time.
 */
async function fromFirstRegion<T>(ctx: Ctx, read: (s: RegionSite) => Promise<T>): Promise<T & { readFrom: string }> {
  const order = [ctx.outputs.dr, ctx.outputs.primary];
  const results = await Promise.allSettled(order.map((s) => read(s)));
  for (const [i, r] of results.entries()) if (r.status === 'fulfilled') return { ...r.value, readFrom: order[i].region };
  const reasons = results.map((r) => (r as PromiseRejectedResult).reason);
  const err = new Error(results.map((r, i) => `${order[i].region}: ${errorText((r as PromiseRejectedResult).reason)}`).join('; '));
  throw Object.assign(err, reasons.every(isUnreachable) ? { unreachable: true } : {});
}

/**
 * Two rounds of parallel reads, each bounded (half the budget for the first, the rest for the metrics), so the
 * report comes back within `statusBudgetMs` even when a region accepts connections and never answers.
 */
export async function gatherStatus(ctx: Ctx): Promise<StatusReport> {
  const o = ctx.outputs;
  const aws = ctx.deps.aws;
  const now = ctx.deps.now();
  const budget = ctx.deps.statusBudgetMs ?? STATUS_BUDGET_MS;
  const startedAt = Date.now();
  const first = <T,>(f: () => Promise<T>) => check(f, budget / 2);

  // Bounded like the first round (the Global Accelerator API is served from us-west-2 only).
  const edgePending = edgeStatus(ctx, budget / 2);
  const siteState = (s: RegionSite) =>
    first(async () => {
      const [designation, fence] = await Promise.all([readDesignation(aws.inRegion(s.region).ssm, o.activeSiteParameter), fenceState(ctx, s)]);
      return { region: s.region, designation, fenced: fence.fenced, ...(fence.previous !== undefined ? { preFence: fence.previous } : {}) };
    });
  const [globalCluster, hcPrimary, hcDr, answer, table, s3Primary, s3Dr, sitePrimary, siteDr] = await Promise.all([
    first(() => fromFirstRegion(ctx, (s) => describeGlobalCluster(aws.inRegion(s.region).rds, o.globalClusterId))),
    first(async () => ({ id: o.primary.healthCheckId, region: o.primary.region, ...(await healthCheckStatus(aws.route53, o.primary.healthCheckId)) })),
    first(async () => ({ id: o.dr.healthCheckId, region: o.dr.region, ...(await healthCheckStatus(aws.route53, o.dr.healthCheckId)) })),
    first(() => dnsAnswer(aws.route53, o.hostedZoneId, o.apiDomainName)),
    first(() => fromFirstRegion(ctx, (s) => describeTableReplicas(aws.inRegion(s.region).dynamodb, o.sessionsTable))),
    first(async () => ({ bucket: o.primary.bucket, region: o.primary.region, rules: await bucketReplication(aws.inRegion(o.primary.region).s3, o.primary.bucket) })),
    first(async () => ({ bucket: o.dr.bucket, region: o.dr.region, rules: await bucketReplication(aws.inRegion(o.dr.region).s3, o.dr.bucket) })),
    siteState(o.primary),
    siteState(o.dr),
  ]);

  const writer = failed(globalCluster) ? undefined : writerSite(globalCluster, o);
  // The lag metric exists for the secondary cluster, in the secondary's region.
  const secondary = writer ? otherSite(o, writer) : o.dr;

  // One GetMetricData call per region: RPO lag (secondary region only), DynamoDB and S3 replication metrics.
  const s3Of: Record<Role, typeof s3Primary> = { primary: s3Primary, dr: s3Dr };
  const queriesFor = (s: RegionSite): MetricQuery[] => {
    const q: MetricQuery[] = [];
    if (s === secondary) q.push(rpoLagQuery(s.clusterId));
    q.push({
      id: 'ddblat',
      namespace: 'AWS/DynamoDB',
      metric: 'ReplicationLatency',
      dimensions: { TableName: o.sessionsTable, ReceivingRegion: otherSite(o, s).region },
      stat: 'Average',
    });
    const s3 = s3Of[s.role];
    if (!failed(s3)) {
      s3.rules.forEach((r, i) => {
        if (!r.metrics) return;
        const dimensions = { SourceBucket: s.bucket, DestinationBucket: r.destinationBucket, RuleId: r.id };
        q.push({ id: `s3lat${i}`, namespace: 'AWS/S3', metric: 'ReplicationLatency', dimensions, stat: 'Maximum' });
        q.push({ id: `s3fail${i}`, namespace: 'AWS/S3', metric: 'OperationsFailedReplication', dimensions, stat: 'Sum' });
      });
    }
    return q;
  };
  const rest = Math.max(1, budget - (Date.now() - startedAt));
  // Payment events read beside the metrics round (they need only the health checks), within the same budget.
  const eventsPending = gatherEvents(ctx, { primary: hcPrimary, dr: hcDr }, rest);
  const [mPrimary, mDr] = await Promise.all(
    sites(o).map((s) => check(() => latestMetrics(aws.inRegion(s.region).cloudwatch, queriesFor(s), now), rest)),
  );
  const metricsOf: Record<Role, typeof mPrimary> = { primary: mPrimary, dr: mDr };
  const metric = (role: Role, id: string): Checked<MetricSample | null> => {
    const m = metricsOf[role];
    return failed(m) ? m : (m[id] ?? null);
  };

  const health = { primary: hcPrimary, dr: hcDr };
  const dns: StatusReport['dns'] = failed(answer)
    ? answer
    : {
        name: o.apiDomainName,
        responseCode: answer.responseCode,
        ...dnsServingRole(answer, o, {
          primary: failed(hcPrimary) ? undefined : hcPrimary,
          dr: failed(hcDr) ? undefined : hcDr,
        }),
      };

  const events = await eventsPending;
  const lag = metric(secondary.role, 'rpolag');
  const report: Omit<StatusReport, 'errors' | 'unreachable'> = {
    at: iso(now),
    outputs: o.source,
    globalCluster: failed(globalCluster) ? globalCluster : { ...globalCluster, writer: writer?.role ?? 'unknown' },
    rpoLag: failed(lag) ? lag : { cluster: secondary.clusterId, region: secondary.region, lag },
    healthChecks: health,
    dns,
    dynamodb: failed(table)
      ? table
      : {
          table: o.sessionsTable,
          ...table,
          // ReplicationLatency is published by the sending region, dimensioned by the receiving one.
          latencyInto: { [o.dr.region]: metric('primary', 'ddblat'), [o.primary.region]: metric('dr', 'ddblat') },
        },
    s3: {
      primary: withS3Metrics(s3Primary, 'primary', metric),
      dr: withS3Metrics(s3Dr, 'dr', metric),
    },
    sites: { primary: sitePrimary, dr: siteDr },
  };
  const edge = await edgePending;
  return {
    ...report,
    ...(events ? { events } : {}),
    ...(edge ? { edge } : {}),
    errors: [...collectErrors(report), ...eventsErrors(events), ...edgeErrors(edge)],
    unreachable: unreachableParts(report, o, edge),
  };
}

/** Which regions (and Route 53) did not answer: each section knows the region it asked. */
function unreachableParts(r: Omit<StatusReport, 'errors' | 'unreachable'>, o: Ctx['outputs'], edge?: EdgeStatus): string[] {
  const out = new Set<string>();
  const mark = (where: string, c: unknown) => {
    if (failed(c) && c.unreachable) out.add(where);
  };
  const both = `${o.primary.region} and ${o.dr.region}`;
  mark(both, r.globalCluster);
  mark('route53', r.healthChecks.primary);
  mark('route53', r.healthChecks.dr);
  mark('route53', r.dns);
  mark(both, r.dynamodb);
  for (const role of ['primary', 'dr'] as const) {
    mark(o[role].region, r.s3[role]);
    mark(o[role].region, r.sites[role]);
  }
  for (const role of ['primary', 'dr'] as const) {
    const g = edge?.[role];
    if (g && 'error' in g && g.unreachable) out.add('global accelerator (us-west-2)');
  }
  mark(failed(r.rpoLag) ? (r.globalCluster && !failed(r.globalCluster) && r.globalCluster.writer === 'dr' ? o.primary.region : o.dr.region) : '', r.rpoLag);
  return [...out].filter((x) => x !== '');
}

function withS3Metrics(
  s3: Checked<{ bucket: string; region: string; rules: ReplicationRuleView[] }>,
  role: Role,
  metric: (role: Role, id: string) => Checked<MetricSample | null>,
): StatusReport['s3'][Role] {
  if (failed(s3)) return s3;
  return {
    ...s3,
    rules: s3.rules.map((r, i) =>
      r.metrics ? { ...r, latency: metric(role, `s3lat${i}`), failedOperations: metric(role, `s3fail${i}`) } : r,
    ),
  };
}

function collectErrors(r: Omit<StatusReport, 'errors' | 'unreachable'>): string[] {
  const errs: string[] = [];
  const add = (name: string, c: unknown) => {
    if (failed(c as Checked<unknown>)) errs.push(`${name}: ${(c as { error: string }).error}`);
  };
  add('aurora global cluster', r.globalCluster);
  add('aurora rpo lag', r.rpoLag);
  add('health check primary', r.healthChecks.primary);
  add('health check dr', r.healthChecks.dr);
  add('dns', r.dns);
  add('dynamodb', r.dynamodb);
  if (!failed(r.dynamodb)) for (const [region, l] of Object.entries(r.dynamodb.latencyInto)) add(`dynamodb latency into ${region}`, l);
  add('s3 primary', r.s3.primary);
  add('s3 dr', r.s3.dr);
  add('designation/fence primary', r.sites.primary);
  add('designation/fence dr', r.sites.dr);
  return errs;
}

/** The region whose cluster is (or, writer unknown, is configured as) the secondary. */
function secondaryRegion(r: StatusReport, o: Ctx['outputs']): string {
  const g = r.globalCluster;
  return !failed(g) && g.writer === 'dr' ? o.primary.region : o.dr.region;
}

/** The STATE column of a section that could not be read. */
const errState = (c: { unreachable?: boolean }) => (c.unreachable ? 'UNREACHABLE' : 'ERROR');

const ms = (s: Checked<MetricSample | null> | undefined) =>
  s === undefined ? '' : failed(s) ? `error (${s.error})` : s === null ? 'no data' : formatDuration(s.value);

/** The report as a table: one row per component and region. */
export function renderStatus(r: StatusReport, o: Ctx['outputs']): string {
  const rows: string[][] = [['COMPONENT', 'REGION', 'STATE', 'DETAIL']];
  const roleOf = (region: string) => sites(o).find((s) => s.region === region)?.role ?? '?';
  const g = r.globalCluster;
  if (failed(g)) {
    rows.push(['aurora global', '-', errState(g), g.error]);
  } else {
    const fs = g.failoverState ? `, ${g.failoverState.status ?? 'operation'} → ${g.failoverState.to ?? '?'}` : '';
    rows.push(['aurora global', '-', g.status, `${g.id}, engine ${g.engineVersion ?? '?'}${fs}`]);
    for (const m of g.members) {
      const site = sites(o).find((s) => s.clusterArn === m.arn);
      const sync = m.synchronization ? `, sync ${m.synchronization}` : '';
      rows.push(['aurora cluster', m.region, m.isWriter ? 'WRITER' : 'reader', `${site ? `${site.role} ${site.clusterId}` : m.arn}${sync}`]);
    }
  }
  const lag = r.rpoLag;
  if (failed(lag)) rows.push(['aurora rpo lag', secondaryRegion(r, o), errState(lag), lag.error]);
  else rows.push(['aurora rpo lag', lag.region, lag.lag ? formatDuration(lag.lag.value) : 'unknown', lag.lag ? `AuroraGlobalDBRPOLag of ${lag.cluster} at ${lag.lag.at}` : `no AuroraGlobalDBRPOLag datapoint for ${lag.cluster} in 15 min`]);
  for (const role of ['primary', 'dr'] as const) {
    const h = r.healthChecks[role];
    if (failed(h)) rows.push(['health check', o[role].region, errState(h), h.error]);
    else {
      // The checks are deep: a region passes only while its database is the writer, so the standby failing is normal.
      const standby = !failed(g) && g.writer !== 'unknown' && g.writer !== role;
      const state = h.healthy ? 'healthy' : standby ? 'unhealthy' : 'UNHEALTHY';
      const why = h.healthy || !h.sample ? '' : ` (${h.sample})${standby ? '; expected: not the writer region' : ''}`;
      rows.push(['health check', h.region, state, `${role} ${h.id}: ${h.healthyCheckers}/${h.checkers} checkers OK${why}`]);
    }
  }
  const d = r.dns;
  if (failed(d)) rows.push(['dns', '-', errState(d), d.error]);
  else {
    const region = d.role === 'unknown' ? '-' : o[d.role].region;
    const basis = d.basis === 'answer' ? 'from the answer' : d.basis === 'health-checks' ? 'inferred from health checks' : 'cannot tell';
    rows.push(['dns', region, d.role, `${d.name} ${d.responseCode}: ${d.records.join(' ') || '(no records)'} (${basis})`]);
  }
  const t = r.dynamodb;
  if (failed(t)) rows.push(['dynamodb table', '-', errState(t), t.error]);
  else {
    rows.push(['dynamodb table', '-', t.status, t.table]);
    for (const rep of t.replicas) {
      const lat = t.latencyInto[rep.region];
      rows.push(['dynamodb replica', rep.region, rep.status, lat === undefined ? '' : `replication latency into it: ${ms(lat)}`]);
    }
    for (const s of sites(o)) {
      if (!t.replicas.some((rep) => rep.region === s.region)) rows.push(['dynamodb replica', s.region, 'MISSING', `${roleOf(s.region)} region has no replica`]);
    }
  }
  for (const role of ['primary', 'dr'] as const) {
    const s = r.s3[role];
    if (failed(s)) {
      rows.push(['s3 replication', o[role].region, errState(s), s.error]);
      continue;
    }
    if (s.rules.length === 0) rows.push(['s3 replication', s.region, 'none', `${s.bucket}: no replication configuration`]);
    for (const rule of s.rules) {
      const extra = [rule.replicationTimeControl ? 'RTC' : 'no RTC'];
      if (rule.latency !== undefined) extra.push(`latency ${ms(rule.latency)}`);
      if (rule.failedOperations !== undefined) {
        const f = rule.failedOperations;
        extra.push(`failed ops ${failed(f) ? `error (${f.error})` : f === null ? 'no data' : f.value}`);
      }
      rows.push(['s3 replication', s.region, rule.status, `${s.bucket} → ${rule.destinationBucket} (rule ${rule.id}; ${extra.join(', ')})`]);
    }
  }
  for (const role of ['primary', 'dr'] as const) {
    const st = r.sites[role];
    if (failed(st)) {
      rows.push(['designation', o[role].region, errState(st), st.error]);
      continue;
    }
    const agrees = !failed(g) && g.writer !== 'unknown' && st.designation === g.writer;
    rows.push(['designation', st.region, st.designation ?? 'none', `${o.activeSiteParameter}${agrees ? '' : ' (differs from the writer: an operation is unfinished)'}`]);
    if (st.fenced) {
      rows.push(['payment fence', st.region, 'FENCED', `${o[role].paymentFunction} reserved concurrency 0 (before: ${st.preFence === undefined ? 'not recorded' : (st.preFence ?? 'unreserved')})`]);
    }
  }
  if (r.events) rows.push(...eventsRows(r.events));
  rows.push(...edgeRows(r.edge, o));
  const writer = failed(g) ? 'unknown' : g.writer === 'unknown' ? 'unknown' : `${g.writer} (${o[g.writer].region})`;
  const serving = failed(d) || d.role === 'unknown' ? 'unknown' : `${d.role} (${o[d.role].region})`;
  const lines = [`DR status at ${r.at} (outputs: ${r.outputs})`, '', renderTable(rows).trimEnd(), '', `Writer: ${writer}. DNS serves: ${serving}.`];
  if (!failed(g) && !failed(d) && g.writer !== 'unknown' && d.role !== 'unknown' && g.writer !== d.role) {
    lines.push(`WARNING: DNS sends traffic to ${d.role} but the database writer is ${g.writer}.`);
  }
  lines.push(...edgeSummary(r.edge, failed(g) ? 'unknown' : g.writer));
  if (!failed(g) && g.writer !== 'unknown' && g.writer !== o.activeRegion) {
    lines.push(
      `NOTE: the deployed config says "activeRegion": "${o.activeRegion}" but the writer is ${g.writer}: commit "activeRegion": "${g.writer}" ` +
        '(or move the writer back); `npm run dr -- preflight` refuses deploys until they agree.',
    );
  }
  if (r.unreachable.length > 0) lines.push(`UNREACHABLE (no answer within the deadline): ${r.unreachable.join(', ')}.`);
  if (r.errors.length > 0) lines.push(`${r.errors.length} check(s) could not be read: ${r.errors.join('; ')}`);
  return lines.join('\n') + '\n';
}

/** Exit 0 when every check was read (whatever it says), 1 when some could not be read. */
export async function statusCommand(ctx: Ctx): Promise<ExitCode> {
  // The automatic-failover section (mode; kill switch, lock and last run of each region's controller) is read in
  // parallel, within its own deadline; what it could not read counts like any other section.
  const [gathered, auto] = await Promise.all([gatherStatus(ctx), automaticFailoverStatus(ctx)]);
  const report: StatusReport = {
    ...gathered,
    errors: [...gathered.errors, ...autoErrors(auto)],
    unreachable: [...new Set([...gathered.unreachable, ...autoUnreachable(auto)])],
  };
  say(ctx, ctx.json ? JSON.stringify({ ...report, automaticFailover: auto }, null, 2) : `${renderStatus(report, ctx.outputs).trimEnd()}\n\n${renderAutoStatus(auto)}`);
  return report.errors.length === 0 ? EXIT_OK : EXIT_FAILED;
}
