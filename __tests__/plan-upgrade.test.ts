import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { RdsCluster } from '@cdktf/provider-aws/lib/rds-cluster';
import { RdsClusterInstance } from '@cdktf/provider-aws/lib/rds-cluster-instance';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { SecretsmanagerSecretVersion } from '@cdktf/provider-aws/lib/secretsmanager-secret-version';
import { Password } from '@cdktf/provider-random/lib/password';
import { RandomProvider } from '@cdktf/provider-random/lib/provider';
import { Fn, TerraformStack, Testing } from 'cdktf';
import { Construct } from 'constructs';
import { prepareHermeticCopy, unavailableReason } from '../scripts/terraform-harness';
import { Tree, parseArgs, removeTrees, run, synthesizeVersions } from '../scripts/upgrade/cli';
import { combineConfigs, combineStates, sharedOf, splitPlan, splitRun } from '../scripts/upgrade/combined';
import { analyze, displayAddress, parseWaivers } from '../scripts/upgrade/report';
import { Json, PlanRun } from '../scripts/upgrade/simulate';
import { isStateful, typeOf } from '../scripts/upgrade/stateful-types';

/**
 * `npm run plan:upgrade`: the from-version's simulated state, the to-version planned against it, the verdict.
 * Terraform runs on a small fixture stack (a key, an Aurora cluster and instance, a secret) built here with cdktf,
 * through the command (`--from-json/--to-json`, in process), sharing one simulated state through the state cache.
 * The real dev stack against its own simulated state runs in terraform-validate-dev.test.ts (sharing that suite's
 * plan); here the real stack is checked out and synthesized from git, which is all `--from HEAD` adds.
 */
const root = join(__dirname, '..');
const reason = unavailableReason();
if (reason) console.warn(`SKIPPED plan:upgrade against terraform: ${reason}`);
const withTerraform = reason ? describe.skip : describe;
// Terraform on a 2-core machine shared with other work: generous, so load never fails a test.
const TERRAFORM_TIMEOUT = 180_000;

/** A small stack shaped like the real one: the cluster under a `database` construct. */
function fixture(clusterId: string, options: { moveFrom?: string } = {}): { json: Json; clusterAddress: string } {
  const app = Testing.app();
  const stack = new TerraformStack(app, 'fixture');
  const provider = new AwsProvider(stack, 'aws-primary', { alias: 'primary', region: 'us-east-1', allowedAccountIds: ['123456789012'] });
  new RandomProvider(stack, 'random');
  const database = new Construct(stack, 'database');
  const key = new KmsKey(database, 'key', { provider, description: 'fixture database key', enableKeyRotation: true, deletionWindowInDays: 7 });
  const password = new Password(database, 'password', { length: 32, special: false });
  const cluster = new RdsCluster(database, clusterId, {
    provider,
    clusterIdentifier: 'fixture-aurora',
    engine: 'aurora-postgresql',
    engineVersion: '16.6',
    databaseName: 'payments',
    masterUsername: 'dbadmin',
    masterPassword: password.result,
    storageEncrypted: true,
    kmsKeyId: key.arn,
    skipFinalSnapshot: true,
    serverlessv2ScalingConfiguration: { minCapacity: 0.5, maxCapacity: 2 },
  });
  if (options.moveFrom) cluster.moveFromId(options.moveFrom);
  new RdsClusterInstance(database, 'writer', {
    provider,
    identifier: 'fixture-aurora-1',
    clusterIdentifier: cluster.id,
    instanceClass: 'db.serverless',
    engine: cluster.engine,
    engineVersion: cluster.engineVersion,
  });
  const secret = new SecretsmanagerSecret(database, 'secret', { provider, name: 'fixture-db', kmsKeyId: key.arn, recoveryWindowInDays: 7 });
  new SecretsmanagerSecretVersion(database, 'secret-version', {
    provider,
    secretId: secret.id,
    secretString: Fn.jsonencode({ username: 'dbadmin', password: password.result, host: cluster.endpoint, port: 5432 }),
  });
  return { json: JSON.parse(Testing.synth(stack)), clusterAddress: `aws_rds_cluster.${stack.getLogicalId(cluster)}` };
}

const scratch = mkdtempSync(join(tmpdir(), 'plan-upgrade-test-'));

/**
 * The command's state cache for these tests: kept between runs under .cache/ (git-ignored, never committed), in a
 * directory named by the sources that build a simulated state (scripts/upgrade/, the harness); inside it the
 * command keys each state by configuration, terraform and provider build. A warm run plans the to-versions against
 * the fixture's state without simulating it again; a cold run (CI, a fresh clone, a changed simulator) simulates
 * it once and shares it, as before. The real stack's simulation runs uncached in the terraform suites.
 */
const stateCache = (() => {
  const sources = [join(root, 'scripts', 'terraform-harness.ts'), ...readdirSync(join(root, 'scripts', 'upgrade')).sort().map((f) => join(root, 'scripts', 'upgrade', f))];
  const key = createHash('sha256');
  for (const file of sources) key.update(file.slice(root.length)).update(readFileSync(file));
  return join(root, '.cache', 'plan-upgrade-test', key.digest('hex').slice(0, 16));
})();
const write = (name: string, json: Json) => {
  const file = join(scratch, name);
  writeFileSync(file, JSON.stringify(json));
  return file;
};

/** The command, as a process (the npm entry point): its exit code and output. */
function planUpgradeProcess(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'run.js'), 'scripts/plan-upgrade.ts', ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, PLAN_UPGRADE_STATE_CACHE: stateCache, ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** The command in this process (no node start-up and bundling per run): its exit code and output. */
async function planUpgrade(args: string[]): Promise<{ status: number; out: string }> {
  const lines: string[] = [];
  const capture = (...a: unknown[]) => void lines.push(a.map(String).join(' '));
  const log = jest.spyOn(console, 'log').mockImplementation(capture);
  const error = jest.spyOn(console, 'error').mockImplementation(capture);
  const saved = process.env.PLAN_UPGRADE_STATE_CACHE;
  process.env.PLAN_UPGRADE_STATE_CACHE = stateCache;
  try {
    const status = await run(args, root, scratch);
    return { status, out: lines.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
    if (saved === undefined) delete process.env.PLAN_UPGRADE_STATE_CACHE;
    else process.env.PLAN_UPGRADE_STATE_CACHE = saved;
  }
}

withTerraform('plan:upgrade on a fixture stack (one simulated state, shared through the state cache, kept between runs)', () => {
  const before = fixture('primary-cluster');
  const renamed = fixture('writer-cluster');
  const moved = fixture('writer-cluster', { moveFrom: before.clusterAddress });
  const from = write('before.json', before.json);

  test('the same version against its own simulated state plans no changes: exit 0', async () => {
    const r = await planUpgrade(['--from-json', from, '--to-json', write('same.json', before.json)]);
    expect(r.out).toMatch(/No changes: the to-version plans nothing/);
    expect(r.out).toMatch(/OK: no stateful resource is replaced or destroyed/);
    expect(r.status).toBe(0);
  }, TERRAFORM_TIMEOUT);

  test('renaming the construct id of the Aurora primary cluster destroys it: exit 1 naming it, and the move that keeps it', async () => {
    const r = await planUpgrade(['--from-json', from, '--to-json', write('renamed.json', renamed.json)]);
    expect(renamed.clusterAddress).not.toBe(before.clusterAddress);
    expect(r.out).toMatch(new RegExp(`FAIL: \\d+ stateful resource\\(s\\) would be replaced or destroyed:[\\s\\S]*${escape(before.clusterAddress)} \\(destroy; aws_rds_cluster\\)`));
    // Its instance follows the new cluster's unknown id: replaced, and the report says which attribute forces it.
    expect(r.out).toMatch(/aws_rds_cluster_instance\.database_writer_[A-F0-9]+ +\[stateful[\s\S]*?forced by cluster_identifier: "fixture-aurora" → \(known after apply\)/);
    expect(r.out).toContain(`${before.clusterAddress} → ${renamed.clusterAddress}: only the address changed`);
    expect(r.out).toContain(`moveFromId('${before.clusterAddress}')`);
    expect(r.status).toBe(1);
  }, TERRAFORM_TIMEOUT);

  test('the same rename with a move declaration (moveFromId) keeps the cluster: exit 0', async () => {
    const r = await planUpgrade(['--from-json', from, '--to-json', write('moved.json', moved.json)]);
    expect(r.out).toContain(`Moved (declared, kept in place):\n  ${before.clusterAddress} → ${moved.clusterAddress}`);
    expect(r.out).not.toMatch(/Replaced|Destroyed|FAIL/);
    expect(r.status).toBe(0);
  }, TERRAFORM_TIMEOUT);
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('plan:upgrade versions from git', () => {
  const trees: Tree[] = [];
  afterAll(() => removeTrees(root, trees));

  test('--from HEAD --to HEAD --config config/prod.json: one worktree of HEAD on the same node_modules, synthesized once with its own prod config', async () => {
    const lines: string[] = [];
    const v = await synthesizeVersions({ from: 'HEAD', to: 'HEAD', config: 'config/prod.json' }, root, root, scratch, trees, (l) => lines.push(l));
    expect(trees).toHaveLength(1);
    expect(lstatSync(join(trees[0].dir, 'node_modules')).isSymbolicLink()).toBe(true);
    expect(v.from.label).toMatch(/^HEAD \([0-9a-f]{7}\)$/);
    expect(v.stackName).toBe('payments-dr-prod');
    expect(v.to.stack).toEqual(v.from.stack);
    expect(Object.keys(v.from.stack.resource ?? {})).toContain('aws_rds_cluster');
    expect(lines.join('\n')).toMatch(/synthesizing HEAD \([0-9a-f]{7}\) with config\/prod\.json/);
    removeTrees(root, trees);
    expect(existsSync(trees[0].dir)).toBe(false);
  }, 60_000);

  test('a config missing from the from-version is a usage error naming the version', async () => {
    await expect(synthesizeVersions({ from: 'HEAD', config: 'config/no-such.json' }, root, root, scratch, trees, () => undefined)).rejects.toThrow(
      /config\/no-such\.json does not exist in HEAD \([0-9a-f]{7}\)/,
    );
  });
});

describe('plan:upgrade usage', () => {
  test.each([
    [[], /--from <git ref> is required/],
    [['--from'], /--from needs a value/],
    [['--from', 'HEAD', '--bogus'], /unknown argument "--bogus"/],
    [['--from', 'HEAD', '--from-json', 'a.json'], /not both/],
    [['--from-json', 'a.json'], /--from-json needs --to-json/],
    [['--from', 'HEAD', '--to', 'HEAD', '--to-json', 'b.json'], /exclude each other/],
  ])('%j is a usage error', (args, message) => {
    expect(() => parseArgs(args)).toThrow(message);
  });

  test('exit 2 with the reason when the provider mirror is missing', () => {
    const r = planUpgradeProcess(['--from', 'HEAD'], { TF_PROVIDER_MIRROR: join(scratch, 'no-mirror') });
    expect(r.out).toMatch(/plan:upgrade cannot run here: no filesystem mirror of hashicorp\/aws/);
    expect(r.status).toBe(2);
  });

  test('exit 2 for a ref that is not a commit', async () => {
    if (reason) return;
    const r = await planUpgrade(['--from', 'no-such-ref-xyz']);
    expect(r.out).toMatch(/--from no-such-ref-xyz: not a commit in this repository/);
    expect(r.status).toBe(2);
  });
});

describe('stateful types and waivers', () => {
  test.each([
    ['aws_rds_cluster.database_primary-cluster_62F23CC4', true],
    ['aws_rds_global_cluster.g', true],
    ['aws_kms_replica_key.k', true],
    ['aws_s3_bucket.b', true],
    ['aws_secretsmanager_secret.s', true],
    ['aws_backup_vault.v', true],
    ['aws_route53_zone.z', true],
    ['aws_cloudwatch_log_group.l', true],
    ['aws_dynamodb_table.t', true],
    ['aws_lambda_function.f', false],
    ['aws_route53_record.r', false],
  ])('%s stateful: %s', (address, stateful) => {
    expect(isStateful(typeOf(address))).toBe(stateful);
  });

  test('a random_* stand-in carries the arguments that force a new value, so changing them replaces it offline too', () => {
    const dir = mkdtempSync(join(tmpdir(), 'standin-'));
    prepareHermeticCopy({ resource: { random_password: { p: { length: 40, special: false, '//': { metadata: { path: 'x/p' } } } } } }, dir);
    const copy = JSON.parse(readFileSync(join(dir, 'main.tf.json'), 'utf8'));
    expect(copy.resource.terraform_data.random_password_p).toEqual({
      '//': { metadata: { path: 'x/p' } },
      input: expect.stringMatching(/^standin-p-/),
      triggers_replace: { length: 40, special: false },
    });
  });

  test('the harness stand-ins are reported as the random_* resources they stand for', () => {
    expect(displayAddress('terraform_data.random_password_database_credentials_password_F7B8CDA8')).toBe('random_password.database_credentials_password_F7B8CDA8');
    expect(displayAddress('aws_s3_bucket.x')).toBe('aws_s3_bucket.x');
  });

  test.each([
    ['{', /not JSON/],
    ['{"waivers": {}}', /expected \{ "waivers": \[/],
    ['{"waivers": [{"address": "x", "reason": "a long enough reason here"}]}', /address must be a resource address/],
    ['{"waivers": [{"address": "aws_s3_bucket.b", "reason": "short"}]}', /reason must say why/],
    ['{"waivers": [{"address": "aws_s3_bucket.b", "reason": "a long enough reason here", "action": "update"}]}', /action must be "replace" or "destroy"/],
    ['{"waivers": [{"address": "aws_s3_bucket.b", "reason": "a long enough reason here", "expires": 1}]}', /unknown key\(s\) expires/],
  ])('waiver file %s is rejected', (text, message) => {
    expect(() => parseWaivers(text, 'w.json')).toThrow(message);
  });

  const run = (changes: PlanRun['changes']): PlanRun => ({
    ok: true,
    diagnostics: [],
    changes,
    summary: { add: 0, change: 0, remove: 0, import: 0 },
    outputs: {},
    noChanges: false,
    seconds: 0,
    planFile: '',
    stderr: '',
  });
  const replacePlan = (address: string, type: string) => ({
    resource_changes: [
      {
        address,
        mode: 'managed',
        type,
        name: address.split('.')[1],
        change: { actions: ['delete', 'create'], before: { name: 'a' }, after: { name: 'b' }, after_unknown: {}, replace_paths: [['name']] },
        action_reason: 'replace_because_cannot_update',
      },
    ],
  });

  test('a stateful replacement blocks (exit 1) with the attribute that forces it; a waiver for it and this stack lets it pass', () => {
    const input = { stack: 'payments-dr-prod', run: run([]), plan: replacePlan('aws_s3_bucket.b', 'aws_s3_bucket'), state: {}, config: {} };
    const blocked = analyze(input);
    expect(blocked.blocking.map((f) => [f.address, f.forcedBy])).toEqual([['aws_s3_bucket.b', ['name: "a" → "b"']]]);
    expect(blocked.exitCode).toBe(1);
    const waived = analyze({ ...input, waivers: [{ address: 'aws_s3_bucket.b', stack: 'payments-dr-prod', reason: 'moving artefacts to a new bucket on purpose' }] });
    expect(waived.exitCode).toBe(0);
    expect(waived.replaced[0].waived).toMatch(/on purpose/);
    // A waiver scoped to another stack neither waives nor counts as stale here.
    const other = analyze({ ...input, waivers: [{ address: 'aws_s3_bucket.b', stack: 'payments-dr-dev', reason: 'moving artefacts to a new bucket on purpose' }] });
    expect([other.exitCode, other.staleWaivers]).toEqual([1, []]);
  });

  test('a replacement of a stateless resource is reported but does not block', () => {
    const r = analyze({ stack: 's', run: run([]), plan: replacePlan('aws_route53_record.r', 'aws_route53_record'), state: {}, config: {} });
    expect([r.replaced.length, r.blocking.length, r.exitCode]).toEqual([1, 0, 0]);
  });
});

describe('two configurations planned in one terraform process (combined.ts, used by the role-swap suites)', () => {
  const provider = { aws: [{ alias: 'primary', region: 'us-east-1' }] };
  const primary = {
    provider,
    resource: { aws_sns_topic: { t: { provider: 'aws.primary', name: 'a' } }, aws_sqs_queue: { q: { provider: 'aws.primary', name: 'q' } } },
    output: { topic: { value: '${aws_sns_topic.t.arn}' } },
  };
  const companion = {
    provider,
    resource: {
      aws_sns_topic: { t: { provider: 'aws.primary', name: 'b' } },
      aws_sns_topic_policy: { p: { provider: 'aws.primary', arn: '${aws_sns_topic.t.arn}', policy: '{"Resource":"${aws_sns_topic.t.arn}"}', depends_on: ['aws_sns_topic.t'] } },
      aws_sqs_queue: { q2: { provider: 'aws.primary', name: 'q' } },
    },
    output: { topic: { value: '${aws_sns_topic.t.arn}' } },
    moved: [{ from: 'aws_sqs_queue.q', to: 'aws_sqs_queue.q2' }],
  };

  test("the companion's resources, references, depends_on, outputs and moves are renamed; the primary is untouched", () => {
    const c = combineConfigs(primary, companion);
    expect(c.resource.aws_sns_topic).toEqual({ t: { provider: 'aws.primary', name: 'a' }, companion__t: { provider: 'aws.primary', name: 'b' } });
    expect(c.resource.aws_sns_topic_policy.companion__p).toEqual({
      provider: 'aws.primary',
      arn: '${aws_sns_topic.companion__t.arn}',
      policy: '{"Resource":"${aws_sns_topic.companion__t.arn}"}',
      depends_on: ['aws_sns_topic.companion__t'],
    });
    expect(c.resource.aws_sqs_queue).toEqual({ q: primary.resource.aws_sqs_queue.q, companion__q2: { provider: 'aws.primary', name: 'q' } });
    expect(c.output).toEqual({ topic: { value: '${aws_sns_topic.t.arn}' }, companion__topic: { value: '${aws_sns_topic.companion__t.arn}' } });
    // The companion's own state copy holds the primary's addresses, renamed: a move from one of them is renamed too.
    expect(c.moved).toEqual([{ from: 'aws_sqs_queue.companion__q', to: 'aws_sqs_queue.companion__q2' }]);
    expect(c.provider).toEqual(provider);
  });

  test('a resource both declare alike, referencing only such resources and named by no move, is planned once (shared)', () => {
    const key = { provider: 'aws.primary', description: 'k' };
    const p = {
      provider,
      resource: { aws_kms_key: { k: key }, aws_sns_topic: { t: { provider: 'aws.primary', name: 'a', kms_master_key_id: '${aws_kms_key.k.arn}' } }, aws_sqs_queue: { q: { provider: 'aws.primary', name: 'q' } } },
    };
    const c = {
      provider,
      resource: {
        aws_kms_key: { k: key },
        // Same body as the primary's, but it references a topic that differs: not shared.
        aws_sns_topic_policy: { tp: { provider: 'aws.primary', arn: '${aws_sns_topic.t.arn}' } },
        aws_sns_topic: { t: { provider: 'aws.primary', name: 'b', kms_master_key_id: '${aws_kms_key.k.arn}' } },
        aws_sqs_queue: { q: { provider: 'aws.primary', name: 'q' } },
      },
      moved: [{ from: 'aws_sqs_queue.old', to: 'aws_sqs_queue.q' }],
    };
    const pWithPolicy = { ...p, resource: { ...p.resource, aws_sns_topic_policy: { tp: c.resource.aws_sns_topic_policy.tp } } };
    const combined = combineConfigs(pWithPolicy, c);
    // The key: same body, no references. The queue is named by a move; the policy references a topic that differs.
    expect([...sharedOf(combined)]).toEqual(['aws_kms_key.k']);
    expect(Object.keys(combined.resource.aws_kms_key)).toEqual(['k']);
    expect(combined.resource.aws_sns_topic.companion__t.kms_master_key_id).toBe('${aws_kms_key.k.arn}');
    expect(combined.resource.aws_sns_topic_policy.companion__tp.arn).toBe('${aws_sns_topic.companion__t.arn}');
    expect(Object.keys(combined.resource.aws_sqs_queue)).toEqual(['q', 'companion__q']);
    expect(sharedOf(combineConfigs(p, p)).size).toBe(3);

    const state = { version: 4, resources: ['aws_kms_key.k', 'aws_sns_topic.t'].map((a) => ({ mode: 'managed', type: a.split('.')[0], name: a.split('.')[1], instances: [] })) };
    expect(combineStates(state, sharedOf(combined)).resources.map((r: Json) => `${r.type}.${r.name}`)).toEqual(['aws_kms_key.k', 'aws_sns_topic.t', 'aws_sns_topic.companion__t']);

    // The split gives the companion the primary's entry for a shared resource.
    const run: PlanRun = {
      ok: true,
      diagnostics: [],
      changes: [
        { address: 'aws_kms_key.k', type: 'aws_kms_key', action: 'noop' },
        { address: 'aws_sns_topic.t', type: 'aws_sns_topic', action: 'noop' },
        { address: 'aws_sns_topic.companion__t', type: 'aws_sns_topic', action: 'update' },
      ],
      summary: { add: 0, change: 1, remove: 0, import: 0 },
      outputs: {},
      noChanges: false,
      seconds: 1,
      planFile: 'p',
      stderr: '',
    };
    const parts = splitRun(run, sharedOf(combined));
    expect(parts.primary.changes.map((x) => `${x.action} ${x.address}`)).toEqual(['noop aws_kms_key.k', 'noop aws_sns_topic.t']);
    expect(parts.companion.changes.map((x) => `${x.action} ${x.address}`)).toEqual(['noop aws_kms_key.k', 'update aws_sns_topic.t']);
    const plan = {
      resource_changes: run.changes.map((x) => ({ address: x.address, name: x.address.split('.')[1], change: { actions: [x.action] } })),
      configuration: { root_module: { resources: run.changes.map((x) => ({ address: x.address, name: x.address.split('.')[1] })) } },
    };
    const split = splitPlan(plan, sharedOf(combined));
    expect(split.companion.resource_changes.map((r: Json) => `${r.address} ${r.name}`)).toEqual(['aws_kms_key.k k', 'aws_sns_topic.t t']);
    expect(split.companion.configuration.root_module.resources.map((r: Json) => r.address)).toEqual(['aws_kms_key.k', 'aws_sns_topic.t']);
    expect(split.primary.resource_changes.map((r: Json) => r.address)).toEqual(['aws_kms_key.k', 'aws_sns_topic.t']);
  });

  test('configurations whose providers differ are refused (the halves share the provider instances)', () => {
    expect(() => combineConfigs(primary, { ...companion, provider: { aws: [{ alias: 'primary', region: 'eu-west-1' }] } })).toThrow(/configure their providers differently/);
  });

  test('the state gets a renamed copy of each resource and output', () => {
    const state = { version: 4, outputs: { topic: { value: 'x', type: 'string' } }, resources: [{ mode: 'managed', type: 'aws_sns_topic', name: 't', instances: [] }] };
    const c = combineStates(state);
    expect(c.resources.map((r: Json) => `${r.type}.${r.name}`)).toEqual(['aws_sns_topic.t', 'aws_sns_topic.companion__t']);
    expect(Object.keys(c.outputs)).toEqual(['topic', 'companion__topic']);
  });

  test('a combined run and plan split back into the two they stand for, companion addresses restored', () => {
    const both: PlanRun = {
      ok: true,
      diagnostics: [],
      changes: [
        { address: 'aws_sns_topic.t', type: 'aws_sns_topic', action: 'noop' },
        { address: 'aws_sns_topic.companion__t', type: 'aws_sns_topic', action: 'update' },
        { address: 'aws_sqs_queue.companion__q', type: 'aws_sqs_queue', action: 'delete' },
      ],
      summary: { add: 0, change: 1, remove: 1, import: 0 },
      outputs: { topic: 'noop', companion__topic: 'update' },
      noChanges: false,
      seconds: 1,
      planFile: 'p',
      stderr: '',
    };
    const { primary: p, companion: c } = splitRun(both);
    expect([p.noChanges, p.changes.map((x) => x.address), p.outputs]).toEqual([true, ['aws_sns_topic.t'], { topic: 'noop' }]);
    expect([c.noChanges, c.changes.map((x) => `${x.action} ${x.address}`), c.outputs, c.summary]).toEqual([
      false,
      ['update aws_sns_topic.t', 'delete aws_sqs_queue.q'],
      { topic: 'update' },
      { add: 0, change: 1, remove: 1, import: 0 },
    ]);
    const plan = {
      resource_changes: [
        { address: 'aws_sns_topic.t', name: 't', change: { actions: ['no-op'] } },
        { address: 'aws_sns_topic.companion__t', name: 'companion__t', change: { actions: ['update'] } },
      ],
      output_changes: { topic: { actions: ['no-op'] }, companion__topic: { actions: ['update'] } },
      planned_values: { outputs: { topic: { value: 'x' }, companion__topic: { value: 'y' } } },
      configuration: { root_module: { resources: [{ address: 'aws_sns_topic.t', name: 't' }, { address: 'aws_sns_topic.companion__t', name: 'companion__t' }] } },
    };
    const split = splitPlan(plan);
    expect(split.companion.resource_changes).toEqual([{ address: 'aws_sns_topic.t', name: 't', change: { actions: ['update'] } }]);
    expect(split.companion.planned_values.outputs).toEqual({ topic: { value: 'y' } });
    expect(split.companion.configuration.root_module.resources).toEqual([{ address: 'aws_sns_topic.t', name: 't' }]);
    expect(split.primary.resource_changes).toEqual([plan.resource_changes[0]]);
    expect(split.primary.output_changes).toEqual({ topic: { actions: ['no-op'] } });
  });
});
