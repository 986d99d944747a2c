// `npm run dr -- auto` and the automatic-failover section of `status`: mode, kill switch, last run.
import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { automaticOutputs, lockCommand, stateMachineArnIn } from '../../src/dr-cli/auto';
import type { Deps } from '../../src/dr-cli/deps';
import { main } from '../../src/dr-cli/main';
import { OUTPUT_VALUES, terraformOutputs, World } from '../support/dr-cli-world';

const AUTOMATIC = {
  ...OUTPUT_VALUES,
  'failover-mode': 'automatic',
  'controller-region': 'us-west-2',
  'controller-state-machine-arn': 'arn:aws:states:us-west-2:123456789012:stateMachine:pay-dev-usw2-failover',
  'kill-switch-parameter-name': '/pay/dev-control/auto-failover',
  'last-run-parameter-name': '/pay/dev-control/auto-failover-last-run',
  'operation-lock-parameter-name': '/pay/dev-control/operation-in-progress',
};
const KILL = '/pay/dev-control/auto-failover';
const LAST_RUN = '/pay/dev-control/auto-failover-last-run';
const LOCK_NAME = '/pay/dev-control/operation-in-progress';

const RUN = {
  runId: 'auto-20250115115500',
  from: 'primary',
  to: 'dr',
  startedAt: '2025-01-15T11:55:00.000Z',
  completedAt: '2025-01-15T11:57:10.000Z',
  outcome: 'completed',
  lastReplicationLagMs: 850,
  steps: [
    { step: 'decide', status: 'ok', at: '2025-01-15T11:55:00.000Z', detail: 'every guard holds' },
    { step: 'fence (parallel, best effort)', status: 'failed', at: '2025-01-15T11:56:00.000Z', detail: 'FAILED (TimeoutError)' },
  ],
};

let world: World;
/** The controller region's SSM (the DR region's client of the test world), with the controller's parameters. */
const ssm = () => world.mocks.dr.ssm;
function fresh(): void {
  world = new World();
  ssm().on(GetParameterCommand, { Name: '/pay/dev-control/auto-failover' }).resolves({ Parameter: { Value: 'enabled' } });
  ssm().on(GetParameterCommand, { Name: '/pay/dev-control/auto-failover-last-run' }).resolves({ Parameter: { Value: JSON.stringify(RUN) } });
  ssm().on(PutParameterCommand, { Name: '/pay/dev-control/auto-failover' }).resolves({});
}
beforeEach(fresh);
afterEach(() => world.restore());
/** Both regions' controller parameters: the lock in each, and the inert controller's own kill switch and record. */
function bothRegions(): void {
  ssm().on(GetParameterCommand, { Name: LOCK_NAME }).resolves({ Parameter: { Value: 'none' } });
  // The inert controller (the active site's region, us-east-1): the same names, its own values.
  const inert = world.mocks.primary.ssm;
  inert.on(GetParameterCommand, { Name: KILL }).resolves({ Parameter: { Value: 'enabled' } });
  inert.on(GetParameterCommand, { Name: LAST_RUN }).resolves({ Parameter: { Value: 'none' } });
  inert.on(GetParameterCommand, { Name: LOCK_NAME }).resolves({ Parameter: { Value: 'none' } });
}
const puts = () => ssm().commandCalls(PutParameterCommand).filter((c) => c.args[0].input.Name === '/pay/dev-control/auto-failover');

const automatic = () => {
  world.files.set('/work/cdktf.out/outputs.json', JSON.stringify(terraformOutputs(AUTOMATIC)));
  bothRegions();
};

test('the optional outputs are found in either outputs format', () => {
  expect(automaticOutputs(terraformOutputs(AUTOMATIC))).toMatchObject({ mode: 'automatic', controllerRegion: 'us-west-2', killSwitchParameter: '/pay/dev-control/auto-failover' });
  expect(automaticOutputs({ 'payments-dr-dev': { 'failover-mode': 'manual' } })).toEqual({ mode: 'manual' });
  expect(automaticOutputs({})).toEqual({ mode: 'unknown' });
});

test('auto shows the mode, the kill switch and the last run with its steps', async () => {
  automatic();
  const r = await world.run('auto');
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/mode: automatic, controller in us-west-2/);
  expect(r.out).toMatch(/  dr us-west-2: ARMED[^\n]*\n    kill switch: enabled \(automatic failover armed\)\n    operation lock: none\n    last run: auto-20250115115500 completed, primary → dr, started 2025-01-15T11:55:00\.000Z, ended 2025-01-15T11:57:10\.000Z; last replication lag 850 ms/);
  expect(r.out).toMatch(/fence \(parallel, best effort\): failed — FAILED \(TimeoutError\)/);
  expect(r.out).toMatch(/  primary us-east-1: inert [^\n]*nothing-to-do[^\n]*\n    kill switch: enabled \(takes effect if a role swap arms this controller\)\n    operation lock: none\n    last run: none/);
  expect(r.out).toMatch(/most recent run: auto-20250115115500 completed, started 2025-01-15T11:55:00\.000Z, recorded in us-west-2 \(the armed controller\)/);
});

const primaryPuts = () => world.mocks.primary.ssm.commandCalls(PutParameterCommand).filter((c) => c.args[0].input.Name === '/pay/dev-control/auto-failover');

test('auto --disable sets the kill switch of the armed controller and of the inert one (each region has one)', async () => {
  automatic();
  world.mocks.primary.ssm.on(PutParameterCommand, { Name: '/pay/dev-control/auto-failover' }).resolves({});
  ssm().on(GetParameterCommand, { Name: '/pay/dev-control/auto-failover' }).resolves({ Parameter: { Value: 'disabled' } });
  const r = await world.run('auto', '--disable');
  expect(r.code).toBe(0);
  const put = { Name: '/pay/dev-control/auto-failover', Value: 'disabled', Type: 'String', Overwrite: true };
  // The controller's region (the DR region's client) and the other region, so a role swap does not re-arm it.
  expect(puts().map((c) => c.args[0].input)).toEqual([put]);
  expect(primaryPuts().map((c) => c.args[0].input)).toEqual([put]);
  expect(r.out).toMatch(/\(us-west-2 and us-east-1\) set to disabled/);
  expect(r.out).toMatch(/kill switch: disabled \(automatic failover will refuse\)/);
});

test('auto --disable with the other region not answering: the armed one is set, but exit 1 — that controller may be the armed one after an uncommitted failover', async () => {
  automatic();
  world.mocks.primary.ssm.on(PutParameterCommand).rejects(Object.assign(new Error('connect ETIMEDOUT'), { name: 'TimeoutError' }));
  const r = await world.run('auto', '--disable');
  expect(r.code).toBe(1);
  expect(puts()).toHaveLength(1);
  expect(r.err).toMatch(/FAILED: could not also set \/pay\/dev-control\/auto-failover in us-east-1 .*automatic failover can still run there/);
  expect(r.out).toMatch(/\(us-west-2\) set to disabled/);
});

test('auto --enable with the other region not answering: a warning, exit 0 (the armed one is enabled)', async () => {
  automatic();
  world.mocks.primary.ssm.on(PutParameterCommand).rejects(Object.assign(new Error('connect ETIMEDOUT'), { name: 'TimeoutError' }));
  const r = await world.run('auto', '--enable');
  expect(r.code).toBe(0);
  expect(r.err).toMatch(/warning: could not also set .* in us-east-1/);
});

test('auto --enable arms it again', async () => {
  automatic();
  const r = await world.run('auto', '--enable');
  expect(r.code).toBe(0);
  expect(puts()[0].args[0].input.Value).toBe('enabled');
});

test('manual mode: nothing to enable, refused with what to do', async () => {
  world.files.set('/work/cdktf.out/outputs.json', JSON.stringify(terraformOutputs({ ...OUTPUT_VALUES, 'failover-mode': 'manual' })));
  const r = await world.run('auto', '--enable');
  expect(r.code).toBe(2);
  expect(r.err).toMatch(/refused: failover\.mode is manual .*Set failover\.mode "automatic"/);
  expect(puts()).toHaveLength(0);
});

test('--enable and --disable together are refused', async () => {
  automatic();
  expect((await world.run('auto', '--enable', '--disable')).code).toBe(2);
});

test('a failed write leaves the kill switch as it was and says so', async () => {
  automatic();
  ssm().on(PutParameterCommand, { Name: '/pay/dev-control/auto-failover' }).rejects(Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException' }));
  const r = await world.run('auto', '--disable');
  expect(r.code).toBe(1);
  expect(r.err).toMatch(/FAILED: could not set \/pay\/dev-control\/auto-failover in us-west-2 .*the kill switch is unchanged/);
});

test('status reports mode, kill switch and last run; an unreadable controller region is marked, not waited on', async () => {
  automatic();
  const ok = await world.run('status');
  expect(ok.out).toMatch(/\n\nAutomatic failover\n  mode: automatic, controller in us-west-2[^\n]*\n  dr us-west-2: ARMED[^\n]*\n    kill switch: enabled[^\n]*\n    operation lock: none\n    last run: auto-20250115115500 completed/);
  world.restore();
  fresh();
  automatic();
  for (const name of ['/pay/dev-control/auto-failover', '/pay/dev-control/auto-failover-last-run']) {
    ssm().on(GetParameterCommand, { Name: name }).rejects(Object.assign(new Error('connect ETIMEDOUT'), { name: 'TimeoutError' }));
  }
  const bad = await world.run('status', '--json');
  const json = JSON.parse(bad.out);
  expect(json.automaticFailover).toMatchObject({ mode: 'automatic', killSwitch: { error: expect.stringMatching(/ETIMEDOUT/) }, lastRun: { error: expect.stringMatching(/ETIMEDOUT/) } });
  expect(bad.code).toBe(1);
});

describe("both regions' controllers: each region's control parameters, read in parallel", () => {
  /** The failover just run by the us-west-2 controller, 3 minutes ago; since the swap that controller is inert. */
  const FAILOVER = { ...RUN, runId: 'auto-20250115115700', startedAt: '2025-01-15T11:57:00.000Z', completedAt: '2025-01-15T11:59:30.000Z' };
  /** An older run of the us-east-1 controller (armed since the swap), a failback drill last year. */
  const OLDER = { ...RUN, runId: 'auto-20241101090000', from: 'dr', to: 'primary', startedAt: '2024-11-01T09:00:00.000Z', completedAt: '2024-11-01T09:02:00.000Z' };
  /** After the failover to dr and the `activeRegion: "dr"` commit: the armed controller is the primary region's. */
  const swapped = () => {
    const arn = 'arn:aws:states:us-east-1:123456789012:stateMachine:pay-dev-use1-failover';
    world.files.set('/work/cdktf.out/outputs.json', JSON.stringify(terraformOutputs({ ...AUTOMATIC, 'active-region': 'dr', 'controller-region': 'us-east-1', 'controller-state-machine-arn': arn })));
    bothRegions();
  };
  const names = (role: 'primary' | 'dr') => world.calls(role, 'ssm', GetParameterCommand).map((i: { Name: string }) => i.Name).sort();

  test('reads the kill switch, last run and operation lock in both regions, under the same names', async () => {
    automatic();
    const r = await world.run('auto', '--json');
    expect(r.code).toBe(0);
    expect(names('primary')).toEqual([KILL, LAST_RUN, LOCK_NAME].sort());
    expect(names('dr')).toEqual([KILL, LAST_RUN, LOCK_NAME].sort());
    const json = JSON.parse(r.out);
    expect(json.controllers.dr).toMatchObject({ role: 'dr', region: 'us-west-2', armed: true, killSwitch: 'enabled', operationLock: 'none', lastRun: { runId: RUN.runId } });
    expect(json.controllers.primary).toEqual({ role: 'primary', region: 'us-east-1', armed: false, killSwitch: 'enabled', operationLock: 'none', lastRun: 'none' });
    expect(json.mostRecentRun).toEqual({ role: 'dr', region: 'us-west-2', armed: true, runId: RUN.runId, outcome: 'completed', startedAt: RUN.startedAt });
  });

  test('after a failover and the role swap, the failover record in the now-inert region is shown and named the most recent', async () => {
    swapped();
    ssm().on(GetParameterCommand, { Name: LAST_RUN }).resolves({ Parameter: { Value: JSON.stringify(FAILOVER) } });
    world.mocks.primary.ssm.on(GetParameterCommand, { Name: LAST_RUN }).resolves({ Parameter: { Value: JSON.stringify(OLDER) } });
    const r = await world.run('status');
    expect(r.code).toBe(0);
    // The armed one (us-east-1) first with its older record, then the inert one with the failover that just happened.
    expect(r.out).toMatch(/  primary us-east-1: ARMED[^\n]*\n    kill switch: enabled \(automatic failover armed\)\n    operation lock: none\n    last run: auto-20241101090000 completed, dr → primary/);
    expect(r.out).toMatch(/  dr us-west-2: inert [^\n]*\n    kill switch: enabled \(takes effect[^\n]*\n    operation lock: none\n    last run: auto-20250115115700 completed, primary → dr, started 2025-01-15T11:57:00\.000Z, ended 2025-01-15T11:59:30\.000Z/);
    expect(r.out).toMatch(/most recent run: auto-20250115115700 completed, started 2025-01-15T11:57:00\.000Z, recorded in us-west-2 \(the inert controller: /);
    const json = JSON.parse((await world.run('status', '--json')).out.slice(r.out.length));
    expect(json.automaticFailover.controllerRegion).toBe('us-east-1');
    expect(json.automaticFailover.lastRun.runId).toBe(OLDER.runId); // the armed controller's, as before
    expect(json.automaticFailover.mostRecentRun).toEqual({ role: 'dr', region: 'us-west-2', armed: false, runId: FAILOVER.runId, outcome: 'completed', startedAt: FAILOVER.startedAt });
  });

  test('a region that never answers is marked UNREACHABLE within the deadline; the other region is still shown', async () => {
    swapped();
    ssm().on(GetParameterCommand, { Name: LAST_RUN }).resolves({ Parameter: { Value: JSON.stringify(FAILOVER) } });
    // The armed controller's region (us-east-1) accepts the call and never answers: a regional outage.
    world.mocks.primary.ssm.on(GetParameterCommand).callsFake(() => new Promise(() => undefined));
    const started = Date.now();
    const code = await main(['status'], { ...world.deps(), statusBudgetMs: 600 });
    expect(Date.now() - started).toBeLessThan(600 + 1_000);
    expect(code).toBe(1);
    const out = world.stdout.text;
    expect(out).toMatch(/  primary us-east-1: ARMED[^\n]* — UNREACHABLE \(no answer within the deadline\)\n    kill switch: UNREACHABLE \(DeadlineExceeded: GetParameter \/pay\/dev-control\/auto-failover \(us-east-1\): no answer within 600 ms\)/);
    expect(out).toMatch(/    last run: UNREACHABLE/);
    expect(out).toMatch(/  dr us-west-2: inert[^\n]*\n    kill switch: enabled[^\n]*\n    operation lock: none\n    last run: auto-20250115115700 completed/);
    // Not "none": the unreadable region's record may be the newer one.
    expect(out).toMatch(/most recent run: auto-20250115115700 completed[^\n]*; us-east-1 could not be read: its record may be newer\n/);
    expect(out).toMatch(/UNREACHABLE \(no answer within the deadline\): [^\n]*us-east-1/);
  });

  test('a held operation lock and kill switches that differ are shown; JSON marks the unreachable region', async () => {
    automatic();
    ssm()
      .on(GetParameterCommand, { Name: LOCK_NAME })
      .resolves({ Parameter: { Value: JSON.stringify({ operation: 'deploy', by: 'ci-bot', since: '2025-01-15T11:50:00.000Z', until: '2025-01-15T13:20:00.000Z' }) } });
    world.mocks.primary.ssm.on(GetParameterCommand, { Name: KILL }).resolves({ Parameter: { Value: 'disabled' } });
    world.mocks.primary.ssm.on(GetParameterCommand, { Name: LOCK_NAME }).rejects(Object.assign(new Error('connect ETIMEDOUT'), { name: 'TimeoutError' }));
    const r = await world.run('auto');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/operation lock: HELD: deploy by ci-bot since 2025-01-15T11:50:00\.000Z until 2025-01-15T13:20:00\.000Z \(automatic failover refuses until then\)/);
    expect(r.out).toMatch(/kill switch: disabled \(takes effect if a role swap arms this controller\)/);
    expect(r.out).toMatch(/NOTE: the two kill switches differ/);
    const json = JSON.parse((await world.run('auto', '--json')).out.slice(r.out.length));
    expect(json.controllers.primary).toMatchObject({ unreachable: true, operationLock: { error: expect.stringMatching(/ETIMEDOUT/), unreachable: true } });
    expect(json.controllers.dr.operationLock).toMatchObject({ operation: 'deploy', expired: false });
    expect(json.controllers.dr.unreachable).toBeUndefined();
  });

  test('a stack whose other region has no controller parameters yet: named, not hidden', async () => {
    automatic();
    world.mocks.primary.ssm.on(GetParameterCommand).rejects(Object.assign(new Error('ParameterNotFound'), { name: 'ParameterNotFound' }));
    const r = await world.run('auto');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/  primary us-east-1: inert[^\n]*\n    kill switch: UNREADABLE \(parameter not found \(no controller parameters in this region: deploy the current stack\)\)/);
    expect(r.out).toMatch(/most recent run: auto-20250115115500 completed/);
  });
});

describe("each controller's latest execution and Decide's verdict (Step Functions, both regions)", () => {
  const ARMED_ARN = AUTOMATIC['controller-state-machine-arn'];
  const INERT_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:pay-dev-use1-failover';
  const sfn = mockClient(SFNClient);
  afterEach(() => sfn.reset());
  afterAll(() => sfn.restore());
  /** The world's clients plus a Step Functions client per region (the mock answers for every instance). */
  const withSfn = (extra: Partial<Deps> = {}): Deps => {
    const d = world.deps();
    const clients = new Map<string, SFNClient>();
    const inRegion = d.aws.inRegion;
    return {
      ...d,
      ...extra,
      aws: {
        ...d.aws,
        inRegion: (r: string) => {
          if (!clients.has(r)) clients.set(r, new SFNClient({ region: r }));
          return { ...inRegion(r), sfn: clients.get(r)! };
        },
      },
    };
  };
  const execution = (arn: string, name: string, start: string, stop?: string) => ({
    executions: [{ executionArn: `${arn.replace(':stateMachine:', ':execution:')}:${name}`, stateMachineArn: arn, name, status: stop ? ('SUCCEEDED' as const) : ('RUNNING' as const), startDate: new Date(start), ...(stop ? { stopDate: new Date(stop) } : {}) }],
  });
  const decided = (verdict: string, detail: string) =>
    JSON.stringify({ go: false, verdict, record: { outcome: verdict, steps: [{ step: 'decide', status: verdict === 'refused' ? 'refused' : 'skipped', at: '2025-01-15T11:40:00.000Z', detail }] } });

  test('the other region\'s state machine ARN is derived from the armed one (region and region code)', () => {
    expect(stateMachineArnIn(ARMED_ARN, 'us-west-2', 'us-east-1')).toBe(INERT_ARN);
    expect(stateMachineArnIn(ARMED_ARN, 'us-west-2', 'us-west-2')).toBe(ARMED_ARN);
    expect(stateMachineArnIn(ARMED_ARN, 'us-east-1', 'us-west-2')).toBeUndefined(); // not the armed region's ARN
    expect(stateMachineArnIn('arn:aws:states:us-west-2:123456789012:stateMachine:renamed', 'us-west-2', 'us-east-1')).toBeUndefined();
  });

  test('the inert controller\'s nothing-to-do and the armed one\'s refusal are shown with their reasons', async () => {
    automatic();
    sfn.on(ListExecutionsCommand, { stateMachineArn: INERT_ARN }).resolves(execution(INERT_ARN, 'probe-1', '2025-01-15T11:40:00.000Z', '2025-01-15T11:40:02.000Z'));
    sfn.on(ListExecutionsCommand, { stateMachineArn: ARMED_ARN }).resolves(execution(ARMED_ARN, 'probe-2', '2025-01-15T11:45:00.000Z', '2025-01-15T11:45:03.000Z'));
    sfn.on(DescribeExecutionCommand, { executionArn: `${INERT_ARN.replace(':stateMachine:', ':execution:')}:probe-1` }).resolves({
      output: decided('nothing-to-do', 'nothing to fail over: this site (primary) already holds the designation and the writer'),
    });
    sfn.on(DescribeExecutionCommand, { executionArn: `${ARMED_ARN.replace(':stateMachine:', ':execution:')}:probe-2` }).resolves({
      output: decided('refused', 'kill switch is "disabled" (npm run dr -- auto --enable)'),
    });
    expect(await main(['status'], withSfn())).toBe(0);
    const out = world.stdout.text;
    expect(out).toMatch(/  dr us-west-2: ARMED[^]*?    last execution: probe-2 SUCCEEDED, started 2025-01-15T11:45:00\.000Z, stopped 2025-01-15T11:45:03\.000Z; verdict refused \(kill switch is "disabled"/);
    expect(out).toMatch(/  primary us-east-1: inert[^]*?    last execution: probe-1 SUCCEEDED, started 2025-01-15T11:40:00\.000Z, stopped 2025-01-15T11:40:02\.000Z; verdict nothing-to-do \(nothing to fail over: this site \(primary\)/);
    expect(await main(['auto', '--json'], withSfn())).toBe(0);
    const json = JSON.parse(world.stdout.text.slice(out.length));
    expect(json.controllers.primary.lastExecution).toEqual({
      name: 'probe-1',
      status: 'SUCCEEDED',
      startedAt: '2025-01-15T11:40:00.000Z',
      stoppedAt: '2025-01-15T11:40:02.000Z',
      verdict: 'nothing-to-do',
      outcome: 'nothing-to-do',
      reasons: 'nothing to fail over: this site (primary) already holds the designation and the writer',
    });
  });

  test('an output that cannot be decrypted still shows the execution, says why, and is not an error; a running one is not described', async () => {
    automatic();
    sfn.on(ListExecutionsCommand, { stateMachineArn: INERT_ARN }).resolves(execution(INERT_ARN, 'probe-1', '2025-01-15T11:40:00.000Z', '2025-01-15T11:40:02.000Z'));
    sfn.on(ListExecutionsCommand, { stateMachineArn: ARMED_ARN }).resolves(execution(ARMED_ARN, 'run-9', '2025-01-15T11:59:00.000Z'));
    sfn.on(DescribeExecutionCommand).rejects(Object.assign(new Error('User is not authorized to perform kms:Decrypt'), { name: 'KmsAccessDeniedException' }));
    expect(await main(['auto'], withSfn())).toBe(0);
    const out = world.stdout.text;
    expect(out).toMatch(/last execution: probe-1 SUCCEEDED, [^\n]*; verdict unreadable \([^\n]*kms:Decrypt[^\n]*needs kms:Decrypt on the region's logs key\)/);
    expect(out).toMatch(/last execution: run-9 RUNNING, started 2025-01-15T11:59:00\.000Z\n/);
    expect(sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(1);
  });

  test('Step Functions not answering in one region marks that region UNREACHABLE within the deadline', async () => {
    automatic();
    sfn.on(ListExecutionsCommand, { stateMachineArn: ARMED_ARN }).resolves({ executions: [] });
    sfn.on(ListExecutionsCommand, { stateMachineArn: INERT_ARN }).callsFake(() => new Promise(() => undefined));
    const started = Date.now();
    expect(await main(['status'], withSfn({ statusBudgetMs: 600 }))).toBe(1);
    expect(Date.now() - started).toBeLessThan(600 + 1_000);
    const out = world.stdout.text;
    expect(out).toMatch(/  primary us-east-1: inert[^\n]* — UNREACHABLE \(no answer within the deadline\)[^]*?last execution: UNREACHABLE \(DeadlineExceeded: ListExecutions/);
    expect(out).toMatch(/  dr us-west-2: ARMED[^]*?last execution: none/);
  });
});

describe('lock: the operation lock the controller honours, taken and released around deploys', () => {
  const LOCK = '/pay/dev-control/operation-in-progress';
  const config = (mode: 'manual' | 'automatic', activeRegion: 'primary' | 'dr' = 'primary') => ({
    namePrefix: 'pay',
    environmentSuffix: 'dev',
    activeRegion,
    regions: { primary: { region: 'us-east-1' }, dr: { region: 'us-west-2' } },
    failover: { mode },
  });
  const lockPuts = (role: 'primary' | 'dr') => world.mocks[role].ssm.commandCalls(PutParameterCommand).filter((c) => c.args[0].input.Name === LOCK);

  test('automatic mode: a lock with an expiry in the passive region, then released', async () => {
    const ours = JSON.stringify({ operation: 'deploy', by: 'ci-bot', since: '2025-01-15T12:00:00.000Z', until: '2025-01-15T13:30:00.000Z' });
    world.mocks.dr.ssm.on(GetParameterCommand, { Name: LOCK }).resolvesOnce({ Parameter: { Value: 'none' } }).resolves({ Parameter: { Value: ours } });
    world.mocks.dr.ssm.on(PutParameterCommand, { Name: LOCK }).resolves({});
    world.env.GITHUB_ACTOR = 'ci-bot';
    expect(await lockCommand(world.deps(), config('automatic'), { operation: 'deploy', forMs: 90 * 60_000, release: false })).toBe(0);
    const taken = JSON.parse(lockPuts('dr')[0].args[0].input.Value!);
    expect(taken).toEqual({ operation: 'deploy', by: 'ci-bot', since: '2025-01-15T12:00:00.000Z', until: '2025-01-15T13:30:00.000Z' });
    expect(await lockCommand(world.deps(), config('automatic'), { operation: 'deploy', forMs: 1, release: true })).toBe(0);
    expect(lockPuts('dr')[1].args[0].input.Value).toBe('none');
    expect(lockPuts('primary')).toHaveLength(0);
  });

  test('the lock is owned by its operation: a deploy neither takes over nor releases an operator\'s unexpired lock', async () => {
    const switchover = JSON.stringify({ operation: 'switchover', by: 'alice', since: '2025-01-15T11:50:00.000Z', until: '2025-01-15T12:30:00.000Z' });
    world.mocks.dr.ssm.on(GetParameterCommand, { Name: LOCK }).resolves({ Parameter: { Value: switchover } });
    world.mocks.dr.ssm.on(PutParameterCommand, { Name: LOCK }).resolves({});
    expect(await lockCommand(world.deps(), config('automatic'), { operation: 'deploy', forMs: 90 * 60_000, release: false })).toBe(2);
    expect(await lockCommand(world.deps(), config('automatic'), { operation: 'deploy', forMs: 1, release: true })).toBe(2);
    expect(lockPuts('dr')).toHaveLength(0);
    expect(world.stderr.text).toMatch(/REFUSED: the operation lock is held by "switchover" \(alice, until 2025-01-15T12:30:00\.000Z\)/);
    expect(world.stderr.text).toMatch(/npm run dr -- lock --release --operation switchover/);
    // Its holder releases it.
    expect(await lockCommand(world.deps(), config('automatic'), { operation: 'switchover', forMs: 1, release: true })).toBe(0);
    expect(lockPuts('dr').map((c) => c.args[0].input.Value)).toEqual(['none']);
  });

  test('an expired lock of another operation is taken; releasing when nothing is held writes nothing', async () => {
    const expired = JSON.stringify({ operation: 'drill', by: 'bob', since: '2025-01-15T09:00:00.000Z', until: '2025-01-15T10:00:00.000Z' });
    world.mocks.dr.ssm.on(GetParameterCommand, { Name: LOCK }).resolvesOnce({ Parameter: { Value: expired } }).resolves({ Parameter: { Value: 'none' } });
    world.mocks.dr.ssm.on(PutParameterCommand, { Name: LOCK }).resolves({});
    expect(await lockCommand(world.deps(), config('automatic'), { operation: 'deploy', forMs: 60_000, release: false })).toBe(0);
    expect(JSON.parse(lockPuts('dr')[0].args[0].input.Value!).operation).toBe('deploy');
    expect(await lockCommand(world.deps(), config('automatic'), { operation: 'deploy', forMs: 1, release: true })).toBe(0);
    expect(lockPuts('dr')).toHaveLength(1);
    expect(world.stdout.text).toMatch(/nothing to release/);
  });

  test('with activeRegion "dr" the controller, and so the lock, is in the primary region', async () => {
    world.mocks.primary.ssm.on(GetParameterCommand, { Name: LOCK }).resolves({ Parameter: { Value: 'none' } });
    world.mocks.primary.ssm.on(PutParameterCommand, { Name: LOCK }).resolves({});
    expect(await lockCommand(world.deps(), config('automatic', 'dr'), { operation: 'deploy', forMs: 60_000, release: false })).toBe(0);
    expect(lockPuts('primary')).toHaveLength(1);
  });

  test('manual mode, or no controller deployed yet: nothing to lock, exit 0, nothing written', async () => {
    expect(await lockCommand(world.deps(), config('manual'), { operation: 'deploy', forMs: 60_000, release: false })).toBe(0);
    // The world's SSM answers ParameterNotFound for anything but the designation.
    expect(await lockCommand(world.deps(), config('automatic'), { operation: 'deploy', forMs: 60_000, release: false })).toBe(0);
    expect(world.stdout.text).toMatch(/does not exist in us-west-2 yet/);
    expect(lockPuts('dr')).toHaveLength(0);
  });

  test('an unreadable controller region fails the step (exit 1) and says so', async () => {
    world.mocks.dr.ssm.on(GetParameterCommand, { Name: LOCK }).rejects(Object.assign(new Error('connect ETIMEDOUT'), { name: 'TimeoutError' }));
    expect(await lockCommand(world.deps(), config('automatic'), { operation: 'deploy', forMs: 60_000, release: false })).toBe(1);
    expect(world.stderr.text).toMatch(/FAILED: could not read \/pay\/dev-control\/operation-in-progress in us-west-2/);
  });

  test('the command reads the config being deployed (DR_CONFIG) and refuses a bad --for', async () => {
    expect((await world.run('lock', '--for', 'soon')).code).toBe(2);
    const r = await world.run('lock', '--operation', 'deploy', '--for', '30m');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/failover\.mode is manual: there is no automatic controller, nothing to lock/);
  });
});
