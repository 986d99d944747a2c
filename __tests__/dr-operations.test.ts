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
    expect(topicOf('aws.primary').kms_master_key_id).toBe(synth.ref(stack.logsKey.keys['primary'].arn));
    expect(topicOf('aws.dr').kms_master_key_id).toBe(synth.ref(stack.logsKey.keys['dr'].arn));
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
    // active-site-unhealthy, no-region-healthy, and the drills' RTO guard (a FIS stop condition).
    expect(health.map((a) => a.alarm_name).sort()).toEqual(['pay-dev-use1-active-site-unhealthy', 'pay-dev-use1-drill-rto-breach', 'pay-dev-use1-no-region-healthy']);
    for (const a of health) expect(stack.config.regions[a.provider === 'aws.primary' ? 'primary' : 'dr'].region).toBe('us-east-1');
    const primary = health.find((a) => a.dimensions)!;
    expect(primary.dimensions.HealthCheckId).toBe(synth.ref(stack.dns.healthChecks.primary.id));
    const both = health.find((a) => a.metric_query && a.alarm_name.endsWith('no-region-healthy'))!;
    expect(both.metric_query.map((q: { id: string }) => q.id)).toEqual(['p', 'd', 'healthy']);
  });

  test.each(['aws.primary', 'aws.dr'])('%s: API 5xx rate and p99 latency of the payment routes, Lambda errors and throttles per function', (provider) => {
    const [rate] = find('5XXError', provider);
    expect(rate).toMatchObject({ threshold: 0.05, treat_missing_data: 'notBreaching' });
    // Only the payment routes: the passive region's /health answers 503 to the Route 53 checkers by design.
    const members = (rate.metric_query as Array<{ id: string; metric?: { metric_name: string; dimensions: Record<string, string> } }>).filter((q) => q.metric);
    expect(members.map((q) => `${q.metric!.metric_name} ${q.metric!.dimensions.Method} ${q.metric!.dimensions.Resource}`).sort()).toEqual([
      '5XXError GET /payments/{id}',
      '5XXError POST /payments',
      'Count GET /payments/{id}',
      'Count POST /payments',
    ]);
    expect(JSON.stringify(rate.metric_query)).not.toContain('/health');
    expect(rate.metric_query.find((q: { id: string }) => q.id === 'rate').expression).toBe('(FILL(e0, 0) + FILL(e1, 0)) / (FILL(c0, 0) + FILL(c1, 0))');
    expect(find('Latency', provider).filter((a) => a.namespace === 'AWS/ApiGateway')).toEqual([
      expect.objectContaining({ extended_statistic: 'p99', dimensions: expect.objectContaining({ Method: 'POST', Resource: '/payments' }) }),
    ]);
    const fnAlarms = alarms.filter((a) => a.provider === provider && a.namespace === 'AWS/Lambda');
    expect(fnAlarms.map((a) => `${a.dimensions.FunctionName}/${a.metric_name}`).sort()).toHaveLength(4);
  });

  test('DynamoDB and S3 replication, and backup failures, are watched in the primary region', () => {
    expect(find('ReplicationLatency', 'aws.primary').map((a) => a.namespace).sort()).toEqual(['AWS/DynamoDB', 'AWS/S3']);
    expect(find('OperationsFailedReplication', 'aws.primary')).toEqual([
      expect.objectContaining({ dimensions: expect.objectContaining({ RuleId: 'replicate-all-to-dr' }) }),
    ]);
    expect(alarms.filter((a) => a.namespace === 'AWS/Backup')).toEqual([]);
  });

  test('failed backup and copy jobs of this stack\'s vault reach the alert topics through EventBridge', () => {
    const vault = { name: 'pay-dev-use1-backup', arn: 'arn:aws:backup:us-east-1:123456789012:backup-vault:pay-dev-use1-backup' };
    expect(synth.bodyOf(stack.backup.vaults.primary).name).toBe(vault.name);
    // AWS Backup's rules (the Secrets Manager failure rule of issue 13 is asserted in active-region.test.ts; payment
    // events and the outbox sweep schedule have rules of their own, the schedule without a pattern).
    const rules = synth.list('aws_cloudwatch_event_rule').filter((r) => r.event_pattern && JSON.parse(r.event_pattern).source?.[0] === 'aws.backup');
    const patterns = rules
      .map((r) => [r.provider, JSON.parse(r.event_pattern)] as const)
      .sort((a, b) => `${a[0]} ${a[1]['detail-type']}`.localeCompare(`${b[0]} ${b[1]['detail-type']}`));
    expect(patterns).toEqual([
      ['aws.dr', { source: ['aws.backup'], 'detail-type': ['Copy Job State Change'], detail: { state: ['FAILED', 'PARTIAL'], sourceBackupVaultArn: [vault.arn] } }],
      ['aws.primary', { source: ['aws.backup'], 'detail-type': ['Backup Job State Change'], detail: { state: ['FAILED', 'ABORTED', 'EXPIRED'], backupVaultName: [vault.name] } }],
      ['aws.primary', { source: ['aws.backup'], 'detail-type': ['Copy Job State Change'], detail: { state: ['FAILED', 'PARTIAL'], sourceBackupVaultArn: [vault.arn] } }],
    ]);
    const backupRuleRefs = stack.observability.eventRules
      .filter((e) => JSON.parse(synth.bodyOf(e.rule).event_pattern).source[0] === 'aws.backup')
      .map((e) => synth.ref(e.rule.name));
    const targets = synth.list('aws_cloudwatch_event_target').filter((t) => backupRuleRefs.includes(t.rule));
    expect(targets).toHaveLength(3);
    const ruleNames = stack.observability.eventRules.map((r) => synth.ref(r.rule.name));
    for (const t of targets) {
      const role = t.provider === 'aws.primary' ? 'primary' : 'dr';
      expect(t.arn).toBe(topicRef(role));
      expect(ruleNames).toContain(t.rule);
      const rule = stack.observability.eventRules.find((r) => synth.ref(r.rule.name) === t.rule)!;
      expect(rule.ctx.role).toBe(role);
    }
  });

  test.each(['primary', 'dr'] as const)('%s: the topic lets this account, its alarms and its own EventBridge rules publish; the key lets EventBridge encrypt', (role) => {
    const region = stack.config.regions[role].region;
    const policy = synth.list('aws_sns_topic_policy').find((p) => p.arn === topicRef(role))!;
    const statements = Object.fromEntries(JSON.parse(policy.policy).Statement.map((s: { Sid: string }) => [s.Sid, s]));
    expect(Object.keys(statements)).toEqual(['OwnerAccount', 'CloudWatchAlarms', 'EventBridgeRules']);
    expect(statements.EventBridgeRules).toMatchObject({
      Principal: { Service: 'events.amazonaws.com' },
      Action: 'sns:Publish',
      Resource: topicRef(role),
      Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' }, ArnLike: { 'aws:SourceArn': `arn:aws:events:${region}:123456789012:rule/*` } },
    });
    expect(statements.CloudWatchAlarms.Condition.ArnLike['aws:SourceArn']).toBe(`arn:aws:cloudwatch:${region}:123456789012:alarm:*`);
    const key = role === 'primary' ? stack.logsKey.primaryKey : stack.logsKey.replicaKey;
    const keyStatement = JSON.parse(synth.bodyOf(key).policy).Statement.find((s: { Sid: string }) => s.Sid === 'EventBridgeRules');
    expect(keyStatement).toMatchObject({
      Principal: { Service: 'events.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      Condition: { ArnLike: { 'aws:SourceArn': `arn:aws:events:${region}:123456789012:rule/*` } },
    });
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
