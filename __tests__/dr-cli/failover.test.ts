import { PutFunctionConcurrencyCommand, TagResourceCommand } from '@aws-sdk/client-lambda';
import { DescribeGlobalClustersCommand, FailoverGlobalClusterCommand } from '@aws-sdk/client-rds';
import { PRE_FENCE_TAG } from '../../src/dr-cli/live';
import { CLUSTER_ARN, FUNCTION, FUNCTION_ARN, World } from '../support/dr-cli-world';

let world: World;
beforeEach(() => {
  world = new World();
});
afterEach(() => world.restore());

const anyAwsCall = (w: World) =>
  w.calls('dr', 'rds', DescribeGlobalClustersCommand).length + w.calls('primary', 'rds', DescribeGlobalClustersCommand).length;

describe('failover', () => {
  test('refuses without --confirm-data-loss, before any AWS call, and points to switchover', async () => {
    const r = await world.run('failover');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/refused: failover promotes the secondary WITHOUT waiting for replication/);
    expect(r.err).toMatch(/npm run dr -- switchover/);
    expect(r.err).toMatch(/re-run with --confirm-data-loss/);
    expect(anyAwsCall(world)).toBe(0);
  });

  test('refuses from inside the failed region (the current writer) and explains why', async () => {
    world.env.AWS_REGION = 'us-east-1';
    const r = await world.run('failover', '--confirm-data-loss');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/this CLI runs in us-east-1 \(AWS_REGION\), the region of the current writer — the region that failed/);
    expect(r.err).toMatch(/may be unreachable or answer with stale state/);
    expect(r.err).toMatch(/AWS_REGION=us-west-2 npm run dr -- failover --confirm-data-loss/);
    expect(world.calls('dr', 'rds', FailoverGlobalClusterCommand)).toHaveLength(0);
    expect(world.calls('primary', 'lambda', PutFunctionConcurrencyCommand)).toHaveLength(0);
  });

  test('AWS_DEFAULT_REGION counts too', async () => {
    world.env.AWS_REGION = undefined;
    world.env.AWS_DEFAULT_REGION = 'us-east-1';
    const r = await world.run('failover', '--confirm-data-loss');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/runs in us-east-1/);
  });

  test('refuses when it cannot tell which region it runs in', async () => {
    world.env.AWS_REGION = undefined;
    const r = await world.run('failover', '--confirm-data-loss');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/cannot tell which region this CLI runs in: set AWS_REGION/);
    expect(anyAwsCall(world)).toBe(0);
  });

  test('primary region down: fails over from DR without waiting on it, fences it in parallel, records what failed', async () => {
    // Every call into us-east-1 hangs until the promotion has been requested (then times out): a failover that
    // waited on the failed region first would never get there.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let settledBeforePromotion = false;
    const down = () =>
      gate.then(() => {
        throw Object.assign(new Error('connect ETIMEDOUT 52.94.0.1:443'), { name: 'TimeoutError' });
      });
    for (const m of Object.values(world.mocks.primary)) {
      m.reset();
      m.onAnyCommand().callsFake(() => down());
    }
    world.mocks.dr.rds.on(FailoverGlobalClusterCommand).callsFake((input) => {
      release();
      world.operation = { to: 'dr', dataLoss: input.AllowDataLoss === true, completeAt: world.now + world.switchDurationMs };
      return {};
    });
    void gate.then(() => undefined, () => (settledBeforePromotion = true));
    world.rpoLagMs = 2_500;
    world.sync = 'unknown'; // the old primary does not replicate: rds.global_db_rpo must not be set on DR yet
    const r = await world.run('failover', '--confirm-data-loss');
    expect(settledBeforePromotion).toBe(false);
    expect(r.code).toBe(0);
    expect(world.calls('dr', 'rds', FailoverGlobalClusterCommand)).toEqual([
      { GlobalClusterIdentifier: 'pay-dev-aurora-global', TargetDbClusterIdentifier: CLUSTER_ARN.dr, AllowDataLoss: true },
    ]);
    // The fence was attempted in the failed region, its failure recorded, and the failover went on.
    expect(world.mocks.primary.lambda.calls().length).toBeGreaterThan(0);
    expect(r.out).toMatch(/^failover complete: the writer is now dr \(us-west-2, pay-dev-usw2-aurora\); took 1m 40s; 3 step\(s\) in us-east-1 could not be done/);
    expect(r.out).toMatch(/Fencing: FAILED for pay-dev-use1-payment-processor in us-east-1 .*re-run the failover as soon as it is reachable/);
    expect(r.out).toContain('✗ fence: fencing pay-dev-use1-payment-processor in us-east-1 FAILED (unreachable: TimeoutError: connect ETIMEDOUT');
    expect(r.out).toContain('✗ designation: setting /pay/dev-control/active-site in us-east-1 to "dr" FAILED (unreachable: TimeoutError');
    // The surviving region's designation is set; rds.global_db_rpo waits for a connected secondary.
    expect(world.designation.dr).toBe('dr');
    expect(world.globalDbRpo.dr).toBeNull();
    expect(r.out).toMatch(/= global-db-rpo: rds\.global_db_rpo on pay-dev-usw2-aurora-pg16 \(us-west-2\) NOT set yet \(default\): pay-dev-use1-aurora is not a connected secondary yet/);
    expect(r.out).toMatch(/Commit this config change .*\n {2}- {2}"activeRegion": "primary",\n {2}\+ {2}"activeRegion": "dr",/);
    // Window: newest lag datapoint (11:59:00) minus 2.5 s, until completion (12:01:40).
    expect(r.out).toMatch(/Window of possibly lost writes: 2025-01-15T11:58:57\.500Z → 2025-01-15T12:01:40\.000Z \(last RPO lag 2\.5s at 2025-01-15T11:59:00\.000Z\)/);
    expect(r.out).toMatch(/S3: objects written to pay-dev-artifacts-use1 in the window/);
    expect(r.out).toMatch(/DynamoDB: items of pay-dev-sessions written in us-east-1/);
    expect(r.out).toMatch(/Failback, once the failed region is back:\n {2}1\. /);
    expect(r.out).toMatch(/npm run dr -- failback/);
    expect(world.writer).toBe('dr');
  });

  test('fencing that succeeds records the value before the fence on the function, and flips both designations', async () => {
    const r = await world.run('failover', '--confirm-data-loss', '--json');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out);
    expect(json).toMatchObject({
      outcome: 'completed',
      failedRegion: 'us-east-1',
      fencing: { fenced: true, function: FUNCTION.primary, region: 'us-east-1', previousReservedConcurrency: 50 },
      lastRpoLag: { value: 800 },
      lossWindow: { estimated: false },
    });
    expect(world.concurrency.primary).toBe(0);
    expect(world.tags.primary).toEqual({ [PRE_FENCE_TAG]: '50' });
    expect(world.calls('primary', 'lambda', TagResourceCommand)).toEqual([{ Resource: FUNCTION_ARN('primary'), Tags: { [PRE_FENCE_TAG]: '50' } }]);
    // The tag is written before the fence: a crash in between leaves the record, never a 0 without one.
    const tagged = world.mocks.primary.lambda.commandCalls(TagResourceCommand)[0];
    const fenced = world.mocks.primary.lambda.commandCalls(PutFunctionConcurrencyCommand)[0];
    expect(tagged.calledBefore(fenced)).toBe(true);
    expect(world.designation).toEqual({ primary: 'dr', dr: 'dr' });
    // The old primary replicates again (connected): rds.global_db_rpo moves to DR.
    expect(world.globalDbRpo).toEqual({ primary: null, dr: '60' });
    expect(json.failback.join('\n')).toContain(
      'aws lambda put-function-concurrency --region us-east-1 --function-name pay-dev-use1-payment-processor --reserved-concurrent-executions 50',
    );
    expect(json.configChange).toMatch(/"activeRegion": "dr"/);
  });

  test('a re-run after the fence keeps the value before it (not the fenced 0) and finishes what is left', async () => {
    world.mocks.dr.rds.on(FailoverGlobalClusterCommand).rejectsOnce(Object.assign(new Error('not allowed'), { name: 'InvalidDBClusterStateFault' }));
    const first = await world.run('failover', '--confirm-data-loss');
    expect(first.code).toBe(1);
    expect(world.concurrency.primary).toBe(0);
    const again = new World();
    Object.assign(again, { designation: world.designation, concurrency: world.concurrency, tags: world.tags, globalDbRpo: world.globalDbRpo });
    world.restore();
    world = again;
    const r = await world.run('failover', '--confirm-data-loss', '--json');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out);
    expect(json.fencing).toMatchObject({ fenced: true, previousReservedConcurrency: 50 });
    expect(json.failback.join('\n')).toContain('--reserved-concurrent-executions 50');
    expect(json.failback.join('\n')).not.toContain('delete-function-concurrency');
    expect(world.tags.primary).toEqual({ [PRE_FENCE_TAG]: '50' });
  });

  test('a re-run once the failover is done resumes: no second FailoverGlobalCluster, the rest is finished', async () => {
    world.writer = 'dr'; // promoted by an earlier run that died before its live settings
    world.sync = 'connected';
    const r = await world.run('failover', '--confirm-data-loss');
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/resuming: the writer is already dr \(us-west-2\)/);
    expect(world.calls('dr', 'rds', FailoverGlobalClusterCommand)).toHaveLength(0);
    expect(world.designation).toEqual({ primary: 'dr', dr: 'dr' });
    expect(world.concurrency.primary).toBe(0);
    expect(world.globalDbRpo).toEqual({ primary: null, dr: '60' });
    expect(r.out).toMatch(/^failover complete: the writer is now dr .*; resumed/);
  });

  test('a FailoverGlobalCluster that timed out but started is re-read and waited for, not reported as "did not start"', async () => {
    world.mocks.dr.rds.on(FailoverGlobalClusterCommand).callsFake(() => {
      world.operation = { to: 'dr', dataLoss: true, completeAt: world.now + world.switchDurationMs };
      throw Object.assign(new Error('no answer within 12000 ms'), { name: 'DeadlineExceeded' });
    });
    const r = await world.run('failover', '--confirm-data-loss');
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/FailoverGlobalCluster answered with an error \(DeadlineExceeded: no answer within 12000 ms\), but the global cluster shows the failover under way; waiting for it/);
    expect(r.out).toMatch(/^failover complete: the writer is now dr/);
    expect(world.writer).toBe('dr');
  });

  test('without a lag datapoint the loss window is an estimate', async () => {
    world.rpoLagMs = null;
    const r = await world.run('failover', '--confirm-data-loss', '--json');
    expect(JSON.parse(r.out).lossWindow).toEqual({
      from: '2025-01-15T11:46:40.000Z',
      to: '2025-01-15T12:01:40.000Z',
      estimated: true,
    });
  });

  test('a rejected FailoverGlobalCluster says nothing moved and how to undo the fencing', async () => {
    world.mocks.dr.rds.on(FailoverGlobalClusterCommand).rejects(Object.assign(new Error('not allowed'), { name: 'InvalidDBClusterStateFault' }));
    const r = await world.run('failover', '--confirm-data-loss');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/FAILED: FailoverGlobalCluster failed \(InvalidDBClusterStateFault: not allowed\) and the global cluster shows no failover towards the target: the failover did not start; the writer is still primary/);
    expect(r.err).toMatch(/payment function IS fenced and its designation says "dr"; .*aws lambda put-function-concurrency --region us-east-1 --function-name pay-dev-use1-payment-processor --reserved-concurrent-executions 50/);
    expect(r.err).toContain('run `npm run dr -- status`');
  });

  test('polling failure after the request reports the state and still lists what to reconcile', async () => {
    let polls = 0;
    world.mocks.dr.rds.on(DescribeGlobalClustersCommand).callsFake(() => {
      polls += 1;
      if (polls === 1) return world.globalClusterResponse();
      throw new Error('Service Unavailable');
    });
    const r = await world.run('failover', '--confirm-data-loss');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/FAILED: failover requested at 2025-01-15T12:00:00\.000Z; polling the global cluster failed 3 times in a row .*last observed writer: primary \(us-east-1, pay-dev-use1-aurora\) \(global cluster available\)/);
    expect(r.err).toMatch(/Reconcile \(writes that may have been lost\)/);
  });

  test('times out after --timeout', async () => {
    world.switchDurationMs = 3_600_000;
    const r = await world.run('failover', '--confirm-data-loss', '--timeout', '5m');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/failover requested at .*; not complete after 5m 0s/);
  });

  test('--dry-run needs no confirmation and changes nothing', async () => {
    const r = await world.run('failover', '--dry-run');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/dry run, nothing changed: would FAIL OVER pay-dev-aurora-global to dr \(us-west-2\) with data loss allowed/);
    expect(world.calls('dr', 'rds', FailoverGlobalClusterCommand)).toHaveLength(0);
    expect(world.calls('primary', 'lambda', PutFunctionConcurrencyCommand)).toHaveLength(0);
  });

  test('refuses when engine versions are known to differ', async () => {
    world.engine.dr = '15.8';
    const r = await world.run('failover', '--confirm-data-loss');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/engine versions differ \(primary 16\.4, dr 15\.8\)/);
  });
});
