import { StartExperimentCommand, StopExperimentCommand } from '@aws-sdk/client-fis';
import { PutFunctionConcurrencyCommand } from '@aws-sdk/client-lambda';
import { FailoverGlobalClusterCommand, SwitchoverGlobalClusterCommand } from '@aws-sdk/client-rds';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { API_KEY, DrillWorld, SECRET_NAME, TEMPLATE } from '../support/drill-world';
import { CLUSTER_ARN, OUTPUT_VALUES } from '../support/dr-cli-world';

/**
 * Both drill modes end to end: the mocked platform, continuous test payments over real HTTP to a local server
 * standing in for the public API name, the client-side timeline, RTO and RPO. Real time, scaled down: a 1 s
 * promotion, 300 ms health-check delay, 500 ms replication lag, 40 payments a second.
 */

let world: DrillWorld;
beforeEach(async () => {
  world = new DrillWorld();
  await world.start();
});
afterEach(async () => {
  await world.stop();
});

// Short drills on a real clock. The guards (--rto-timeout, --request-timeout) are generous so a loaded machine (CI
// runs the terraform plans beside this suite) does not trip them; they cost nothing when the drill recovers.
const FAST = ['--rate', '40', '--duration', '4s', '--baseline', '800ms', '--poll-interval', '100ms', '--rto-timeout', '8s', '--request-timeout', '4s', '--timeout', '20s'];
const REPORT = '/work/drill.json';
const report = () => JSON.parse(world.files.get(REPORT) ?? 'null');
const posts = () => world.httpRequests.filter((q) => q.method === 'POST');

describe('drill --mode switchover (planned)', () => {
  test('continuous traffic through the public name, client-side RTO and timeline, every acknowledged payment read back', async () => {
    const r = await world.run('drill', '--mode', 'switchover', '--report', 'drill.json', ...FAST);
    expect({ code: r.code, err: r.code === 0 ? '' : r.err }).toEqual({ code: 0, err: '' });
    expect(world.calls('dr', 'rds', SwitchoverGlobalClusterCommand)).toEqual([expect.objectContaining({ TargetDbClusterIdentifier: CLUSTER_ARN.dr })]);
    expect(world.writer).toBe('dr');

    const rep = report();
    expect(rep).toMatchObject({ kind: 'dr-drill', version: 2, mode: 'switchover', injected: 'none', verdict: 'passed', from: { role: 'primary' }, to: { role: 'dr', region: 'us-west-2' } });
    expect(rep.notes.join('\n')).toMatch(/no fault injected .*measures the switchover alone, from the command/);
    expect(r.err).toMatch(/drill: no fault injected/);

    // Traffic: ~40/s for 4 s, every payment with its own idempotency key, the API key from the secret.
    expect(rep.traffic.sent).toBeGreaterThan(100);
    expect(rep.traffic.sent).toBeLessThanOrEqual(161);
    const keys = rep.payments.map((p: { idempotencyKey: string }) => p.idempotencyKey);
    expect(new Set(keys).size).toBe(keys.length);
    expect(posts().every((q) => q.headers['x-api-key'] === API_KEY && q.headers.Authorization === undefined)).toBe(true);
    expect(world.secretMocks.dr.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input)).toEqual([{ SecretId: SECRET_NAME }]);
    expect(world.secretMocks.primary.commandCalls(GetSecretValueCommand)).toHaveLength(0);

    // RTO: from the command to the first payment acknowledged by us-west-2 after the outage.
    expect(rep.rto.verdict).toBe('recovered');
    expect(rep.rto.rtoMs).toBeGreaterThanOrEqual(1_000); // the promotion alone takes 1 s
    expect(rep.rto.rtoMs).toBeLessThan(3_000);
    expect(rep.rto.recoveryPayment.region).toBe('us-west-2');
    expect(rep.traffic.http5xx).toBeGreaterThan(0);

    // RPO: 0 by construction, and verified.
    expect(rep.rpo.missing).toEqual([]);
    expect(rep.rpo.found).toBe(rep.traffic.ok);
    expect(rep.rpo.basis).toMatch(/RPO 0 by construction/);
    expect(world.lostWrites()).toEqual([]);

    // The per-second timeline: ok before, errors during, ok after; the DNS answer moves to us-west-2.
    const tl = rep.timeline as Array<{ ok: number; http5xx: number; dns?: string; events?: string[] }>;
    expect(tl.length).toBeGreaterThanOrEqual(4);
    expect(tl[0].ok).toBeGreaterThan(0);
    expect(tl[0].dns).toMatch(/us-east-1/);
    expect(tl[tl.length - 1].dns).toMatch(/us-west-2/);
    expect(tl.flatMap((s) => s.events ?? [])).toEqual(expect.arrayContaining(['switchover requested', 'switchover completed']));

    const md = world.files.get('/work/drill.md')!;
    expect(md).toMatch(/^# DR drill: switchover, PASSED/);
    expect(md).toMatch(/\| t \(s\) \| time \| ok \| 5xx \| 4xx \| conn err \| DNS answer \| events \|/);
    expect(md).toMatch(/\| 0 \| 12:00:00 \| \d+ \| \d+ \| 0 \| 0 \| d-primaryxyz\.execute-api\.us-east-1\.amazonaws\.com \| traffic started/);
    expect(r.out).toMatch(/^DRILL PASSED: switchover primary \(us-east-1\) → dr \(us-west-2\), no fault injected/);
    expect(r.out).toMatch(/RPO: 0 of \d+ acknowledged payments missing from the new writer \(0 by construction\)/);
    // The writer moved: the report carries the config change the switchover printed (or switch back).
    expect(rep.promotion.configChange).toMatch(/activeRegion/);
    expect(r.out).toMatch(/switch back with `npm run dr -- switchover --to primary`/);
    expect(r.out).toMatch(/until the writer is back: .*activeRegion/s);
  }, 30_000);
});

describe('drill --mode failover --inject fis (unplanned)', () => {
  test('injects the fault on the active site, fails over, measures RTO from the injection and the payments really lost', async () => {
    const r = await world.run('drill', '--mode', 'failover', '--inject', 'fis', '--report', 'drill.json', ...FAST);
    expect(r.code).toBe(0);
    // The active site's template, in its region; stopped at the end.
    expect(world.fisCalls('primary', StartExperimentCommand)).toEqual([
      expect.objectContaining({ experimentTemplateId: TEMPLATE.primary, tags: expect.objectContaining({ Purpose: 'dr-drill' }) }),
    ]);
    expect(world.fisCalls('primary', StopExperimentCommand)).toHaveLength(1);
    expect(world.fisCalls('dr', StartExperimentCommand)).toHaveLength(0);
    expect(world.calls('dr', 'rds', FailoverGlobalClusterCommand)).toEqual([expect.objectContaining({ AllowDataLoss: true, TargetDbClusterIdentifier: CLUSTER_ARN.dr })]);
    expect(world.calls('primary', 'lambda', PutFunctionConcurrencyCommand)).toHaveLength(1); // the old writer fenced
    expect(world.faulted).toBeUndefined();

    const rep = report();
    expect(rep).toMatchObject({ mode: 'failover', injected: 'fis', verdict: 'passed', injection: { templateId: TEMPLATE.primary, region: 'us-east-1', experimentId: 'EXPdrill1', finalState: { status: 'stopped' } } });
    // RTO from the injection, not from the failover command.
    expect(rep.faultAt).toBe(rep.injection.requestedAt);
    expect(rep.rto.verdict).toBe('recovered');
    expect(new Date(rep.rto.recoveredAt).getTime() - new Date(rep.injection.requestedAt).getTime()).toBe(rep.rto.rtoMs);
    expect(rep.traffic.connection).toBeGreaterThan(0);
    expect(rep.traffic.http5xx).toBeGreaterThan(0);

    // RPO: exactly the acknowledged payments the new writer lost (the server's ground truth), matched by key.
    const lost = world.lostWrites().map((w) => w.key).sort();
    expect(lost.length).toBeGreaterThan(0);
    expect(rep.rpo.missing.map((p: { idempotencyKey: string }) => p.idempotencyKey).sort()).toEqual(lost);
    expect(rep.rpo.found + rep.rpo.missing.length).toBe(rep.traffic.ok);
    expect(rep.rpo.lossWindow.from <= rep.rpo.lossWindow.to).toBe(true);
    expect(r.out).toMatch(new RegExp(`RPO: ${lost.length} of \\d+ acknowledged payments missing from the new writer`));
    expect(r.out).toMatch(/primary is fenced: reconcile \(`npm run dr -- reconcile`\)/);

    const tl = rep.timeline as Array<{ connection: number; events?: string[] }>;
    expect(tl.some((s) => s.connection > 0)).toBe(true);
    expect(tl.flatMap((s) => s.events ?? []).join('\n')).toMatch(/FIS experiment start requested \(EXTprimary111 in us-east-1\)[\s\S]*failover requested[\s\S]*injection stop requested \(end of the drill\)/);
    const md = world.files.get('/work/drill.md')!;
    expect(md).toMatch(/## Acknowledged payments not found on the new writer/);
  }, 30_000);

  test('Ctrl-C stops the traffic and the injection and reports the drill as aborted', async () => {
    setTimeout(() => world.interrupt?.(), 1_300);
    const r = await world.run('drill', '--mode', 'failover', '--inject', 'fis', '--report', 'drill.json', ...FAST, '--duration', '20s', '--rto-timeout', '20s', '--decision-delay', '5s');
    expect(r.code).toBe(1);
    expect(world.fisCalls('primary', StopExperimentCommand)).toHaveLength(1);
    expect(world.calls('dr', 'rds', FailoverGlobalClusterCommand)).toHaveLength(0);
    const rep = report();
    expect(rep.verdict).toBe('aborted');
    expect(rep.injection.finalState.status).toBe('stopped');
    expect(new Date(rep.finishedAt).getTime() - new Date(rep.startedAt).getTime()).toBeLessThan(10_000);
  }, 30_000);

  test('without recovery within --rto-timeout the drill stops the injection (the guard) and fails', async () => {
    world.healthDelayMs = 60_000; // Route 53 never sends traffic to the new writer in time
    const r = await world.run('drill', '--mode', 'failover', '--inject', 'fis', '--report', 'drill.json', ...FAST, '--rto-timeout', '2s');
    expect(r.code).toBe(1);
    const rep = report();
    expect(rep.verdict).toBe('failed');
    expect(rep.rto.verdict).toBe('not-recovered');
    expect(rep.timeline.flatMap((s: { events?: string[] }) => s.events ?? [])).toContain('injection stop requested (no recovery within --rto-timeout)');
    expect(r.out).toMatch(/problem: no payment acknowledged by dr \(us-west-2\) within 2\.0s of the fault/);
  }, 30_000);
});

describe('drill refusals (nothing changed, no traffic)', () => {
  const nothingHappened = () => {
    expect(world.httpRequests).toHaveLength(0);
    expect(world.calls('dr', 'rds', FailoverGlobalClusterCommand)).toHaveLength(0);
    expect(world.calls('dr', 'rds', SwitchoverGlobalClusterCommand)).toHaveLength(0);
    expect(world.fisCalls('primary', StartExperimentCommand)).toHaveLength(0);
  };

  test('--mode is required', async () => {
    const r = await world.run('drill');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--mode is required: switchover or failover/);
  });

  test('failover mode on prod needs --allow-prod and --confirm-prod <global cluster id>', async () => {
    await world.stop();
    world = new DrillWorld({ 'environment-profile': 'prod' });
    await world.start();
    let r = await world.run('drill', '--mode', 'failover', ...FAST);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/drill refused: a failover drill on the prod profile LOSES .* re-run with --allow-prod --confirm-prod /);
    expect(r.err).toContain(`--confirm-prod ${OUTPUT_VALUES['global-cluster-id']}`);
    r = await world.run('drill', '--mode', 'failover', '--allow-prod', '--confirm-prod', 'pay-prod-global', ...FAST);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--confirm-prod "pay-prod-global" does not match the global cluster id/);
    nothingHappened();
  });

  test('an outputs file without the profile counts as prod for a failover drill', async () => {
    await world.stop();
    world = new DrillWorld({ 'environment-profile': undefined });
    await world.start();
    const r = await world.run('drill', '--mode', 'failover', ...FAST);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/outputs do not name its profile \(treated as prod\)/);
    nothingHappened();
  });

  test('--inject fis needs the active site\'s template in the outputs', async () => {
    await world.stop();
    world = new DrillWorld({ 'fis-experiment-template-primary': undefined });
    await world.start();
    const r = await world.run('drill', '--mode', 'switchover', '--inject', 'fis', ...FAST);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no `fis-experiment-template-primary`/);
    nothingHappened();
  });

  test('the API key secret must be readable in the surviving region', async () => {
    world.secretMocks.dr.reset();
    world.secretMocks.dr.on(GetSecretValueCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    const r = await world.run('drill', '--mode', 'switchover', ...FAST);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/could not read the API client key from secret pay-dev-api-client-key in us-west-2 \(AccessDeniedException: denied\)/);
    nothingHappened();
  });

  test('a failover drill from inside the region it fails is refused by the failover prechecks', async () => {
    world.env.AWS_REGION = 'us-east-1';
    const r = await world.run('drill', '--mode', 'failover', ...FAST);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/drill refused: .*runs in us-east-1/);
    nothingHappened();
  });

  test('no acknowledged payment in the baseline: nothing is injected or promoted', async () => {
    world.secretMocks.dr.reset();
    world.secretMocks.dr.on(GetSecretValueCommand).resolves({ SecretString: 'a-stale-key' });
    const r = await world.run('drill', '--mode', 'switchover', '--inject', 'fis', '--report', 'drill.json', ...FAST);
    expect(r.code).toBe(1);
    expect(report().traffic.http4xx).toBeGreaterThan(0);
    expect(r.out).toMatch(/no test payment was acknowledged during the 0\.8s baseline: nothing was injected or promoted/);
    expect(world.fisCalls('primary', StartExperimentCommand)).toHaveLength(0);
    expect(world.calls('dr', 'rds', SwitchoverGlobalClusterCommand)).toHaveLength(0);
  }, 30_000);
});
