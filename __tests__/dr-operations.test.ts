import { synthDrStack } from './support/synth';

describe('alarms, topics and dashboards', () => {
  const { stack, synth } = synthDrStack();
  // The pager's alarms and topics (regional-pager.test.ts) are left out here.
  const alarms = synth.list('aws_cloudwatch_metric_alarm').filter((a) => a.namespace !== 'PaymentsDR/Prober');
  const alertTopics = synth.list('aws_sns_topic').filter((t) => /dr-alerts/.test(t.name));
  const topicOf = (provider: string) => alertTopics.find((t) => t.provider === provider)!;
  const topicRef = (role: 'primary' | 'dr') => synth.ref(stack.observability.topics[stack.config.regions[role].region].arn);

  test('an SNS topic per region, encrypted with our key, with the configured e-mail subscriptions', () => {
    expect(alertTopics.map((t) => t.provider).sort()).toEqual(['aws.dr', 'aws.primary']);
    expect(topicOf('aws.primary').kms_master_key_id).toBe(synth.ref(stack.logsKey.in('primary').arn));
    expect(topicOf('aws.dr').kms_master_key_id).toBe(synth.ref(stack.logsKey.in('dr').arn));
    const alertArns = (['primary', 'dr'] as const).map(topicRef);
    const subs = synth.list('aws_sns_topic_subscription').filter((s) => alertArns.includes(s.topic_arn));
    expect(subs).toHaveLength(2);
    for (const s of subs) expect(s).toMatchObject({ protocol: 'email', endpoint: 'payments-oncall@example.com' });
  });

  test('every alarm notifies the topic of its own region', () => {
    expect(alarms.length).toBeGreaterThan(15);
    for (const a of alarms) {
      const role = a.provider === 'aws.primary' ? 'primary' : 'dr';
      expect(a.alarm_actions).toEqual([topicRef(role)]);
      expect(a.ok_actions).toEqual([topicRef(role)]);
    }
  });

  const find = (metric: string, provider?: string) =>
    alarms.filter((a) => (a.metric_name === metric || JSON.stringify(a.metric_query ?? '').includes(metric)) && (!provider || a.provider === provider));

  test('Aurora replication lag on the DR cluster, in the DR region, at half the RPO objective', () => {
    const [lag] = find('AuroraGlobalDBRPOLag');
    expect(lag).toMatchObject({
      provider: 'aws.dr',
      namespace: 'AWS/RDS',
      dimensions: { DBClusterIdentifier: 'pay-dev-usw2-aurora' },
      threshold: 30000,
      comparison_operator: 'GreaterThanThreshold',
    });
    expect(synth.bodyOf(stack.database.secondaryCluster).cluster_identifier).toBe('pay-dev-usw2-aurora');
  });

  test('Route 53 health-check alarms live in us-east-1', () => {
    const health = find('HealthCheckStatus');
    expect(health).toHaveLength(2);
    for (const a of health) expect(stack.config.regions[a.provider === 'aws.primary' ? 'primary' : 'dr'].region).toBe('us-east-1');
    const primary = health.find((a) => a.dimensions)!;
    expect(primary.dimensions.HealthCheckId).toBe(synth.ref(stack.dns.healthChecks.primary.id));
    const both = health.find((a) => a.metric_query)!;
    expect(both.metric_query.map((q: { id: string }) => q.id)).toEqual(['p', 'd', 'healthy']);
  });

  test.each(['aws.primary', 'aws.dr'])('%s: API 5xx rate and p99 latency, Lambda errors and throttles per function', (provider) => {
    expect(find('5XXError', provider)).toEqual([expect.objectContaining({ statistic: 'Average', threshold: 0.05 })]);
    expect(find('Latency', provider).filter((a) => a.namespace === 'AWS/ApiGateway')).toEqual([expect.objectContaining({ extended_statistic: 'p99' })]);
    const fnAlarms = alarms.filter((a) => a.provider === provider && a.namespace === 'AWS/Lambda');
    expect(fnAlarms.map((a) => `${a.dimensions.FunctionName}/${a.metric_name}`).sort()).toHaveLength(4);
  });

  test('DynamoDB and S3 replication, and backup failures, are watched in the primary region', () => {
    expect(find('ReplicationLatency', 'aws.primary').map((a) => a.namespace).sort()).toEqual(['AWS/DynamoDB', 'AWS/S3']);
    expect(find('OperationsFailedReplication', 'aws.primary')).toEqual([
      expect.objectContaining({ dimensions: expect.objectContaining({ RuleId: 'replicate-all-to-dr' }) }),
    ]);
    expect(find('NumberOfBackupJobsFailed', 'aws.primary')).toHaveLength(1);
    expect(find('NumberOfCopyJobsFailed', 'aws.primary')).toHaveLength(1);
  });

  test('one dashboard per region, each showing both regions side by side', () => {
    const dashboards = synth.list('aws_cloudwatch_dashboard');
    expect(dashboards.map((d) => d.provider).sort()).toEqual(['aws.dr', 'aws.primary']);
    for (const d of dashboards) {
      const widgets = JSON.parse(d.dashboard_body).widgets as Array<{ x: number; properties: { region?: string } }>;
      const regions = new Set(widgets.map((w) => w.properties.region).filter(Boolean));
      expect(regions).toEqual(new Set(['us-east-1', 'us-west-2']));
      expect(new Set(widgets.map((w) => w.x))).toEqual(new Set([0, 12]));
    }
  });

  test('rds.global_db_rpo carries the RPO objective into the primary\'s parameter group only', () => {
    const rpo = (role: 'primary' | 'dr') =>
      (synth.bodyOf(stack.database.parameterGroups[role]).parameter as Array<{ name: string; value: string }>).find((p) => p.name === 'rds.global_db_rpo');
    expect(rpo('primary')).toMatchObject({ value: '60', apply_method: 'immediate' });
    // a promoted DR cluster must never block commits waiting for the lost region
    expect(rpo('dr')).toBeUndefined();
  });
});
