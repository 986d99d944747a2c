// The automatic failover controller: its guards (pure) and its tasks against mocked AWS.
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { LambdaClient, PutFunctionConcurrencyCommand } from '@aws-sdk/client-lambda';
import { DescribeGlobalClustersCommand, FailoverGlobalClusterCommand, ModifyDBClusterParameterGroupCommand, RDSClient } from '@aws-sdk/client-rds';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { evaluateGuards, type GuardInput } from '../../lambdas/failover-controller/guards';
import { type ControllerState, createController, type HttpResponse, PROMOTION_BUDGET_EXCEEDED_SUBJECT } from '../../lambdas/failover-controller';
import type { RunRecord } from '../../lambdas/shared/control';
import { PROBE_MERCHANT_ID, SYNTHETIC_PROBE_HEADER, verifyProbeToken } from '../../lambdas/shared/probe';
import { silentObservability } from '../support/lambda';

const NOW = new Date(Date.UTC(2026, 10, 27, 3, 0, 0));
const HOUR = 3600_000;
const TARGET = 'arn:aws:rds:us-west-2:123456789012:cluster:pay-dev-usw2-aurora';
const OLD = 'arn:aws:rds:us-east-1:123456789012:cluster:pay-dev-use1-aurora';
const EXECUTION = 'arn:aws:states:us-west-2:123456789012:execution:pay-dev-usw2-failover:auto-20261127030000';
const evidence = { failedSite: 'primary', consecutiveFailures: 3, route53View: 'unhealthy' };

describe('guards', () => {
  const ok: GuardInput = {
    now: NOW,
    self: 'dr',
    threshold: 3,
    cooldownMs: HOUR,
    evidence,
    killSwitch: 'enabled',
    operation: 'none',
    designation: { value: 'primary', lastModified: new Date(NOW.getTime() - 30 * 24 * HOUR) },
    lastRun: undefined,
    globalCluster: { writerIsTarget: false, operationInProgress: false, targetIsMember: true },
    otherRuns: 0,
  };

  test('every guard holding: go', () => {
    expect(evaluateGuards(ok)).toEqual({ go: true, verdict: 'go', reasons: [], page: false });
  });

  test.each<[string, Partial<GuardInput>, RegExp]>([
    ['one failed probe', { evidence: { ...evidence, consecutiveFailures: 1 } }, /1 consecutive failed probes, 3 required/],
    ['the prober alone, Route 53 still healthy', { evidence: { ...evidence, route53View: 'healthy' } }, /Route 53 view is "healthy"/],
    ['the kill switch off', { killSwitch: 'disabled' }, /kill switch is "disabled"/],
    ['the kill switch unreadable', { killSwitch: undefined }, /kill switch unreadable \(fail safe\)/],
    ['a DR operation in progress', { operation: { operation: 'switchover', since: '2026-11-27T02:58:00Z', until: '2026-11-27T03:30:00Z' } }, /switchover in progress/],
    ['a deploy in progress', { operation: { operation: 'deploy', since: '2026-11-27T02:59:00Z', until: '2026-11-27T03:20:00Z' } }, /deploy in progress/],
    ['the cool-down after a manual failover (designation changed 10 min ago)', { designation: { value: 'primary', lastModified: new Date(NOW.getTime() - 600_000) } }, /cool-down: the designation changed/],
    [
      'the cool-down after an automatic run',
      { lastRun: { runId: 'auto-1', from: 'dr', to: 'primary', startedAt: new Date(NOW.getTime() - 1800_000).toISOString(), outcome: 'completed', steps: [] } as RunRecord },
      /cool-down: the last automatic failover \(auto-1\)/,
    ],
    ['this site designated but the writer elsewhere (half-finished)', { designation: { value: 'dr' } }, /already the active site but the writer is not here/],
    [
      'the writer here but the designation elsewhere (half-finished)',
      { globalCluster: { writerIsTarget: true, operationInProgress: false, targetIsMember: true } },
      /writer is already in this region but the designation names primary/,
    ],
    ['this region\'s cluster not rejoined after the last failover', { globalCluster: { writerIsTarget: false, operationInProgress: false, targetIsMember: false } }, /not a member of the global cluster/],
    ['this site designated, the writer unreadable', { designation: { value: 'dr' }, globalCluster: undefined }, /global cluster unreadable/],
    ['a global cluster failover in progress', { globalCluster: { writerIsTarget: false, operationInProgress: true, targetIsMember: true } }, /in progress/],
    ['the global cluster unreadable', { globalCluster: undefined }, /global cluster unreadable/],
    ['another run in progress', { otherRuns: 1 }, /1 other automatic run/],
  ])('refuses and pages: %s', (_what, change, reason) => {
    const d = evaluateGuards({ ...ok, ...change });
    expect(d).toMatchObject({ go: false, verdict: 'refused', page: true });
    expect(d.reasons.join('; ')).toMatch(reason);
  });

  describe('the active site\'s controller is inert: its site holds the designation and the writer', () => {
    const active: GuardInput = {
      ...ok,
      designation: { value: 'dr', lastModified: new Date(NOW.getTime() - 30 * 24 * HOUR) },
      globalCluster: { writerIsTarget: true, operationInProgress: false, targetIsMember: true },
    };

    test('the passive site failing: nothing to fail over, not paged by the controller (the peer-site-down alarm pages)', () => {
      expect(evaluateGuards(active)).toEqual({
        go: false,
        verdict: 'nothing-to-do',
        page: false,
        reasons: ['nothing to fail over: this site (dr) already holds the designation and the writer; the primary site (passive) failing is paged by this region\'s peer-site-down alarm'],
      });
    });

    test.each<[string, Partial<GuardInput>]>([
      ['started by hand without evidence', { evidence: undefined }],
      ['with every other guard failing too (kill switch off, lock held, cool-down)', { killSwitch: 'disabled', operation: undefined, designation: { value: 'dr', lastModified: NOW } }],
      ['the evidence naming this very site', { evidence: { ...evidence, failedSite: 'dr' } }],
    ])('%s: still nothing to do, never a failover, never a page', (_w, change) => {
      const d = evaluateGuards({ ...active, ...change });
      expect(d).toMatchObject({ go: false, verdict: 'nothing-to-do', page: false });
      expect(d.reasons).toHaveLength(1);
      expect(d.reasons[0]).toMatch(/^nothing to fail over: this site \(dr\) already holds the designation and the writer/);
    });
  });

  test('a nothing-to-do run does not start a cool-down', () => {
    const inert = { runId: 'auto-0', from: 'primary', to: 'dr', startedAt: NOW.toISOString(), outcome: 'nothing-to-do', steps: [] } as RunRecord;
    expect(evaluateGuards({ ...ok, lastRun: inert }).go).toBe(true);
  });

  test('an expired lock (a crashed operation) does not block', () => {
    expect(evaluateGuards({ ...ok, operation: { operation: 'deploy', since: '2026-11-27T01:00:00Z', until: '2026-11-27T02:00:00Z' } }).go).toBe(true);
  });

  test('a refused run does not start a cool-down', () => {
    const refused = { runId: 'auto-0', from: 'primary', to: 'dr', startedAt: NOW.toISOString(), outcome: 'refused', steps: [] } as RunRecord;
    expect(evaluateGuards({ ...ok, lastRun: refused }).go).toBe(true);
  });
});

const PROBE_KEY = 'pr0be-k3y-0f-the-failover-controllers-abcdefgh';
const SYNTHETIC_ANSWER = { status: 201, body: '{"id":"p1","synthetic":true,"region":"us-west-2"}' };

interface Posted {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

function world(opts: { killSwitch?: string; writer?: string; designation?: string; post?: (n: number) => HttpResponse; oldConnected?: boolean } = {}) {
  const clients = {
    ssm: new SSMClient({ region: 'us-west-2' }),
    peerSsm: new SSMClient({ region: 'us-east-1' }),
    rds: new RDSClient({ region: 'us-west-2' }),
    cloudwatch: new CloudWatchClient({ region: 'us-west-2' }),
    sfn: new SFNClient({ region: 'us-west-2' }),
    sns: new SNSClient({ region: 'us-west-2' }),
    peerLambda: new LambdaClient({ region: 'us-east-1' }),
    secretsManager: new SecretsManagerClient({ region: 'us-west-2' }),
  };
  const m = {
    ssm: mockClient(clients.ssm),
    peerSsm: mockClient(clients.peerSsm),
    rds: mockClient(clients.rds),
    cloudwatch: mockClient(clients.cloudwatch),
    sfn: mockClient(clients.sfn),
    sns: mockClient(clients.sns),
    peerLambda: mockClient(clients.peerLambda),
    secretsManager: mockClient(clients.secretsManager),
  };
  m.ssm.on(GetParameterCommand, { Name: '/pay/dev-control/auto-failover' }).resolves({ Parameter: { Value: opts.killSwitch ?? 'enabled' } });
  m.ssm.on(GetParameterCommand, { Name: '/pay/dev-control/operation-in-progress' }).resolves({ Parameter: { Value: 'none' } });
  m.ssm.on(GetParameterCommand, { Name: '/pay/dev-control/active-site' }).resolves({ Parameter: { Value: opts.designation ?? 'primary', LastModifiedDate: new Date(NOW.getTime() - 30 * 24 * HOUR) } });
  m.ssm.on(GetParameterCommand, { Name: '/pay/dev-control/auto-failover-last-run' }).resolves({ Parameter: { Value: 'none' } });
  m.ssm.on(PutParameterCommand).resolves({});
  let writer = opts.writer ?? OLD;
  m.rds.on(DescribeGlobalClustersCommand).callsFake(async () => ({
    GlobalClusters: [
      {
        GlobalClusterMembers: [
          { DBClusterArn: OLD, IsWriter: writer === OLD, ...(writer !== OLD && opts.oldConnected ? { SynchronizationStatus: 'connected' } : {}) },
          { DBClusterArn: TARGET, IsWriter: writer === TARGET },
        ],
      },
    ],
  }));
  m.rds.on(FailoverGlobalClusterCommand).resolves({});
  m.rds.on(ModifyDBClusterParameterGroupCommand).resolves({});
  m.cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'lag', Values: [850] }] });
  m.sfn.on(ListExecutionsCommand).resolves({ executions: [{ executionArn: EXECUTION, stateMachineArn: 'x', name: 'x', status: 'RUNNING', startDate: NOW }] });
  m.sns.on(PublishCommand).resolves({});
  m.peerLambda.on(PutFunctionConcurrencyCommand).resolves({});
  m.peerSsm.on(PutParameterCommand).resolves({});
  m.secretsManager.on(GetSecretValueCommand, { SecretId: 'pay-dev-api-client-key' }).resolves({ SecretString: 'client-key' });
  m.secretsManager.on(GetSecretValueCommand, { SecretId: 'pay-dev-probe-key' }).resolves({ SecretString: PROBE_KEY });
  let clock = NOW.getTime();
  let posts = 0;
  const posted: Posted[] = [];
  const controller = createController({
    env: {
      AWS_REGION: 'us-west-2',
      PEER_REGION: 'us-east-1',
      SITE: 'dr',
      CONTROL_PATH: '/pay/dev-control',
      GLOBAL_CLUSTER_ID: 'pay-dev-global',
      TARGET_CLUSTER_ARN: TARGET,
      TARGET_CLUSTER_ID: 'pay-dev-usw2-aurora',
      TARGET_PARAMETER_GROUP: 'pay-dev-usw2-aurora-pg16',
      RPO_SECONDS: '60',
      PEER_PAYMENT_FUNCTION: 'pay-dev-use1-payment-processor',
      STATE_MACHINE_ARN: 'arn:aws:states:us-west-2:123456789012:stateMachine:pay-dev-usw2-failover',
      PAGER_TOPIC_ARN: 'arn:aws:sns:us-west-2:123456789012:pay-dev-usw2-pager',
      API_DOMAIN: 'api.payments.example.com',
      API_CLIENT_CREDENTIAL_ID: 'pay-dev-api-client-key',
      PROBE_CREDENTIAL_ID: 'pay-dev-probe-key',
      FAILURE_THRESHOLD: '3',
      COOLDOWN_SECONDS: '3600',
      PROMOTION_BUDGET_SECONDS: '60',
      PROVE_TIMEOUT_MS: '60000',
    },
    ...clients,
    post: async (url, headers, body) => {
      posted.push({ url, headers, body });
      return (opts.post ?? (() => SYNTHETIC_ANSWER))(++posts);
    },
    logger: silentObservability().logger,
    now: () => new Date(clock),
    sleep: async (ms) => {
      clock += ms;
    },
  });
  const savedRecords = () =>
    m.ssm
      .commandCalls(PutParameterCommand)
      .filter((c) => c.args[0].input.Name === '/pay/dev-control/auto-failover-last-run')
      .map((c) => JSON.parse(c.args[0].input.Value!) as RunRecord);
  return {
    m,
    controller,
    savedRecords,
    posted,
    promoteWriter: () => (writer = TARGET),
    advance: (ms: number) => (clock += ms),
  };
}

describe('controller tasks', () => {
  test('decide: every guard holds, the last replication lag is recorded, the record is saved', async () => {
    const w = world();
    const s = await w.controller.handle({ action: 'decide', state: { evidence }, executionArn: EXECUTION });
    expect(s.go).toBe(true);
    expect(s.record).toMatchObject({ runId: 'auto-20261127030000', from: 'primary', to: 'dr', outcome: 'running', lastReplicationLagMs: 850 });
    expect(w.savedRecords()).toHaveLength(1);
  });

  test('decide with the kill switch off: refused, paged, nothing changed, the cool-down untouched', async () => {
    const w = world({ killSwitch: 'disabled' });
    const s = await w.controller.handle({ action: 'decide', state: { evidence }, executionArn: EXECUTION });
    expect(s.go).toBe(false);
    expect(s.record!.steps[0]).toMatchObject({ step: 'decide', status: 'refused', detail: expect.stringMatching(/kill switch is "disabled"/) });
    expect(w.m.rds.commandCalls(FailoverGlobalClusterCommand)).toHaveLength(0);
    expect(w.savedRecords()).toHaveLength(0);
    expect(w.m.sns.commandCalls(PublishCommand)[0].args[0].input.Subject).toMatch(/REFUSED/);
  });

  test('the whole run: each step recorded in order, paged at start and end, the same steps as the CLI', async () => {
    const w = world({ post: (n) => (n < 3 ? { status: 503, body: '{}' } : SYNTHETIC_ANSWER) });
    let s: ControllerState = await w.controller.handle({ action: 'decide', state: { evidence }, executionArn: EXECUTION });
    s = await w.controller.handle({ action: 'page-start', state: s });
    // The two branches of the Parallel state.
    let promotion = await w.controller.handle({ action: 'promote', state: s });
    promotion = await w.controller.handle({ action: 'check-writer', state: promotion });
    expect(promotion.promotion!.done).toBe(false);
    w.promoteWriter();
    promotion = await w.controller.handle({ action: 'check-writer', state: promotion });
    expect(promotion.promotion!.done).toBe(true);
    const fence = await w.controller.handle({ action: 'fence', state: s });
    s = await w.controller.handle({ action: 'designate', state: { ...s, parallel: [promotion, fence] } });
    s = await w.controller.handle({ action: 'set-rpo', state: s });
    s = await w.controller.handle({ action: 'prove-write', state: s });
    s = await w.controller.handle({ action: 'finish', state: s });

    expect(w.m.rds.commandCalls(FailoverGlobalClusterCommand)[0].args[0].input).toEqual({
      GlobalClusterIdentifier: 'pay-dev-global',
      TargetDbClusterIdentifier: TARGET,
      AllowDataLoss: true,
    });
    expect(w.m.peerLambda.commandCalls(PutFunctionConcurrencyCommand)[0].args[0].input).toEqual({ FunctionName: 'pay-dev-use1-payment-processor', ReservedConcurrentExecutions: 0 });
    expect(w.m.ssm.commandCalls(PutParameterCommand).some((c) => c.args[0].input.Name === '/pay/dev-control/active-site' && c.args[0].input.Value === 'dr')).toBe(true);
    // The failed region's cluster does not replicate: rds.global_db_rpo would block every commit, so it waits.
    expect(w.m.rds.commandCalls(ModifyDBClusterParameterGroupCommand)).toHaveLength(0);
    const final = w.savedRecords().at(-1)!;
    expect(final.outcome).toBe('completed');
    expect(final.steps.map((x) => [x.step, x.status])).toEqual([
      ['decide', 'ok'],
      ['promote', 'ok'],
      ['promotion complete', 'ok'],
      ['fence (parallel, best effort)', 'ok'],
      ['designate', 'ok'],
      ['set rds.global_db_rpo', 'skipped'],
      ['prove a write through the public name', 'ok'],
    ]);
    expect(final.steps.at(-1)!.detail).toMatch(/synthetic probe p1 written in us-west-2 through https:\/\/api\.payments\.example\.com \(HTTP 201\) after 3 attempt/);
    const subjects = w.m.sns.commandCalls(PublishCommand).map((c) => c.args[0].input.Subject);
    expect(subjects).toEqual([expect.stringMatching(/STARTED/), expect.stringMatching(/COMPLETE/)]);
  });

  test('rds.global_db_rpo is set on the new writer once the old cluster is a connected secondary', async () => {
    const w = world({ writer: TARGET, oldConnected: true });
    const s = await w.controller.handle({ action: 'decide', state: { evidence }, executionArn: EXECUTION });
    const r = await w.controller.handle({ action: 'set-rpo', state: { ...s, record: { ...s.record!, outcome: 'running' } } });
    expect(w.m.rds.commandCalls(ModifyDBClusterParameterGroupCommand)[0].args[0].input).toEqual({
      DBClusterParameterGroupName: 'pay-dev-usw2-aurora-pg16',
      Parameters: [{ ParameterName: 'rds.global_db_rpo', ParameterValue: '60', ApplyMethod: 'immediate' }],
    });
    expect(r.record!.steps.at(-1)).toMatchObject({ step: 'set rds.global_db_rpo', status: 'ok' });
  });

  test('an API error midway leaves a record of the state reached, then fail records and pages', async () => {
    const w = world({ oldConnected: true });
    w.m.rds.on(ModifyDBClusterParameterGroupCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    let s = await w.controller.handle({ action: 'decide', state: { evidence }, executionArn: EXECUTION });
    w.promoteWriter(); // the old cluster replicates again: the parameter is due
    s = await w.controller.handle({ action: 'designate', state: s });
    await expect(w.controller.handle({ action: 'set-rpo', state: s })).rejects.toThrow('Rate exceeded');
    const afterError = w.savedRecords().at(-1)!;
    expect(afterError.outcome).toBe('running');
    expect(afterError.steps.at(-1)).toMatchObject({ step: 'set rds.global_db_rpo', status: 'failed', detail: 'ThrottlingException: Rate exceeded' });
    // The state machine's Catch passes the state it had plus the error.
    await w.controller.handle({ action: 'fail', state: { ...s, record: afterError, error: { Error: 'ThrottlingException', Cause: 'Rate exceeded' } } });
    const final = w.savedRecords().at(-1)!;
    expect(final).toMatchObject({ outcome: 'failed', completedAt: expect.any(String) });
    expect(final.steps.map((x) => x.step)).toEqual(['decide', 'fence (parallel, best effort)', 'designate', 'set rds.global_db_rpo', 'failed']);
    expect(w.m.sns.commandCalls(PublishCommand).at(-1)!.args[0].input.Subject).toMatch(/FAILED: act by hand/);
  });

  test('promote is safe to retry: an already promoted writer is not failed over again', async () => {
    const w = world({ writer: TARGET });
    const s = await w.controller.handle({ action: 'decide', state: { evidence: { ...evidence } }, executionArn: EXECUTION });
    // decide refuses when the writer is already here; a retried promote task must not call FailoverGlobalCluster either
    expect(s.go).toBe(false);
    const retried = await w.controller.handle({ action: 'promote', state: { ...s, record: { ...s.record!, outcome: 'running' } } });
    expect(w.m.rds.commandCalls(FailoverGlobalClusterCommand)).toHaveLength(0);
    expect(retried.record!.steps.at(-1)).toMatchObject({ step: 'promote', status: 'ok', detail: 'already the writer (a retried step)' });
  });

  test('promotion within its budget: no budget page, the completion says "within"', async () => {
    const w = world();
    let s = await w.controller.handle({ action: 'decide', state: { evidence }, executionArn: EXECUTION });
    s = await w.controller.handle({ action: 'promote', state: s });
    w.advance(55_000);
    s = await w.controller.handle({ action: 'check-writer', state: s });
    expect(s.promotion).toMatchObject({ done: false });
    w.promoteWriter();
    s = await w.controller.handle({ action: 'check-writer', state: s });
    expect(s.record!.steps.at(-1)).toMatchObject({ step: 'promotion complete', status: 'ok', detail: expect.stringMatching(/after 55 s; within its 60 s budget/) });
    expect(w.m.sns.commandCalls(PublishCommand).filter((c) => /budget/.test(c.args[0].input.Subject!))).toHaveLength(0);
  });

  test('promotion past its budget (a detection deadline): pages "RTO objective breached" once, records it, keeps waiting', async () => {
    const w = world();
    let s = await w.controller.handle({ action: 'decide', state: { evidence }, executionArn: EXECUTION });
    s = await w.controller.handle({ action: 'promote', state: s });
    w.advance(61_000);
    s = await w.controller.handle({ action: 'check-writer', state: s });
    s = await w.controller.handle({ action: 'check-writer', state: s });
    expect(s.promotion).toMatchObject({ done: false, overduePaged: true });
    const pages = w.m.sns.commandCalls(PublishCommand).filter((c) => c.args[0].input.Subject === PROMOTION_BUDGET_EXCEEDED_SUBJECT);
    expect(pages).toHaveLength(1);
    expect(PROMOTION_BUDGET_EXCEEDED_SUBJECT).toBe('Automatic failover: promotion exceeded its budget; RTO objective breached');
    expect(pages[0].args[0].input.Message).toMatch(/in the order of minutes/);
    // Recorded durably (the run record parameter), and the run goes on.
    const recorded = w.savedRecords().at(-1)!;
    expect(recorded.outcome).toBe('running');
    expect(recorded.steps.at(-1)).toMatchObject({ step: 'promotion exceeded its budget', status: 'failed', detail: expect.stringMatching(/61 s > budget 60 s: RTO objective breached; still waiting/) });
    w.advance(120_000);
    w.promoteWriter();
    s = await w.controller.handle({ action: 'check-writer', state: s });
    expect(s.promotion).toMatchObject({ done: true });
    expect(s.record!.steps.at(-1)).toMatchObject({ step: 'promotion complete', detail: expect.stringMatching(/after 181 s; over its 60 s budget: RTO objective breached/) });
  });

  test('the active site\'s controller, started anyway: nothing to do, no page, no record overwritten, no failover', async () => {
    const w = world({ writer: TARGET, designation: 'dr' });
    const s = await w.controller.handle({ action: 'decide', state: { evidence }, executionArn: EXECUTION });
    expect(s).toMatchObject({ go: false, verdict: 'nothing-to-do' });
    expect(s.record).toMatchObject({ outcome: 'nothing-to-do', steps: [{ step: 'decide', status: 'skipped', detail: expect.stringMatching(/^nothing to fail over/) }] });
    expect(w.m.sns.commandCalls(PublishCommand)).toHaveLength(0);
    expect(w.savedRecords()).toHaveLength(0);
    expect(w.m.rds.commandCalls(FailoverGlobalClusterCommand)).toHaveLength(0);
  });

  test('no successful payment through the public name within the deadline fails the step, recorded', async () => {
    const w = world({ post: () => ({ status: 503, body: '{}' }) });
    const s = await w.controller.handle({ action: 'decide', state: { evidence }, executionArn: EXECUTION });
    await expect(w.controller.handle({ action: 'prove-write', state: s })).rejects.toThrow(/no synthetic probe written through https:\/\/api\.payments\.example\.com within 60 s/);
    expect(w.savedRecords().at(-1)!.steps.at(-1)).toMatchObject({ step: 'prove a write through the public name', status: 'failed' });
  });
});

describe('the proof is a synthetic probe, not a payment', () => {
  test('no money: 1 minor unit to the probe merchant, signed with the probe key for exactly this key and body, the same on a retry', async () => {
    const w = world({ post: (n) => (n < 2 ? { status: 503, body: '{}' } : SYNTHETIC_ANSWER) });
    const s = await w.controller.handle({ action: 'decide', state: { evidence }, executionArn: EXECUTION });
    await w.controller.handle({ action: 'prove-write', state: s });
    expect(w.posted).toHaveLength(2);
    const [first, second] = w.posted;
    expect(first.url).toBe('https://api.payments.example.com/payments');
    expect(JSON.parse(first.body)).toEqual({ amount: 1, currency: 'USD', merchantId: PROBE_MERCHANT_ID, reference: 'auto-failover auto-20261127030000' });
    const key = first.headers['Idempotency-Key'];
    // Unpredictable without the probe key (a client could otherwise take the key first), stable for the run.
    expect(key).toBe(`auto-failover-auto-20261127030000-${createHmac('sha256', PROBE_KEY).update('auto-20261127030000').digest('hex').slice(0, 16)}`);
    expect(first.headers['x-api-key']).toBe('client-key');
    expect(verifyProbeToken(PROBE_KEY, key, first.body, first.headers[SYNTHETIC_PROBE_HEADER])).toBe(true);
    // A retry is the same request: the payment function replays the same synthetic row.
    expect(second).toEqual(first);
  });

  test('a throttled secret read is retried inside the step: the failover already done is not failed by it', async () => {
    const w = world({ post: () => SYNTHETIC_ANSWER });
    w.m.secretsManager
      .on(GetSecretValueCommand, { SecretId: 'pay-dev-probe-key' })
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }))
      .resolves({ SecretString: PROBE_KEY });
    const s = await w.controller.handle({ action: 'decide', state: { evidence }, executionArn: EXECUTION });
    await w.controller.handle({ action: 'prove-write', state: s });
    expect(w.posted).toHaveLength(1);
    expect(w.savedRecords().at(-1)!.steps.at(-1)).toMatchObject({ step: 'prove a write through the public name', status: 'ok' });
  });

  test('a 2xx that is not a synthetic probe (a payment function ignoring the header) fails at once, never retried', async () => {
    const w = world({ post: () => ({ status: 201, body: '{"id":"p1"}' }) });
    const s = await w.controller.handle({ action: 'decide', state: { evidence }, executionArn: EXECUTION });
    await expect(w.controller.handle({ action: 'prove-write', state: s })).rejects.toThrow(/answered 201 but not as a synthetic probe/);
    expect(w.posted).toHaveLength(1);
    expect(w.savedRecords().at(-1)!.steps.at(-1)).toMatchObject({ step: 'prove a write through the public name', status: 'failed' });
  });
});

describe('fencing never blocks on the failed region', () => {
  let server: Server;
  let endpoint: string;
  beforeAll(async () => {
    // Accepts connections and never answers: what a failed region often looks like to a client.
    server = createServer(() => undefined);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  test('a hanging region: fence returns within its call deadline, both parts marked FAILED', async () => {
    const credentials = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' };
    const controller = createController({
      env: {
        AWS_REGION: 'us-west-2',
        PEER_REGION: 'us-east-1',
        SITE: 'dr',
        CONTROL_PATH: '/pay/dev-control',
        GLOBAL_CLUSTER_ID: 'g',
        TARGET_CLUSTER_ARN: TARGET,
        TARGET_CLUSTER_ID: 'c',
        TARGET_PARAMETER_GROUP: 'pg',
        PEER_PAYMENT_FUNCTION: 'pay-dev-use1-payment-processor',
        STATE_MACHINE_ARN: 'arn:aws:states:us-west-2:123456789012:stateMachine:x',
        PAGER_TOPIC_ARN: 'arn:aws:sns:us-west-2:123456789012:p',
        API_DOMAIN: 'api.payments.example.com',
        API_CLIENT_CREDENTIAL_ID: 's',
        PROBE_CREDENTIAL_ID: 'p',
        CALL_TIMEOUT_MS: '500',
      },
      peerLambda: new LambdaClient({ region: 'us-east-1', endpoint, credentials, maxAttempts: 1 }),
      peerSsm: new SSMClient({ region: 'us-east-1', endpoint, credentials, maxAttempts: 1 }),
      logger: silentObservability().logger,
    });
    const started = Date.now();
    const r = await controller.handle({ action: 'fence', state: {} });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(r.fence).toMatchObject({ fenced: false, detail: expect.stringMatching(/reserved concurrency 0: FAILED .*designation → dr: FAILED/) });
  });
});
