// Paging from the surviving region, and the automatic failover controller, as synthesized.
import { failoverDefinition } from '../src/constructs/failover-controller';
import { policyOf, synthDrStack, type Json } from './support/synth';

const PRIMARY = 'us-east-1';
const DR = 'us-west-2';

describe('a pager that survives the region it watches (manual mode, dev defaults)', () => {
  const { stack, synth } = synthDrStack({
    alerts: {
      subscriptions: [
        { protocol: 'https', endpoint: 'https://events.example.com/integration/abc/enqueue' },
        { protocol: 'sms', endpoint: '+14155550100' },
      ],
    },
  });
  const fnNamed = (name: string) => synth.list('aws_lambda_function').find((f) => f.function_name === name)!;

  test.each([
    ['primary', PRIMARY, DR],
    ['dr', DR, PRIMARY],
  ] as const)('%s region: a pager topic with our key, subscribed by e-mail, HTTPS and SMS', (role, region, _peer) => {
    const pager = stack.pagers[role];
    const topic = synth.bodyOf(pager.topic);
    expect(topic).toMatchObject({ provider: `aws.${role}`, name: `pay-dev-${region === PRIMARY ? 'use1' : 'usw2'}-pager` });
    expect(topic.kms_master_key_id).toBe(synth.ref(stack.logsKey.in(role).arn));
    const subs = synth.list('aws_sns_topic_subscription').filter((s) => s.topic_arn === synth.ref(pager.topic.arn));
    expect(subs.map((s) => [s.protocol, s.endpoint]).sort()).toEqual([
      ['email', 'payments-oncall@example.com'],
      ['https', 'https://events.example.com/integration/abc/enqueue'],
      ['sms', '+14155550100'],
    ]);
  });

  test('the alert topics (Route 53 health alarms in us-east-1, RPO and replication alarms) page through the same HTTPS and SMS subscriptions', () => {
    const regions = Object.keys(stack.observability.topics).sort();
    expect(regions).toEqual([PRIMARY, DR].sort());
    for (const region of regions) {
      const topic = stack.observability.topics[region];
      const subs = synth.list('aws_sns_topic_subscription').filter((s) => s.topic_arn === synth.ref(topic.arn));
      expect([region, subs.map((s) => [s.protocol, s.endpoint]).sort()]).toEqual([
        region,
        [
          ['email', 'payments-oncall@example.com'],
          ['https', 'https://events.example.com/integration/abc/enqueue'],
          ['sms', '+14155550100'],
        ],
      ]);
    }
  });

  test.each([
    ['primary', DR],
    ['dr', PRIMARY],
  ] as const)('the %s prober probes the other region (%s) from outside any VPC, every 10 s within a one-minute schedule', (role, peerRegion) => {
    const pager = stack.pagers[role];
    const peerRole = role === 'primary' ? 'dr' : 'primary';
    const fn = synth.bodyOf(pager.prober.function);
    expect(fn.provider).toBe(`aws.${role}`);
    expect(fn.vpc_config).toBeUndefined();
    const env = fn.environment.variables;
    expect(env).toMatchObject({ SITE: role, PEER_REGION: peerRegion, PROBE_INTERVAL_MS: '10000', PROBE_TIMEOUT_MS: '3000', FAILURE_THRESHOLD: '3' });
    expect(env.PEER_HEALTH_URL).toBe(`https://${synth.ref(stack.runtime[peerRole].api.executeApiHost)}/v1/health`);
    expect(env.OWN_HEALTH_URL).toBe(`https://${synth.ref(stack.runtime[role].api.executeApiHost)}/v1/health`);
    expect(env.PEER_STATUS_RECORD).toBe(`_status-${peerRole}.payments.example.com`);
    expect(env.STATE_MACHINE_ARN).toBeUndefined();
    const schedule = synth.bodyOf(pager.schedule);
    expect(schedule).toMatchObject({ provider: `aws.${role}`, schedule_expression: 'rate(1 minute)', flexible_time_window: { mode: 'OFF' } });
    expect(schedule.target.arn).toBe(synth.ref(pager.prober.function.arn));
  });

  test('the prober\'s permissions: metrics only in its namespace, its state, the designation; it cannot start anything in manual mode', () => {
    const statements = (['primary', 'dr'] as const).flatMap((r) => policyOf(synth.bodyOf(stack.pagers[r].prober.policy).policy).Statement);
    const metrics = statements.find((s) => s.Sid === 'ProberMetrics')!;
    expect(metrics).toMatchObject({ Action: ['cloudwatch:PutMetricData'], Resource: '*', Condition: { StringEquals: { 'cloudwatch:namespace': 'PaymentsDR/Prober' } } });
    expect(statements.some((s) => s.Sid === 'StartController')).toBe(false);
    expect(synth.count('aws_sfn_state_machine')).toBe(0);
  });

  test.each(['primary', 'dr'] as const)('%s region: high-resolution alarms on the prober page through that region\'s topic', (role) => {
    const pager = stack.pagers[role];
    const peerRegion = role === 'primary' ? DR : PRIMARY;
    const down = synth.bodyOf(pager.alarms.peerDown);
    expect(down).toMatchObject({
      provider: `aws.${role}`,
      namespace: 'PaymentsDR/Prober',
      metric_name: 'PeerUp',
      dimensions: { PeerRegion: peerRegion },
      period: 10,
      evaluation_periods: 3,
      datapoints_to_alarm: 3,
      comparison_operator: 'LessThanThreshold',
      treat_missing_data: 'notBreaching',
    });
    expect(down.alarm_actions).toEqual([synth.ref(pager.topic.arn)]);
    expect(synth.bodyOf(pager.alarms.proberSilent)).toMatchObject({ statistic: 'SampleCount', treat_missing_data: 'breaching' });
    expect(synth.bodyOf(pager.alarms.ownSiteNotReady)).toMatchObject({ metric_name: 'OwnSiteUp', period: 10 });
  });

  test('Route 53 health alarms stay in us-east-1 as well', () => {
    const r53 = synth.list('aws_cloudwatch_metric_alarm').filter((a) => a.namespace === 'AWS/Route53' || JSON.stringify(a.metric_query ?? '').includes('AWS/Route53'));
    expect(r53.length).toBeGreaterThan(0);
    for (const a of r53) expect(a.provider).toBe('aws.primary');
  });

  test('Route 53\'s view of each site is a failover TXT record: PRIMARY "healthy" with the site\'s check, SECONDARY "unhealthy"', () => {
    const records = synth.list('aws_route53_record').filter((r) => r.type === 'TXT');
    expect(records).toHaveLength(4);
    for (const role of ['primary', 'dr'] as const) {
      const mine = records.filter((r) => r.name === `_status-${role}.payments.example.com`);
      const primary = mine.find((r) => r.failover_routing_policy.type === 'PRIMARY')!;
      const secondary = mine.find((r) => r.failover_routing_policy.type === 'SECONDARY')!;
      expect(primary).toMatchObject({ records: ['healthy'], ttl: 5, health_check_id: synth.ref(stack.dns.healthChecks[role].id) });
      expect(secondary).toMatchObject({ records: ['unhealthy'], ttl: 5 });
      expect(secondary.health_check_id).toBeUndefined();
    }
  });

  test('no provisioned concurrency in dev: the API invokes the payment function itself', () => {
    expect(synth.count('aws_lambda_provisioned_concurrency_config')).toBe(0);
    expect(fnNamed('pay-dev-use1-payment-processor').publish).toBeUndefined();
  });

  test('outputs for the CLI: mode, control path, pager topics; no controller outputs in manual mode', () => {
    const outputs = synth.json.output as Record<string, Json>;
    expect(outputs['failover-mode'].value).toBe('manual');
    expect(outputs['control-path'].value).toBe('/pay/dev-control');
    expect(outputs['pager-topic-dr'].value).toBe(synth.ref(stack.pagers.dr.topic.arn));
    expect(outputs['kill-switch-parameter-name']).toBeUndefined();
  });

  test('bad pager subscriptions fail config with field, value and fix', () => {
    expect(() => synthDrStack({ alerts: { subscriptions: [{ protocol: 'sms', endpoint: '555-0100' }] } })).toThrow(
      /alerts\.subscriptions\.0\.endpoint: "555-0100" must be a phone number in E\.164 form/,
    );
    expect(() => synthDrStack({ alerts: { subscriptions: [{ protocol: 'https', endpoint: 'http://x.example.com' }] } })).toThrow(/must be an https:\/\/ URL/);
  });
});

describe('automatic mode: the controller in the passive region', () => {
  const { stack, synth } = synthDrStack({ failover: { mode: 'automatic' }, api: { paymentProvisionedConcurrency: 2 } });
  const controller = stack.controller!;

  test('one state machine, in the passive (DR) region, logging every state with its data, traced', () => {
    expect(synth.count('aws_sfn_state_machine')).toBe(1);
    const sm = synth.bodyOf(controller.stateMachine);
    expect(sm).toMatchObject({ provider: 'aws.dr', type: 'STANDARD', name: 'pay-dev-usw2-failover', tracing_configuration: { enabled: true } });
    expect(sm.logging_configuration).toEqual({ log_destination: `${synth.ref(controller.logGroup.arn)}:*`, include_execution_data: true, level: 'ALL' });
    expect(synth.bodyOf(controller.logGroup).kms_key_id).toBe(synth.ref(stack.logsKey.in('dr').arn));
    // The definition invokes the task Lambda through its provisioned alias.
    expect(sm.definition).toContain(synth.ref(controller.function.invokeTarget.arn));
    expect(controller.stateMachineArn).toBe('arn:aws:states:us-west-2:123456789012:stateMachine:pay-dev-usw2-failover');
  });

  test('only the passive region\'s prober may start it', () => {
    const dr = synth.bodyOf(stack.pagers.dr.prober.function).environment.variables;
    const primary = synth.bodyOf(stack.pagers.primary.prober.function).environment.variables;
    expect(dr.STATE_MACHINE_ARN).toBe(controller.stateMachineArn);
    expect(primary.STATE_MACHINE_ARN).toBeUndefined();
    const start = synth
      .list('aws_iam_role_policy')
      .flatMap((p) => policyOf(p.policy).Statement)
      .filter((s) => JSON.stringify(s.Action).includes('states:StartExecution'));
    expect(start).toEqual([{ Sid: 'StartController', Effect: 'Allow', Action: ['states:StartExecution'], Resource: [controller.stateMachineArn] }]);
  });

  test('the kill switch, the operation lock and the run record live in the controller region and survive deploys', () => {
    expect(synth.bodyOf(controller.killSwitch)).toMatchObject({ provider: 'aws.dr', name: '/pay/dev-control/auto-failover', value: 'enabled', lifecycle: { ignore_changes: ['value'] } });
    expect(synth.bodyOf(controller.operationLock)).toMatchObject({ name: '/pay/dev-control/operation-in-progress', value: 'none' });
    expect(synth.bodyOf(controller.lastRun)).toMatchObject({ name: '/pay/dev-control/auto-failover-last-run', tier: 'Advanced' });
  });

  test('the task Lambda: outside any VPC, provisioned concurrency 1 on its alias, exactly the actions the failover needs', () => {
    const fn = synth.bodyOf(controller.function.function);
    expect(fn).toMatchObject({ provider: 'aws.dr', publish: true });
    expect(fn.vpc_config).toBeUndefined();
    const pcs = synth.list('aws_lambda_provisioned_concurrency_config').filter((p) => p.function_name === synth.ref(controller.function.function.functionName));
    expect(pcs).toEqual([expect.objectContaining({ qualifier: synth.ref(controller.function.alias!.name), provisioned_concurrent_executions: 1 })]);
    expect(synth.bodyOf(controller.function.alias!).name).toBe('live');
    const statements = policyOf(synth.bodyOf(controller.function.policy).policy).Statement;
    const actions = statements.flatMap((s) => s.Action).sort();
    expect(actions).toEqual(
      [
        'cloudwatch:GetMetricData',
        'kms:Decrypt',
        'kms:Decrypt',
        'kms:GenerateDataKey',
        'lambda:PutFunctionConcurrency',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'rds:DescribeGlobalClusters',
        'rds:FailoverGlobalCluster',
        'rds:ModifyDBClusterParameterGroup',
        'secretsmanager:GetSecretValue',
        'sns:Publish',
        'ssm:GetParameter',
        'ssm:PutParameter',
        'ssm:PutParameter',
        'states:ListExecutions',
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
      ].sort(),
    );
    const byId = (sid: string) => statements.find((s) => s.Sid === sid)!;
    expect(byId('FenceFailedRegion').Resource).toEqual([synth.ref(stack.runtime.primary.paymentFunction.function.arn)]);
    expect(byId('GlobalDbRpo').Resource).toEqual([synth.ref(stack.database.parameterGroups.dr.arn)]);
    expect(byId('PromoteThisCluster').Resource).toEqual([`arn:aws:rds::123456789012:global-cluster:${synth.ref(stack.database.globalClusterIdentifier)}`, synth.ref(stack.database.secondaryCluster.arn)]);
    expect(byId('FenceDesignationInFailedRegion').Resource).toEqual(['arn:aws:ssm:us-east-1:123456789012:parameter/pay/dev-control/active-site']);
  });

  test('payment functions have provisioned concurrency on an alias the API invokes', () => {
    for (const role of ['primary', 'dr'] as const) {
      const pay = stack.runtime[role].paymentFunction;
      expect(pay.alias).toBeDefined();
      const pc = synth.list('aws_lambda_provisioned_concurrency_config').find((p) => p.function_name === synth.ref(pay.function.functionName))!;
      expect(pc).toMatchObject({ qualifier: synth.ref(pay.alias!.name), provisioned_concurrent_executions: 2 });
      const integrations = synth.inRegion('aws_api_gateway_integration', role).filter((i) => i.uri === synth.ref(pay.alias!.invokeArn));
      expect(integrations).toHaveLength(2);
      const permissions = synth.inRegion('aws_lambda_permission', role).filter((p) => p.function_name === synth.ref(pay.function.functionName));
      for (const p of permissions) expect(p.qualifier).toBe(synth.ref(pay.alias!.name));
    }
  });

  test('with activeRegion "dr" the controller moves to the primary region (symmetric)', () => {
    const { stack: swapped, synth: s2 } = synthDrStack({ activeRegion: 'dr', failover: { mode: 'automatic' } });
    expect(s2.bodyOf(swapped.controller!.stateMachine).provider).toBe('aws.primary');
    expect(s2.bodyOf(swapped.pagers.primary.prober.function).environment.variables.STATE_MACHINE_ARN).toBe(swapped.controller!.stateMachineArn);
    expect(s2.bodyOf(swapped.pagers.dr.prober.function).environment.variables.STATE_MACHINE_ARN).toBeUndefined();
  });
});

describe('the state machine definition', () => {
  const def = failoverDefinition('arn:aws:lambda:us-west-2:123456789012:function:ctl:live') as { StartAt: string; States: Record<string, Json> };
  const branches = def.States.FailoverAndFence.Branches as Array<{ StartAt: string; States: Record<string, Json> }>;

  const targets = (state: Json): string[] => [
    ...(state.Next ? [state.Next] : []),
    ...(state.Default ? [state.Default] : []),
    ...((state.Choices ?? []) as Json[]).map((c) => c.Next),
    ...((state.Catch ?? []) as Json[]).map((c) => c.Next),
  ];

  test.each([['top level', def], ['promotion branch', branches[0]], ['fencing branch', branches[1]]] as const)('%s: every transition names a state of its scope, every state is reachable', (_w, scope) => {
    const names = Object.keys(scope.States);
    const seen = new Set<string>([scope.StartAt]);
    const queue = [scope.StartAt];
    while (queue.length) {
      const s = scope.States[queue.shift()!];
      for (const t of targets(s)) {
        expect(names).toContain(t);
        if (!seen.has(t)) {
          seen.add(t);
          queue.push(t);
        }
      }
    }
    expect([...seen].sort()).toEqual(names.sort());
  });

  test('the order is the CLI\'s: decide, page, promote ∥ fence, designate, rds.global_db_rpo, prove a write, finish', () => {
    const path: string[] = [];
    let at = def.StartAt;
    while (at && path.length < 20) {
      path.push(at);
      const s = def.States[at];
      at = s.Type === 'Choice' ? s.Choices[0].Next : s.Next;
    }
    expect(path).toEqual(['Decide', 'Go?', 'PageStart', 'FailoverAndFence', 'Designate', 'SetRpo', 'ProveWrite', 'Finish', 'Done']);
    expect(branches.map((b) => b.StartAt)).toEqual(['Promote', 'Fence']);
    expect(def.States['Go?'].Default).toBe('Refused');
  });

  test('every task outside the branches catches into RecordFailure (which records and pages), except the page, which continues', () => {
    for (const [name, s] of Object.entries(def.States)) {
      if (s.Type !== 'Task' && s.Type !== 'Parallel') continue;
      if (name === 'RecordFailure') expect(s.Catch[0].Next).toBe('Failed');
      else if (name === 'PageStart') expect(s.Catch[0].Next).toBe('FailoverAndFence');
      else expect(s.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'RecordFailure' }]);
      if (s.Type === 'Task') {
        expect(s.Parameters.Payload['state.$']).toBe('$');
        expect(s.TimeoutSeconds).toBeGreaterThan(0);
      }
    }
    expect(def.States.RecordFailure.Parameters.Payload.action).toBe('fail');
  });

  test('fencing can neither block nor fail the promotion: its own timeout, its own catch', () => {
    const fence = branches[1].States.Fence;
    expect(fence.TimeoutSeconds).toBe(15);
    expect(fence.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.fenceError', Next: 'FenceGaveUp' }]);
    expect(fence.Retry).toHaveLength(1); // Lambda's transient errors only: no waiting on the failed region
  });

  test('the promotion waits in a loop of polls, its tasks retried', () => {
    const p = branches[0].States;
    expect(p.WaitForWriter).toEqual({ Type: 'Wait', Seconds: 5, Next: 'CheckWriter' });
    expect(p['Writer?'].Choices[0]).toEqual({ Variable: '$.promotion.done', BooleanEquals: true, Next: 'Promoted' });
    expect(p['Writer?'].Default).toBe('WaitForWriter');
    expect(p.Promote.Retry.map((r: Json) => r.ErrorEquals[0])).toEqual(['Lambda.ServiceException', 'States.TaskFailed']);
  });
});
