// The prober: decisions as pure functions, then the handler against a local HTTP server and mocked AWS.
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { classifyHealth, nextState, parseRoute53View, shouldStart } from '../../lambdas/prober/decide';
import { createProber, METRICS_NAMESPACE } from '../../lambdas/prober';
import type { ProberState } from '../../lambdas/shared/control';
import { silentObservability } from '../support/lambda';

const passiveBody = JSON.stringify({
  status: 'fail',
  checks: { database: { status: 'fail', latencyMs: 3, detail: 'read-only (not the writer)' }, dynamodb: { status: 'pass', latencyMs: 4 } },
});

describe('reading /health for the site\'s role', () => {
  test.each<[string, number | undefined, string | undefined, boolean, 'up' | 'down']>([
    ['active site answering 200', 200, '{}', true, 'up'],
    ['active site answering 503 because it is read-only', 503, passiveBody, true, 'down'],
    ['passive site, read-only by design', 503, passiveBody, false, 'up'],
    ['passive site whose table does not answer', 503, JSON.stringify({ checks: { database: { status: 'fail', detail: 'read-only' }, dynamodb: { status: 'fail', detail: 'timeout' } } }), false, 'down'],
    ['passive site answering 502 from API Gateway', 502, '{"message":"Internal server error"}', false, 'down'],
    ['no answer at all', undefined, undefined, false, 'down'],
    ['503 that is not JSON', 503, '<html>', false, 'down'],
  ])('%s', (_what, status, body, expectActive, outcome) => {
    expect(classifyHealth(status, body, expectActive)).toBe(outcome);
  });

  test.each<[string[] | undefined, string]>([
    [['healthy'], 'healthy'],
    [['unhealthy'], 'unhealthy'],
    [['Unhealthy '], 'unhealthy'],
    [['something'], 'unknown'],
    [undefined, 'unknown'],
  ])('Route 53 status record %j reads %s', (txt, view) => {
    expect(parseRoute53View(txt)).toBe(view);
  });
});

describe('consecutive failures and the trigger', () => {
  const t = (s: number) => new Date(Date.UTC(2026, 10, 27, 3, 0, s));
  const run = (outcomes: Array<'up' | 'down'>, start?: ProberState) => {
    let state = start;
    outcomes.forEach((o, i) => (state = nextState(state, o, t(i * 10), 23_000)));
    return state!;
  };
  const trigger = (state: ProberState, route53: 'healthy' | 'unhealthy' | 'unknown' = 'unhealthy') =>
    shouldStart({ automatic: true, ownSitePassive: true, state, threshold: 3, route53 });

  test('one failed probe does not fail over', () => {
    expect(trigger(run(['down'])).start).toBe(false);
  });

  test('a flapping site never reaches the threshold', () => {
    const state = run(['down', 'down', 'up', 'down', 'down', 'up', 'down']);
    expect(state.streak).toBe(1);
    expect(trigger(state)).toEqual({ start: false, reason: '1 of 3 consecutive failed probes' });
  });

  test('three consecutive failures and Route 53 unhealthy start the controller', () => {
    expect(trigger(run(['up', 'down', 'down', 'down']))).toMatchObject({ start: true });
  });

  test('the prober alone is not enough: Route 53 healthy or unknown holds', () => {
    expect(trigger(run(['down', 'down', 'down']), 'healthy').start).toBe(false);
    expect(trigger(run(['down', 'down', 'down']), 'unknown').start).toBe(false);
  });

  test('a stale streak (the prober did not run for a while) starts again from zero', () => {
    const stale: ProberState = { streak: 5, lastProbeAt: new Date(t(0).getTime() - 600_000).toISOString() };
    expect(nextState(stale, 'down', t(0), 23_000).streak).toBe(1);
  });

  test('one run per streak; manual mode and the active site never start one', () => {
    const state = { ...run(['down', 'down', 'down']), triggeredAt: t(20).toISOString() };
    expect(trigger(state).start).toBe(false);
    const fresh = run(['down', 'down', 'down']);
    expect(shouldStart({ automatic: false, ownSitePassive: true, state: fresh, threshold: 3, route53: 'unhealthy' }).start).toBe(false);
    expect(shouldStart({ automatic: true, ownSitePassive: false, state: fresh, threshold: 3, route53: 'unhealthy' }).start).toBe(false);
  });
});

describe('the prober handler', () => {
  let server: Server;
  let base: string;
  const answers: Record<string, { status: number; body: string } | 'hang'> = {};

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const a = answers[req.url ?? ''];
      if (a === 'hang' || a === undefined) return; // accepts the connection, never answers
      res.writeHead(a.status, { 'content-type': 'application/json' }).end(a.body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  function prober(opts: { route53?: string; automatic?: boolean; designation?: string; state?: ProberState } = {}) {
    const ssm = mockClient(SSMClient);
    const cloudwatch = mockClient(CloudWatchClient);
    const sfn = mockClient(SFNClient);
    ssm.on(GetParameterCommand, { Name: '/pay/dev-control/active-site' }).resolves({ Parameter: { Value: opts.designation ?? 'primary' } });
    ssm.on(GetParameterCommand, { Name: '/pay/dev-control/prober-state' }).resolves({ Parameter: { Value: JSON.stringify(opts.state ?? null) } });
    ssm.on(PutParameterCommand).resolves({});
    cloudwatch.on(PutMetricDataCommand).resolves({});
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:aws:states:us-west-2:123456789012:execution:ctl:auto-1' });
    let clock = Date.UTC(2026, 10, 27, 3, 0, 0);
    const p = createProber({
      env: {
        AWS_REGION: 'us-west-2',
        PEER_REGION: 'us-east-1',
        SITE: 'dr',
        PEER_HEALTH_URL: `${base}/peer`,
        OWN_HEALTH_URL: `${base}/own`,
        PEER_STATUS_RECORD: '_status-primary.payments.example.com',
        CONTROL_PATH: '/pay/dev-control',
        STATE_MACHINE_ARN: opts.automatic === false ? '' : 'arn:aws:states:us-west-2:123456789012:stateMachine:ctl',
        PROBE_INTERVAL_MS: '10000',
        PROBE_TIMEOUT_MS: '1000',
        FAILURE_THRESHOLD: '3',
        RUN_FOR_MS: '55000',
      },
      ssm: new SSMClient({}),
      cloudwatch: new CloudWatchClient({}),
      sfn: new SFNClient({}),
      resolveTxt: async () => [[opts.route53 ?? 'healthy']],
      logger: silentObservability().logger,
      now: () => new Date(clock),
      sleep: async (ms) => {
        clock += ms;
      },
    });
    // Every probe takes "no time" on the fake clock; the HTTP calls are real.
    return { p, ssm, cloudwatch, sfn };
  }

  test('healthy peer and own site: metrics at high resolution in this region, nothing started', async () => {
    answers['/peer'] = { status: 200, body: '{}' };
    answers['/own'] = { status: 503, body: passiveBody };
    const { p, cloudwatch, sfn } = prober();
    const r = await p.probe();
    expect(r).toMatchObject({ peer: 'up', own: 'up', route53: 'healthy', streak: 0 });
    const put = cloudwatch.commandCalls(PutMetricDataCommand)[0].args[0].input;
    expect(put.Namespace).toBe(METRICS_NAMESPACE);
    expect(put.MetricData!.map((d) => [d.MetricName, d.Value, d.StorageResolution])).toEqual([
      ['PeerUp', 1, 1],
      ['OwnSiteUp', 1, 1],
      ['PeerRoute53Healthy', 1, 1],
    ]);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  test('a peer that accepts connections and never answers is down within the probe timeout', async () => {
    answers['/peer'] = 'hang';
    answers['/own'] = { status: 503, body: passiveBody };
    const { p } = prober();
    const started = Date.now();
    const r = await p.probe();
    expect(Date.now() - started).toBeLessThan(2500);
    expect(r).toMatchObject({ peer: 'down', streak: 1 });
  });

  test('one scheduled minute: six probes; three failures with Route 53 unhealthy start the controller once, with the evidence', async () => {
    answers['/peer'] = { status: 503, body: '{"status":"fail"}' };
    answers['/own'] = { status: 503, body: passiveBody };
    const { p, sfn, ssm } = prober({ route53: 'unhealthy' });
    const results = await p.run({ getRemainingTimeInMillis: () => 70_000 });
    expect(results).toHaveLength(6);
    expect(results.map((r) => r.streak)).toEqual([1, 2, 3, 4, 5, 6]);
    const starts = sfn.commandCalls(StartExecutionCommand);
    expect(starts).toHaveLength(1);
    expect(JSON.parse(starts[0].args[0].input.input!)).toMatchObject({
      evidence: { failedSite: 'primary', failedRegion: 'us-east-1', consecutiveFailures: 3, route53View: 'unhealthy' },
    });
    // The streak and the trigger are stored, so a new execution environment neither restarts nor repeats them.
    const saved = JSON.parse(ssm.commandCalls(PutParameterCommand).at(-1)!.args[0].input.Value!);
    expect(saved).toMatchObject({ streak: 6, triggeredAt: expect.any(String) });
  });

  test('the stored streak carries over a new execution environment', async () => {
    answers['/peer'] = 'hang';
    answers['/own'] = { status: 503, body: passiveBody };
    const { p, sfn } = prober({ route53: 'unhealthy', state: { streak: 2, lastProbeAt: new Date(Date.UTC(2026, 10, 27, 2, 59, 55)).toISOString() } });
    const r = await p.probe();
    expect(r.streak).toBe(3);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(1);
  });

  test('manual mode pages through the metrics only', async () => {
    answers['/peer'] = 'hang';
    answers['/own'] = { status: 503, body: passiveBody };
    const { p, sfn } = prober({ route53: 'unhealthy', automatic: false, state: { streak: 5, lastProbeAt: new Date(Date.UTC(2026, 10, 27, 2, 59, 55)).toISOString() } });
    expect((await p.probe()).reason).toBe('manual mode: page only');
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  test('the active site probes its passive peer for readiness and never starts a failover', async () => {
    answers['/peer'] = { status: 503, body: passiveBody };
    answers['/own'] = { status: 200, body: '{}' };
    const { p, sfn } = prober({ designation: 'dr', route53: 'unhealthy' });
    const r = await p.probe();
    expect(r).toMatchObject({ peer: 'up', own: 'up' });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });
});
