import {
  bucketReplication,
  describeGlobalCluster,
  describeTableReplicas,
  dnsAnswer,
  errorText,
  healthCheckStatus,
  latestMetrics,
  rpoLagQuery,
  type GlobalClusterView,
  type HealthCheckView,
  type MetricQuery,
  type MetricSample,
  type ReplicationRuleView,
} from './aws';
import { automaticFailoverStatus, renderAutoStatus } from './auto';
import { EXIT_FAILED, EXIT_OK, say, type Ctx, type ExitCode } from './context';
import { dnsServingRole, otherSite, sites, writerSite, type DnsServing } from './decisions';
import { formatDuration, iso, renderTable } from './format';
import type { RegionSite, Role } from './outputs';

/** `status`: one read-only snapshot of every replication and routing signal, each section failing on its own. */

export type Checked<T> = T | { readonly error: string };
export const failed = (c: unknown): c is { readonly error: string } =>
  typeof c === 'object' && c !== null && 'error' in c;

async function check<T>(f: () => Promise<T>): Promise<Checked<T>> {
  try {
    return await f();
  } catch (e) {
    return { error: errorText(e) };
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
  /** Sections that could not be read. */
  readonly errors: readonly string[];
}

/**
 * Runs `read` against the DR region, then the primary, and returns the first answer with the region it came from:
 * the global cluster and the global table look the same from either region, and the DR region is the one expected
 * to survive.
 */
async function fromFirstRegion<T>(ctx: Ctx, read: (s: RegionSite) => Promise<T>): Promise<T & { readFrom: string }> {
  const problems: string[] = [];
  for (const s of [ctx.outputs.dr, ctx.outputs.primary]) {
    try {
      return { ...(await read(s)), readFrom: s.region };
    } catch (e) {
      problems.push(`${s.region}: ${errorText(e)}`);
    }
  }
  throw new Error(problems.join('; '));
}

export async function gatherStatus(ctx: Ctx): Promise<StatusReport> {
  const o = ctx.outputs;
  const aws = ctx.deps.aws;
  const now = ctx.deps.now();

  const [globalCluster, hcPrimary, hcDr, answer, table, s3Primary, s3Dr] = await Promise.all([
    check(() => fromFirstRegion(ctx, (s) => describeGlobalCluster(aws.inRegion(s.region).rds, o.globalClusterId))),
    check(async () => ({ id: o.primary.healthCheckId, region: o.primary.region, ...(await healthCheckStatus(aws.route53, o.primary.healthCheckId)) })),
    check(async () => ({ id: o.dr.healthCheckId, region: o.dr.region, ...(await healthCheckStatus(aws.route53, o.dr.healthCheckId)) })),
    check(() => dnsAnswer(aws.route53, o.hostedZoneId, o.apiDomainName)),
    check(() => fromFirstRegion(ctx, (s) => describeTableReplicas(aws.inRegion(s.region).dynamodb, o.sessionsTable))),
    check(async () => ({ bucket: o.primary.bucket, region: o.primary.region, rules: await bucketReplication(aws.inRegion(o.primary.region).s3, o.primary.bucket) })),
    check(async () => ({ bucket: o.dr.bucket, region: o.dr.region, rules: await bucketReplication(aws.inRegion(o.dr.region).s3, o.dr.bucket) })),
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
  const [mPrimary, mDr] = await Promise.all(
    sites(o).map((s) => check(() => latestMetrics(aws.inRegion(s.region).cloudwatch, queriesFor(s), now))),
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

  const lag = metric(secondary.role, 'rpolag');
  const report: Omit<StatusReport, 'errors'> = {
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
  };
  return { ...report, errors: collectErrors(report) };
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

function collectErrors(r: Omit<StatusReport, 'errors'>): string[] {
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
  return errs;
}

/** The region whose cluster is (or, writer unknown, is configured as) the secondary. */
function secondaryRegion(r: StatusReport, o: Ctx['outputs']): string {
  const g = r.globalCluster;
  return !failed(g) && g.writer === 'dr' ? o.primary.region : o.dr.region;
}

const ms = (s: Checked<MetricSample | null> | undefined) =>
  s === undefined ? '' : failed(s) ? `error (${s.error})` : s === null ? 'no data' : formatDuration(s.value);

/** The report as a table: one row per component and region. */
export function renderStatus(r: StatusReport, o: Ctx['outputs']): string {
  const rows: string[][] = [['COMPONENT', 'REGION', 'STATE', 'DETAIL']];
  const roleOf = (region: string) => sites(o).find((s) => s.region === region)?.role ?? '?';
  const g = r.globalCluster;
  if (failed(g)) {
    rows.push(['aurora global', '-', 'ERROR', g.error]);
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
  if (failed(lag)) rows.push(['aurora rpo lag', secondaryRegion(r, o), 'ERROR', lag.error]);
  else rows.push(['aurora rpo lag', lag.region, lag.lag ? formatDuration(lag.lag.value) : 'unknown', lag.lag ? `AuroraGlobalDBRPOLag of ${lag.cluster} at ${lag.lag.at}` : `no AuroraGlobalDBRPOLag datapoint for ${lag.cluster} in 15 min`]);
  for (const role of ['primary', 'dr'] as const) {
    const h = r.healthChecks[role];
    if (failed(h)) rows.push(['health check', o[role].region, 'ERROR', h.error]);
    else {
      // The checks are deep: a region passes only while its database is the writer, so the standby failing is normal.
      const standby = !failed(g) && g.writer !== 'unknown' && g.writer !== role;
      const state = h.healthy ? 'healthy' : standby ? 'unhealthy' : 'UNHEALTHY';
      const why = h.healthy || !h.sample ? '' : ` (${h.sample})${standby ? '; expected: not the writer region' : ''}`;
      rows.push(['health check', h.region, state, `${role} ${h.id}: ${h.healthyCheckers}/${h.checkers} checkers OK${why}`]);
    }
  }
  const d = r.dns;
  if (failed(d)) rows.push(['dns', '-', 'ERROR', d.error]);
  else {
    const region = d.role === 'unknown' ? '-' : o[d.role].region;
    const basis = d.basis === 'answer' ? 'from the answer' : d.basis === 'health-checks' ? 'inferred from health checks' : 'cannot tell';
    rows.push(['dns', region, d.role, `${d.name} ${d.responseCode}: ${d.records.join(' ') || '(no records)'} (${basis})`]);
  }
  const t = r.dynamodb;
  if (failed(t)) rows.push(['dynamodb table', '-', 'ERROR', t.error]);
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
      rows.push(['s3 replication', o[role].region, 'ERROR', s.error]);
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
  const writer = failed(g) ? 'unknown' : g.writer === 'unknown' ? 'unknown' : `${g.writer} (${o[g.writer].region})`;
  const serving = failed(d) || d.role === 'unknown' ? 'unknown' : `${d.role} (${o[d.role].region})`;
  const lines = [`DR status at ${r.at} (outputs: ${r.outputs})`, '', renderTable(rows).trimEnd(), '', `Writer: ${writer}. DNS serves: ${serving}.`];
  if (!failed(g) && !failed(d) && g.writer !== 'unknown' && d.role !== 'unknown' && g.writer !== d.role) {
    lines.push(`WARNING: DNS sends traffic to ${d.role} but the database writer is ${g.writer}.`);
  }
  if (r.errors.length > 0) lines.push(`${r.errors.length} check(s) could not be read: ${r.errors.join('; ')}`);
  return lines.join('\n') + '\n';
}

/** Exit 0 when every check was read (whatever it says), 1 when some could not be read. */
export async function statusCommand(ctx: Ctx): Promise<ExitCode> {
  // The automatic-failover section (mode, kill switch, last run) is read in parallel, within its own deadline.
  const [report, auto] = await Promise.all([gatherStatus(ctx), automaticFailoverStatus(ctx)]);
  say(ctx, ctx.json ? JSON.stringify({ ...report, automaticFailover: auto }, null, 2) : `${renderStatus(report, ctx.outputs).trimEnd()}\n\n${renderAutoStatus(auto)}`);
  return report.errors.length === 0 ? EXIT_OK : EXIT_FAILED;
}
