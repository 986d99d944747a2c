import { METRICS_NAMESPACE as PROBER_NAMESPACE } from '../lambdas/prober';
import { Json, synthDrStack } from './support/synth';

/**
 * An alarm on a series that is never published never fires (and one with treat_missing_data = breaching never
 * clears). Every metric an alarm watches, directly or inside metric math, must name a namespace, metric and exact
 * set of dimension keys the service publishes. The table holds what the CloudWatch documentation of each service
 * lists; add a row (with its source) before alarming on anything new.
 */
interface Published {
  readonly namespace: string;
  readonly metrics: readonly string[];
  /** Each entry is one dimension set the service publishes those metrics with (keys sorted). */
  readonly dimensionSets: ReadonlyArray<readonly string[]>;
  readonly source: string;
  /** What must hold in the stack for the series to exist. */
  readonly requires?: 'api-detailed-metrics';
}

const PUBLISHED: readonly Published[] = [
  {
    namespace: 'AWS/RDS',
    metrics: ['AuroraGlobalDBRPOLag', 'AuroraGlobalDBReplicationLag'],
    dimensionSets: [['DBClusterIdentifier'], ['DBClusterIdentifier', 'SourceRegion']],
    source:
      'Aurora User Guide, "Amazon CloudWatch metrics for Amazon Aurora" (cluster-level, published for secondary clusters in the secondary Region) and "Amazon CloudWatch dimensions for Aurora" (DBClusterIdentifier); the Aurora global database lab shows the series under "DBClusterIdentifier, SourceRegion" and graphs it by DBClusterIdentifier alone',
  },
  {
    namespace: 'AWS/Route53',
    metrics: ['HealthCheckStatus', 'HealthCheckPercentageHealthy'],
    dimensionSets: [['HealthCheckId']],
    source: 'Route 53 Developer Guide, "Monitoring health checks using CloudWatch": dimension HealthCheckId, us-east-1 only',
  },
  {
    namespace: 'AWS/ApiGateway',
    metrics: ['5XXError', '4XXError', 'Count', 'Latency', 'IntegrationLatency'],
    dimensionSets: [['ApiName'], ['ApiName', 'Stage'], ['ApiName', 'Method', 'Resource', 'Stage']],
    source:
      'API Gateway Developer Guide, "Amazon API Gateway dimensions and metrics": ApiName; ApiName, Stage; ApiName, Method, Resource, Stage (the last only with detailed CloudWatch metrics enabled on the stage)',
    requires: 'api-detailed-metrics',
  },
  {
    namespace: 'AWS/Lambda',
    metrics: ['Errors', 'Throttles', 'Invocations', 'Duration', 'ConcurrentExecutions'],
    dimensionSets: [['FunctionName'], ['FunctionName', 'Resource'], ['ExecutedVersion', 'FunctionName']],
    source: 'Lambda Developer Guide, "Types of metrics for Lambda functions", dimensions FunctionName, Resource, ExecutedVersion',
  },
  {
    namespace: 'AWS/DynamoDB',
    metrics: ['ReplicationLatency', 'PendingReplicationCount'],
    dimensionSets: [['ReceivingRegion', 'TableName']],
    source: 'DynamoDB Developer Guide, "DynamoDB Metrics and dimensions": ReplicationLatency with TableName, ReceivingRegion (in the source Region)',
  },
  {
    namespace: 'AWS/SQS',
    metrics: ['ApproximateNumberOfMessagesVisible', 'ApproximateAgeOfOldestMessage', 'NumberOfMessagesSent'],
    dimensionSets: [['QueueName']],
    source: 'SQS Developer Guide, "Available CloudWatch metrics for Amazon SQS": the only dimension is QueueName',
  },
  {
    namespace: 'PaymentsDR',
    metrics: ['OutboxOldestUnsentAgeSeconds', 'OutboxUnsent'],
    dimensionSets: [['service']],
    source:
      'our own: lambdas/outbox-sweep publishes both on every run through Powertools Metrics (EMF), namespace POWERTOOLS_METRICS_NAMESPACE, default dimension service = POWERTOOLS_SERVICE_NAME (outbox-sweep)',
  },
  {
    namespace: 'AWS/S3',
    metrics: ['ReplicationLatency', 'OperationsFailedReplication', 'OperationsPendingReplication', 'BytesPendingReplication'],
    dimensionSets: [['DestinationBucket', 'RuleId', 'SourceBucket']],
    source: 'S3 User Guide, "Metrics and dimensions" (S3 Replication metrics): SourceBucket, DestinationBucket, RuleId; published with replication metrics enabled (RTC enables them)',
  },
  // Our own: the prober publishes these with PutMetricData (lambdas/prober; the exact data is asserted in
  // __tests__/lambdas/prober.test.ts).
  {
    namespace: PROBER_NAMESPACE,
    metrics: ['PeerUp', 'PeerRoute53Healthy'],
    dimensionSets: [['PeerRegion']],
    source: 'lambdas/prober: PutMetricData, dimension PeerRegion (the region it watches)',
  },
  {
    namespace: PROBER_NAMESPACE,
    metrics: ['OwnSiteUp'],
    dimensionSets: [['Region']],
    source: 'lambdas/prober: PutMetricData, dimension Region (its own)',
  },
  {
    namespace: 'PaymentsDR/Drill',
    metrics: ['StopRequested'],
    dimensionSets: [['Site']],
    source:
      'this platform: the FIS kill switch (src/constructs/fault-injection.ts); nothing publishes it until an operator stops a drill (`aws cloudwatch put-metric-data --namespace PaymentsDR/Drill --metric-name StopRequested --dimensions Site=<site> --value 1`, or set-alarm-state); missing data is not breaching',
  },
];

interface WatchedSeries {
  readonly alarm: string;
  readonly namespace: string;
  readonly metric: string;
  readonly dimensions: Record<string, string>;
}

function seriesOf(alarm: Json): WatchedSeries[] {
  if (alarm.metric_name) {
    return [{ alarm: alarm.alarm_name, namespace: alarm.namespace, metric: alarm.metric_name, dimensions: alarm.dimensions ?? {} }];
  }
  return (alarm.metric_query as Json[])
    .filter((q) => q.metric)
    .map((q) => ({ alarm: alarm.alarm_name, namespace: q.metric.namespace, metric: q.metric.metric_name, dimensions: q.metric.dimensions ?? {} }));
}

describe('every alarm watches a series the service publishes', () => {
  const { stack, synth } = synthDrStack();
  const alarms = synth.list('aws_cloudwatch_metric_alarm');
  const watched = alarms.flatMap(seriesOf);

  test('the list of watched series (metric, namespace, dimensions) is complete', () => {
    expect(alarms.length).toBeGreaterThan(0);
    // Every alarm watches at least one series; metric math without a metric would watch nothing.
    for (const a of alarms) expect(seriesOf(a).length).toBeGreaterThan(0);
    console.info(
      `watched series:\n${watched.map((w) => `  ${w.alarm}: ${w.namespace} ${w.metric} {${Object.keys(w.dimensions).sort().join(', ')}}`).join('\n')}`,
    );
  });

  test.each(watched.map((w) => [`${w.alarm} ${w.metric}`, w] as const))('%s', (_name, w) => {
    const row = PUBLISHED.find((p) => p.namespace === w.namespace && p.metrics.includes(w.metric));
    expect({ series: `${w.namespace} ${w.metric}`, documented: row !== undefined }).toEqual({ series: `${w.namespace} ${w.metric}`, documented: true });
    const keys = Object.keys(w.dimensions).sort();
    expect(row!.dimensionSets.map((d) => d.join(','))).toContain(keys.join(','));
    for (const value of Object.values(w.dimensions)) expect(value).toBeTruthy();
  });

  test('per-method API Gateway series exist: every stage an alarm names has detailed metrics on for every method', () => {
    const stages = new Set(
      watched.filter((w) => w.namespace === 'AWS/ApiGateway' && 'Method' in w.dimensions).map((w) => `${w.dimensions.ApiName}/${w.dimensions.Stage}`),
    );
    expect(stages.size).toBe(2);
    for (const role of ['primary', 'dr'] as const) {
      const api = stack.runtime[role].api;
      const settings = synth.list('aws_api_gateway_method_settings').find((m) => m.rest_api_id === synth.ref(api.api.id))!;
      expect(settings).toMatchObject({ method_path: '*/*', settings: expect.objectContaining({ metrics_enabled: true }) });
      expect(stages).toContain(`${synth.ref(api.api.name)}/${api.stageName}`);
    }
  });

  test('the table rejects a series that is not published (a backup alarm without dimensions, an RDS metric by Role)', () => {
    const known = (namespace: string, metric: string, keys: string[]) =>
      PUBLISHED.some((p) => p.namespace === namespace && p.metrics.includes(metric) && p.dimensionSets.some((d) => d.join(',') === [...keys].sort().join(',')));
    expect(known('AWS/Backup', 'NumberOfBackupJobsFailed', [])).toBe(false);
    expect(known('AWS/RDS', 'AuroraGlobalDBRPOLag', ['DBClusterIdentifier', 'Role'])).toBe(false);
    expect(known('AWS/ApiGateway', '5XXError', ['ApiName', 'Stage'])).toBe(true);
  });
});
