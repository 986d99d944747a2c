// `status` with payment events: the global endpoint and the outbox backlog (src/dr-cli/events.ts).
import { GetMetricDataCommand, type GetMetricDataCommandInput } from '@aws-sdk/client-cloudwatch';
import { DescribeEndpointCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { readEventsOutputs } from '../../src/dr-cli/events';
import { OUTPUT_VALUES, REGION, terraformOutputs, World } from '../support/dr-cli-world';

const EVENT_OUTPUTS = {
  'payment-events-bus-name': 'pay-dev-payments',
  'payment-events-endpoint-name': 'pay-dev-payments',
  'payment-events-endpoint-region': REGION.primary,
};

const eventbridge = mockClient(EventBridgeClient);
let world: World;
beforeEach(() => {
  world = new World();
  world.files.set('/work/cdktf.out/outputs.json', JSON.stringify(terraformOutputs({ ...OUTPUT_VALUES, ...EVENT_OUTPUTS })));
  eventbridge.reset();
  eventbridge.on(DescribeEndpointCommand).resolves({
    Name: 'pay-dev-payments',
    State: 'ACTIVE',
    ReplicationConfig: { State: 'ENABLED' },
    RoutingConfig: { FailoverConfig: { Primary: { HealthCheck: 'arn:aws:route53:::healthcheck/hc-primary-1111' }, Secondary: { Route: REGION.dr } } },
  });
  for (const [role, unsent, age] of [['primary', 3, 42], ['dr', 3, 45]] as const) {
    world.mocks[role].cloudwatch.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => ({
      MetricDataResults: (input.MetricDataQueries ?? []).map((q) => {
        const value = q.Id === 'outboxunsent' ? unsent : q.Id === 'outboxage' ? age : null;
        return value === null ? { Id: q.Id, Values: [], Timestamps: [] } : { Id: q.Id, Values: [value], Timestamps: [new Date(world.now - 60_000)] };
      }),
    }));
  }
});
afterEach(() => world.restore());
afterAll(() => eventbridge.restore());

const row = (out: string, component: string, region: string) =>
  out.split('\n').find((l) => l.startsWith(component) && l.includes(`  ${region}  `)) ?? '';

test('status shows the endpoint (state, replication, where it routes) and the outbox backlog of each region', async () => {
  const r = await world.run('status');
  expect(r.code).toBe(0);
  expect(row(r.out, 'event endpoint', 'us-east-1')).toMatch(
    /ACTIVE +pay-dev-payments: replication ENABLED, secondary us-west-2, routes to us-east-1 \(primary health check healthy\)$/,
  );
  expect(row(r.out, 'event outbox', 'us-east-1')).toMatch(/3 unsent +oldest unsent 42s at 2025-01-15T11:59:00\.000Z$/);
  expect(row(r.out, 'event outbox', 'us-west-2')).toMatch(/3 unsent +oldest unsent 45s/);
  // The endpoint is described in its own region; the backlog metric of the sweep is read in each region.
  expect(eventbridge.commandCalls(DescribeEndpointCommand).map((c) => c.args[0].input)).toEqual([{ Name: 'pay-dev-payments' }]);
  expect(await eventbridge.commandCalls(DescribeEndpointCommand)[0].thisValue.config.region()).toBe('us-east-1');
  const q = world.calls('primary', 'cloudwatch', GetMetricDataCommand).flatMap((c) => c.MetricDataQueries).find((x: any) => x.Id === 'outboxunsent');
  expect(q.MetricStat.Metric).toEqual({ Namespace: 'PaymentsDR', MetricName: 'OutboxUnsent', Dimensions: [{ Name: 'service', Value: 'outbox-sweep' }] });
});

test('when the active site is unhealthy the endpoint has failed over; an unreadable endpoint is an error, the rest still shows', async () => {
  world.writer = 'dr';
  world.now += 10 * 60_000; // health checks follow the writer
  eventbridge.on(DescribeEndpointCommand).rejects(new Error('connect ETIMEDOUT'));
  const r = await world.run('status');
  expect(r.code).toBe(1);
  expect(r.out).toMatch(/^event endpoint +- +ERROR +connect ETIMEDOUT; routes to us-west-2 \(primary health check unhealthy: failed over\)$/m);
  expect(r.out).toMatch(/event endpoint: connect ETIMEDOUT/);
  expect(row(r.out, 'event outbox', 'us-west-2')).toMatch(/3 unsent/);
});

test('a stack without payment events shows no event rows and makes no EventBridge call', async () => {
  world.files.set('/work/cdktf.out/outputs.json', JSON.stringify(terraformOutputs()));
  const r = await world.run('status');
  expect(r.code).toBe(0);
  expect(r.out).not.toMatch(/event endpoint|event outbox/);
  expect(eventbridge.commandCalls(DescribeEndpointCommand)).toHaveLength(0);
});

test('--json carries the events section', async () => {
  const r = await world.run('status', '--json');
  const json = JSON.parse(r.out);
  expect(json.events.endpoint).toMatchObject({ state: 'ACTIVE', replication: 'ENABLED', region: 'us-east-1' });
  expect(json.events.backlog.primary.unsent.value).toBe(3);
});

test('event outputs are found in both outputs-file formats', () => {
  const flat = terraformOutputs(EVENT_OUTPUTS);
  expect(readEventsOutputs(flat)).toEqual({ busName: 'pay-dev-payments', endpointName: 'pay-dev-payments', endpointRegion: 'us-east-1' });
  expect(readEventsOutputs({ 'payments-dr-dev': { 'payment-events': EVENT_OUTPUTS } })).toEqual(readEventsOutputs(flat));
  expect(readEventsOutputs({ 'payment-events-bus-name': 'x' })).toBeUndefined();
});
