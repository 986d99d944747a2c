import { ApiGatewayStage, ApiGatewayStageConfig } from '@cdktf/provider-aws/lib/api-gateway-stage';
import { BackupVault } from '@cdktf/provider-aws/lib/backup-vault';
import { CloudwatchLogGroup, CloudwatchLogGroupConfig } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DbInstance } from '@cdktf/provider-aws/lib/db-instance';
import { DefaultSecurityGroup, DefaultSecurityGroupIngress } from '@cdktf/provider-aws/lib/default-security-group';
import { DynamodbTable, DynamodbTableConfig } from '@cdktf/provider-aws/lib/dynamodb-table';
import { FlowLog } from '@cdktf/provider-aws/lib/flow-log';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { KmsKey, KmsKeyConfig } from '@cdktf/provider-aws/lib/kms-key';
import { KmsReplicaKey } from '@cdktf/provider-aws/lib/kms-replica-key';
import { LambdaFunction, LambdaFunctionConfig } from '@cdktf/provider-aws/lib/lambda-function';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import { RdsCluster, RdsClusterConfig } from '@cdktf/provider-aws/lib/rds-cluster';
import { RdsClusterInstance, RdsClusterInstanceConfig } from '@cdktf/provider-aws/lib/rds-cluster-instance';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { SecurityGroup, SecurityGroupIngress } from '@cdktf/provider-aws/lib/security-group';
import { SecurityGroupRule } from '@cdktf/provider-aws/lib/security-group-rule';
import { SfnStateMachine } from '@cdktf/provider-aws/lib/sfn-state-machine';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SsmParameter } from '@cdktf/provider-aws/lib/ssm-parameter';
import { Vpc } from '@cdktf/provider-aws/lib/vpc';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { Password } from '@cdktf/provider-random/lib/password';
import { Fn, TerraformResource, TerraformStack, TerraformVariable, Testing } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GuardrailError,
  GuardrailProfile,
  RULES,
  RULE_IDS,
  Violation,
  allowPublicHttps,
  applyGuardrails,
  checkGuardrails,
  evaluateGuardrails,
  formatViolation,
  renderSecurityReport,
  waive,
  writeSecurityReport,
} from '../src/guardrails';
import { PolicyStatement, policyDocument, serviceTrustPolicy } from '../src/iam';
import { fixtureStack, synthDrStack } from './support/synth';
import { LambdaLayerVersion } from '@cdktf/provider-aws/lib/lambda-layer-version';
import { GlobalacceleratorListener, GlobalacceleratorListenerConfig } from '@cdktf/provider-aws/lib/globalaccelerator-listener';
import { Lb, LbConfig } from '@cdktf/provider-aws/lib/lb';
import { LbListener, LbListenerConfig } from '@cdktf/provider-aws/lib/lb-listener';
import { Wafv2WebAclAssociation } from '@cdktf/provider-aws/lib/wafv2-web-acl-association';
import { POWERTOOLS_LAYER, powertoolsLayerArn } from '../src/powertools-layer';

// ---------------------------------------------------------------------------------------------------------------
// Fixtures: the smallest compliant resource of each kind; each case below breaks exactly one rule.
// ---------------------------------------------------------------------------------------------------------------

const ACCOUNT = '123456789012';
const FOREIGN_KEY = 'arn:aws:kms:us-east-1:999999999999:key/11111111-2222-3333-4444-555555555555';

function fixture(profile: GuardrailProfile = 'dev') {
  const f = fixtureStack(profile === 'prod' ? { profile: 'prod', environmentSuffix: 'prod' } : {});
  const key = (role: 'primary' | 'dr') =>
    new KmsKey(f.stack, `key-${role}`, { provider: f[role].provider, description: `test key ${role}`, enableKeyRotation: true });
  return { ...f, keys: { primary: key('primary'), dr: key('dr') } };
}
type Fx = ReturnType<typeof fixture>;

let seq = 0;
const uid = (prefix: string) => `${prefix}-${++seq}`;

const logGroup = (fx: Fx, config: Partial<CloudwatchLogGroupConfig> = {}) =>
  new CloudwatchLogGroup(fx.stack, uid('logs'), { provider: fx.primary.provider, name: uid('/test/logs'), retentionInDays: 30, kmsKeyId: fx.keys.primary.arn, ...config });

type BucketPart = 'pab' | 'policy' | 'versioning' | 'sse';
/** A bucket with all four companions; `without` leaves some out, `tweak` replaces one. */
function bucket(fx: Fx, without: BucketPart[] = [], tweak: Partial<Record<BucketPart, (b: S3Bucket, id: string) => void>> = {}): S3Bucket {
  const provider = fx.primary.provider;
  const id = uid('bucket');
  const b = new S3Bucket(fx.stack, id, { provider, bucket: `${id}-${ACCOUNT}` });
  const parts: Record<BucketPart, () => void> = {
    pab: () =>
      new S3BucketPublicAccessBlock(fx.stack, `${id}-pab`, { provider, bucket: b.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true }),
    policy: () =>
      new S3BucketPolicy(fx.stack, `${id}-policy`, {
        provider,
        bucket: b.id,
        policy: policyDocument([
          { Sid: 'DenyInsecureTransport', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: [b.arn, `${b.arn}/*`], Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
        ]),
      }),
    versioning: () => new S3BucketVersioningA(fx.stack, `${id}-versioning`, { provider, bucket: b.id, versioningConfiguration: { status: 'Enabled' } }),
    sse: () =>
      new S3BucketServerSideEncryptionConfigurationA(fx.stack, `${id}-sse`, {
        provider,
        bucket: b.id,
        rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: fx.keys.primary.arn }, bucketKeyEnabled: true }],
      }),
  };
  for (const part of Object.keys(parts) as BucketPart[]) {
    if (tweak[part]) tweak[part]!(b, id);
    else if (!without.includes(part)) parts[part]();
  }
  return b;
}

const table = (fx: Fx, config: Partial<DynamodbTableConfig> = {}) =>
  new DynamodbTable(fx.stack, uid('table'), {
    provider: fx.primary.provider,
    name: uid('table'),
    billingMode: 'PAY_PER_REQUEST',
    hashKey: 'id',
    attribute: [{ name: 'id', type: 'S' }],
    serverSideEncryption: { enabled: true, kmsKeyArn: fx.keys.primary.arn },
    pointInTimeRecovery: { enabled: true },
    deletionProtectionEnabled: true,
    ...config,
  });

const cluster = (fx: Fx, config: Partial<RdsClusterConfig> = {}) =>
  new RdsCluster(fx.stack, uid('cluster'), {
    provider: fx.primary.provider,
    clusterIdentifier: uid('cluster'),
    engine: 'aurora-postgresql',
    storageEncrypted: true,
    kmsKeyId: fx.keys.primary.arn,
    iamDatabaseAuthenticationEnabled: true,
    enabledCloudwatchLogsExports: ['postgresql'],
    deletionProtection: true,
    skipFinalSnapshot: true,
    ...config,
  });

const instance = (fx: Fx, config: Partial<RdsClusterInstanceConfig> = {}) =>
  new RdsClusterInstance(fx.stack, uid('instance'), {
    provider: fx.primary.provider,
    clusterIdentifier: 'some-cluster',
    instanceClass: 'db.serverless',
    engine: 'aurora-postgresql',
    publiclyAccessible: false,
    performanceInsightsEnabled: true,
    performanceInsightsKmsKeyId: fx.keys.primary.arn,
    ...config,
  });

const lambda = (fx: Fx, config: Partial<LambdaFunctionConfig> = {}) =>
  new LambdaFunction(fx.stack, uid('fn'), {
    provider: fx.primary.provider,
    functionName: uid('fn'),
    role: `arn:aws:iam::${ACCOUNT}:role/test`,
    filename: 'fn.zip',
    handler: 'index.handler',
    runtime: 'nodejs22.x',
    reservedConcurrentExecutions: 5,
    tracingConfig: { mode: 'Active' },
    ...config,
  });

const stage = (fx: Fx, config: Partial<ApiGatewayStageConfig> = {}) =>
  new ApiGatewayStage(fx.stack, uid('stage'), {
    provider: fx.primary.provider,
    restApiId: 'abc123',
    deploymentId: 'dep123',
    stageName: 'v1',
    xrayTracingEnabled: true,
    accessLogSettings: { destinationArn: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:api`, format: '{"requestId":"$context.requestId"}' },
    ...config,
  });

/** An internal ALB with access logs, invalid headers dropped, deletion protection and (unless `waf: false`) a web ACL. */
function loadBalancer(fx: Fx, config: Partial<LbConfig> = {}, opts: { waf?: boolean } = {}) {
  const lb = new Lb(fx.stack, uid('alb'), {
    provider: fx.primary.provider,
    name: uid('alb'),
    internal: true,
    loadBalancerType: 'application',
    subnets: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
    dropInvalidHeaderFields: true,
    enableDeletionProtection: true,
    accessLogs: { bucket: `alb-logs-${ACCOUNT}`, prefix: 'alb', enabled: true },
    ...config,
  });
  if (opts.waf !== false) {
    new Wafv2WebAclAssociation(fx.stack, uid('waf'), {
      provider: fx.primary.provider,
      resourceArn: lb.arn,
      webAclArn: `arn:aws:wafv2:us-east-1:${ACCOUNT}:regional/webacl/payments/1234`,
    });
  }
  return lb;
}

const listener = (fx: Fx, config: Partial<LbListenerConfig> = {}) =>
  new LbListener(fx.stack, uid('listener'), {
    provider: fx.primary.provider,
    loadBalancerArn: `arn:aws:elasticloadbalancing:us-east-1:${ACCOUNT}:loadbalancer/app/x/1`,
    port: 443,
    protocol: 'HTTPS',
    sslPolicy: 'ELBSecurityPolicy-TLS13-1-2-Res-2021-06',
    certificateArn: `arn:aws:acm:us-east-1:${ACCOUNT}:certificate/1`,
    defaultAction: [{ type: 'fixed-response', fixedResponse: { contentType: 'text/plain', statusCode: '404' } }],
    ...config,
  });

const acceleratorListener = (fx: Fx, config: Partial<GlobalacceleratorListenerConfig> = {}) =>
  new GlobalacceleratorListener(fx.stack, uid('ga-listener'), {
    provider: fx.primary.provider,
    acceleratorArn: `arn:aws:globalaccelerator::${ACCOUNT}:accelerator/1`,
    protocol: 'TCP',
    portRange: [{ fromPort: 443, toPort: 443 }],
    ...config,
  });

/** A VPC with its default security group closed and a flow log of all traffic, unless told otherwise. */
function vpc(fx: Fx, opts: { defaultSg?: 'closed' | 'absent' | DefaultSecurityGroupIngress[]; flowLog?: 'ALL' | 'REJECT' | 'none' } = {}) {
  const provider = fx.primary.provider;
  const id = uid('vpc');
  const v = new Vpc(fx.stack, id, { provider, cidrBlock: '10.9.0.0/16' });
  const ds = opts.defaultSg ?? 'closed';
  const defaultSg = ds === 'absent' ? undefined : new DefaultSecurityGroup(fx.stack, `${id}-default-sg`, { provider, vpcId: v.id, ingress: ds === 'closed' ? undefined : ds });
  const fl = opts.flowLog ?? 'ALL';
  if (fl !== 'none') new FlowLog(fx.stack, `${id}-flow`, { provider, vpcId: v.id, trafficType: fl, logDestinationType: 's3', logDestination: `arn:aws:s3:::flow-logs-${ACCOUNT}` });
  return { vpc: v, defaultSg };
}

const securityGroup = (fx: Fx, ingress?: SecurityGroupIngress[], opts: { description?: string } = { description: 'test group: what it admits' }) =>
  new SecurityGroup(fx.stack, uid('sg'), { provider: fx.primary.provider, name: uid('sg'), description: opts.description, vpcId: 'vpc-0123456789abcdef0', ingress });

/** A Lambda-trusted role with one inline policy. */
function rolePolicy(fx: Fx, policy: string | PolicyStatement[]) {
  const role = new IamRole(fx.stack, uid('role'), { provider: fx.primary.provider, name: uid('role'), assumeRolePolicy: serviceTrustPolicy('lambda.amazonaws.com', ACCOUNT) });
  return new IamRolePolicy(fx.stack, uid('policy'), {
    provider: fx.primary.provider,
    role: role.id,
    name: 'test',
    policy: typeof policy === 'string' ? policy : policyDocument(policy),
  });
}

const address = (stack: TerraformStack, r: TerraformResource) => `${r.terraformResourceType}.${stack.getLogicalId(r)}`;
const summary = (vs: Violation[]) => vs.map((v) => [v.ruleId, v.address]);

// ---------------------------------------------------------------------------------------------------------------
// (a) The platform as composed today
// ---------------------------------------------------------------------------------------------------------------

describe('the full DrStack', () => {
  const ACCELERATOR = { edge: { mode: 'accelerator' } };
  const PROD = { profile: 'prod', environmentSuffix: 'prod', network: { natGateways: 'one-per-az' } };
  /** Rules about resources only the accelerator edge has. */
  const EDGE_RULES = ['LB-LISTENER-TLS', 'LB-WAF', 'LB-ACCESS-LOGS', 'LB-DROP-INVALID-HEADERS', 'LB-DELETION-PROTECTION'];
  test.each([
    ['dev', 'dns', {}],
    ['prod', 'dns', PROD],
    // Automatic failover: a state machine per region, encrypted with our key, its KMS grants by encryption context.
    ['prod', 'dns', { ...PROD, failover: { mode: 'automatic' } }],
    ['dev', 'accelerator', ACCELERATOR],
    ['prod', 'accelerator', { ...PROD, ...ACCELERATOR }],
  ] as const)('%s profile, %s edge: zero violations of the security baseline', (profile, mode, overrides) => {
    const { stack } = synthDrStack(overrides);
    const result = evaluateGuardrails(stack, { profile });
    expect(result.violations.map(formatViolation)).toEqual([]);
    // The only waiver: the ALB access-log buckets are SSE-S3, the only encryption ALB log delivery supports.
    expect(result.waivers.map((w) => [w.ruleId, w.resourceType, w.suppressed.length > 0])).toEqual(
      mode === 'dns' ? [] : [['ENC-CMK', 'aws_s3_bucket', true], ['ENC-CMK', 'aws_s3_bucket', true]],
    );
    expect(result.publicEntryPoints.map((e) => e.path)).toEqual(
      mode === 'dns' ? [] : [`${stack.edge!.loadBalancers.primary.node.path}/sg`, `${stack.edge!.loadBalancers.dr.node.path}/sg`],
    );
    // Every rule that can apply found something to check (a rule checking nothing would pass vacuously).
    const idle = result.rules.filter((r) => r.applies && r.checked === 0).map((r) => r.rule.id);
    expect(idle).toEqual(mode === 'dns' ? EDGE_RULES.filter((id) => result.rules.find((r) => r.rule.id === id)!.applies) : []);
    applyGuardrails(stack, { profile });
    expect(() => Testing.synth(stack)).not.toThrow();
  });
});

// ---------------------------------------------------------------------------------------------------------------
// (b) Each rule catches what it is about, names the resource and the fix, and fails the synth
// ---------------------------------------------------------------------------------------------------------------

type Case = readonly [rule: string, what: string, build: (fx: Fx) => TerraformResource, profile?: GuardrailProfile];

const CASES: readonly Case[] = [
  // ENC-CMK
  ['ENC-CMK', 'log group without a key', (fx) => logGroup(fx, { kmsKeyId: undefined })],
  ['ENC-CMK', 'log group with the other region\'s key', (fx) => logGroup(fx, { kmsKeyId: fx.keys.dr.arn })],
  [
    'ENC-CMK',
    'state machine with the AWS owned key',
    (fx) => new SfnStateMachine(fx.stack, 'sm', { provider: fx.primary.provider, name: 'sm', roleArn: 'arn:aws:iam::123456789012:role/r', definition: '{}', encryptionConfiguration: { type: 'AWS_OWNED_KEY' } }),
  ],
  [
    'ENC-CMK',
    'state machine with the other region\'s key',
    (fx) =>
      new SfnStateMachine(fx.stack, 'sm', {
        provider: fx.primary.provider,
        name: 'sm',
        roleArn: 'arn:aws:iam::123456789012:role/r',
        definition: '{}',
        encryptionConfiguration: { type: 'CUSTOMER_MANAGED_KMS_KEY', kmsKeyId: fx.keys.dr.arn },
      }),
  ],
  ['ENC-CMK', 'SNS topic with the AWS managed key', (fx) => new SnsTopic(fx.stack, 'topic', { provider: fx.primary.provider, name: 'alerts', kmsMasterKeyId: 'alias/aws/sns' })],
  ['ENC-CMK', 'secret without a key', (fx) => new SecretsmanagerSecret(fx.stack, 'secret', { provider: fx.primary.provider, name: 'creds' })],
  [
    'ENC-CMK',
    'secret replica without a key',
    (fx) => new SecretsmanagerSecret(fx.stack, 'secret', { provider: fx.primary.provider, name: 'creds', kmsKeyId: fx.keys.primary.arn, replica: [{ region: 'us-west-2' }] }),
  ],
  ['ENC-CMK', 'backup vault with a key of another account', (fx) => new BackupVault(fx.stack, 'vault', { provider: fx.primary.provider, name: 'vault', kmsKeyArn: FOREIGN_KEY })],
  ['ENC-CMK', 'DynamoDB table with the AWS owned key', (fx) => table(fx, { serverSideEncryption: undefined })],
  ['ENC-CMK', 'DynamoDB replica without a key', (fx) => table(fx, { replica: [{ regionName: 'us-west-2', pointInTimeRecovery: true }] })],
  ['ENC-CMK', 'Aurora cluster with storage_encrypted false', (fx) => cluster(fx, { storageEncrypted: false })],
  ['ENC-CMK', 'Aurora cluster with the default aws/rds key', (fx) => cluster(fx, { kmsKeyId: undefined })],
  ['ENC-CMK', 'Performance Insights without a key', (fx) => instance(fx, { performanceInsightsKmsKeyId: undefined })],
  [
    'ENC-CMK',
    'RDS instance unencrypted',
    (fx) =>
      new DbInstance(fx.stack, 'db', {
        provider: fx.primary.provider,
        instanceClass: 'db.t4g.micro',
        engine: 'postgres',
        allocatedStorage: 20,
        storageEncrypted: false,
        kmsKeyId: fx.keys.primary.arn,
        iamDatabaseAuthenticationEnabled: true,
        enabledCloudwatchLogsExports: ['postgresql'],
      }),
  ],
  ['ENC-CMK', 'bucket without default encryption', (fx) => bucket(fx, ['sse'])],
  [
    'ENC-CMK',
    'bucket with SSE-S3 (AES256)',
    (fx) =>
      bucket(fx, [], {
        sse: (b, id) =>
          new S3BucketServerSideEncryptionConfigurationA(fx.stack, `${id}-sse`, { provider: fx.primary.provider, bucket: b.id, rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }] }),
      }),
  ],
  ['ENC-CMK', 'SecureString parameter with the default key', (fx) => new SsmParameter(fx.stack, 'param', { provider: fx.primary.provider, name: '/x', type: 'SecureString', value: 'v' })],
  // KMS-ROTATION
  ['KMS-ROTATION', 'key without rotation', (fx) => new KmsKey(fx.stack, 'norotate', { provider: fx.primary.provider, description: 'x', enableKeyRotation: false } as KmsKeyConfig)],
  ['KMS-ROTATION', 'replica of a key outside the stack', (fx) => new KmsReplicaKey(fx.stack, 'foreign-replica', { provider: fx.dr.provider, primaryKeyArn: FOREIGN_KEY })],
  // S3
  ['S3-PUBLIC-ACCESS-BLOCK', 'bucket without a public access block', (fx) => bucket(fx, ['pab'])],
  [
    'S3-PUBLIC-ACCESS-BLOCK',
    'public access block with restrict_public_buckets false',
    (fx) =>
      bucket(fx, [], {
        pab: (b, id) =>
          new S3BucketPublicAccessBlock(fx.stack, `${id}-pab`, { provider: fx.primary.provider, bucket: b.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: false }),
      }),
  ],
  ['S3-TLS-ONLY', 'bucket without a policy', (fx) => bucket(fx, ['policy'])],
  [
    'S3-TLS-ONLY',
    'bucket policy that only denies deletes',
    (fx) =>
      bucket(fx, [], {
        policy: (b, id) =>
          new S3BucketPolicy(fx.stack, `${id}-policy`, {
            provider: fx.primary.provider,
            bucket: b.id,
            policy: policyDocument([{ Effect: 'Deny', Principal: '*', Action: 's3:DeleteObject', Resource: [b.arn, `${b.arn}/*`], Condition: { Bool: { 'aws:SecureTransport': 'false' } } }]),
          }),
      }),
  ],
  ['S3-VERSIONING', 'bucket without versioning', (fx) => bucket(fx, ['versioning'])],
  [
    'S3-VERSIONING',
    'bucket with versioning suspended',
    (fx) =>
      bucket(fx, [], {
        versioning: (b, id) => new S3BucketVersioningA(fx.stack, `${id}-versioning`, { provider: fx.primary.provider, bucket: b.id, versioningConfiguration: { status: 'Suspended' } }),
      }),
  ],
  // Network
  [
    'SG-OPEN-INGRESS',
    'SSH from 0.0.0.0/0 (vpc ingress rule)',
    (fx) =>
      new VpcSecurityGroupIngressRule(fx.stack, 'ssh', { provider: fx.primary.provider, securityGroupId: securityGroup(fx).id, description: 'ssh', ipProtocol: 'tcp', fromPort: 22, toPort: 22, cidrIpv4: '0.0.0.0/0' }),
  ],
  ['SG-OPEN-INGRESS', 'inline ingress from ::/0', (fx) => securityGroup(fx, [{ description: 'all v6', protocol: '-1', fromPort: 0, toPort: 0, ipv6CidrBlocks: ['::/0'] }])],
  [
    'SG-OPEN-INGRESS',
    'HTTPS from anywhere on a group not marked as a public entry point (security_group_rule)',
    (fx) =>
      new SecurityGroupRule(fx.stack, 'https', { provider: fx.primary.provider, type: 'ingress', securityGroupId: securityGroup(fx).id, description: 'https', protocol: 'tcp', fromPort: 443, toPort: 443, cidrBlocks: ['0.0.0.0/0'] }),
  ],
  ['SG-DESCRIPTION', 'security group without a description', (fx) => securityGroup(fx, undefined, {})],
  [
    'SG-DESCRIPTION',
    'ingress rule without a description',
    (fx) =>
      new VpcSecurityGroupIngressRule(fx.stack, 'nodesc', { provider: fx.primary.provider, securityGroupId: securityGroup(fx).id, ipProtocol: 'tcp', fromPort: 5432, toPort: 5432, cidrIpv4: '10.0.0.0/16' }),
  ],
  ['VPC-DEFAULT-SG', 'VPC whose default security group is not adopted', (fx) => vpc(fx, { defaultSg: 'absent' }).vpc],
  [
    'VPC-DEFAULT-SG',
    'default security group with an ingress block',
    (fx) => vpc(fx, { defaultSg: [{ description: 'self', protocol: '-1', fromPort: 0, toPort: 0, selfAttribute: true }] }).defaultSg!,
  ],
  ['VPC-FLOW-LOG', 'VPC without a flow log', (fx) => vpc(fx, { flowLog: 'none' }).vpc],
  ['VPC-FLOW-LOG', 'VPC logging rejected traffic only', (fx) => vpc(fx, { flowLog: 'REJECT' }).vpc],
  // IAM
  ['IAM-WILDCARD-ACTION', 'role policy allowing s3:*', (fx) => rolePolicy(fx, [{ Effect: 'Allow', Action: 's3:*', Resource: `arn:aws:s3:::bucket-${ACCOUNT}` }])],
  ['IAM-WILDCARD-ACTION', 'role policy allowing "*"', (fx) => rolePolicy(fx, [{ Effect: 'Allow', Action: ['*'], Resource: `arn:aws:s3:::bucket-${ACCOUNT}` }])],
  ['IAM-WILDCARD-RESOURCE', 'role policy reading every bucket', (fx) => rolePolicy(fx, [{ Sid: 'ReadAll', Effect: 'Allow', Action: ['s3:GetObject'], Resource: '*' }])],
  [
    'IAM-WILDCARD-RESOURCE',
    'an allow-listed action mixed with one that is not',
    (fx) => rolePolicy(fx, [{ Effect: 'Allow', Action: ['xray:PutTraceSegments', 's3:GetObject'], Resource: '*' }]),
  ],
  [
    'IAM-WILDCARD-RESOURCE',
    'an action with resource-level permissions that is not an exception (ec2:CreateVolume)',
    (fx) => rolePolicy(fx, [{ Effect: 'Allow', Action: ['ec2:CreateVolume'], Resource: '*' }]),
  ],
  // IAM-AUTHORIZATION-DATA: each case breaks exactly one thing against the pinned Service Authorization Reference.
  ['IAM-AUTHORIZATION-DATA', 'an action that does not exist', (fx) => rolePolicy(fx, [{ Effect: 'Allow', Action: ['s3:GetObjects'], Resource: `arn:aws:s3:::bucket-${ACCOUNT}/*` }])],
  ['IAM-AUTHORIZATION-DATA', 'a service prefix that does not exist', (fx) => rolePolicy(fx, [{ Effect: 'Allow', Action: ['s4:GetObject'], Resource: `arn:aws:s3:::bucket-${ACCOUNT}/*` }])],
  [
    'IAM-AUTHORIZATION-DATA',
    'an action none of whose resources it acts on (kms:Decrypt next to a bucket object)',
    (fx) => rolePolicy(fx, [{ Effect: 'Allow', Action: ['s3:GetObject', 'kms:Decrypt'], Resource: [`arn:aws:s3:::bucket-${ACCOUNT}/*`] }]),
  ],
  [
    'IAM-AUTHORIZATION-DATA',
    'a resource no action of the statement acts on (a bucket ARN where objects are meant)',
    (fx) => rolePolicy(fx, [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: [`arn:aws:s3:::bucket-${ACCOUNT}/*`, `arn:aws:s3:::bucket-${ACCOUNT}`] }]),
  ],
  [
    'IAM-AUTHORIZATION-DATA',
    'a named resource for an action without resource-level permissions',
    (fx) => rolePolicy(fx, [{ Effect: 'Allow', Action: ['xray:PutTraceSegments'], Resource: [fx.keys.primary.arn] }]),
  ],
  [
    'IAM-AUTHORIZATION-DATA',
    'a service condition key that does not exist',
    (fx) => rolePolicy(fx, [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: `arn:aws:s3:::bucket-${ACCOUNT}/*`, Condition: { StringEquals: { 's3:TlsVersions': '1.2' } } }]),
  ],
  [
    'IAM-AUTHORIZATION-DATA',
    'a misspelt global condition key',
    (fx) => rolePolicy(fx, [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: `arn:aws:s3:::bucket-${ACCOUNT}/*`, Condition: { StringEquals: { 'aws:SourceAcount': ACCOUNT } } }]),
  ],
  [
    'IAM-AUTHORIZATION-DATA',
    'a condition key the action never carries (kms:GrantIsForAWSResource on kms:Decrypt)',
    (fx) => rolePolicy(fx, [{ Effect: 'Allow', Action: ['kms:Decrypt'], Resource: [fx.keys.primary.arn], Condition: { Bool: { 'kms:GrantIsForAWSResource': true } } }]),
  ],
  [
    'IAM-AUTHORIZATION-DATA',
    'a reference whose ARN format the guardrail does not know',
    (fx) => {
      const layer = new LambdaLayerVersion(fx.stack, uid('layer'), { provider: fx.primary.provider, layerName: 'l', filename: 'layer.zip' });
      return rolePolicy(fx, [{ Effect: 'Allow', Action: ['lambda:GetLayerVersion'], Resource: [layer.arn] }]);
    },
  ],
  [
    'IAM-PUBLIC-PRINCIPAL',
    'key policy allowing everyone',
    (fx) =>
      new KmsKey(fx.stack, 'open-key', {
        provider: fx.primary.provider,
        enableKeyRotation: true,
        policy: policyDocument([{ Effect: 'Allow', Principal: { AWS: '*' }, Action: ['kms:Decrypt'], Resource: '*' }]),
      }),
  ],
  [
    'IAM-PUBLIC-PRINCIPAL',
    'Lambda permission for any API Gateway of any account',
    (fx) => new LambdaPermission(fx.stack, 'perm', { provider: fx.primary.provider, functionName: 'fn', action: 'lambda:InvokeFunction', principal: 'apigateway.amazonaws.com' }),
  ],
  [
    'IAM-POLICY-UNREADABLE',
    'policy built with jsonencode',
    (fx) => rolePolicy(fx, Fn.jsonencode({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: fx.keys.primary.arn }] })),
  ],
  [
    'IAM-MANAGED-POLICY',
    'AdministratorAccess attached',
    (fx) => {
      const role = new IamRole(fx.stack, 'admin', { provider: fx.primary.provider, assumeRolePolicy: serviceTrustPolicy('lambda.amazonaws.com', ACCOUNT) });
      return new IamRolePolicyAttachment(fx.stack, 'admin-attach', { provider: fx.primary.provider, role: role.name, policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' });
    },
  ],
  // Databases
  ['DB-NOT-PUBLIC', 'publicly accessible instance', (fx) => instance(fx, { publiclyAccessible: true })],
  ['DB-IAM-AUTH', 'cluster without IAM authentication', (fx) => cluster(fx, { iamDatabaseAuthenticationEnabled: false })],
  ['DB-LOG-EXPORTS', 'cluster exporting no logs', (fx) => cluster(fx, { enabledCloudwatchLogsExports: undefined })],
  ['DB-LOG-EXPORTS', 'PostgreSQL cluster exporting only other logs', (fx) => cluster(fx, { enabledCloudwatchLogsExports: ['iam-db-auth-error'] })],
  ['DB-DELETION-PROTECTION', 'prod cluster without deletion protection', (fx) => cluster(fx, { deletionProtection: false }), 'prod'],
  ['DB-DELETION-PROTECTION', 'prod table without deletion protection', (fx) => table(fx, { deletionProtectionEnabled: false }), 'prod'],
  ['DYNAMODB-PITR', 'table without point-in-time recovery', (fx) => table(fx, { pointInTimeRecovery: undefined })],
  ['DYNAMODB-PITR', 'replica without point-in-time recovery', (fx) => table(fx, { replica: [{ regionName: 'us-west-2', kmsKeyArn: fx.keys.dr.arn, pointInTimeRecovery: false }] })],
  // Lambda, API, logs
  ['LAMBDA-TRACING', 'function with PassThrough tracing', (fx) => lambda(fx, { tracingConfig: { mode: 'PassThrough' } })],
  ['LAMBDA-LAYERS', 'a layer from another account', (fx) => lambda(fx, { layers: ['arn:aws:lambda:us-east-1:111122223333:layer:helpers:3'] })],
  ['LAMBDA-LAYERS', 'the Powertools layer at another version', (fx) => lambda(fx, { layers: ['arn:aws:lambda:us-east-1:094274105915:layer:AWSLambdaPowertoolsTypeScriptV2:49'] })],
  ['LAMBDA-LAYERS', 'the Powertools layer of another region', (fx) => lambda(fx, { layers: [`arn:aws:lambda:eu-west-1:094274105915:layer:AWSLambdaPowertoolsTypeScriptV2:${POWERTOOLS_LAYER.layerVersion}`] })],
  [
    'LAMBDA-LAYERS',
    'the Powertools layer on a function whose region is not known at synth',
    (fx) => {
      const region = new TerraformVariable(fx.stack, 'region', { type: 'string' }).stringValue;
      const provider = new AwsProvider(fx.stack, 'aws-variable-region', { alias: 'variable_region', region });
      return lambda(fx, { provider, layers: [powertoolsLayerArn(fx.primary.region)] });
    },
  ],
  ['LAMBDA-CONCURRENCY', 'function without reserved concurrency', (fx) => lambda(fx, { reservedConcurrentExecutions: undefined })],
  ['LAMBDA-ENV-SECRETS', 'DB_PASSWORD in the environment', (fx) => lambda(fx, { environment: { variables: { DB_PASSWORD: 'hunter2-hunter2' } } })],
  [
    'LAMBDA-ENV-SECRETS',
    'a generated password passed as a value',
    (fx) => lambda(fx, { environment: { variables: { DB_CONN: new Password(fx.stack, 'pw', { length: 20 }).result } } }),
  ],
  ['LAMBDA-ENV-SECRETS', 'an AWS access key id as a value', (fx) => lambda(fx, { environment: { variables: { UPSTREAM: 'AKIAABCDEFGHIJKLMNOP' } } })],
  ['LAMBDA-ENV-SECRETS', 'credentials in a connection URL', (fx) => lambda(fx, { environment: { variables: { DATABASE_URL: 'postgres://admin:s3cret@db:5432/payments' } } })],
  ['API-STAGE-ACCESS-LOGS', 'stage without access logs', (fx) => stage(fx, { accessLogSettings: undefined })],
  ['API-STAGE-TRACING', 'stage without X-Ray', (fx) => stage(fx, { xrayTracingEnabled: false })],
  ['LOG-RETENTION', 'log group that never expires', (fx) => logGroup(fx, { retentionInDays: undefined })],
  ['LOG-RETENTION', 'prod log group kept 30 days', (fx) => logGroup(fx, { retentionInDays: 30 }), 'prod'],
  // Load balancers and the accelerator (edge.mode "accelerator")
  ['LB-LISTENER-TLS', 'plain HTTP listener', (fx) => listener(fx, { port: 80, protocol: 'HTTP', sslPolicy: undefined, certificateArn: undefined })],
  ['LB-LISTENER-TLS', 'HTTPS listener with the 2016 default policy (TLS 1.0)', (fx) => listener(fx, { sslPolicy: undefined })],
  ['LB-LISTENER-TLS', 'HTTPS listener with a TLS 1.0 policy', (fx) => listener(fx, { sslPolicy: 'ELBSecurityPolicy-TLS13-1-0-2021-06' })],
  ['LB-LISTENER-TLS', 'HTTPS listener without a certificate', (fx) => listener(fx, { certificateArn: undefined })],
  ['LB-LISTENER-TLS', 'accelerator listener on port 80 too', (fx) => acceleratorListener(fx, { portRange: [{ fromPort: 80, toPort: 80 }, { fromPort: 443, toPort: 443 }] })],
  ['LB-LISTENER-TLS', 'accelerator listener for UDP', (fx) => acceleratorListener(fx, { protocol: 'UDP' })],
  ['LB-WAF', 'load balancer without a web ACL', (fx) => loadBalancer(fx, {}, { waf: false })],
  ['LB-ACCESS-LOGS', 'load balancer without access logs', (fx) => loadBalancer(fx, { accessLogs: undefined })],
  ['LB-ACCESS-LOGS', 'load balancer with access logs disabled', (fx) => loadBalancer(fx, { accessLogs: { bucket: `alb-logs-${ACCOUNT}`, enabled: false } })],
  ['LB-DROP-INVALID-HEADERS', 'load balancer keeping invalid headers', (fx) => loadBalancer(fx, { dropInvalidHeaderFields: undefined })],
  ['LB-DELETION-PROTECTION', 'prod load balancer without deletion protection', (fx) => loadBalancer(fx, { enableDeletionProtection: false }), 'prod'],
];

describe('each rule', () => {
  test('every rule has at least one breaking case', () => {
    expect([...new Set(CASES.map(([rule]) => rule))].sort()).toEqual([...RULE_IDS].sort());
  });

  test('the compliant fixtures pass every rule, in dev and prod', () => {
    for (const profile of ['dev', 'prod'] as const) {
      const fx = fixture(profile);
      logGroup(fx, { retentionInDays: 365 });
      bucket(fx);
      table(fx, { replica: [{ regionName: 'us-west-2', kmsKeyArn: fx.keys.dr.arn, pointInTimeRecovery: true }] });
      cluster(fx);
      instance(fx);
      lambda(fx, { environment: { variables: { CONFIG_PATH: '/pay/dev/', DB_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:x', API_KEY_PARAMETER_NAME: '/x' } } });
      const ownLayer = new LambdaLayerVersion(fx.stack, uid('layer'), { provider: fx.primary.provider, layerName: 'own', filename: 'layer.zip' });
      lambda(fx, { layers: [powertoolsLayerArn(fx.primary.region), ownLayer.arn] });
      stage(fx);
      loadBalancer(fx);
      listener(fx);
      acceleratorListener(fx);
      vpc(fx);
      securityGroup(fx, [{ description: 'https from the VPC', protocol: 'tcp', fromPort: 443, toPort: 443, cidrBlocks: ['10.0.0.0/16'] }]);
      new SecretsmanagerSecret(fx.stack, 'secret', { provider: fx.primary.provider, name: 'creds', kmsKeyId: fx.keys.primary.arn, replica: [{ region: 'us-west-2', kmsKeyId: fx.keys.dr.arn }] });
      new KmsReplicaKey(fx.stack, 'replica', { provider: fx.dr.provider, primaryKeyArn: fx.keys.primary.arn });
      rolePolicy(fx, [
        { Sid: 'XRay', Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' },
        { Sid: 'Describe', Effect: 'Allow', Action: ['ec2:DescribeSubnets', 'ec2:DescribeNetworkInterfaces'], Resource: '*' },
        { Sid: 'Eni', Effect: 'Allow', Action: ['ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface'], Resource: '*' },
        { Sid: 'Deny', Effect: 'Deny', Action: '*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
      ]);
      new KmsKey(fx.stack, 'key-with-policy', {
        provider: fx.primary.provider,
        enableKeyRotation: true,
        // Resource "*" in a key policy is the key itself.
        policy: policyDocument([{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: ['kms:Describe*', 'kms:Get*'], Resource: '*' }]),
      });
      const role = new IamRole(fx.stack, 'backup-role', { provider: fx.primary.provider, assumeRolePolicy: serviceTrustPolicy('backup.amazonaws.com', ACCOUNT) });
      new IamRolePolicyAttachment(fx.stack, 'backup-attach', {
        provider: fx.primary.provider,
        role: role.name,
        policyArn: 'arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup',
      });
      new LambdaPermission(fx.stack, 'perm', { provider: fx.primary.provider, functionName: 'fn', action: 'lambda:InvokeFunction', principal: 'apigateway.amazonaws.com', sourceArn: 'arn:aws:execute-api:us-east-1:123456789012:abc/*/GET/health' });
      expect(checkGuardrails(fx.stack, { profile }).map(formatViolation)).toEqual([]);
    }
  });

  const rows = CASES.map(([rule, what, build, profile]) => ({ rule, what, build, profile: profile ?? ('dev' as GuardrailProfile) }));
  test.each(rows)('$rule: $what', ({ rule, build, profile }) => {
    const fx = fixture(profile);
    const offender = build(fx);
    const violations = checkGuardrails(fx.stack, { profile });
    expect(summary(violations)).toEqual([[rule, address(fx.stack, offender)]]);
    const [v] = violations;
    expect(v.path).toBe(offender.node.path);
    expect(v.message.length).toBeGreaterThan(10);
    expect(v.fix).toMatch(/^(set|add|remove|restrict|name|list|replace|write|attach|build|pass|replicate)\b/);
    const line = formatViolation(v);
    expect(line).toContain(`[${rule}] ${v.address} (${offender.node.path})`);
    expect(line).toContain('Fix: ');

    applyGuardrails(fx.stack, { profile });
    let error: unknown;
    try {
      Testing.synth(fx.stack);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GuardrailError);
    expect((error as GuardrailError).violations).toEqual(violations);
    expect((error as Error).message).toContain(line);
  });

  test('escape hatches are seen: resource- and stack-level overrides are checked as synthesized', () => {
    const fx = fixture();
    const group = logGroup(fx);
    group.addOverride('kms_key_id', null);
    fx.stack.addOverride(`resource.aws_cloudwatch_log_group.${fx.stack.getLogicalId(group)}.retention_in_days`, 0);
    expect(summary(checkGuardrails(fx.stack, { profile: 'dev' }))).toEqual([
      ['ENC-CMK', address(fx.stack, group)],
      ['LOG-RETENTION', address(fx.stack, group)],
    ]);
  });

  test('deletion protection is not required in dev', () => {
    const fx = fixture('dev');
    cluster(fx, { deletionProtection: false });
    table(fx, { deletionProtectionEnabled: false });
    expect(checkGuardrails(fx.stack, { profile: 'dev' })).toEqual([]);
    expect(summary(checkGuardrails(fx.stack, { profile: 'prod' })).map(([rule]) => rule)).toEqual(['DB-DELETION-PROTECTION', 'DB-DELETION-PROTECTION']);
  });

  test('one error lists every violation of the stack', () => {
    const fx = fixture();
    const a = logGroup(fx, { kmsKeyId: undefined, retentionInDays: undefined });
    const b = lambda(fx, { tracingConfig: undefined });
    applyGuardrails(fx.stack, { profile: 'dev' });
    expect(() => Testing.synth(fx.stack)).toThrow(/3 violation\(s\)/);
    const message = (() => {
      try {
        Testing.synth(fx.stack);
        return '';
      } catch (e) {
        return (e as Error).message;
      }
    })();
    for (const r of [a, b]) expect(message).toContain(address(fx.stack, r));
    for (const rule of ['ENC-CMK', 'LOG-RETENTION', 'LAMBDA-TRACING']) expect(message).toContain(`[${rule}]`);
  });

  test('the options given to applyGuardrails are the default of checkGuardrails; otherwise prod', () => {
    const fx = fixture('dev');
    cluster(fx, { deletionProtection: false });
    expect(checkGuardrails(fx.stack).map((v) => v.ruleId)).toEqual(['DB-DELETION-PROTECTION']);
    applyGuardrails(fx.stack, { profile: 'dev' });
    expect(checkGuardrails(fx.stack)).toEqual([]);
    expect(() => applyGuardrails(fx.stack, { profile: 'dev' })).not.toThrow();
    expect(() => applyGuardrails(fx.stack, { profile: 'prod' })).toThrow(/already applied .* with profile 'dev', now 'prod'/);
  });
});

describe('public HTTPS entry points', () => {
  test('a marked security group may admit HTTPS from anywhere, and nothing else', () => {
    const fx = fixture();
    const lb = securityGroup(fx, [
      { description: 'HTTPS from the internet', protocol: 'tcp', fromPort: 443, toPort: 443, cidrBlocks: ['0.0.0.0/0'], ipv6CidrBlocks: ['::/0'] },
    ]);
    expect(checkGuardrails(fx.stack, { profile: 'dev' }).map((v) => v.ruleId)).toEqual(['SG-OPEN-INGRESS']);
    allowPublicHttps(lb, 'internet-facing ALB of the payments API (TLS 1.2+, WAF)');
    expect(checkGuardrails(fx.stack, { profile: 'dev' })).toEqual([]);
    const http = new VpcSecurityGroupIngressRule(fx.stack, 'http', {
      provider: fx.primary.provider,
      securityGroupId: lb.id,
      description: 'HTTP from the internet',
      ipProtocol: 'tcp',
      fromPort: 80,
      toPort: 80,
      cidrIpv4: '0.0.0.0/0',
    });
    expect(summary(checkGuardrails(fx.stack, { profile: 'dev' }))).toEqual([['SG-OPEN-INGRESS', address(fx.stack, http)]]);
    expect(renderSecurityReport(evaluateGuardrails(fx.stack, { profile: 'dev' }))).toContain('internet-facing ALB of the payments API');
  });

  test.each([
    ['a short reason', (sg: SecurityGroup) => allowPublicHttps(sg, 'ALB'), /written reason is required/],
    ['not a security group', (_sg: SecurityGroup, fx: Fx) => allowPublicHttps(fx.keys.primary, 'internet-facing load balancer'), /must be an aws_security_group/],
  ] as const)('refuses %s', (_name, call, message) => {
    const fx = fixture();
    const sg = securityGroup(fx);
    expect(() => call(sg, fx)).toThrow(message);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// (c) Waivers
// ---------------------------------------------------------------------------------------------------------------

describe('waivers', () => {
  const REASON = 'health-check API stage: no access logs needed for synthetic probes (ticket SEC-42)';

  test('a waiver removes the violation of that rule on that resource only', () => {
    const fx = fixture();
    const waived = stage(fx, { accessLogSettings: undefined });
    const other = stage(fx, { accessLogSettings: undefined });
    waive(waived, 'API-STAGE-ACCESS-LOGS', REASON);
    expect(summary(checkGuardrails(fx.stack, { profile: 'dev' }))).toEqual([['API-STAGE-ACCESS-LOGS', address(fx.stack, other)]]);
  });

  test('with its only violation waived, the stack synthesizes under applyGuardrails', () => {
    const fx = fixture();
    waive(stage(fx, { accessLogSettings: undefined }), 'API-STAGE-ACCESS-LOGS', REASON);
    applyGuardrails(fx.stack, { profile: 'dev' });
    expect(() => Testing.synth(fx.stack)).not.toThrow();
  });

  test('a waiver does not cover other rules on the same resource', () => {
    const fx = fixture();
    const s = stage(fx, { accessLogSettings: undefined, xrayTracingEnabled: false });
    waive(s, 'API-STAGE-ACCESS-LOGS', REASON);
    expect(checkGuardrails(fx.stack, { profile: 'dev' }).map((v) => v.ruleId)).toEqual(['API-STAGE-TRACING']);
  });

  test('the waiver and its reason are in the synthesized cdk.tf.json (a "//" comment) and in the report', () => {
    const fx = fixture();
    const s = stage(fx, { accessLogSettings: undefined, xrayTracingEnabled: false });
    waive(s, 'API-STAGE-ACCESS-LOGS', REASON);
    waive(s, 'API-STAGE-TRACING', 'synthetic probe stage: tracing would only add cost (ticket SEC-43)');
    applyGuardrails(fx.stack, { profile: 'dev' });

    // Testing.synth strips "//" comments; the real synthesizer (Testing.fullSynth, app.synth) keeps them.
    const outdir = Testing.fullSynth(fx.stack);
    const json = JSON.parse(readFileSync(join(outdir, 'stacks', fx.stack.node.id, 'cdk.tf.json'), 'utf8'));
    const body = json.resource.aws_api_gateway_stage[fx.stack.getLogicalId(s)];
    expect(body['//'].guardrail_waivers).toEqual([
      { rule: 'API-STAGE-ACCESS-LOGS', reason: REASON },
      { rule: 'API-STAGE-TRACING', reason: 'synthetic probe stage: tracing would only add cost (ticket SEC-43)' },
    ]);
    expect(body['//'].metadata.path).toBe(s.node.path); // cdktf's own comment survives next to ours

    const result = evaluateGuardrails(fx.stack);
    expect(result.waivers).toEqual([
      expect.objectContaining({ ruleId: 'API-STAGE-ACCESS-LOGS', reason: REASON, address: address(fx.stack, s), path: s.node.path, suppressed: [expect.stringContaining('access_log_settings')] }),
      expect.objectContaining({ ruleId: 'API-STAGE-TRACING', suppressed: ['xray_tracing_enabled is false'] }),
    ]);
    const report = renderSecurityReport(result);
    expect(report).toContain(`| \`API-STAGE-ACCESS-LOGS\` | \`${address(fx.stack, s)}\` | \`${s.node.path}\` | ${REASON} |`);
    expect(report).toMatch(/\| `API-STAGE-TRACING` \| Every REST API stage has X-Ray tracing \| 1 \| 1 \| pass \|/);
  });

  test('a waiver that suppresses nothing is reported as stale', () => {
    const fx = fixture();
    waive(stage(fx), 'API-STAGE-TRACING', 'kept from an older design, tracing is on now (ticket SEC-44)');
    expect(renderSecurityReport(evaluateGuardrails(fx.stack, { profile: 'dev' }))).toContain('nothing (stale: remove it)');
  });

  test.each([
    ['without a reason', (r: TerraformResource) => waive(r, 'API-STAGE-TRACING', ''), /written reason is required/],
    ['with a placeholder reason', (r: TerraformResource) => waive(r, 'API-STAGE-TRACING', 'todo'), /written reason is required .* got "todo"/],
    ['of an unknown rule', (r: TerraformResource) => waive(r, 'API-TRACING', REASON), /unknown rule 'API-TRACING'; the rules are ENC-CMK, KMS-ROTATION/],
    ['of a rule that does not inspect the resource type', (r: TerraformResource) => waive(r, 'S3-VERSIONING', REASON), /rule S3-VERSIONING does not inspect aws_api_gateway_stage/],
    ['twice for the same rule', (r: TerraformResource) => (waive(r, 'API-STAGE-TRACING', REASON), waive(r, 'API-STAGE-TRACING', REASON)), /already waived/],
  ] as const)('refuses a waiver %s', (_name, call, message) => {
    const fx = fixture();
    expect(() => call(stage(fx))).toThrow(message);
  });
});

describe('security report', () => {
  test('lists every rule with its result, the "*" allow-list and the managed policies; written next to the stack', () => {
    const fx = fixture();
    bucket(fx);
    const dir = mkdtempSync(join(tmpdir(), 'security-report-'));
    const result = writeSecurityReport(dir, fx.stack, { profile: 'dev' });
    const md = readFileSync(join(dir, 'security-report.md'), 'utf8');
    for (const rule of RULES) expect(md).toContain(`| \`${rule.id}\` |`);
    expect(md).toContain('| `DB-DELETION-PROTECTION` | In prod, databases and tables have deletion protection | 0 | 0 | not applicable (dev) |');
    expect(md).toContain('| `ec2:CreateNetworkInterface` |');
    expect(md).toMatch(/without resource types \(checked against @cloud-copilot\/iam-data 0\.\d+\.\d+\)/);
    expect(md).toContain('AWSBackupServiceRolePolicyForBackup');
    expect(md).toContain('None: every resource meets every rule.');
    const json = JSON.parse(readFileSync(join(dir, 'security-report.json'), 'utf8'));
    expect(json).toMatchObject({ stack: 'fixture', profile: 'dev', violations: [], waivers: [] });
    expect(json.rules).toHaveLength(result.rules.length);
  });
});
