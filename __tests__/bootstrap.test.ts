import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Testing } from 'cdktf';
import {
  BootstrapStack,
  CI_ROLE_PATH,
  GITHUB_OIDC_THUMBPRINTS,
  READ_ONLY_ACCESS_ARN,
  bootstrapStackName,
  subjectsOf,
} from '../bootstrap/bootstrap-stack';
import { BootstrapConfig, BootstrapConfigError, loadBootstrapConfig, parseBootstrapConfig } from '../bootstrap/config';
import { DEPLOY_SERVICES, STACK_MANAGED_POLICIES, servicesFor } from '../bootstrap/permissions';
import { formatDiagnostics, removeHarnessTempDirs, unavailableReason, validateAndPlan } from '../scripts/terraform-harness';
import { authorizationData } from '../src/guardrails/iam-rules';
import { Inventory } from '../src/guardrails/inventory';
import { Json, Synth, policyOf, synthDrStack } from './support/synth';

// The harness's scratch directories (jest's sandboxed process never reports the worker's exit).
afterAll(removeHarnessTempDirs);

/** The one-off CI bootstrap: state bucket, GitHub OIDC provider, and the least-privilege plan and deploy roles. */
const root = join(__dirname, '..');

const CONFIG = {
  accountId: '123456789012',
  region: 'us-east-1',
  githubOrg: 'acme-payments',
  githubRepo: 'payments-dr-platform',
  stateBucket: 'pay-terraform-state-123456789012',
  namePrefix: 'pay',
  hostedZones: ['payments.example.com'],
};

function synthBootstrap(overrides: Partial<BootstrapConfig> = {}) {
  const config = parseBootstrapConfig({ ...CONFIG, ...overrides });
  const stack = new BootstrapStack(Testing.app(), bootstrapStackName(config), { config, statePath: '../../../../bootstrap/terraform.tfstate' });
  return { config, stack, synth: new Synth(stack) };
}

const { config, stack, synth } = synthBootstrap();
const only = (type: string): Json => {
  const list = synth.list(type);
  expect(list).toHaveLength(1);
  return list[0];
};
const statements = (policy: string): Json[] => policyOf(policy).Statement;
const asList = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v as string]);
const bucketArn = `arn:aws:s3:::${CONFIG.stateBucket}`;
const stackRoles = `arn:aws:iam::${CONFIG.accountId}:role/${CONFIG.namePrefix}-*`;
const planPolicy = statements(synth.bodyOf(stack.planPolicy).policy);
const deployPolicy = statements(synth.bodyOf(stack.deployPolicy).policy);
const bySid = (policy: Json[], sid: string) => policy.find((s) => s.Sid === sid)!;
/** IAM's `*` wildcard in an ARN or action pattern, as a regex. */
const matches = (pattern: string, value: string) => new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`).test(value);

describe('state bucket', () => {
  const bucket = synth.ref(stack.stateBucket.id);

  test('is the configured bucket, never destroyed by Terraform', () => {
    expect(synth.bodyOf(stack.stateBucket)).toMatchObject({
      bucket: CONFIG.stateBucket,
      force_destroy: false,
      lifecycle: { prevent_destroy: true },
    });
  });

  test('is versioned', () => {
    expect(only('aws_s3_bucket_versioning')).toMatchObject({ bucket, versioning_configuration: { status: 'Enabled' } });
  });

  test('is encrypted by default with its own KMS key, which rotates and is never destroyed', () => {
    expect(only('aws_s3_bucket_server_side_encryption_configuration')).toMatchObject({
      bucket,
      rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: 'aws:kms', kms_master_key_id: synth.ref(stack.stateKey.arn) }, bucket_key_enabled: true }],
    });
    expect(synth.bodyOf(stack.stateKey)).toMatchObject({ enable_key_rotation: true, deletion_window_in_days: 30, lifecycle: { prevent_destroy: true } });
  });

  test('the key policy only enables IAM policies of this account', () => {
    expect(statements(synth.bodyOf(stack.stateKey).policy)).toEqual([
      expect.objectContaining({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${CONFIG.accountId}:root` } }),
    ]);
  });

  test('blocks every kind of public access and disables ACLs', () => {
    expect(only('aws_s3_bucket_public_access_block')).toMatchObject({
      bucket,
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(only('aws_s3_bucket_ownership_controls')).toMatchObject({ bucket, rule: { object_ownership: 'BucketOwnerEnforced' } });
  });

  test('denies every request that is not TLS (1.2 or newer)', () => {
    const body = synth.bodyOf(stack.stateBucketPolicy);
    const arn = synth.ref(stack.stateBucket.arn);
    expect(body.bucket).toBe(bucket);
    expect(statements(body.policy)).toEqual([
      {
        Sid: 'DenyInsecureTransport',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 's3:*',
        Resource: [arn, `${arn}/*`],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
      expect.objectContaining({ Effect: 'Deny', Condition: { NumericLessThan: { 's3:TlsVersion': '1.2' } } }),
    ]);
  });

  test('keeps its own state locally: it creates the bucket the other stacks keep state in', () => {
    expect(synth.json.terraform.backend).toEqual({ local: { path: '../../../../bootstrap/terraform.tfstate' } });
  });
});

describe('GitHub OIDC provider', () => {
  test("trusts GitHub Actions' token issuer for the STS audience", () => {
    expect(synth.bodyOf(stack.oidcProvider)).toMatchObject({
      url: 'https://token.actions.githubusercontent.com',
      client_id_list: ['sts.amazonaws.com'],
      thumbprint_list: GITHUB_OIDC_THUMBPRINTS,
    });
    for (const t of GITHUB_OIDC_THUMBPRINTS) expect(t).toMatch(/^[0-9a-f]{40}$/);
  });
});

describe('role trust', () => {
  const subjects = subjectsOf(config);
  test.each([
    ['plan', () => stack.planRole, [subjects.pullRequest, subjects.main]],
    ['deploy', () => stack.deployRole, [subjects.environment('dev'), subjects.environment('prod')]],
  ] as const)('the %s role is assumable only through GitHub OIDC, for exactly its subjects', (_name, role, expected) => {
    const body = synth.bodyOf(role());
    expect(body.path).toBe(CI_ROLE_PATH);
    expect(statements(body.assume_role_policy)).toEqual([
      {
        Sid: 'GitHubActions',
        Effect: 'Allow',
        Principal: { Federated: synth.ref(stack.oidcProvider.arn) },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: {
            'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
            'token.actions.githubusercontent.com:sub': expected,
          },
        },
      },
    ]);
  });

  test('subjects name this repository: pull requests, main, and the dev and prod environments', () => {
    expect([subjects.pullRequest, subjects.main, subjects.environment('prod')]).toEqual([
      'repo:acme-payments/payments-dr-platform:pull_request',
      'repo:acme-payments/payments-dr-platform:ref:refs/heads/main',
      'repo:acme-payments/payments-dr-platform:environment:prod',
    ]);
  });
});

describe('permissions', () => {
  const allows = (policy: Json[]) => policy.filter((s) => s.Effect === 'Allow');

  test('no statement allows every action ("*")', () => {
    for (const s of [...planPolicy, ...deployPolicy]) expect([s.Sid, asList(s.Action)]).toEqual([s.Sid, expect.not.arrayContaining(['*'])]);
  });

  test('service-wide actions ("svc:*") only where justified: the deploy regions, and the stack-named buckets', () => {
    const wide = [...allows(planPolicy), ...allows(deployPolicy)].filter((s) => asList(s.Action).some((a) => /:\*$/.test(a)));
    expect(wide.map((s) => s.Sid).sort()).toEqual(['StackBuckets', 'StackServicesInDeployRegions']);
    expect(bySid(deployPolicy, 'StackServicesInDeployRegions').Condition).toEqual({
      StringEquals: { 'aws:RequestedRegion': ['us-east-1', 'us-west-2'] },
    });
    expect(bySid(deployPolicy, 'StackServicesInDeployRegions').Action).toEqual(DEPLOY_SERVICES.map((s) => `${s}:*`));
    expect(bySid(deployPolicy, 'StackBuckets').Resource).toEqual(['arn:aws:s3:::pay-*', 'arn:aws:s3:::pay-*/*']);
  });

  test('IAM is never service-wide, and "Resource": "*" appears only where the resource cannot be named', () => {
    for (const s of allows(deployPolicy)) expect(asList(s.Action).filter((a) => a.startsWith('iam:') && a.includes('*'))).toEqual([]);
    const anyResource = [...allows(planPolicy), ...allows(deployPolicy)].filter((s) => asList(s.Resource).includes('*'));
    expect(anyResource.map((s) => s.Sid).sort()).toEqual(['CallerIdentity', 'DecryptThroughSecretsManager', 'StackServicesInDeployRegions']);
    expect(bySid(planPolicy, 'DecryptThroughSecretsManager').Condition.StringEquals['kms:ViaService']).toEqual([
      'secretsmanager.us-east-1.amazonaws.com',
      'secretsmanager.us-west-2.amazonaws.com',
    ]);
  });

  test("iam:PassRole and role changes are scoped to the stack's roles (<namePrefix>-*), never the CI roles", () => {
    const iamStatements = allows(deployPolicy).filter((s) => asList(s.Action).some((a) => a.startsWith('iam:')));
    const passRole = iamStatements.filter((s) => asList(s.Action).includes('iam:PassRole'));
    expect(passRole).toEqual([{ Sid: 'PassStackRoles', Effect: 'Allow', Action: ['iam:PassRole'], Resource: stackRoles }]);
    const ciRoles = [`arn:aws:iam::${CONFIG.accountId}:role/ci/pay-github-plan`, `arn:aws:iam::${CONFIG.accountId}:role/ci/pay-github-deploy`];
    for (const s of iamStatements) {
      for (const resource of asList(s.Resource)) for (const ci of ciRoles) expect([s.Sid, resource, matches(resource, ci)]).toEqual([s.Sid, resource, false]);
    }
    expect(bySid(deployPolicy, 'StackRoles').Resource).toBe(stackRoles);
  });

  test('the deploy role attaches only the managed policies the DR stack uses', () => {
    expect(bySid(deployPolicy, 'AttachOnlyTheStackServicePolicies')).toMatchObject({
      Action: ['iam:AttachRolePolicy'],
      Resource: stackRoles,
      Condition: { ArnEquals: { 'iam:PolicyARN': [...STACK_MANAGED_POLICIES] } },
    });
  });

  test('the deploy role reads and writes state and the lock file; it cannot break the bucket or its key', () => {
    expect(bySid(deployPolicy, 'StateReadWrite')).toMatchObject({ Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], Resource: `${bucketArn}/*` });
    expect(bySid(deployPolicy, 'ProtectStateBucket')).toMatchObject({
      Effect: 'Deny',
      Action: expect.arrayContaining(['s3:DeleteBucket', 's3:PutBucketPolicy', 's3:PutBucketVersioning', 's3:PutEncryptionConfiguration', 's3:DeleteObjectVersion']),
      Resource: [bucketArn, `${bucketArn}/*`],
    });
    expect(bySid(deployPolicy, 'ProtectStateKey')).toMatchObject({
      Effect: 'Deny',
      Action: expect.arrayContaining(['kms:ScheduleKeyDeletion', 'kms:DisableKey', 'kms:PutKeyPolicy']),
      Resource: synth.ref(stack.stateKey.arn),
    });
  });

  test('the plan role is ReadOnlyAccess plus state reads, and writes nothing (plans run with -lock=false)', () => {
    expect(synth.list('aws_iam_role_policy_attachment').filter((a) => a.role === synth.ref(stack.planRole.name))).toEqual([
      expect.objectContaining({ policy_arn: READ_ONLY_ACCESS_ARN }),
    ]);
    expect(bySid(planPolicy, 'StateList')).toMatchObject({ Action: ['s3:ListBucket'], Resource: bucketArn });
    expect(bySid(planPolicy, 'StateRead')).toMatchObject({ Action: ['s3:GetObject'], Resource: `${bucketArn}/*` });
    expect(bySid(planPolicy, 'StateDecrypt')).toMatchObject({ Action: ['kms:Decrypt', 'kms:DescribeKey'], Resource: synth.ref(stack.stateKey.arn) });
    const writes = allows(planPolicy).flatMap((s) => asList(s.Action)).filter((a) => !/^(s3:(Get|List)|kms:(Decrypt|Describe)|secretsmanager:GetSecretValue)/.test(a));
    expect(writes).toEqual([]);
  });

  test("the plan role cannot read payment data: table items and objects outside the state bucket", () => {
    expect(bySid(planPolicy, 'NoTableItemReads')).toMatchObject({ Effect: 'Deny', Action: expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan']) });
    expect(bySid(planPolicy, 'NoObjectReadsOutsideState')).toMatchObject({ Effect: 'Deny', Action: ['s3:GetObject', 's3:GetObjectVersion'], NotResource: `${bucketArn}/*` });
  });

  test('the deploy session outlasts a slow Aurora deploy', () => {
    expect(synth.bodyOf(stack.deployRole).max_session_duration).toBe(14400);
    expect(synth.bodyOf(stack.planRole).max_session_duration).toBe(3600);
  });
});

describe('the deploy role covers the DR stack', () => {
  const stacks = [
    ['dev', synthDrStack().synth],
    ['prod', synthDrStack({ profile: 'prod', environmentSuffix: 'prod' }).synth],
  ] as const;
  const granted = new Set<string>([...DEPLOY_SERVICES, 's3', 'iam']);

  test.each(stacks)('%s: every resource type maps to services the deploy role may call', (_env, dr) => {
    const types = [...new Set(dr.all().map(([type]) => type))];
    const unmapped = types.filter((t) => servicesFor(t) === undefined);
    expect(unmapped).toEqual([]);
    const missing = types.flatMap((t) => servicesFor(t)!.filter((s) => !granted.has(s)).map((s) => `${t}: ${s}`));
    expect(missing).toEqual([]);
  });

  test.each(stacks)('%s: every managed policy the stack attaches is one the deploy role may attach', (_env, dr) => {
    const attached = dr.list('aws_iam_role_policy_attachment').map((a) => a.policy_arn as string);
    expect(attached.length).toBeGreaterThan(0);
    expect(attached.filter((arn) => !(STACK_MANAGED_POLICIES as readonly string[]).includes(arn))).toEqual([]);
  });

  test.each(stacks)("%s: the stack's roles, buckets and secrets carry the names the CI roles are scoped to", (_env, dr) => {
    const prefix = `${CONFIG.namePrefix}-`;
    for (const role of dr.list('aws_iam_role')) {
      expect(role.name).toMatch(new RegExp(`^${prefix}`));
      expect(role.path ?? '/').toBe('/');
    }
    for (const bucket of dr.list('aws_s3_bucket')) expect(bucket.bucket).toMatch(new RegExp(`^${prefix}`));
    for (const secret of dr.list('aws_secretsmanager_secret')) expect(secret.name).toMatch(new RegExp(`^${prefix}`));
  });

  test.each(stacks)('%s: the stack deploys into the deploy regions', (_env, dr) => {
    const regions = (dr.json.provider.aws as Json[]).map((p) => p.region);
    expect(regions.filter((r) => !config.deployRegions.includes(r))).toEqual([]);
  });
});

test('the CI roles\' policies pass the authorization-data guardrail (actions, resource types, condition keys)', () => {
  const findings = authorizationData.check({ inventory: Inventory.of(stack), options: { profile: 'prod' }, publicEntryPoints: new Set() });
  expect(findings.map((f) => `${f.resource.address}: ${f.problem}`)).toEqual([]);
});

describe('account settings the DR stacks share (once per account, in every deploy region)', () => {
  const settings = stack.accountSettings;
  const providerOf = (region: string) => `aws.${region}`;

  test.each(['us-east-1', 'us-west-2'])('%s: API Gateway logs through one account role, set after the role has its policy', (region) => {
    const account = synth.bodyOf(settings.apiGatewayAccounts[region]);
    expect(account).toMatchObject({ provider: providerOf(region), cloudwatch_role_arn: synth.ref(settings.apiGatewayLogsRole.arn) });
    const attachment = synth.list('aws_iam_role_policy_attachment').find((a) => a.role === synth.ref(settings.apiGatewayLogsRole.name))!;
    const [attachmentId] = Object.entries(synth.resources('aws_iam_role_policy_attachment')).find(([, a]) => a === attachment)!;
    expect(account.depends_on).toEqual([`aws_iam_role_policy_attachment.${attachmentId}`]);
    expect(attachment.policy_arn).toBe('arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs');
    const role = synth.bodyOf(settings.apiGatewayLogsRole);
    // Outside the deploy role's reach (role/<prefix>-* on path /).
    expect(role.path).toBe('/account/');
    expect(statements(role.assume_role_policy)[0]).toMatchObject({
      Principal: { Service: 'apigateway.amazonaws.com' },
      Condition: { StringEquals: { 'aws:SourceAccount': CONFIG.accountId } },
    });
  });

  test.each(['us-east-1', 'us-west-2'])('%s: AWS Backup opts in Aurora and DynamoDB and turns on DynamoDB advanced features, touching no other service', (region) => {
    const body = synth.bodyOf(settings.backupSettings[region]);
    expect(body).toMatchObject({
      provider: providerOf(region),
      resource_type_opt_in_preference: { Aurora: true, DynamoDB: true },
      resource_type_management_preference: { DynamoDB: true },
    });
    expect(Object.keys(body.resource_type_opt_in_preference)).toEqual(['Aurora', 'DynamoDB']);
    // Set on creation only: the provider reads every service back, so a partial map would drift forever.
    expect(body.lifecycle.ignore_changes).toEqual(['resource_type_opt_in_preference', 'resource_type_management_preference']);
  });

  test('one provider per deploy region, each refusing other accounts', () => {
    const aliased = (synth.json.provider.aws as Json[]).filter((p) => p.alias);
    expect(aliased.map((p) => [p.alias, p.region, p.allowed_account_ids])).toEqual([
      ['us-east-1', 'us-east-1', [CONFIG.accountId]],
      ['us-west-2', 'us-west-2', [CONFIG.accountId]],
    ]);
  });

  test('hosted zones are created once, never destroyed, with their ids and name servers as outputs', () => {
    const zone = synth.bodyOf(settings.zones['payments.example.com']);
    expect(zone).toMatchObject({ name: 'payments.example.com', lifecycle: { prevent_destroy: true } });
    expect(synth.json.output['hosted-zones'].value).toEqual({
      'payments.example.com': {
        zone_id: synth.ref(settings.zones['payments.example.com'].zoneId),
        name_servers: synth.ref(settings.zones['payments.example.com'].nameServers),
      },
    });
    const none = synthBootstrap({ hostedZones: [] }).synth;
    expect(none.count('aws_route53_zone')).toBe(0);
    expect(none.json.output['hosted-zones']).toBeUndefined();
  });

  test('rejects a zone that is not a DNS name, and a zone listed twice', () => {
    expect(() => parseBootstrapConfig({ ...CONFIG, hostedZones: ['Payments'] })).toThrow(/hostedZones\.0: "Payments" must be a lowercase DNS name/);
    expect(() => parseBootstrapConfig({ ...CONFIG, hostedZones: ['a.example.com', 'a.example.com'] })).toThrow(/hostedZones: .* lists a zone twice/);
  });
});

describe('bootstrap config', () => {
  test('defaults deployRegions to the DR stack regions', () => {
    expect(parseBootstrapConfig(CONFIG).deployRegions).toEqual(['us-east-1', 'us-west-2']);
  });

  test('reads a JSON file or inline JSON from BOOTSTRAP_CONFIG', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'bootstrap-')), 'config.json');
    writeFileSync(file, JSON.stringify(CONFIG));
    expect(loadBootstrapConfig({ BOOTSTRAP_CONFIG: file }).githubRepo).toBe('payments-dr-platform');
    expect(loadBootstrapConfig({ BOOTSTRAP_CONFIG: ` ${JSON.stringify(CONFIG)}` }).accountId).toBe('123456789012');
  });

  test('the example config is valid', () => {
    expect(() => loadBootstrapConfig({ BOOTSTRAP_CONFIG: join(root, 'bootstrap', 'config.example.json') })).not.toThrow();
  });

  const load = (value: string | undefined) => () => loadBootstrapConfig(value === undefined ? {} : { BOOTSTRAP_CONFIG: value }, () => {
    throw new Error('ENOENT: no such file or directory');
  });
  const inline = (overrides: Record<string, unknown>) => JSON.stringify({ ...CONFIG, ...overrides });

  test.each([
    ['BOOTSTRAP_CONFIG is unset', undefined, /BOOTSTRAP_CONFIG is not set: point it at a JSON file \(copy bootstrap\/config\.example\.json\)/],
    ['the file cannot be read', 'missing.json', /BOOTSTRAP_CONFIG=missing\.json.*cannot read "missing\.json": ENOENT/s],
    ['the JSON is malformed', '{"accountId": ', /is not valid JSON/],
    ['the account id is not 12 digits', inline({ accountId: '12345' }), /accountId: "12345" must be a 12-digit AWS account id/],
    ['the region is unknown', inline({ region: 'us-central-9' }), /region: "us-central-9" is not an AWS region this project supports/],
    ['the GitHub owner has a leading hyphen', inline({ githubOrg: '-acme' }), /githubOrg: "-acme" must be a GitHub owner name/],
    ['the repository includes the owner', inline({ githubRepo: 'acme/payments' }), /githubRepo: "acme\/payments" must be a GitHub repository name without the owner/],
    ['the bucket name has capitals', inline({ stateBucket: 'Pay-State' }), /stateBucket: "Pay-State" must be an S3 bucket name/],
    ['the bucket name has two dots', inline({ stateBucket: 'pay..state' }), /stateBucket: "pay\.\.state" breaks an S3 bucket naming rule/],
    ['the name prefix is too long', inline({ namePrefix: 'payments' }), /namePrefix: "payments" is longer than 6 characters/],
    ['the deploy regions miss us-east-1', inline({ deployRegions: ['eu-west-1', 'eu-central-1'] }), /deployRegions: \["eu-west-1","eu-central-1"\] must include "us-east-1"/],
    ['a key is misspelled', inline({ githubRepository: 'x' }), /unknown key\(s\) "githubRepository": remove or fix the spelling/],
    ['a required key is missing', JSON.stringify({ ...CONFIG, stateBucket: undefined }), /stateBucket: missing; it is required/],
  ])('fails when %s', (_what, value, message) => {
    expect(load(value)).toThrow(BootstrapConfigError);
    expect(load(value)).toThrow(message);
  });

  test('fails when the file holds something other than an object', () => {
    expect(() => loadBootstrapConfig({ BOOTSTRAP_CONFIG: 'list.json' }, () => '[1]')).toThrow(
      /must hold a JSON object like bootstrap\/config\.example\.json, got \[1\]/,
    );
  });

  test('lists every problem at once', () => {
    const error = (() => {
      try {
        parseBootstrapConfig({ accountId: 'x', githubOrg: '', typo: 1 });
      } catch (e) {
        return e as BootstrapConfigError;
      }
      throw new Error('expected a BootstrapConfigError');
    })();
    expect(error.problems.map((p) => p.split(':')[0])).toEqual(
      expect.arrayContaining(['accountId', 'region', 'githubOrg', 'githubRepo', 'stateBucket', 'namePrefix', 'unknown key(s) "typo"']),
    );
    expect(error.message).toMatch(/^Invalid bootstrap configuration \(BOOTSTRAP_CONFIG\), 7 problem\(s\):/);
  });
});

describe('npm run bootstrap (node scripts/run.js bootstrap/main.ts)', () => {
  function bootstrap(env: Record<string, string>) {
    const outdir = join(mkdtempSync(join(tmpdir(), 'bootstrap-out-')), 'cdktf.out');
    const r = spawnSync(process.execPath, [join(root, 'scripts', 'run.js'), 'bootstrap/main.ts'], {
      cwd: root,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', CDKTF_OUTDIR: outdir, ...env },
    });
    return { ...r, outdir };
  }

  test('synthesizes the stack with its state file in bootstrap/, outside cdktf.out', () => {
    const r = bootstrap({ BOOTSTRAP_CONFIG: JSON.stringify(CONFIG) });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const stackDir = join(r.outdir, 'stacks', 'pay-ci-bootstrap');
    const json = JSON.parse(readFileSync(join(stackDir, 'cdk.tf.json'), 'utf8'));
    expect(resolve(stackDir, json.terraform.backend.local.path)).toBe(join(root, 'bootstrap', 'terraform.tfstate'));
  });

  test('bad config exits 1, lists the problems and writes nothing', () => {
    const r = bootstrap({ BOOTSTRAP_CONFIG: JSON.stringify({ ...CONFIG, accountId: '1' }) });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/accountId: "1" must be a 12-digit AWS account id/);
    expect(existsSync(r.outdir)).toBe(false);
  });
});

const reason = unavailableReason();
if (reason) console.warn(`SKIPPED terraform validation of the bootstrap stack: ${reason}`);
(reason ? describe.skip : describe)('terraform validate + plan (bootstrap stack)', () => {
  const report = validateAndPlan(synth.json);

  test('validates and plans without credentials: 0 errors, 0 warnings, every resource created', () => {
    expect(report.notes.join('\n')).toMatch(/backend removed/);
    expect(formatDiagnostics(report.planDiagnostics)).toBe('');
    expect(report.planOk).toBe(true);
    const planned = Object.values(report.plannedCreates).reduce((a, b) => a + b, 0);
    expect(planned).toBe(synth.all().length);
  });
});
