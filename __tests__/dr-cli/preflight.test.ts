import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetAccountSettingsCommand, ListTagsCommand } from '@aws-sdk/client-lambda';
import { DescribeDBEngineVersionsCommand, DescribeGlobalClustersCommand } from '@aws-sdk/client-rds';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { stackName } from '../../src/stack-identity';
import { PRE_FENCE_TAG } from '../../src/dr-cli/live';
import { liveNames } from '../../src/dr-cli/live-names';
import { reservedFromSynth } from '../../src/dr-cli/preflight';
import { synthDrStack, testConfig } from '../support/synth';
import { CLUSTER_ID, DESIGNATION, FUNCTION, World } from '../support/dr-cli-world';

const root = join(__dirname, '..', '..');
const devConfig = join(root, 'config', 'dev.json');

/** A config file: config/dev.json with `changes` merged at the top level and in `dns`. */
function configFile(changes: { activeRegion?: string; dns?: Record<string, unknown> } = {}): string {
  const json = JSON.parse(readFileSync(devConfig, 'utf8'));
  const merged = { ...json, ...changes, dns: { ...json.dns, ...(changes.dns ?? {}) } };
  const path = join(mkdtempSync(join(tmpdir(), 'preflight-')), 'config.json');
  writeFileSync(path, JSON.stringify(merged));
  return path;
}

let world: World;
beforeEach(() => {
  world = new World();
  world.env.DR_CONFIG = devConfig;
});
afterEach(() => world.restore());

const failLine = (err: string, check: string) => err.split('\n').find((l) => l.startsWith(`  - ${check}`)) ?? '';

describe('preflight: the live platform against the config being deployed', () => {
  test('passes when the live writer, both designations and the config agree (no outputs file needed)', async () => {
    world.files.clear(); // preflight reads the config, never the stack outputs
    const r = await world.run('preflight');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/preflight passed: the live platform agrees with .*dev\.json \("activeRegion": "primary"\)/);
    expect(r.out).toMatch(/^live writer = activeRegion +us-east-1 +ok +writer primary \(us-east-1\) = "activeRegion": "primary"$/m);
    expect(r.out).toMatch(/^designation +us-west-2 +ok +\/pay\/dev-control\/active-site = "primary"$/m);
    // It reads the names the stack builds from the config.
    expect(world.calls('dr', 'rds', DescribeGlobalClustersCommand)[0]).toEqual({ GlobalClusterIdentifier: 'pay-dev-aurora-global' });
    expect(world.calls('dr', 'ssm', GetParameterCommand)[0]).toEqual({ Name: DESIGNATION });
  });

  test('refuses a deploy whose activeRegion differs from the live writer, and says which change to commit', async () => {
    world.writer = 'dr';
    world.designation = { primary: 'dr', dr: 'dr' };
    const r = await world.run('preflight');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^preflight FAILED \(3\): do not deploy/m);
    expect(failLine(r.err, 'live writer = activeRegion')).toMatch(
      /the live writer is dr \(us-west-2\) but the config being deployed \(.*dev\.json\) says "activeRegion": "primary"\. .*Commit "activeRegion": "dr"/,
    );
    expect(failLine(r.err, 'designation (us-east-1)')).toMatch(/is "dr", the config says "activeRegion": "primary"/);
  });

  test('passes once the config change is committed', async () => {
    world.writer = 'dr';
    world.designation = { primary: 'dr', dr: 'dr' };
    world.env.DR_CONFIG = configFile({ activeRegion: 'dr' });
    const r = await world.run('preflight');
    expect(r.code).toBe(0);
  });

  test('refuses when the designations disagree (an operation stopped halfway)', async () => {
    world.designation = { primary: 'primary', dr: 'dr' };
    const r = await world.run('preflight');
    expect(r.code).toBe(1);
    expect(failLine(r.err, 'designations agree')).toMatch(/us-east-1 says "primary", us-west-2 says "dr": an operation did not finish; re-run it/);
  });

  test.each([
    ['a switchover is running', (w: World) => (w.operation = { to: 'dr', dataLoss: false, completeAt: w.now + 60_000 }), /"switching-over" with a switchover switching-over towards arn:aws:rds:us-west-2/],
    ['the global cluster is modifying', (w: World) => (w.globalStatus = 'modifying'), /is "modifying": no deploy during a DR operation/],
  ])('refuses while %s', async (_what, arrange, message) => {
    arrange(world);
    const r = await world.run('preflight');
    expect(r.code).toBe(1);
    expect(failLine(r.err, 'no DR operation in progress')).toMatch(message);
  });

  test('refuses while a payment function is fenced: a deploy would reset its reserved concurrency and lift the fence', async () => {
    world.tags.primary = { [PRE_FENCE_TAG]: '50' };
    world.concurrency.primary = 0;
    const r = await world.run('preflight');
    expect(r.code).toBe(1);
    expect(failLine(r.err, 'payment function not fenced (us-east-1)')).toMatch(
      new RegExp(`${FUNCTION.primary} is fenced by the DR CLI \\(tag ${PRE_FENCE_TAG}=50\\): a deploy resets reserved concurrency and lifts the fence`),
    );
  });

  test('a fence without the record (reserved concurrency 0) counts too', async () => {
    world.writer = 'dr';
    world.designation = { primary: 'dr', dr: 'dr' };
    world.env.DR_CONFIG = configFile({ activeRegion: 'dr' });
    world.concurrency.dr = 0;
    const r = await world.run('preflight');
    expect(r.code).toBe(1);
    expect(failLine(r.err, 'payment function not fenced (us-west-2)')).toMatch(/reserved concurrency 0 \(fenced\)/);
  });

  test('staying on DR: the old site, passive in the committed config, may keep its fence until the deploy resets it', async () => {
    world.writer = 'dr';
    world.designation = { primary: 'dr', dr: 'dr' };
    world.tags.primary = { [PRE_FENCE_TAG]: '50' };
    world.concurrency.primary = 0;
    world.env.DR_CONFIG = configFile({ activeRegion: 'dr' });
    const r = await world.run('preflight');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^payment function not fenced +us-east-1 +warn +.*this site is passive in the config: the deploy resets its reserved concurrency, the designation keeps it passive$/m);
  });

  test('refuses while the secondary does not replicate: the deploy sets rds.global_db_rpo on the writer', async () => {
    world.sync = 'pending-resync';
    const r = await world.run('preflight');
    expect(r.code).toBe(1);
    expect(failLine(r.err, 'passive cluster replicates')).toMatch(/"pending-resync", not "connected": .*Aurora blocks every commit/);
  });

  test('refuses when a region does not answer: the deploy cannot be checked', async () => {
    const down = Object.assign(new Error('no answer within 12000 ms'), { name: 'DeadlineExceeded' });
    world.mocks.primary.ssm.on(GetParameterCommand).rejects(down);
    world.mocks.primary.lambda.on(ListTagsCommand).rejects(down);
    const r = await world.run('preflight');
    expect(r.code).toBe(1);
    expect(failLine(r.err, 'designation (us-east-1)')).toMatch(/could not read \/pay\/dev-control\/active-site: UNREACHABLE: DeadlineExceeded/);
  });

  test('first deploy: no global cluster, no parameter, no function yet — passes with the checks skipped', async () => {
    const notFound = (name: string) => Object.assign(new Error(`${name} not found`), { name });
    for (const role of ['primary', 'dr'] as const) {
      world.mocks[role].rds.on(DescribeGlobalClustersCommand).rejects(notFound('GlobalClusterNotFoundFault'));
      world.mocks[role].lambda.on(ListTagsCommand).rejects(notFound('ResourceNotFoundException'));
      world.designation[role] = null;
    }
    const r = await world.run('preflight');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^live writer = activeRegion +- +skip +global cluster pay-dev-aurora-global does not exist yet: first deploy/m);
    expect(r.out).toMatch(/^designation +us-east-1 +skip +.*does not exist yet/m);
  });

  test('a config that does not validate is refused before any AWS call (exit 2)', async () => {
    world.env.DR_CONFIG = join(tmpdir(), 'no-such-config.json');
    const r = await world.run('preflight');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/DR_CONFIG: cannot read/);
    expect(world.calls('dr', 'rds', DescribeGlobalClustersCommand)).toHaveLength(0);
  });
});

describe('preflight: fresh-account checks (issue 14)', () => {
  test('Lambda concurrency quota below the reserved total + 100 unreserved fails, per region', async () => {
    world.mocks.dr.lambda.on(GetAccountSettingsCommand).resolves({ AccountLimit: { ConcurrentExecutions: 10, UnreservedConcurrentExecutions: 10 } });
    const r = await world.run('preflight');
    expect(r.code).toBe(1);
    // dev: payment 50 + health 5 + rotation 1 (estimated from config without a synthesized stack).
    expect(failLine(r.err, 'lambda concurrency quota (us-west-2)')).toMatch(/quota 10 < reserved 56 \+ 100 kept unreserved \(estimated from config.*ask for a quota increase/);
    expect(r.err).toMatch(/^lambda concurrency quota +us-east-1 +ok +quota 1000 >= reserved 56 \+ 100/m);
  });

  test('the engine version must exist and support global databases in both regions', async () => {
    world.mocks.primary.rds.on(DescribeDBEngineVersionsCommand).resolves({ DBEngineVersions: [] });
    world.mocks.dr.rds.on(DescribeDBEngineVersionsCommand).resolves({ DBEngineVersions: [{ EngineVersion: '16.6', SupportsGlobalDatabases: false }] });
    const r = await world.run('preflight');
    expect(failLine(r.err, 'aurora engine version (us-east-1)')).toMatch(/aurora-postgresql 16\.6 is not offered in us-east-1/);
    expect(failLine(r.err, 'aurora engine version (us-west-2)')).toMatch(/exists but does not support global databases here/);
    expect(world.calls('primary', 'rds', DescribeDBEngineVersionsCommand)).toEqual([{ Engine: 'aurora-postgresql', EngineVersion: '16.6' }]);
  });

  test.each([
    [['ns-2.awsdns-02.com.', 'NS-1.awsdns-01.org'], 0, /^hosted zone delegated +- +ok +payments\.example\.com: public NS = the zone's name servers/m],
    [['ns-9.elsewhere.net'], 1, /public NS ns-9\.elsewhere\.net ≠ the zone's ns-1\.awsdns-01\.org, ns-2\.awsdns-02\.com: delegate the zone/],
  ])('an existing zone: its public NS (%j) must be its own name servers', async (ns, code, message) => {
    world.env.DR_CONFIG = configFile({ dns: { hostedZoneId: 'Z0123456789ABC' } });
    const deps = { ...world.deps(), resolveNs: async () => ns };
    const { main } = await import('../../src/dr-cli/main');
    expect(await main(['preflight'], deps)).toBe(code);
    expect(world.stdout.text + world.stderr.text).toMatch(message);
  });

  test('a zone the stack creates (hostedZoneId null) is skipped, saying why', async () => {
    const r = await world.run('preflight');
    expect(r.out).toMatch(/^hosted zone delegated +- +skip +dns\.hostedZoneId is null: the stack creates the zone/m);
  });

  test('AWS Backup advanced DynamoDB features: checked when a Backup client is injected, reported as not run otherwise', async () => {
    let r = await world.run('preflight');
    expect(r.out).toMatch(/^backup: advanced DynamoDB features +us-east-1 +skip +not checked: no AWS Backup client injected/m);
    const { main } = await import('../../src/dr-cli/main');
    world.stdout.text = '';
    world.stderr.text = '';
    const deps = { ...world.deps(), backupRegionSettings: async (region: string) => ({ DynamoDB: region === 'us-east-1' }) };
    expect(await main(['preflight'], deps)).toBe(1);
    r = { code: 1, out: world.stdout.text, err: world.stderr.text };
    expect(r.err).toMatch(/^backup: advanced DynamoDB features +us-east-1 +ok/m);
    expect(failLine(r.err, 'backup: advanced DynamoDB features (us-west-2)')).toMatch(/off: cross-region copies of the table fail/);
  });
});

describe('preflight reads what the stack builds', () => {
  const config = testConfig();
  const { synth } = synthDrStack();

  test('the names it derives from the config are the synthesized ones', () => {
    const n = liveNames(config);
    expect(n.stackName).toBe(stackName(config));
    expect(synth.list('aws_rds_global_cluster').map((g) => g.global_cluster_identifier)).toEqual([n.globalClusterId]);
    expect(synth.list('aws_rds_cluster').map((c) => c.cluster_identifier).sort()).toEqual([n.primary.clusterId, n.dr.clusterId].sort());
    const fns = synth.list('aws_lambda_function').map((f) => f.function_name);
    expect(fns).toEqual(expect.arrayContaining([n.primary.paymentFunction, n.dr.paymentFunction]));
    expect(n.activeSiteParameter).toBe(DESIGNATION);
    expect(CLUSTER_ID).toEqual({ primary: n.primary.clusterId, dr: n.dr.clusterId });
  });

  test('the reserved concurrency total per region comes from the synthesized stack when there is one', () => {
    const files = new Map([['/x/cdk.tf.json', JSON.stringify(synth.json)]]);
    const totals = reservedFromSynth({ readFile: (p: string) => files.get(p)! } as never, '/x');
    const expected: Record<string, number> = {};
    for (const alias of ['primary', 'dr'] as const) {
      const region = config.regions[alias].region;
      expected[region] = synth.inRegion('aws_lambda_function', alias).reduce((sum, f) => sum + (f.reserved_concurrent_executions ?? 0), 0);
    }
    expect(totals).toEqual(expected);
    expect(totals![config.regions.primary.region]).toBeGreaterThanOrEqual(config.api.paymentConcurrency + config.api.healthConcurrency);
  });
});

describe('the real AWS Backup settings reader', () => {
  test('reads DescribeRegionSettings in the asked region and returns its resource-type management preference', async () => {
    const { mockClient } = await import('aws-sdk-client-mock');
    const { BackupClient, DescribeRegionSettingsCommand } = await import('@aws-sdk/client-backup');
    const { createAwsClients } = await import('../../src/dr-cli/deps');
    const backup = mockClient(BackupClient);
    const regions: string[] = [];
    backup.on(DescribeRegionSettingsCommand).callsFake(async (_input, getClient) => {
      regions.push(await getClient().config.region());
      return { ResourceTypeManagementPreference: { DynamoDB: regions.length === 1, EFS: true } };
    });
    try {
      const aws = createAwsClients();
      expect(await aws.backupRegionSettings('us-east-1')).toEqual({ DynamoDB: true, EFS: true });
      expect(await aws.backupRegionSettings('us-west-2')).toEqual({ DynamoDB: false, EFS: true });
      expect(regions).toEqual(['us-east-1', 'us-west-2']);
      aws.destroy?.();
    } finally {
      backup.restore();
    }
  });
});
