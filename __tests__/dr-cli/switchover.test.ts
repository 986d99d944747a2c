import { DescribeGlobalClustersCommand, SwitchoverGlobalClusterCommand } from '@aws-sdk/client-rds';
import { CLUSTER_ARN, START, World } from '../support/dr-cli-world';

let world: World;
beforeEach(() => {
  world = new World();
});
afterEach(() => world.restore());

describe('switchover', () => {
  test('switches the writer to DR in the DR region, waits with progress, verifies and prints the duration', async () => {
    const r = await world.run('switchover');
    expect(r.code).toBe(0);
    expect(world.calls('dr', 'rds', SwitchoverGlobalClusterCommand)).toEqual([
      { GlobalClusterIdentifier: 'pay-dev-aurora-global', TargetDbClusterIdentifier: CLUSTER_ARN.dr },
    ]);
    expect(world.calls('primary', 'rds', SwitchoverGlobalClusterCommand)).toHaveLength(0);
    expect(world.writer).toBe('dr');
    // 95 s of switching, polled every 10 s: done at the first poll after 95 s.
    expect(r.out).toMatch(/^switchover complete: the writer is now dr \(us-west-2, pay-dev-usw2-aurora\); took 1m 40s\n/);
    // The live settings: designation flipped in both regions, rds.global_db_rpo moved, the config change printed.
    expect(world.designation).toEqual({ primary: 'dr', dr: 'dr' });
    expect(world.globalDbRpo).toEqual({ primary: null, dr: '60' });
    expect(r.out).toContain('✓ designation: /pay/dev-control/active-site in us-west-2: "primary" → "dr"');
    expect(r.out).toContain('✓ global-db-rpo: rds.global_db_rpo on pay-dev-usw2-aurora-pg16 (us-west-2): default → 60');
    expect(r.out).toContain('✓ global-db-rpo: rds.global_db_rpo on pay-dev-use1-aurora-pg16 (us-east-1): 60 → default (reset)');
    expect(r.out).toMatch(/Commit this config change .*\n {2}- {2}"activeRegion": "primary",\n {2}\+ {2}"activeRegion": "dr",\n$/);
    // Plain progress lines (not a TTY): one per state change, not one per poll.
    expect(r.err).toMatch(/switchover to dr \(us-west-2\): global cluster switching-over, switching-over; writer primary \(us-east-1\) \[0\.0s of 15m 0s\]\n/);
    expect(r.err).toMatch(/complete: global cluster available; writer dr \(us-west-2\) \(1m 40s\)/);
    expect(r.err.match(/switching-over; writer primary/g)).toHaveLength(2); // first line + the 60 s heartbeat
    expect(r.err).not.toContain('\r');
  });

  test('on a terminal the progress display rewrites one line', async () => {
    (world.stderr as { isTTY: boolean }).isTTY = true;
    const r = await world.run('switchover');
    expect(r.code).toBe(0);
    expect(r.err.match(/\r\x1b\[2K/g)!.length).toBeGreaterThanOrEqual(10);
  });

  test('--to primary switches back', async () => {
    world.writer = 'dr';
    const r = await world.run('switchover', '--to', 'primary');
    expect(r.code).toBe(0);
    expect(world.calls('primary', 'rds', SwitchoverGlobalClusterCommand)).toEqual([
      { GlobalClusterIdentifier: 'pay-dev-aurora-global', TargetDbClusterIdentifier: CLUSTER_ARN.primary },
    ]);
    expect(world.writer).toBe('primary');
  });

  test.each([
    ['engine versions differ', (w: World) => (w.engine.dr = '16.2'), /engine versions differ \(primary 16\.4, dr 16\.2\)/],
    ['the replication lag is above --max-lag', (w: World) => (w.rpoLagMs = 120_000), /replication lag is 2m 0s .* above --max-lag 1m 0s/],
    ['the secondary is pending resync', (w: World) => (w.sync = 'pending-resync'), /pending-resync/],
    ['the global cluster is not available', (w: World) => (w.globalStatus = 'modifying'), /is "modifying", not "available"/],
  ])('refuses (exit 2, nothing called) when %s', async (_name, arrange, message) => {
    arrange(world);
    const r = await world.run('switchover');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.out).toBe('');
    expect(world.calls('dr', 'rds', SwitchoverGlobalClusterCommand)).toHaveLength(0);
  });

  test('an unknown replication lag is a warning, not a refusal', async () => {
    world.rpoLagMs = null;
    const r = await world.run('switchover');
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/warning: no recent AuroraGlobalDBRPOLag datapoint/);
  });

  test('--dry-run checks everything and changes nothing', async () => {
    const r = await world.run('switchover', '--dry-run');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/dry run, nothing changed: would switchover primary \(us-east-1\) → dr \(us-west-2\) .* engine 16\.4 on both, replication lag 0\.8s/);
    expect(world.calls('dr', 'rds', SwitchoverGlobalClusterCommand)).toHaveLength(0);
  });

  test('times out after --timeout, saying when it was requested, what was last seen and what to run', async () => {
    world.switchDurationMs = 60 * 60_000;
    const r = await world.run('switchover', '--timeout', '2m', '--poll-interval', '15s');
    expect(r.code).toBe(1);
    expect(world.now - START).toBe(120_000);
    expect(r.err).toContain(
      'FAILED: switchover requested at 2025-01-15T12:00:00.000Z; not complete after 2m 0s (--timeout 2m 0s); ' +
        'last observed writer: primary (us-east-1, pay-dev-use1-aurora) (global cluster switching-over, switching-over). ' +
        'Aurora carries on with the switchover on its own; run `npm run dr -- status` to see where it is.',
    );
  });

  test('polling that keeps failing midway stops safely and reports the last observed state', async () => {
    let polls = 0;
    world.mocks.dr.rds.on(DescribeGlobalClustersCommand).callsFake(() => {
      polls += 1;
      // prechecks (1), first poll (2) answer; then the region's API stops answering
      if (polls <= 2) return world.globalClusterResponse();
      throw Object.assign(new Error('Connection timed out'), { name: 'TimeoutError' });
    });
    const r = await world.run('switchover');
    expect(r.code).toBe(1);
    expect(polls).toBe(5);
    expect(r.err).toMatch(
      /FAILED: switchover requested at 2025-01-15T12:00:00\.000Z; polling the global cluster failed 3 times in a row \(last error: TimeoutError: Connection timed out\); last observed writer: primary \(us-east-1, pay-dev-use1-aurora\) \(global cluster switching-over, switching-over\)\. .*run `npm run dr -- status`/,
    );
  });

  test('one failed poll is tolerated', async () => {
    let polls = 0;
    world.mocks.dr.rds.on(DescribeGlobalClustersCommand).callsFake(() => {
      polls += 1;
      if (polls === 3) throw new Error('socket hang up');
      return world.globalClusterResponse();
    });
    const r = await world.run('switchover');
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/poll failed \(1\/3\): socket hang up/);
  });

  test('a rejected SwitchoverGlobalCluster says the switchover did not start and who still writes', async () => {
    world.mocks.dr.rds
      .on(SwitchoverGlobalClusterCommand)
      .rejects(Object.assign(new Error('Global cluster is busy'), { name: 'InvalidGlobalClusterStateFault' }));
    const r = await world.run('switchover');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /FAILED: SwitchoverGlobalCluster failed \(InvalidGlobalClusterStateFault: Global cluster is busy\) and the global cluster shows no operation towards the target: the switchover did not start; the writer is still primary/,
    );
    expect(r.err).toContain('run `npm run dr -- status`');
    expect(world.designation).toEqual({ primary: 'primary', dr: 'primary' });
  });

  test('an error reading the state before acting changes nothing', async () => {
    world.mocks.primary.rds.on(DescribeGlobalClustersCommand).rejects(new Error('unused'));
    world.mocks.dr.rds.on(DescribeGlobalClustersCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const r = await world.run('switchover');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/FAILED: could not read the current state \(ThrottlingException: Rate exceeded\); nothing was changed/);
    expect(world.calls('dr', 'rds', SwitchoverGlobalClusterCommand)).toHaveLength(0);
  });

  test('--json prints the result as JSON on stdout', async () => {
    const r = await world.run('switchover', '--json');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out);
    expect(json).toMatchObject({
      outcome: 'completed',
      from: 'primary',
      to: 'dr',
      durationMs: 100_000,
      requestedAt: '2025-01-15T12:00:00.000Z',
      rpoLagBefore: { value: 800 },
    });
  });

  test.each([
    [['--timeout', 'soon'], /--timeout "soon" is not a duration/],
    [['--to', 'eu'], /--to "eu" must be "primary" or "dr"/],
    [['--confirm-data-loss'], /Unknown option '--confirm-data-loss'/],
  ])('usage error %j exits 2', async (args, message) => {
    const r = await world.run('switchover', ...args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });
});
