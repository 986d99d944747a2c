import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { DescribeGlobalClustersCommand } from '@aws-sdk/client-rds';
import { GetHealthCheckStatusCommand, TestDNSAnswerCommand } from '@aws-sdk/client-route-53';
import { GetBucketReplicationCommand } from '@aws-sdk/client-s3';
import { CLUSTER_ID, HEALTH_CHECK, World } from '../support/dr-cli-world';

let world: World;
beforeEach(() => {
  world = new World();
});
afterEach(() => world.restore());

const row = (out: string, component: string, region: string) =>
  out.split('\n').find((l) => l.startsWith(component) && l.includes(`  ${region}  `)) ?? '';

describe('status', () => {
  test('prints a table of writer, lag, health checks, DNS, DynamoDB and S3 replication', async () => {
    const r = await world.run('status');
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/^DR status at 2025-01-15T12:00:00\.000Z \(outputs: \/work\/cdktf\.out\/outputs\.json\)/);
    expect(r.out).toMatch(/^COMPONENT +REGION +STATE +DETAIL$/m);
    expect(r.out).toMatch(/^aurora global +- +available +pay-dev-aurora-global, engine 16\.4$/m);
    expect(row(r.out, 'aurora cluster', 'us-east-1')).toMatch(/WRITER +primary pay-dev-use1-aurora$/);
    expect(row(r.out, 'aurora cluster', 'us-west-2')).toMatch(/reader +dr pay-dev-usw2-aurora, sync connected$/);
    expect(row(r.out, 'aurora rpo lag', 'us-west-2')).toMatch(/0\.8s +AuroraGlobalDBRPOLag of pay-dev-usw2-aurora at 2025-01-15T11:59:00\.000Z/);
    expect(row(r.out, 'health check', 'us-east-1')).toMatch(/healthy +primary hc-primary-1111: 8\/8 checkers OK$/);
    // Deep health checks: the standby region fails its check by design.
    expect(row(r.out, 'health check', 'us-west-2')).toMatch(/unhealthy +dr hc-dr-2222: 0\/8 checkers OK \(Failure: HTTP Status Code 503, Service Unavailable\); expected: not the writer region$/);
    expect(row(r.out, 'dns', 'us-east-1')).toMatch(/primary +api\.payments\.example\.com NOERROR: d-primaryxyz\.execute-api\.us-east-1\.amazonaws\.com \(from the answer\)/);
    expect(row(r.out, 'dynamodb replica', 'us-west-2')).toMatch(/ACTIVE +replication latency into it: 1\.2s/);
    expect(row(r.out, 's3 replication', 'us-east-1')).toMatch(
      /Enabled +pay-dev-artifacts-use1 → pay-dev-artifacts-usw2 \(rule artifacts-to-dr; RTC, latency 1\.2s, failed ops 0\)/,
    );
    expect(row(r.out, 's3 replication', 'us-west-2')).toMatch(/none +pay-dev-artifacts-usw2: no replication configuration/);
    expect(r.out).toMatch(/Writer: primary \(us-east-1\)\. DNS serves: primary \(us-east-1\)\.\n\nAutomatic failover\n  mode: unknown [^\n]*\n$/);
  });

  test('asks the right region for each signal', async () => {
    await world.run('status');
    // Route 53 (global, us-east-1 client): both health checks and the DNS answer for the API name.
    expect(world.calls('route53', 'route53', GetHealthCheckStatusCommand).map((c) => c.HealthCheckId).sort()).toEqual(
      [HEALTH_CHECK.dr, HEALTH_CHECK.primary].sort(),
    );
    expect(world.calls('route53', 'route53', TestDNSAnswerCommand)).toEqual([
      { HostedZoneId: 'Z0123456789ABC', RecordName: 'api.payments.example.com', RecordType: 'A' },
    ]);
    // The RPO lag of the secondary, in the secondary's region; DynamoDB latency per sending region.
    const drQueries = world.calls('dr', 'cloudwatch', GetMetricDataCommand)[0].MetricDataQueries;
    expect(drQueries).toContainEqual(
      expect.objectContaining({
        Id: 'rpolag',
        MetricStat: expect.objectContaining({
          Metric: { Namespace: 'AWS/RDS', MetricName: 'AuroraGlobalDBRPOLag', Dimensions: [{ Name: 'DBClusterIdentifier', Value: CLUSTER_ID.dr }] },
        }),
      }),
    );
    const primaryQueries = world.calls('primary', 'cloudwatch', GetMetricDataCommand)[0].MetricDataQueries;
    expect(primaryQueries.map((q: { Id: string }) => q.Id)).toEqual(['ddblat', 's3lat0', 's3fail0']);
    expect(primaryQueries[1].MetricStat.Metric.Dimensions).toEqual([
      { Name: 'SourceBucket', Value: 'pay-dev-artifacts-use1' },
      { Name: 'DestinationBucket', Value: 'pay-dev-artifacts-usw2' },
      { Name: 'RuleId', Value: 'artifacts-to-dr' },
    ]);
    expect(world.calls('dr', 'dynamodb', DescribeTableCommand)).toEqual([{ TableName: 'pay-dev-sessions' }]);
    expect(world.calls('primary', 's3', GetBucketReplicationCommand)).toEqual([{ Bucket: 'pay-dev-artifacts-use1' }]);
  });

  test('after a switchover the lag is read for the primary cluster, now the secondary', async () => {
    world.writer = 'dr';
    const r = await world.run('status');
    expect(row(r.out, 'aurora cluster', 'us-west-2')).toMatch(/WRITER/);
    expect(world.calls('primary', 'cloudwatch', GetMetricDataCommand)[0].MetricDataQueries[0]).toMatchObject({ Id: 'rpolag' });
    expect(row(r.out, 'aurora rpo lag', 'us-east-1')).toMatch(/AuroraGlobalDBRPOLag of pay-dev-use1-aurora/);
  });

  test('with the primary region down it still reports everything it can, and exits 1', async () => {
    const down = Object.assign(new Error('connect ETIMEDOUT'), { name: 'TimeoutError' });
    world.mocks.primary.rds.on(DescribeGlobalClustersCommand).rejects(down);
    world.mocks.primary.cloudwatch.on(GetMetricDataCommand).rejects(down);
    world.mocks.primary.dynamodb.on(DescribeTableCommand).rejects(down);
    world.mocks.primary.s3.on(GetBucketReplicationCommand).rejects(down);
    world.setWriter('dr');
    world.now += 60_000; // health checks have followed the writer
    world.dnsStyle = 'alias';
    const r = await world.run('status');
    expect(r.code).toBe(1);
    expect(row(r.out, 'aurora cluster', 'us-west-2')).toMatch(/WRITER/);
    expect(row(r.out, 'health check', 'us-east-1')).toMatch(/unhealthy +primary hc-primary-1111: 0\/8 checkers OK \(Failure: HTTP Status Code 503/);
    expect(row(r.out, 'dns', 'us-west-2')).toMatch(/dr +api\.payments\.example\.com NOERROR: 198\.51\.100\.20 \(inferred from health checks\)/);
    expect(row(r.out, 'aurora rpo lag', 'us-east-1')).toMatch(/UNREACHABLE +TimeoutError: connect ETIMEDOUT/);
    // The global table is read from the DR region; latency into DR is published by the (dead) primary region.
    expect(r.out).toMatch(/^dynamodb table +- +ACTIVE +pay-dev-sessions$/m);
    expect(row(r.out, 'dynamodb replica', 'us-west-2')).toMatch(/ACTIVE +replication latency into it: error \(TimeoutError: connect ETIMEDOUT\)/);
    expect(row(r.out, 's3 replication', 'us-east-1')).toMatch(/UNREACHABLE +TimeoutError/);
    expect(r.out).toMatch(/Writer: dr \(us-west-2\)\. DNS serves: dr \(us-west-2\)\./);
    expect(r.out).toMatch(/UNREACHABLE \(no answer within the deadline\): us-east-1\./);
    expect(r.out).toMatch(/3 check\(s\) could not be read: aurora rpo lag: TimeoutError: connect ETIMEDOUT; dynamodb latency into us-west-2: TimeoutError: connect ETIMEDOUT; s3 primary: TimeoutError: connect ETIMEDOUT\n\nAutomatic failover\n/);
  });

  test('shows the designation in each region and a fenced payment function, and notes a config that lags the writer', async () => {
    world.setWriter('dr');
    world.designation = { primary: 'primary', dr: 'dr' };
    world.concurrency.primary = 0;
    world.tags.primary = { 'dr-cli:pre-fence-reserved-concurrency': '50' };
    const r = await world.run('status');
    expect(row(r.out, 'designation', 'us-east-1')).toMatch(/primary +\/pay\/dev-control\/active-site \(differs from the writer: an operation is unfinished\)$/);
    expect(row(r.out, 'designation', 'us-west-2')).toMatch(/dr +\/pay\/dev-control\/active-site$/);
    expect(row(r.out, 'payment fence', 'us-east-1')).toMatch(/FENCED +pay-dev-use1-payment-processor reserved concurrency 0 \(before: 50\)$/);
    expect(r.out).not.toMatch(/^payment fence +us-west-2/m);
    expect(r.out).toMatch(/NOTE: the deployed config says "activeRegion": "primary" but the writer is dr: commit "activeRegion": "dr"/);
  });

  test('warns when DNS and the database writer disagree', async () => {
    world.writer = 'dr'; // health checks still see the primary as healthy (no writer change observed)
    world.lastWriterChange = world.now;
    const r = await world.run('status');
    expect(r.out).toMatch(/WARNING: DNS sends traffic to primary but the database writer is dr\./);
  });

  test('shows a switchover in progress', async () => {
    world.operation = { to: 'dr', dataLoss: false, completeAt: world.now + 60_000 };
    const r = await world.run('status');
    expect(r.out).toMatch(/^aurora global +- +switching-over +pay-dev-aurora-global, engine 16\.4, switching-over → arn:aws:rds:us-west-2:.*$/m);
  });

  test('--json prints the whole report', async () => {
    const r = await world.run('status', '--json');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out);
    expect(json.globalCluster).toMatchObject({ writer: 'primary', status: 'available', readFrom: 'us-west-2' });
    expect(json.rpoLag).toEqual({ cluster: CLUSTER_ID.dr, region: 'us-west-2', lag: { value: 800, at: '2025-01-15T11:59:00.000Z' } });
    expect(json.healthChecks.primary).toMatchObject({ healthy: true, healthyCheckers: 8, checkers: 8 });
    expect(json.dns).toMatchObject({ role: 'primary', basis: 'answer' });
    expect(json.dynamodb.replicas).toHaveLength(2);
    expect(json.s3.primary.rules[0]).toMatchObject({ id: 'artifacts-to-dr', replicationTimeControl: true, failedOperations: { value: 0 } });
    expect(json.s3.dr.rules).toEqual([]);
    expect(json.errors).toEqual([]);
  });
});
