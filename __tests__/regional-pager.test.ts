// Paging from the surviving region, and the automatic failover controller, as synthesized.
import { failoverDefinition } from '../src/constructs/failover-controller';
import { TerraformResource } from 'cdktf';
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
    expect(topic.kms_master_key_id).toBe(synth.ref(stack.logsKey.keys[role].arn));
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

describe('automatic mode: a controller in each region', () => {
  const { stack, synth } = synthDrStack({ failover: { mode: 'automatic' }, api: { paymentProvisionedConcurrency: 2 } });
  const controller = stack.controller!;
  const controllers = stack.controllers!;

  test('one state machine per region, logging every state with its data, traced; the armed one is the passive region\'s', () => {
    expect(synth.count('aws_sfn_state_machine')).toBe(2);
    expect(controller).toBe(controllers.dr);
    for (const [role, code] of [['primary', 'use1'], ['dr', 'usw2']] as const) {
      const c = controllers[role];
      const sm = synth.bodyOf(c.stateMachine);
      expect(sm).toMatchObject({ provider: `aws.${role}`, type: 'STANDARD', name: `pay-dev-${code}-failover`, tracing_configuration: { enabled: true } });
      expect(sm.logging_configuration).toEqual({ log_destination: `${synth.ref(c.logGroup.arn)}:*`, include_execution_data: true, level: 'ALL' });
      expect(synth.bodyOf(c.logGroup).kms_key_id).toBe(synth.ref(stack.logsKey.keys[role].arn));
      expect(synth.bodyOf(c.function.logGroup).kms_key_id).toBe(synth.ref(stack.logsKey.keys[role].arn));
      // The definition invokes the task Lambda through its provisioned alias.
      expect(sm.definition).toContain(synth.ref(c.function.invokeTarget.arn));
    }
    expect(controller.stateMachineArn).toBe('arn:aws:states:us-west-2:123456789012:stateMachine:pay-dev-usw2-failover');
    expect(controllers.primary.stateMachineArn).toBe('arn:aws:states:us-east-1:123456789012:stateMachine:pay-dev-use1-failover');
  });

  test('each controller fails over TO its own region: its cluster, its parameter group; it fences the other region', () => {
    for (const role of ['primary', 'dr'] as const) {
      const other = role === 'primary' ? 'dr' : 'primary';
      const c = controllers[role];
      const env = synth.bodyOf(c.function.function).environment.variables;
      const cluster = role === 'primary' ? stack.database.primaryCluster : stack.database.secondaryCluster;
      expect(env).toMatchObject({ SITE: role, TARGET_CLUSTER_ARN: synth.ref(cluster.arn), TARGET_PARAMETER_GROUP: synth.ref(stack.database.parameterGroups[role].name) });
      expect(env.PAGER_TOPIC_ARN).toBe(synth.ref(stack.pagers[role].topic.arn));
      const statements = policyOf(synth.bodyOf(c.function.policy).policy).Statement;
      const byId = (sid: string) => statements.find((st) => st.Sid === sid)!;
      expect(byId('FenceFailedRegion').Resource).toEqual([synth.ref(stack.runtime[other].paymentFunction.function.arn)]);
      expect(byId('GlobalDbRpo').Resource).toEqual([synth.ref(stack.database.parameterGroups[role].arn)]);
    }
  });

  test('the state machine is encrypted with our key (the region\'s multi-region key), its role may use it only for itself and its log delivery', () => {
    for (const role of ['primary', 'dr'] as const) {
      const c = controllers[role];
      const key = synth.ref(stack.logsKey.keys[role].arn);
      expect(synth.bodyOf(c.stateMachine).encryption_configuration).toEqual({ type: 'CUSTOMER_MANAGED_KMS_KEY', kms_key_id: key, kms_data_key_reuse_period_seconds: 300 });
      const kms = policyOf(synth.bodyOf(c.policy).policy).Statement.filter((st) => JSON.stringify(st.Action).includes('kms:'));
      expect(kms).toEqual([
        {
          Sid: 'StateMachineData',
          Effect: 'Allow',
          Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          Resource: [key],
          Condition: { StringEquals: { 'kms:EncryptionContext:aws:states:stateMachineArn': c.stateMachineArn } },
        },
        {
          Sid: 'EncryptedLogDelivery',
          Effect: 'Allow',
          Action: ['kms:GenerateDataKey'],
          Resource: [key],
          Condition: { StringEquals: { 'kms:EncryptionContext:SourceArn': `arn:aws:logs:${role === 'primary' ? 'us-east-1' : 'us-west-2'}:123456789012:*` } },
        },
      ]);
      expect(synth.bodyOf(c.stateMachine).depends_on).toContain(synth.address(c.policy));
    }
  });

  test('the key policy admits Step Functions only under a state machine\'s or log delivery\'s encryption context', () => {
    const policies: Array<[string, Json]> = [
      ['us-east-1', policyOf(synth.bodyOf(stack.logsKey.primaryKey).policy)],
      ['us-west-2', policyOf(synth.bodyOf(stack.logsKey.replicaKey).policy)],
    ];
    for (const [region, doc] of policies) {
      const sid = (id: string) => doc.Statement.find((st: Json) => st.Sid === id);
      expect(sid('StepFunctionsStateMachines')).toEqual({
        Sid: 'StepFunctionsStateMachines',
        Effect: 'Allow',
        Principal: { AWS: 'arn:aws:iam::123456789012:root' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: '*',
        Condition: {
          StringEquals: { 'kms:CallerAccount': '123456789012' },
          StringLike: { 'kms:EncryptionContext:aws:states:stateMachineArn': `arn:aws:states:${region}:123456789012:stateMachine:*` },
        },
      });
      expect(sid('StepFunctionsLogDelivery')).toEqual({
        Sid: 'StepFunctionsLogDelivery',
        Effect: 'Allow',
        Principal: { Service: 'delivery.logs.amazonaws.com' },
        Action: ['kms:Decrypt'],
        Resource: '*',
        Condition: { StringEquals: { 'kms:EncryptionContext:SourceArn': `arn:aws:logs:${region}:123456789012:*` } },
      });
      expect(sid('StepFunctionsLogDataKeys').Condition.StringEquals['kms:EncryptionContext:SourceArn']).toBe(`arn:aws:logs:${region}:123456789012:*`);
    }
  });

  test('manual mode: the key policy has no Step Functions statement', () => {
    const { stack: manual, synth: m } = synthDrStack();
    const sids = policyOf(m.bodyOf(manual.logsKey.primaryKey).policy).Statement.map((st: Json) => st.Sid);
    expect(sids.filter((x: string) => x.startsWith('StepFunctions'))).toEqual([]);
  });

  test('each region\'s prober may start its own region\'s controller (it does only while its site is passive), with the key for the input', () => {
    for (const role of ['primary', 'dr'] as const) {
      const c = controllers[role];
      expect(synth.bodyOf(stack.pagers[role].prober.function).environment.variables.STATE_MACHINE_ARN).toBe(c.stateMachineArn);
      const statements = policyOf(synth.bodyOf(stack.pagers[role].prober.policy).policy).Statement;
      expect(statements.filter((st) => JSON.stringify(st.Action).includes('states:') || JSON.stringify(st.Action).includes('kms:'))).toEqual([
        { Sid: 'StartController', Effect: 'Allow', Action: ['states:StartExecution'], Resource: [c.stateMachineArn] },
        {
          Sid: 'StartControllerEncrypted',
          Effect: 'Allow',
          Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          Resource: [synth.ref(stack.logsKey.keys[role].arn)],
          Condition: { StringEquals: { 'kms:EncryptionContext:aws:states:stateMachineArn': c.stateMachineArn } },
        },
      ]);
    }
  });

  test('the synthetic-probe key: one secret replicated to DR, readable by each controller and each payment function, named in each region\'s runtime config', () => {
    const secrets = synth.list('aws_secretsmanager_secret').filter((x) => x.name === 'pay-dev-probe-key');
    expect(secrets).toEqual([
      expect.objectContaining({ provider: 'aws.primary', kms_key_id: synth.ref(stack.databaseKey.keys['primary'].arn), replica: [{ region: 'us-west-2', kms_key_id: synth.ref(stack.databaseKey.keys['dr'].arn) }] }),
    ]);
    for (const [role, region] of [['primary', 'us-east-1'], ['dr', 'us-west-2']] as const) {
      const arn = `arn:aws:secretsmanager:${region}:123456789012:secret:pay-dev-probe-key-??????`;
      const parameter = synth.inRegion('aws_ssm_parameter', role).find((x) => x.name === '/pay/dev/probe-key-secret-name');
      expect(parameter?.value).toBe('pay-dev-probe-key');
      const pay = policyOf(synth.bodyOf(stack.runtime[role].paymentFunction.policy).policy).Statement.find((st) => st.Sid === 'SyntheticProbeKey');
      expect(pay).toEqual({ Sid: 'SyntheticProbeKey', Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: [arn] });
      const c = controllers[role];
      expect(synth.bodyOf(c.function.function).environment.variables.PROBE_CREDENTIAL_ID).toBe('pay-dev-probe-key');
      const ctl = policyOf(synth.bodyOf(c.function.policy).policy).Statement.find((st) => st.Sid === 'ApiClientKey');
      expect(ctl!.Resource).toContain(arn);
    }
    // Nobody else may read it.
    const readers = synth
      .list('aws_iam_role_policy')
      .filter((x) => policyOf(x.policy).Statement.some((st) => JSON.stringify(st.Resource ?? '').includes('probe-key')));
    expect(readers).toHaveLength(4);
  });

  test('manual mode: no probe key, no probe-key parameter (a probe header is then refused)', () => {
    const { synth: m } = synthDrStack();
    expect(m.list('aws_secretsmanager_secret').filter((x) => x.name === 'pay-dev-probe-key')).toEqual([]);
    expect(m.list('aws_ssm_parameter').filter((x) => String(x.name).endsWith('probe-key-secret-name'))).toEqual([]);
  });

  test('the kill switch, the operation lock and the run record exist in each region and survive deploys', () => {
    for (const role of ['primary', 'dr'] as const) {
      const c = controllers[role];
      expect(synth.bodyOf(c.killSwitch)).toMatchObject({ provider: `aws.${role}`, name: '/pay/dev-control/auto-failover', value: 'enabled', lifecycle: { ignore_changes: ['value'] } });
      expect(synth.bodyOf(c.operationLock)).toMatchObject({ provider: `aws.${role}`, name: '/pay/dev-control/operation-in-progress', value: 'none' });
      expect(synth.bodyOf(c.lastRun)).toMatchObject({ provider: `aws.${role}`, name: '/pay/dev-control/auto-failover-last-run', tier: 'Advanced' });
    }
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

  test('with activeRegion "dr" nothing of the controllers changes: same resources, same addresses, same bodies; the armed one is the primary region\'s', () => {
    const { stack: swapped, synth: s2 } = synthDrStack({ activeRegion: 'dr', failover: { mode: 'automatic' }, api: { paymentProvisionedConcurrency: 2 } });
    expect(swapped.controller).toBe(swapped.controllers!.primary);
    const underControllers = (st: typeof stack, sy: typeof synth) =>
      Object.fromEntries(
        (['primary', 'dr'] as const).flatMap((role) =>
          st.controllers![role].node
            .findAll()
            .filter((n): n is TerraformResource => n instanceof TerraformResource)
            .map((r) => [sy.address(r), sy.bodyOf(r)]),
        ),
      );
    const before = underControllers(stack, synth);
    const after = underControllers(swapped, s2);
    expect(Object.keys(before).length).toBeGreaterThan(20);
    expect(after).toEqual(before);
    for (const role of ['primary', 'dr'] as const) {
      expect(s2.bodyOf(swapped.pagers[role].prober.function).environment.variables.STATE_MACHINE_ARN).toBe(swapped.controllers![role].stateMachineArn);
    }
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
    // The active site's controller, started anyway, ends there too, its Decide output saying verdict "nothing-to-do"
    // (not paged): go is false, and nothing but go leads on.
    expect(def.States['Go?'].Choices).toEqual([{ Variable: '$.go', BooleanEquals: true, Next: 'PageStart' }]);
    expect(def.States.Refused.Type).toBe('Succeed');
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
