import { GetMetricDataCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteFunctionConcurrencyCommand,
  GetAccountSettingsCommand,
  GetFunctionConcurrencyCommand,
  ListTagsCommand,
  PutFunctionConcurrencyCommand,
  TagResourceCommand,
  UntagResourceCommand,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import {
  DescribeDBClusterParametersCommand,
  DescribeDBClustersCommand,
  DescribeDBEngineVersionsCommand,
  DescribeGlobalClustersCommand,
  FailoverGlobalClusterCommand,
  ModifyDBClusterParameterGroupCommand,
  ResetDBClusterParameterGroupCommand,
  SwitchoverGlobalClusterCommand,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { GetHealthCheckStatusCommand, GetHostedZoneCommand, TestDNSAnswerCommand, type Route53Client } from '@aws-sdk/client-route-53';
import { GetBucketReplicationCommand, type S3Client } from '@aws-sdk/client-s3';
import { GetParameterCommand, PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { lambdaFunctionArn } from '../arn';

/** Thin adapters over the AWS SDK: one call each, returning the few fields the commands decide on. */

export function errorText(e: unknown): string {
  if (e instanceof Error) return e.name && e.name !== 'Error' ? `${e.name}: ${e.message}` : e.message;
  return String(e);
}

const UNREACHABLE_NAMES = new Set(['DeadlineExceeded', 'TimeoutError', 'AbortError', 'RequestTimeout', 'NetworkingError']);
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);

/** True when the error says the endpoint could not be reached or did not answer (as opposed to an AWS refusal). */
export function isUnreachable(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const x = e as { name?: string; code?: string; unreachable?: boolean; $metadata?: { httpStatusCode?: number } };
  if (x.unreachable === true) return true;
  if (x.name && UNREACHABLE_NAMES.has(x.name)) return true;
  if (x.code && UNREACHABLE_CODES.has(x.code)) return true;
  return false;
}

/** `arn:aws:rds:us-west-2:123456789012:cluster:pay-dev-dr` → `us-west-2`. */
export function regionOfArn(arn: string): string {
  return arn.split(':')[3] ?? '';
}

export interface GlobalClusterMemberView {
  readonly arn: string;
  readonly region: string;
  readonly isWriter: boolean;
  readonly synchronization?: string;
}

export interface GlobalClusterView {
  readonly id: string;
  readonly status: string;
  readonly engineVersion?: string;
  readonly members: readonly GlobalClusterMemberView[];
  /** Present while a switchover or failover is pending or running. */
  readonly failoverState?: { status?: string; from?: string; to?: string; dataLossAllowed?: boolean };
}

export async function describeGlobalCluster(rds: RDSClient, id: string): Promise<GlobalClusterView> {
  const out = await rds.send(new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: id }));
  const g = out.GlobalClusters?.[0];
  if (!g) throw new Error(`global cluster ${id} not found`);
  const fs = g.FailoverState;
  const hasFailoverState = fs !== undefined && (fs.Status !== undefined || fs.ToDbClusterArn !== undefined);
  return {
    id: g.GlobalClusterIdentifier ?? id,
    status: g.Status ?? 'unknown',
    engineVersion: g.EngineVersion,
    members: (g.GlobalClusterMembers ?? []).map((m) => ({
      arn: m.DBClusterArn ?? '',
      region: regionOfArn(m.DBClusterArn ?? ''),
      isWriter: m.IsWriter === true,
      synchronization: m.SynchronizationStatus,
    })),
    failoverState: hasFailoverState
      ? { status: fs.Status, from: fs.FromDbClusterArn, to: fs.ToDbClusterArn, dataLossAllowed: fs.IsDataLossAllowed }
      : undefined,
  };
}

export interface ClusterView {
  readonly id: string;
  readonly status: string;
  readonly engineVersion: string;
}

export async function describeCluster(rds: RDSClient, id: string): Promise<ClusterView> {
  const out = await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id }));
  const c = out.DBClusters?.[0];
  if (!c) throw new Error(`DB cluster ${id} not found`);
  return { id, status: c.Status ?? 'unknown', engineVersion: c.EngineVersion ?? 'unknown' };
}

export async function requestSwitchover(rds: RDSClient, globalClusterId: string, targetArn: string): Promise<void> {
  await rds.send(
    new SwitchoverGlobalClusterCommand({ GlobalClusterIdentifier: globalClusterId, TargetDbClusterIdentifier: targetArn }),
  );
}

export async function requestFailover(rds: RDSClient, globalClusterId: string, targetArn: string): Promise<void> {
  await rds.send(
    new FailoverGlobalClusterCommand({
      GlobalClusterIdentifier: globalClusterId,
      TargetDbClusterIdentifier: targetArn,
      AllowDataLoss: true,
    }),
  );
}

export interface MetricQuery {
  /** GetMetricData query id: starts with a lowercase letter. */
  readonly id: string;
  readonly namespace: string;
  readonly metric: string;
  readonly dimensions: Record<string, string>;
  readonly stat: 'Maximum' | 'Average' | 'Sum';
  /** @default 60 */
  readonly periodSeconds?: number;
}

export interface MetricSample {
  readonly value: number;
  readonly at: string;
}

/** The newest datapoint of each query in the last `lookbackMinutes` (null when there is none). */
export async function latestMetrics(
  cw: CloudWatchClient,
  queries: readonly MetricQuery[],
  nowMs: number,
  lookbackMinutes = 15,
): Promise<Record<string, MetricSample | null>> {
  const out = await cw.send(
    new GetMetricDataCommand({
      StartTime: new Date(nowMs - lookbackMinutes * 60_000),
      EndTime: new Date(nowMs),
      ScanBy: 'TimestampDescending',
      MetricDataQueries: queries.map((q) => ({
        Id: q.id,
        ReturnData: true,
        MetricStat: {
          Metric: {
            Namespace: q.namespace,
            MetricName: q.metric,
            Dimensions: Object.entries(q.dimensions).map(([Name, Value]) => ({ Name, Value })),
          },
          Period: q.periodSeconds ?? 60,
          Stat: q.stat,
        },
      })),
    }),
  );
  const result: Record<string, MetricSample | null> = Object.fromEntries(queries.map((q) => [q.id, null]));
  for (const r of out.MetricDataResults ?? []) {
    if (!r.Id || !r.Values?.length || !r.Timestamps?.length) continue;
    // ScanBy TimestampDescending: index 0 is the newest; still pick the max timestamp defensively.
    let best = 0;
    r.Timestamps.forEach((t, i) => {
      if (new Date(t).getTime() > new Date(r.Timestamps![best]).getTime()) best = i;
    });
    result[r.Id] = { value: r.Values[best], at: new Date(r.Timestamps[best]).toISOString() };
  }
  return result;
}

export const rpoLagQuery = (clusterId: string): MetricQuery => ({
  id: 'rpolag',
  namespace: 'AWS/RDS',
  metric: 'AuroraGlobalDBRPOLag',
  dimensions: { DBClusterIdentifier: clusterId },
  stat: 'Maximum',
});

export interface HealthCheckView {
  readonly healthy: boolean;
  readonly healthyCheckers: number;
  readonly checkers: number;
  /** One checker's last report, e.g. "Failure: HTTP Status Code 503". */
  readonly sample?: string;
}

/** Route 53 treats an endpoint as healthy when more than 18% of its checkers report success. */
export async function healthCheckStatus(r53: Route53Client, id: string): Promise<HealthCheckView> {
  const out = await r53.send(new GetHealthCheckStatusCommand({ HealthCheckId: id }));
  const reports = (out.HealthCheckObservations ?? []).map((o) => o.StatusReport?.Status ?? '');
  const ok = reports.filter((s) => s.startsWith('Success')).length;
  const failing = reports.find((s) => !s.startsWith('Success'));
  return {
    healthy: reports.length > 0 && ok / reports.length > 0.18,
    healthyCheckers: ok,
    checkers: reports.length,
    sample: failing ?? reports[0],
  };
}

export interface DnsAnswerView {
  readonly responseCode: string;
  readonly records: readonly string[];
}

export async function dnsAnswer(r53: Route53Client, zoneId: string, name: string): Promise<DnsAnswerView> {
  const out = await r53.send(new TestDNSAnswerCommand({ HostedZoneId: zoneId, RecordName: name, RecordType: 'A' }));
  return { responseCode: out.ResponseCode ?? 'unknown', records: out.RecordData ?? [] };
}

export interface TableView {
  readonly status: string;
  readonly replicas: readonly { region: string; status: string }[];
}

export async function describeTableReplicas(ddb: DynamoDBClient, table: string): Promise<TableView> {
  const out = await ddb.send(new DescribeTableCommand({ TableName: table }));
  return {
    status: out.Table?.TableStatus ?? 'unknown',
    replicas: (out.Table?.Replicas ?? []).map((r) => ({ region: r.RegionName ?? '?', status: r.ReplicaStatus ?? '?' })),
  };
}

export interface ReplicationRuleView {
  readonly id: string;
  readonly status: string;
  readonly destinationBucket: string;
  readonly replicationTimeControl: boolean;
  readonly metrics: boolean;
}

/** The bucket's replication rules; an empty list when the bucket has no replication configuration. */
export async function bucketReplication(s3: S3Client, bucket: string): Promise<ReplicationRuleView[]> {
  try {
    const out = await s3.send(new GetBucketReplicationCommand({ Bucket: bucket }));
    return (out.ReplicationConfiguration?.Rules ?? []).map((r, i) => ({
      id: r.ID ?? `rule-${i + 1}`,
      status: r.Status ?? 'unknown',
      destinationBucket: (r.Destination?.Bucket ?? '').replace(/^arn:aws[a-z-]*:s3:::/, ''),
      replicationTimeControl: r.Destination?.ReplicationTime?.Status === 'Enabled',
      metrics: r.Destination?.Metrics?.Status === 'Enabled',
    }));
  } catch (e) {
    if ((e as Error).name === 'ReplicationConfigurationNotFoundError') return [];
    throw e;
  }
}

/** Reserved concurrency of a function (null: none reserved, it uses the account's unreserved pool). */
export async function functionConcurrency(lambda: LambdaClient, fn: string): Promise<number | null> {
  const out = await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: fn }));
  return out.ReservedConcurrentExecutions ?? null;
}

/** Stops every invocation of `fn` (reserved concurrency 0: invocations are throttled). */
export async function fenceFunction(lambda: LambdaClient, fn: string): Promise<void> {
  await lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: fn, ReservedConcurrentExecutions: 0 }));
}

/** Reserved concurrency back to a number, or removed (`null`: the function uses the unreserved pool). */
export async function setFunctionConcurrency(lambda: LambdaClient, fn: string, value: number | null): Promise<void> {
  if (value === null) await lambda.send(new DeleteFunctionConcurrencyCommand({ FunctionName: fn }));
  else await lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: fn, ReservedConcurrentExecutions: value }));
}

export const functionArn = (region: string, accountId: string, fn: string): string => lambdaFunctionArn({ region, accountId }, fn);

export async function functionTags(lambda: LambdaClient, arn: string): Promise<Record<string, string>> {
  const out = await lambda.send(new ListTagsCommand({ Resource: arn }));
  return out.Tags ?? {};
}

export async function tagFunction(lambda: LambdaClient, arn: string, tags: Record<string, string>): Promise<void> {
  await lambda.send(new TagResourceCommand({ Resource: arn, Tags: tags }));
}

export async function untagFunction(lambda: LambdaClient, arn: string, keys: string[]): Promise<void> {
  await lambda.send(new UntagResourceCommand({ Resource: arn, TagKeys: keys }));
}

export interface AccountConcurrency {
  /** The account's concurrency quota in the region. */
  readonly limit: number;
  readonly unreserved: number;
}

export async function accountConcurrency(lambda: LambdaClient): Promise<AccountConcurrency> {
  const out = await lambda.send(new GetAccountSettingsCommand({}));
  return { limit: out.AccountLimit?.ConcurrentExecutions ?? 0, unreserved: out.AccountLimit?.UnreservedConcurrentExecutions ?? 0 };
}

/** The active-site designation in one region; null when the parameter does not exist (yet). */
export async function readDesignation(ssm: SSMClient, name: string): Promise<string | null> {
  try {
    const out = await ssm.send(new GetParameterCommand({ Name: name }));
    return out.Parameter?.Value ?? null;
  } catch (e) {
    if ((e as Error).name === 'ParameterNotFound') return null;
    throw e;
  }
}

export async function writeDesignation(ssm: SSMClient, name: string, value: string): Promise<void> {
  await ssm.send(new PutParameterCommand({ Name: name, Value: value, Type: 'String', Overwrite: true }));
}

export const GLOBAL_DB_RPO = 'rds.global_db_rpo';

/** A user-set parameter of a DB cluster parameter group (Source=user); null when it is at the engine default. */
export async function userClusterParameter(rds: RDSClient, group: string, name: string): Promise<string | null> {
  let marker: string | undefined;
  do {
    const out = await rds.send(new DescribeDBClusterParametersCommand({ DBClusterParameterGroupName: group, Source: 'user', Marker: marker }));
    const p = (out.Parameters ?? []).find((x) => x.ParameterName === name);
    if (p) return p.ParameterValue ?? null;
    marker = out.Marker;
  } while (marker);
  return null;
}

export async function setClusterParameter(rds: RDSClient, group: string, name: string, value: string): Promise<void> {
  await rds.send(
    new ModifyDBClusterParameterGroupCommand({
      DBClusterParameterGroupName: group,
      Parameters: [{ ParameterName: name, ParameterValue: value, ApplyMethod: 'immediate' }],
    }),
  );
}

export async function resetClusterParameter(rds: RDSClient, group: string, name: string): Promise<void> {
  await rds.send(
    new ResetDBClusterParameterGroupCommand({
      DBClusterParameterGroupName: group,
      Parameters: [{ ParameterName: name, ApplyMethod: 'immediate' }],
    }),
  );
}

/** Whether `version` of `engine` exists in the client's region and can be part of a global database. */
export async function engineVersionForGlobal(rds: RDSClient, engine: string, version: string): Promise<'global' | 'no-global' | 'missing'> {
  const out = await rds.send(new DescribeDBEngineVersionsCommand({ Engine: engine, EngineVersion: version }));
  const v = (out.DBEngineVersions ?? []).find((x) => x.EngineVersion === version);
  if (!v) return 'missing';
  return v.SupportsGlobalDatabases === true ? 'global' : 'no-global';
}

export interface HostedZoneView {
  readonly name: string;
  readonly privateZone: boolean;
  readonly nameServers: readonly string[];
}

export async function hostedZone(r53: Route53Client, id: string): Promise<HostedZoneView> {
  const out = await r53.send(new GetHostedZoneCommand({ Id: id }));
  return {
    name: (out.HostedZone?.Name ?? '').replace(/\.$/, '').toLowerCase(),
    privateZone: out.HostedZone?.Config?.PrivateZone === true,
    nameServers: (out.DelegationSet?.NameServers ?? []).map((n) => n.toLowerCase().replace(/\.$/, '')),
  };
}
