import { GetFunctionConcurrencyCommand, PutFunctionConcurrencyCommand } from '@aws-sdk/client-lambda';
import { DescribeDBClustersCommand, DescribeGlobalClustersCommand, FailoverGlobalClusterCommand } from '@aws-sdk/client-rds';
import { CLUSTER_ARN, FUNCTION, World } from '../support/dr-cli-world';

let world: World;
beforeEach(() => {
  world = new World();
});
afterEach(() => world.restore());

/** The primary region is down: every call into it fails. */
function primaryRegionDown(w: World) {
  const down = Object.assign(new Error('connect ETIMEDOUT 52.94.0.1:443'), { name: 'TimeoutError' });
  w.mocks.primary.rds.on(DescribeGlobalClustersCommand).rejects(down);
  w.mocks.primary.rds.on(DescribeDBClustersCommand).rejects(down);
  w.mocks.primary.lambda.on(GetFunctionConcurrencyCommand).rejects(down);
  w.mocks.primary.lambda.on(PutFunctionConcurrencyCommand).rejects(down);
}

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

  test('refuses when the target already writes', async () => {
    world.writer = 'dr';
    const r = await world.run('failover', '--confirm-data-loss');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/already the writer; nothing to fail over/);
  });

  test('primary region down: fences best-effort, fails over with data loss from DR, prints what to reconcile', async () => {
    primaryRegionDown(world);
    world.rpoLagMs = 2_500;
    const r = await world.run('failover', '--confirm-data-loss');
    expect(r.code).toBe(0);
    expect(world.calls('dr', 'rds', FailoverGlobalClusterCommand)).toEqual([
      { GlobalClusterIdentifier: 'pay-dev-global', TargetDbClusterIdentifier: CLUSTER_ARN.dr, AllowDataLoss: true },
    ]);
    // Fencing was attempted in the failed region, and its failure recorded.
    expect(world.calls('primary', 'lambda', PutFunctionConcurrencyCommand)).toEqual([
      { FunctionName: FUNCTION.primary, ReservedConcurrentExecutions: 0 },
    ]);
    expect(r.err).toMatch(/fencing: FAILED \(TimeoutError: connect ETIMEDOUT/);
    expect(r.err).toMatch(/warning: engine versions could not be compared/);
    expect(r.out).toMatch(/^failover complete: the writer is now dr \(us-west-2, pay-dev-aurora-usw2\); took 1m 40s/);
    expect(r.out).toMatch(/Fencing: FAILED for pay-dev-payments-use1 in us-east-1 .* fence it as soon as it is reachable/);
    // Window: newest lag datapoint (11:59:00) minus 2.5 s, until completion (12:01:40).
    expect(r.out).toMatch(/Window of possibly lost writes: 2025-01-15T11:58:57\.500Z → 2025-01-15T12:01:40\.000Z \(last RPO lag 2\.5s at 2025-01-15T11:59:00\.000Z\)/);
    expect(r.out).toMatch(/S3: objects written to pay-dev-artifacts-use1 in the window/);
    expect(r.out).toMatch(/DynamoDB: items of pay-dev-sessions written in us-east-1/);
    expect(r.out).toMatch(/Aurora: transactions committed on pay-dev-aurora-use1/);
    expect(r.out).toMatch(/Failback, once the failed region is back:\n  1\. /);
    expect(r.out).toMatch(/re-create it as a secondary/);
    expect(r.out).toMatch(/npm run dr -- switchover --to primary/);
    expect(world.writer).toBe('dr');
  });

  test('fencing that succeeds is recorded with the command that undoes it', async () => {
    world.mocks.primary.lambda.on(GetFunctionConcurrencyCommand).resolves({ ReservedConcurrentExecutions: 50 });
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
    expect(json.failback.join('\n')).toContain(
      'aws lambda put-function-concurrency --region us-east-1 --function-name pay-dev-payments-use1 --reserved-concurrent-executions 50',
    );
    // fencing happens before the failover request
    const fenced = world.mocks.primary.lambda.commandCalls(PutFunctionConcurrencyCommand)[0];
    const failover = world.mocks.dr.rds.commandCalls(FailoverGlobalClusterCommand)[0];
    expect(fenced.calledBefore(failover)).toBe(true);
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
    expect(r.err).toMatch(/FAILED: FailoverGlobalCluster was rejected \(InvalidDBClusterStateFault: not allowed\): the failover did not start; the writer is still primary/);
    expect(r.err).toMatch(/payment function IS fenced; .*aws lambda delete-function-concurrency --region us-east-1 --function-name pay-dev-payments-use1/);
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
    expect(r.err).toMatch(/FAILED: failover requested at 2025-01-15T12:00:00\.000Z; polling the global cluster failed 3 times in a row .*last observed writer: primary \(us-east-1, pay-dev-aurora-use1\) \(global cluster available\)/);
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
    expect(r.out).toMatch(/dry run, nothing changed: would FAIL OVER pay-dev-global to dr \(us-west-2\) with data loss allowed/);
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
