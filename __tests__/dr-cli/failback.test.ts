import { FailoverGlobalClusterCommand, SwitchoverGlobalClusterCommand } from '@aws-sdk/client-rds';
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import { PRE_FENCE_TAG } from '../../src/dr-cli/live';
import { CLUSTER_ARN, World } from '../support/dr-cli-world';

let world: World;
beforeEach(() => {
  world = new World();
});
afterEach(() => world.restore());

/** The state a failover to DR leaves once us-east-1 is back: DR writes, the primary is fenced and rejoined. */
async function afterFailover(w: World): Promise<void> {
  const r = await w.run('failover', '--confirm-data-loss');
  expect(r.code).toBe(0);
  expect(w.tags.primary).toEqual({ [PRE_FENCE_TAG]: '50' });
  w.stdout.text = '';
  w.stderr.text = '';
}

describe('failback', () => {
  test('switches back to the old site, restores its designation, lifts its fence, moves rds.global_db_rpo, prints the config change', async () => {
    await afterFailover(world);
    expect(world.designation).toEqual({ primary: 'dr', dr: 'dr' });
    const r = await world.run('failback');
    expect(r.code).toBe(0);
    expect(world.calls('primary', 'rds', SwitchoverGlobalClusterCommand)).toEqual([
      { GlobalClusterIdentifier: 'pay-dev-aurora-global', TargetDbClusterIdentifier: CLUSTER_ARN.primary },
    ]);
    expect(world.writer).toBe('primary');
    expect(world.designation).toEqual({ primary: 'primary', dr: 'primary' });
    expect(world.globalDbRpo).toEqual({ primary: '60', dr: null });
    // The fence is lifted with the value recorded before it, and the record removed.
    expect(world.concurrency.primary).toBe(50);
    expect(world.tags.primary).toEqual({});
    expect(r.out).toMatch(/^failback complete: the writer is now primary \(us-east-1, pay-dev-use1-aurora\)/);
    expect(r.out).toContain('✓ unfence: pay-dev-use1-payment-processor in us-east-1: reserved concurrency 0 → 50 (recorded before the fence)');
    // The deployed config (outputs: active-region primary) already says primary: nothing to commit.
    expect(r.out).toMatch(/Config: no change needed; the deployed config already says "activeRegion": "primary"/);
  });

  test('after the config change to dr was deployed, failback prints the change back to primary', async () => {
    await afterFailover(world);
    world.files.set('/work/cdktf.out/outputs.json', world.files.get('/work/cdktf.out/outputs.json')!.replace('"value":"primary"', '"value":"dr"'));
    const r = await world.run('failback');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/ {2}- {2}"activeRegion": "dr",\n {2}\+ {2}"activeRegion": "primary",/);
  });

  test('refuses until the old cluster has rejoined as a connected secondary', async () => {
    world.setWriter('dr');
    world.sync = 'pending-resync';
    const r = await world.run('failback');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/refused: pay-dev-use1-aurora \(us-east-1\) has not rejoined pay-dev-aurora-global as a connected secondary \(synchronization "pending-resync"\)/);
    expect(world.calls('primary', 'rds', SwitchoverGlobalClusterCommand)).toHaveLength(0);
    expect(world.calls('dr', 'rds', SwitchoverGlobalClusterCommand)).toHaveLength(0);
  });

  test('a fence without a record needs --restore-concurrency; the switchover itself is done and a re-run finishes', async () => {
    world.setWriter('dr');
    world.designation = { primary: 'dr', dr: 'dr' };
    world.concurrency.primary = 0; // fenced by hand, nothing recorded
    const r = await world.run('failback');
    expect(r.code).toBe(1);
    expect(world.writer).toBe('primary');
    expect(r.err).toMatch(/failback: the writer is now primary .*, but 1 live setting\(s\) failed: .*no value before the fence was recorded; re-run with --restore-concurrency/);
    expect(r.err).toMatch(/Re-run `npm run dr -- failback --to primary`: it resumes/);
    world.stdout.text = '';
    world.stderr.text = '';
    const again = await world.run('failback', '--to', 'primary', '--restore-concurrency', '50');
    expect(again.code).toBe(0);
    expect(again.err).toMatch(/resuming: the writer is already primary \(us-east-1\)/);
    expect(world.concurrency.primary).toBe(50);
    // Nothing was switched twice.
    expect(world.calls('primary', 'rds', SwitchoverGlobalClusterCommand)).toHaveLength(1);
  });
});

describe('switchover resumes', () => {
  test('a re-run after the writer moved but before the designations were set finishes them, without a second switchover', async () => {
    let puts = 0;
    world.mocks.primary.ssm.on(PutParameterCommand).callsFake((input: { Value?: string }) => {
      if (++puts === 1) throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
      world.designation.primary = input.Value ?? null;
      return { Version: 3 };
    });
    const first = await world.run('switchover');
    expect(first.code).toBe(1);
    expect(world.writer).toBe('dr');
    expect(world.designation).toEqual({ primary: 'primary', dr: 'dr' });
    expect(first.err).toMatch(/but 1 live setting\(s\) failed: setting \/pay\/dev-control\/active-site in us-east-1 to "dr" FAILED \(ThrottlingException: Rate exceeded\)/);
    const r = await world.run('switchover');
    expect(r.code).toBe(0);
    expect(world.designation).toEqual({ primary: 'dr', dr: 'dr' });
    expect(world.calls('dr', 'rds', SwitchoverGlobalClusterCommand)).toHaveLength(1);
  });

  test('a re-run while the switchover it requested is still running waits for it instead of starting another', async () => {
    world.operation = { to: 'dr', dataLoss: false, completeAt: world.now + 30_000 };
    const r = await world.run('switchover');
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/resuming: an operation towards the target is already running/);
    expect(world.calls('dr', 'rds', SwitchoverGlobalClusterCommand)).toHaveLength(0);
    expect(world.designation).toEqual({ primary: 'dr', dr: 'dr' });
  });

  test('a SwitchoverGlobalCluster that errs but started is waited for', async () => {
    world.mocks.dr.rds.on(SwitchoverGlobalClusterCommand).callsFake(() => {
      world.operation = { to: 'dr', dataLoss: false, completeAt: world.now + world.switchDurationMs };
      throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    });
    const r = await world.run('switchover');
    expect(r.code).toBe(0);
    expect(world.writer).toBe('dr');
    expect(world.calls('dr', 'rds', FailoverGlobalClusterCommand)).toHaveLength(0);
  });
});
