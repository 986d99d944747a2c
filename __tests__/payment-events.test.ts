// Payment events in the synthesized stack: buses, global endpoint, replication role, queues, archives, sweep.
import { renderMarkdown } from '../src/dr-objectives';
import { Json, policyOf, synthDrStack } from './support/synth';

const { stack, synth } = synthDrStack();
const ev = stack.paymentEvents;

describe('payment events', () => {
  test('one bus per region with the same name', () => {
    const buses = synth.list('aws_cloudwatch_event_bus');
    expect(buses.map((b) => [b.provider, b.name]).sort()).toEqual([
      ['aws.dr', 'pay-dev-payments'],
      ['aws.primary', 'pay-dev-payments'],
    ]);
  });

  test('the global endpoint: replication enabled with its role, failover on the PRIMARY DNS record\'s check (the active site) to the passive region', () => {
    expect(synth.count('aws_cloudwatch_event_endpoint')).toBe(1);
    const endpoint = synth.bodyOf(ev.endpoint);
    expect(endpoint.provider).toBe('aws.primary');
    expect(endpoint.replication_config).toEqual({ state: 'ENABLED' });
    expect(endpoint.role_arn).toBe(synth.ref(ev.replicationRole.arn));
    expect(endpoint.event_bus).toEqual([
      { event_bus_arn: synth.ref(ev.regions.primary.bus.arn) },
      { event_bus_arn: synth.ref(ev.regions.dr.bus.arn) },
    ]);
    expect(endpoint.routing_config).toEqual({
      failover_config: { primary: { health_check: synth.ref(stack.dns.activeCheck.arn) }, secondary: { route: 'us-west-2' } },
    });
  });

  test('with activeRegion "dr" the endpoint lives in the DR region and follows its health check', () => {
    const { stack: s, synth: dr } = synthDrStack({ activeRegion: 'dr' });
    const endpoint = dr.bodyOf(s.paymentEvents.endpoint);
    expect(endpoint.provider).toBe('aws.dr');
    expect(endpoint.routing_config.failover_config).toEqual({
      primary: { health_check: dr.ref(s.dns.activeCheck.arn) },
      secondary: { route: 'us-east-1' },
    });
    expect(endpoint.event_bus[0]).toEqual({ event_bus_arn: dr.ref(s.paymentEvents.regions.dr.bus.arn) });
    // A different resource address: Terraform destroys the old region's endpoint instead of orphaning it.
    expect(dr.address(s.paymentEvents.endpoint)).not.toBe(synth.address(ev.endpoint));
    expect(s.paymentEvents.endpoint.node.id).toBe('endpoint-in-dr');
  });

  test('the replication role may manage only the managed replication rules, put events on the two buses and pass itself to EventBridge', () => {
    const role = synth.bodyOf(ev.replicationRole);
    const trust = policyOf(role.assume_role_policy);
    expect(trust.Statement).toEqual([
      expect.objectContaining({ Principal: { Service: 'events.amazonaws.com' }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } } }),
    ]);
    const policy = synth.list('aws_iam_role_policy').find((p) => p.role === synth.ref(ev.replicationRole.id)) as Json;
    const statements = policyOf(policy.policy).Statement;
    expect(statements).toEqual([
      {
        Sid: 'ManagedReplicationRules',
        Effect: 'Allow',
        Action: ['events:PutRule', 'events:DeleteRule', 'events:PutTargets', 'events:RemoveTargets'],
        Resource: [
          'arn:aws:events:us-east-1:123456789012:rule/pay-dev-payments/GlobalEndpointManagedRule-*',
          'arn:aws:events:us-west-2:123456789012:rule/pay-dev-payments/GlobalEndpointManagedRule-*',
        ],
      },
      {
        Sid: 'ReplicateToBuses',
        Effect: 'Allow',
        Action: 'events:PutEvents',
        Resource: ['arn:aws:events:us-east-1:123456789012:event-bus/pay-dev-payments', 'arn:aws:events:us-west-2:123456789012:event-bus/pay-dev-payments'],
      },
      {
        Sid: 'PassSelfToEventBridge',
        Effect: 'Allow',
        Action: 'iam:PassRole',
        Resource: `arn:aws:iam::123456789012:role/${role.name}`,
        Condition: { StringEquals: { 'iam:PassedToService': 'events.amazonaws.com' } },
      },
    ]);
  });

  test.each(['primary', 'dr'] as const)('%s: a rule on the bus delivers payment.accepted to an encrypted queue with a DLQ; only that rule may send', (role) => {
    const r = ev.regions[role];
    const alias = `aws.${role}`;
    const rule = synth.bodyOf(r.rule);
    expect(rule).toMatchObject({ provider: alias, event_bus_name: synth.ref(r.bus.name) });
    expect(JSON.parse(rule.event_pattern)).toEqual({ source: ['pay-dev.payments'], 'detail-type': ['payment.accepted'] });
    const target = synth.list('aws_cloudwatch_event_target').find((t) => t.rule === synth.ref(r.rule.name)) as Json;
    expect(target).toMatchObject({ provider: alias, arn: synth.ref(r.queue.arn), dead_letter_config: { arn: synth.ref(r.deadLetterQueue.arn) } });

    const key = stack.eventsKey.keys[role].arn;
    const queue = synth.bodyOf(r.queue);
    expect(queue).toMatchObject({ provider: alias, kms_master_key_id: synth.ref(key), message_retention_seconds: 1209600 });
    expect(JSON.parse(queue.redrive_policy)).toEqual({ deadLetterTargetArn: synth.ref(r.deadLetterQueue.arn), maxReceiveCount: 5 });
    expect(synth.bodyOf(r.deadLetterQueue)).toMatchObject({ kms_master_key_id: synth.ref(key), message_retention_seconds: 1209600 });

    const policies = synth.inRegion('aws_sqs_queue_policy', role);
    expect(policies.map((p) => p.queue_url).sort()).toEqual([synth.ref(r.queue.url), synth.ref(r.deadLetterQueue.url)].sort());
    for (const p of policies) {
      expect(policyOf(p.policy).Statement).toEqual([
        expect.objectContaining({ Principal: { Service: 'events.amazonaws.com' }, Action: 'sqs:SendMessage', Condition: { ArnEquals: { 'aws:SourceArn': synth.ref(r.rule.arn) } } }),
      ]);
    }
  });

  test('the queue key lets EventBridge encrypt for rules of our account in its region only', () => {
    const keyPolicy = policyOf(synth.bodyOf(stack.eventsKey.primaryKey).policy).Statement;
    expect(keyPolicy).toContainEqual(
      expect.objectContaining({
        Principal: { Service: 'events.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' }, ArnLike: { 'aws:SourceArn': 'arn:aws:events:us-east-1:123456789012:rule/*' } },
      }),
    );
  });

  test.each(['primary', 'dr'] as const)('%s: an archive of the bus with the configured retention', (role) => {
    expect(synth.bodyOf(ev.regions[role].archive)).toMatchObject({
      provider: `aws.${role}`,
      event_source_arn: synth.ref(ev.regions[role].bus.arn),
      retention_days: 30,
    });
    expect(synth.count('aws_cloudwatch_event_archive')).toBe(2);
  });

  test('the archive retention comes from config', () => {
    const other = synthDrStack({ events: { archiveRetentionDays: 365 } });
    expect(other.synth.list('aws_cloudwatch_event_archive').map((a) => a.retention_days)).toEqual([365, 365]);
  });

  test('publishers: the payment function and the sweep read the endpoint URL from their region\'s parameter; both may PutEvents on the buses and read that one parameter', () => {
    for (const role of ['primary', 'dr'] as const) {
      const payment = synth.bodyOf(stack.runtime[role].paymentFunction.function);
      expect(payment.environment.variables).toMatchObject({
        PAYMENT_EVENTS_BUS_NAME: 'pay-dev-payments',
        PAYMENT_EVENTS_SOURCE: 'pay-dev.payments',
        PAYMENT_EVENTS_ENDPOINT_PARAMETER: '/pay/dev/payment-events-endpoint-url',
      });
      expect(payment.environment.variables.PAYMENT_EVENTS_ENDPOINT_URL).toBeUndefined();
      const parameter = synth.inRegion('aws_ssm_parameter', role).find((p) => p.name === '/pay/dev/payment-events-endpoint-url') as Json;
      expect(parameter.value).toBe(synth.ref(ev.endpoint.endpointUrl));

      const sweep = synth.bodyOf(stack.outboxSweep[role].function);
      expect(sweep.environment.variables).toMatchObject({ PAYMENT_EVENTS_ENDPOINT_PARAMETER: '/pay/dev/payment-events-endpoint-url' });
      expect(sweep.environment.variables.PAYMENT_EVENTS_ENDPOINT_URL).toBeUndefined();
      expect(sweep.reserved_concurrent_executions).toBe(1);
      for (const fn of [stack.runtime[role].paymentFunction, stack.outboxSweep[role]]) {
        const policy = synth.list('aws_iam_role_policy').find((p) => p.role === synth.ref(fn.role.id)) as Json;
        expect(policyOf(policy.policy).Statement).toContainEqual({
          Sid: 'PublishPaymentEvents',
          Effect: 'Allow',
          Action: 'events:PutEvents',
          Resource: ['arn:aws:events:us-east-1:123456789012:event-bus/pay-dev-payments', 'arn:aws:events:us-west-2:123456789012:event-bus/pay-dev-payments'],
        });
        const region = role === 'primary' ? 'us-east-1' : 'us-west-2';
        // GetParameter once, on this region's designation and endpoint URL parameters only.
        const getParameter = policyOf(policy.policy).Statement.filter((st: Json) => JSON.stringify(st.Action).includes('ssm:GetParameter"'));
        expect(getParameter).toHaveLength(1);
        expect(getParameter[0].Resource).toEqual([
          expect.stringMatching(new RegExp(`^arn:aws:ssm:${region}:123456789012:parameter/pay/dev-control/active-site$`)),
          `arn:aws:ssm:${region}:123456789012:parameter/pay/dev/payment-events-endpoint-url`,
        ]);
      }
    }
  });

  test('the sweep runs on a schedule in each region, invoked only by its rule', () => {
    for (const role of ['primary', 'dr'] as const) {
      const fn = stack.outboxSweep[role].function;
      const schedule = synth.inRegion('aws_cloudwatch_event_rule', role).find((r) => r.schedule_expression) as Json;
      expect(schedule.schedule_expression).toBe('rate(1 minute)');
      const permission = synth.inRegion('aws_lambda_permission', role).find((p) => p.function_name === synth.ref(fn.functionName)) as Json;
      expect(permission).toMatchObject({ principal: 'events.amazonaws.com', action: 'lambda:InvokeFunction' });
    }
  });

  test.each(['primary', 'dr'] as const)('%s: alarms on an old outbox backlog (or a silent sweep) and on dead letters, to the region\'s alert topic', (role) => {
    const alarms = synth.inRegion('aws_cloudwatch_metric_alarm', role);
    const topic = synth.ref(stack.observability.topics[role === 'primary' ? 'us-east-1' : 'us-west-2'].arn);
    const age = alarms.find((a) => a.metric_name === 'OutboxOldestUnsentAgeSeconds') as Json;
    expect(age).toMatchObject({
      namespace: 'PaymentsDR',
      dimensions: { service: 'outbox-sweep' },
      threshold: 300,
      evaluation_periods: 5,
      treat_missing_data: 'breaching',
      alarm_actions: [topic],
    });
    const dlq = alarms.find((a) => a.metric_name === 'ApproximateNumberOfMessagesVisible') as Json;
    expect(dlq).toMatchObject({ dimensions: { QueueName: synth.ref(ev.regions[role].deadLetterQueue.name) }, threshold: 0, alarm_actions: [topic] });
  });

  test('outputs the DR CLI reads', () => {
    const outputs = synth.json.output as Json;
    for (const name of ['payment-events-bus-name', 'payment-events-endpoint-name', 'payment-events-endpoint-region', 'outbox-sweep-function-primary', 'payment-events-archive-dr']) {
      expect(outputs[name]).toBeDefined();
    }
    expect(outputs['payment-events-endpoint-region'].value).toBe('us-east-1');
  });

  test.each([
    [{ events: { archiveRetentionDays: 0 } }, /events\.archiveRetentionDays/],
    [{ events: { queueRetentionSeconds: 30 } }, /events\.queueRetentionSeconds/],
    [{ activeRegion: 'west' }, /activeRegion/],
  ])('bad config %j fails with the field named', (overrides, message) => {
    expect(() => synthDrStack(overrides)).toThrow(message);
  });
});

describe('DR report: the event path', () => {
  test('quotes the global endpoint RTO/RPO from the EventBridge guide and states the outbox effect and replay', () => {
    const { eventPath } = stack.drReport;
    expect(eventPath).toBeDefined();
    const md = renderMarkdown(stack.drReport, 'payments-dr-dev');
    expect(md).toMatch(/## Payment events/);
    expect(md).toContain('"With global endpoints, if you follow our prescriptive guidance for alarm configuration, you can expect the RTO and RPO to be 360 seconds with a maximum of 420 seconds."');
    expect(eventPath?.bounds.find((b) => b.component.startsWith('Global endpoint'))).toMatchObject({ boundSeconds: 420, guaranteed: false });
    expect(eventPath?.bounds.find((b) => b.component === 'Transactional outbox')).toMatchObject({ boundSeconds: 60, kind: 'event RPO' });
    expect(md).toMatch(/delayed, never lost/);
    expect(md).toMatch(/StartReplay/);
    expect(md).toMatch(/detail\.eventId/);
  });
});
