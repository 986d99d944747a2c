import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { FaultInjection } from '../src/constructs/fault-injection';
import { RegionalNetwork } from '../src/constructs/regional-network';
import { fixtureStack, policyOf, synthDrStack } from './support/synth';

describe('FIS experiment templates: a regional outage of each site', () => {
  const { stack, synth } = synthDrStack();
  const roles = ['primary', 'dr'] as const;
  const peer = { primary: 'dr', dr: 'primary' } as const;

  test('one template per site, in the site\'s region, and nothing else of FIS', () => {
    expect(synth.count('aws_fis_experiment_template')).toBe(2);
    for (const role of roles) expect(synth.bodyOf(stack.faultInjection[role].template).provider).toBe(`aws.${role}`);
  });

  test.each(roles)('%s: isolates the site\'s subnets from the peer region and cuts the database subnets off', (role) => {
    const fi = stack.faultInjection[role];
    const net = stack[role].network;
    const body = synth.bodyOf(fi.template);
    expect(body.role_arn).toBe(synth.ref(fi.role.arn));
    // A target lists at most 5 ARNs (provider schema): 3 zones × 2 tiers = 6 site subnets → two targets, two actions.
    expect(body.target).toEqual([
      { name: 'site-subnets-1', resource_type: 'aws:ec2:subnet', selection_mode: 'ALL', resource_arns: [...net.privateSubnets, ...net.isolatedSubnets].slice(0, 5).map((s) => synth.ref(s.arn)) },
      { name: 'site-subnets-2', resource_type: 'aws:ec2:subnet', selection_mode: 'ALL', resource_arns: [...net.privateSubnets, ...net.isolatedSubnets].slice(5).map((s) => synth.ref(s.arn)) },
      { name: 'database-subnets', resource_type: 'aws:ec2:subnet', selection_mode: 'ALL', resource_arns: net.isolatedSubnets.map((s) => synth.ref(s.arn)) },
    ]);
    for (const t of body.target as Array<{ resource_arns: unknown[] }>) expect(t.resource_arns.length).toBeLessThanOrEqual(5);
    const actions = Object.fromEntries((body.action as Array<Record<string, any>>).map((a) => [a.name, a]));
    expect(Object.keys(actions).sort()).toEqual(['cut-database-path', 'isolate-from-peer-region-1', 'isolate-from-peer-region-2']);
    for (const n of [1, 2]) {
      expect(actions[`isolate-from-peer-region-${n}`]).toMatchObject({
        action_id: 'aws:network:route-table-disrupt-cross-region-connectivity',
        parameter: [
          { key: 'region', value: stack[peer[role]].ctx.region },
          { key: 'duration', value: 'PT30M' },
        ],
        target: { key: 'Subnets', value: `site-subnets-${n}` },
      });
      expect(actions[`isolate-from-peer-region-${n}`].start_after).toBeUndefined();
    }
    expect(actions['cut-database-path']).toMatchObject({
      action_id: 'aws:network:disrupt-connectivity',
      parameter: [
        { key: 'scope', value: 'all' },
        { key: 'duration', value: 'PT30M' },
      ],
      target: { key: 'Subnets', value: 'database-subnets' },
    });
    expect(body.experiment_options).toEqual({ account_targeting: 'single-account', empty_target_resolution_mode: 'fail' });
  });

  test('stop conditions: the kill switch of each site, and the RTO guard on the platform\'s health checks where it lives (us-east-1)', () => {
    const stops = (role: 'primary' | 'dr') => synth.bodyOf(stack.faultInjection[role].template).stop_condition;
    expect(stops('primary')).toEqual([
      { source: 'aws:cloudwatch:alarm', value: synth.ref(stack.drillRtoGuard.arn) },
      { source: 'aws:cloudwatch:alarm', value: synth.ref(stack.faultInjection.primary.stopAlarm.arn) },
    ]);
    expect(stops('dr')).toEqual([{ source: 'aws:cloudwatch:alarm', value: synth.ref(stack.faultInjection.dr.stopAlarm.arn) }]);

    const guard = synth.bodyOf(stack.drillRtoGuard);
    expect(guard.provider).toBe('aws.primary');
    // The dev objective (1800 s, manual mode counted honestly: dr-report.md): 30 one-minute periods of no healthy region.
    expect(stack.config.objectives.rtoSeconds).toBe(1800);
    expect(guard).toMatchObject({ evaluation_periods: 30, threshold: 1, comparison_operator: 'LessThanThreshold', treat_missing_data: 'notBreaching' });
    const healthIds = guard.metric_query.filter((q: any) => q.metric).map((q: any) => q.metric[0]?.dimensions?.HealthCheckId ?? q.metric.dimensions.HealthCheckId);
    expect(healthIds).toEqual([synth.ref(stack.dns.healthChecks.primary.id), synth.ref(stack.dns.healthChecks.dr.id)]);

    for (const role of roles) {
      const kill = synth.bodyOf(stack.faultInjection[role].stopAlarm);
      expect(kill).toMatchObject({ provider: `aws.${role}`, namespace: 'PaymentsDR/Drill', metric_name: 'StopRequested', dimensions: { Site: role } });
      expect(kill.alarm_actions).toEqual([synth.ref(stack.observability.topics[stack[role].ctx.region].arn)]);
      expect(kill.alarm_description).toMatch(/aws cloudwatch set-alarm-state --region \S+ --alarm-name pay-dev-\w+-drill-stop --state-value ALARM/);
    }
  });

  test.each(roles)('%s: the experiment logs to a log group encrypted with our key, written by the log delivery service only', (role) => {
    const fi = stack.faultInjection[role];
    const body = synth.bodyOf(fi.template);
    expect(body.log_configuration).toEqual({ log_schema_version: 2, cloudwatch_logs_configuration: { log_group_arn: `${synth.ref(fi.logGroup.arn)}:*` } });
    const group = synth.bodyOf(fi.logGroup);
    expect(group.kms_key_id).toBe(synth.ref(stack.logsKey.keys[role].arn));
    expect(group.name).toMatch(/^\/aws\/vendedlogs\/fis\//);
    const policies = synth.inRegion('aws_cloudwatch_log_resource_policy', role);
    expect(policies).toHaveLength(1);
    const doc = policyOf(policies[0].policy_document);
    expect(doc.Statement).toEqual([
      expect.objectContaining({
        Principal: { Service: 'delivery.logs.amazonaws.com' },
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: [`${synth.ref(fi.logGroup.arn)}:log-stream:*`],
      }),
    ]);
  });

  test.each(roles)('%s: a least-privilege role: FIS of this account and region only; creations tag-scoped; the rest on this site', (role) => {
    const fi = stack.faultInjection[role];
    const net = stack[role].network;
    const region = stack[role].ctx.region;
    const trust = policyOf(synth.bodyOf(fi.role).assume_role_policy).Statement[0];
    expect(trust).toEqual({
      Effect: 'Allow',
      Principal: { Service: 'fis.amazonaws.com' },
      Action: 'sts:AssumeRole',
      Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' }, ArnLike: { 'aws:SourceArn': `arn:aws:fis:${region}:123456789012:experiment/*` } },
    });
    const policies = synth.list('aws_iam_role_policy').filter((p) => p.role === synth.ref(fi.role.id));
    expect(policies).toHaveLength(1);
    const statements = policyOf(policies[0].policy).Statement;
    const sid = (s: string) => statements.find((x) => x.Sid === s)!;
    // No action on every resource except the Describe and log-delivery calls that have no resource-level permissions.
    for (const s of statements.filter((x) => x.Resource === '*')) {
      for (const a of s.Action) expect(a).toMatch(/^ec2:Describe|^logs:(CreateLogDelivery|DescribeLogGroups|DescribeResourcePolicies)$/);
    }
    // What FIS creates and later changes or deletes carries its tag.
    expect(sid('CreateFisResources').Condition).toEqual({ StringEquals: { 'aws:RequestTag/managedByFIS': 'true' } });
    expect(sid('ChangeAndRemoveFisResources').Condition).toEqual({ StringEquals: { 'ec2:ResourceTag/managedByFIS': 'true' } });
    for (const r of sid('ChangeAndRemoveFisResources').Resource) expect(r).toMatch(new RegExp(`^arn:aws:ec2:${region}:123456789012:`));
    // Untagged resources: only this site's VPC, subnets, route tables, default network ACL and gateway endpoints.
    expect(sid('CreateInSiteVpc').Resource).toEqual([synth.ref(net.vpc.arn)]);
    expect(sid('SwapSiteRouteTables').Resource).toEqual([
      ...[...net.privateSubnets, ...net.isolatedSubnets].map((s) => synth.ref(s.arn)),
      ...net.internalRouteTables.map((rt) => synth.ref(rt.arn)),
    ]);
    expect(sid('SwapDatabaseSubnetAcl').Resource).toEqual([
      ...net.isolatedSubnets.map((s) => synth.ref(s.arn)),
      `arn:aws:ec2:${region}:123456789012:network-acl/${synth.ref(net.vpc.defaultNetworkAclId)}`,
    ]);
    expect(sid('KeepGatewayEndpointsOnFisRouteTables').Resource).toEqual([synth.ref(net.gatewayEndpoints.s3.arn), synth.ref(net.gatewayEndpoints.dynamodb.arn)]);
    // The other site is never a target.
    const other = stack[peer[role]].network;
    const text = JSON.stringify(statements);
    for (const s of [...other.privateSubnets, ...other.isolatedSubnets]) expect(text).not.toContain(synth.ref(s.arn));
  });

  test('outputs name each site\'s template and the profile for the drill', () => {
    const outputs = synth.json.output;
    expect(outputs['fis-experiment-template-primary'].value).toBe(synth.ref(stack.faultInjection.primary.template.id));
    expect(outputs['fis-experiment-template-dr'].value).toBe(synth.ref(stack.faultInjection.dr.template.id));
    expect(outputs['environment-profile'].value).toBe('dev');
  });
});

describe('FaultInjection validation', () => {
  const topic = (fx: ReturnType<typeof fixtureStack>) => new SnsTopic(fx.stack, 'topic', { provider: fx.primary.provider, name: 'alerts' });
  const build = (props: Partial<ConstructorParameters<typeof FaultInjection>[2]> = {}) => {
    const fx = fixtureStack();
    const alertTopic = topic(fx);
    const network = new RegionalNetwork(fx.stack, 'net', { ctx: fx.primary, cidr: '10.0.0.0/16', logKey: { arn: 'arn:aws:kms:us-east-1:123456789012:key/k', keyId: 'k' }, logRetentionDays: 30 });
    return () =>
      new FaultInjection(fx.stack, 'fi', {
        ctx: fx.primary,
        network,
        peerRegion: 'us-west-2',
        logKey: { arn: 'arn:aws:kms:us-east-1:123456789012:key/k', keyId: 'k' },
        logRetentionDays: 30,
        alertTopic,
        ...props,
      });
  };

  test('maxDuration must be PT1M..PT12H', () => {
    expect(build({ maxDuration: 'PT13H' })).toThrow(/maxDuration "PT13H" must be an ISO 8601 duration from PT1M to PT12H/);
    expect(build({ maxDuration: '30m' })).toThrow(/maxDuration "30m"/);
    expect(build({ maxDuration: 'PT2H30M' })).not.toThrow();
  });

  test('stop alarms must be in the experiment\'s region', () => {
    const fx = fixtureStack();
    const network = new RegionalNetwork(fx.stack, 'net', { ctx: fx.primary, cidr: '10.0.0.0/16', logKey: { arn: 'arn:aws:kms:us-east-1:123456789012:key/k', keyId: 'k' }, logRetentionDays: 30 });
    const elsewhere = new CloudwatchMetricAlarm(fx.stack, 'elsewhere', {
      provider: fx.dr.provider,
      alarmName: 'x',
      namespace: 'AWS/ApiGateway',
      metricName: '5XXError',
      statistic: 'Average',
      period: 60,
      evaluationPeriods: 1,
      threshold: 0.05,
      comparisonOperator: 'GreaterThanThreshold',
    });
    const logKey = { arn: 'arn:aws:kms:us-east-1:123456789012:key/k', keyId: 'k' };
    expect(() => new FaultInjection(fx.stack, 'fi', { ctx: fx.primary, network, peerRegion: 'us-west-2', logKey, logRetentionDays: 30, alertTopic: topic(fx), stopAlarms: [elsewhere] })).toThrow(
      /stop alarm fixture\/elsewhere is in us-west-2; stop conditions must be alarms of the experiment's region \(us-east-1\)/,
    );
  });

  test('the peer region must be another region', () => {
    expect(build({ peerRegion: 'us-east-1' })).toThrow(/peerRegion must be the other site's region, got us-east-1/);
  });
});
