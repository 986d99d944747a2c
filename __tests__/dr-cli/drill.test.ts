import { SwitchoverGlobalClusterCommand } from '@aws-sdk/client-rds';
import { CLUSTER_ARN, TOKEN, World } from '../support/dr-cli-world';

let world: World;
beforeEach(() => {
  world = new World();
  world.env.DR_DRILL_TOKEN = TOKEN;
  world.env.DR_DRILL_API_KEY = 'api-key-456';
});
afterEach(() => world.restore());

const DEFAULT_REPORT = '/work/dr-drill-20250115T120000Z.json';
const report = (path = DEFAULT_REPORT) => JSON.parse(world.files.get(path) ?? 'null');
const switchoverTargets = () =>
  [...world.calls('dr', 'rds', SwitchoverGlobalClusterCommand), ...world.calls('primary', 'rds', SwitchoverGlobalClusterCommand)].map(
    (c) => c.TargetDbClusterIdentifier,
  );

describe('drill', () => {
  test('switches to DR and back, measuring RTO and RPO per leg, and writes the report', async () => {
    const r = await world.run('drill');
    expect(r.code).toBe(0);
    expect(switchoverTargets()).toEqual([CLUSTER_ARN.dr, CLUSTER_ARN.primary]);
    expect(world.writer).toBe('primary');

    const rep = report();
    expect(rep).toMatchObject({ kind: 'dr-drill', verdict: 'passed', startedAt: '2025-01-15T12:00:00.000Z', regions: { primary: 'us-east-1', dr: 'us-west-2' } });
    expect(rep.legs).toHaveLength(2);
    // Switchover 95 s (seen at the 100 s poll); Route 53 follows the deep health checks 40 s later: RTO 140 s.
    expect(rep.legs[0]).toMatchObject({
      from: 'primary',
      to: 'dr',
      marker: { reference: 'drill-1736942400000-marker', id: 'pay-1' },
      switchover: { outcome: 'completed', durationMs: 100_000 },
      service: { reached: true, dnsBasis: 'answer', dnsAt: '2025-01-15T12:02:20.000Z', paymentAt: '2025-01-15T12:02:20.000Z' },
      rtoMs: 140_000,
      rpo: { markerFound: true, writesLost: 0 },
      passed: true,
    });
    // The second leg's marker is the test payment that succeeded in DR.
    expect(rep.legs[1]).toMatchObject({ from: 'dr', to: 'primary', marker: { id: 'pay-2' }, rtoMs: 140_000, rpo: { writesLost: 0 }, passed: true });
    expect(r.out).toBe(
      'DRILL PASSED\n' +
        '  primary → dr: switchover 1m 40s, RTO 2m 20s, RPO writes lost 0\n' +
        '  dr → primary: switchover 1m 40s, RTO 2m 20s, RPO writes lost 0\n',
    );
    expect(r.err).toContain(`drill report: ${DEFAULT_REPORT}`);
  });

  test('test payments go to the API name with a bearer token, an API key and one idempotency key per payment', async () => {
    await world.run('drill');
    const posts = world.httpRequests.filter((q) => q.method === 'POST');
    expect(posts[0]).toMatchObject({
      url: 'https://api.payments.example.com/payments',
      headers: expect.objectContaining({
        Authorization: `Bearer ${TOKEN}`,
        'x-api-key': 'api-key-456',
        'Idempotency-Key': 'key-1',
        'Content-Type': 'application/json',
      }),
    });
    expect(JSON.parse(posts[0].body!)).toEqual({ amount: 100, currency: 'USD', merchantId: 'drill', reference: 'drill-1736942400000-marker' });
    // The leg-1 test payment was retried (503 while DNS still pointed at the old writer) with the same key.
    const leg1 = posts.filter((q) => JSON.parse(q.body!).reference === 'drill-1736942400000-to-dr');
    expect(leg1.length).toBeGreaterThanOrEqual(1);
    expect(new Set(leg1.map((q) => q.headers['Idempotency-Key'])).size).toBe(1);
    const gets = world.httpRequests.filter((q) => q.method === 'GET').map((q) => q.url);
    expect(gets).toEqual(['https://api.payments.example.com/payments/pay-1', 'https://api.payments.example.com/payments/pay-2']);
  });

  test('--report and --json', async () => {
    const r = await world.run('drill', '--report', 'out/drill.json', '--json');
    expect(r.code).toBe(0);
    expect(report('/work/out/drill.json').verdict).toBe('passed');
    expect(JSON.parse(r.out).verdict).toBe('passed');
  });

  test('lost writes fail the drill (RPO must be 0) but it still returns to the primary', async () => {
    world.loseWritesOnSwitch = true;
    const r = await world.run('drill');
    expect(r.code).toBe(1);
    expect(world.writer).toBe('primary');
    const rep = report();
    expect(rep.verdict).toBe('failed');
    expect(rep.legs[0].rpo).toEqual({ markerFound: false, writesLost: 1, detail: 'marker pay-1 is missing (HTTP 404) after the switchover' });
    expect(r.out).toMatch(/^DRILL FAILED\n  primary → dr: .*RPO writes lost 1 \(marker pay-1 is missing/);
  });

  test('a switchover that times out stops the drill where it is, reports it, and does not switch back', async () => {
    world.switchDurationMs = 60 * 60_000;
    const r = await world.run('drill', '--timeout', '5m');
    expect(r.code).toBe(1);
    expect(switchoverTargets()).toEqual([CLUSTER_ARN.dr]);
    const rep = report();
    expect(rep.verdict).toBe('failed');
    expect(rep.legs[0].switchover).toMatchObject({ outcome: 'timeout' });
    expect(rep.summary).toMatch(/DRILL FAILED: switchover primary → dr did not complete \(switchover requested at 2025-01-15T12:00:00\.000Z; not complete after 5m 0s.*Not switching back: run `npm run dr -- status`/);
  });

  test('when DNS never answers from DR, RTO is not reached; the drill still switches back and fails', async () => {
    world.healthDelayMs = 24 * 3_600_000; // Route 53 never notices
    const r = await world.run('drill', '--rto-timeout', '3m');
    expect(r.code).toBe(1);
    expect(world.writer).toBe('primary');
    const leg = report().legs[0];
    expect(leg.service).toMatchObject({ reached: false, lastProblem: expect.stringMatching(/^DNS answers from primary/) });
    expect(leg.rtoMs).toBeUndefined();
    expect(r.out).toMatch(/primary → dr: switchover 1m 40s, RTO not reached \(DNS answers from primary/);
  });

  test('a failing marker payment stops the drill before any switchover', async () => {
    world.http = async () => ({ status: 403, body: '{"message":"Forbidden"}' });
    const r = await world.run('drill');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/drill not started: the marker payment failed before any switchover \(HTTP 403: \{"message":"Forbidden"\}\); nothing was changed/);
    expect(switchoverTargets()).toEqual([]);
  });

  test('refuses without DR_DRILL_TOKEN', async () => {
    world.env.DR_DRILL_TOKEN = undefined;
    const r = await world.run('drill');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/refused: the drill sends test payments and needs an API token: set DR_DRILL_TOKEN/);
    expect(world.httpRequests).toHaveLength(0);
  });

  test('refuses unless the primary writes (the drill starts from the normal state)', async () => {
    world.writer = 'dr';
    const r = await world.run('drill');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/drill refused: the dr cluster .* is already the writer/);
    expect(world.httpRequests).toHaveLength(0);
  });

  test('warns when DR_DRILL_API_KEY is missing', async () => {
    world.env.DR_DRILL_API_KEY = undefined;
    const r = await world.run('drill');
    expect(r.err).toMatch(/warning: DR_DRILL_API_KEY is not set/);
    expect(world.httpRequests[0].headers['x-api-key']).toBeUndefined();
  });
});
