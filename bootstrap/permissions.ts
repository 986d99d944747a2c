import { arn, awsManagedPolicyArn, iamRoleArn, s3BucketArn } from '../src/arn';
import { PolicyStatement, policyDocument } from '../src/iam';

/**
 * The IAM policies of the two CI roles, built as objects and serialized once.
 *
 * - plan role: `ReadOnlyAccess` (attached by the stack) plus what a refresh needs that it lacks (state objects,
 *   the stack's secret values), minus data-plane reads it does not need (explicit denies).
 * - deploy role: the service prefixes the DR stack manages, only in the deploy regions; IAM and S3 scoped to the
 *   stack's names (`<namePrefix>-*`); the state bucket and its key protected by explicit denies.
 */

/** The platform's statement shape (src/iam.ts), every one named: the CI policies are read in reviews. */
export type Statement = PolicyStatement & { readonly Sid: string };

/** The platform's serializer (src/iam.ts), so both stacks write policies the same way. */
export const policyJson = (statements: readonly Statement[]): string => policyDocument(statements);

/** Regional AWS services whose every action the deploy role may call (in the deploy regions only). */
export const DEPLOY_SERVICES = [
  'acm',
  'apigateway',
  'backup',
  // CreateBackupVault mounts the vault's storage: `backup-storage:MountCapsule`.
  'backup-storage',
  'cloudwatch',
  'dynamodb',
  'ec2',
  // The drills' experiment templates (aws_fis_experiment_template); the deploy role never starts an experiment,
  // but the prefix grant includes it: CI runs no drill, and the templates' role is passed only to FIS.
  'fis',
  // EventBridge: payment events (buses, global endpoint, rules, archives, outbox sweep schedule) and the rules that
  // notify the alert topics (AWS Backup job failures, Secrets Manager replication and rotation failures). SQS: the
  // payment event queues.
  'events',
  'kms',
  'lambda',
  'logs',
  'rds',
  'route53',
  // EventBridge Scheduler: the probers' one-minute schedules.
  'scheduler',
  'secretsmanager',
  'sns',
  'sqs',
  'ssm',
  // Step Functions: the automatic failover controller (failover.mode "automatic").
  'states',
  'wafv2',
] as const;

/**
 * IAM service prefixes of each Terraform resource type the DR stack declares. `bootstrap.test.ts` checks that every
 * type the DR stack synthesizes is listed here and that its services are granted: a new resource type fails the test
 * instead of the first deploy.
 */
export const SERVICES_BY_RESOURCE_TYPE: ReadonlyArray<readonly [RegExp, readonly string[]]> = [
  [/^aws_acm_/, ['acm']],
  [/^aws_api_gateway_/, ['apigateway']],
  [/^aws_backup_/, ['backup', 'backup-storage']],
  [/^aws_cloudwatch_log_/, ['logs']],
  [/^aws_cloudwatch_(metric_alarm|dashboard)$/, ['cloudwatch']],
  // EventBridge: the global endpoint reads the Route 53 health check it follows (route53 is granted anyway).
  [/^aws_cloudwatch_event_/, ['events']],
  [/^aws_(db|rds)_/, ['rds']],
  [/^aws_dynamodb_/, ['dynamodb']],
  // FIS checks the stop-condition alarms and passes the experiment role (a `<prefix>-*` role).
  [/^aws_fis_/, ['fis', 'cloudwatch', 'iam']],
  // Flow logs to CloudWatch Logs: ec2 creates the flow log, passing a `<prefix>-*` role.
  [/^aws_flow_log$/, ['ec2', 'logs', 'iam']],
  [/^aws_(vpc|vpc_.+|subnet|route|route_table|route_table_association|internet_gateway|nat_gateway|eip|security_group|default_security_group)$/, ['ec2']],
  [/^aws_iam_/, ['iam']],
  [/^aws_kms_/, ['kms']],
  [/^aws_lambda_/, ['lambda']],
  [/^aws_route53_/, ['route53']],
  [/^aws_s3_/, ['s3']],
  // Both pass a `<prefix>-*` role to the service.
  [/^aws_scheduler_/, ['scheduler', 'iam']],
  [/^aws_sfn_/, ['states', 'iam']],
  [/^aws_secretsmanager_/, ['secretsmanager']],
  [/^aws_sns_/, ['sns']],
  [/^aws_sqs_/, ['sqs']],
  [/^aws_ssm_/, ['ssm']],
  [/^aws_wafv2_/, ['wafv2']],
  // hashicorp/random runs locally: no AWS call.
  [/^random_/, []],
];

/** The IAM service prefixes a resource type needs, or undefined when the type is not mapped yet. */
export function servicesFor(resourceType: string): readonly string[] | undefined {
  return SERVICES_BY_RESOURCE_TYPE.find(([pattern]) => pattern.test(resourceType))?.[1];
}

/** AWS managed policies the DR stack attaches to its own roles; the deploy role may attach these and no others. */
export const STACK_MANAGED_POLICIES = [
  awsManagedPolicyArn('service-role/AWSBackupServiceRolePolicyForBackup'),
  awsManagedPolicyArn('service-role/AWSBackupServiceRolePolicyForRestores'),
] as const;

/** Service-linked roles the DR stack's services create on first use in an account. */
export const SERVICE_LINKED_ROLE_SERVICES = [
  'rds.amazonaws.com',
  'backup.amazonaws.com',
  'ops.apigateway.amazonaws.com',
  'replication.dynamodb.amazonaws.com',
] as const;

/** What the DR stack's roles need the deploy role to do to them (role ARNs `<prefix>-*` only). */
export const ROLE_MANAGEMENT_ACTIONS = [
  'iam:CreateRole',
  'iam:DeleteRole',
  'iam:GetRole',
  'iam:UpdateRole',
  'iam:UpdateRoleDescription',
  'iam:UpdateAssumeRolePolicy',
  'iam:TagRole',
  'iam:UntagRole',
  'iam:ListRoleTags',
  'iam:PutRolePolicy',
  'iam:GetRolePolicy',
  'iam:DeleteRolePolicy',
  'iam:ListRolePolicies',
  'iam:DetachRolePolicy',
  'iam:ListAttachedRolePolicies',
  'iam:ListInstanceProfilesForRole',
] as const;

/** Changes to the state bucket nobody in CI may make (the deploy role's `s3:*` on `<prefix>-*` would allow them). */
export const STATE_BUCKET_PROTECTED_ACTIONS = [
  's3:DeleteBucket',
  's3:DeleteBucketPolicy',
  's3:PutBucketPolicy',
  's3:PutBucketVersioning',
  's3:PutEncryptionConfiguration',
  's3:PutBucketPublicAccessBlock',
  's3:PutBucketOwnershipControls',
  's3:PutBucketAcl',
  's3:PutLifecycleConfiguration',
  's3:DeleteObjectVersion',
] as const;

export const STATE_KEY_PROTECTED_ACTIONS = [
  'kms:ScheduleKeyDeletion',
  'kms:DisableKey',
  'kms:DisableKeyRotation',
  'kms:PutKeyPolicy',
] as const;

export interface PolicyInputs {
  readonly accountId: string;
  readonly namePrefix: string;
  readonly stateBucket: string;
  /** ARN of the state bucket's KMS key (usually a token). */
  readonly stateKeyArn: string;
  readonly deployRegions: readonly string[];
}

const bucketArn = (bucket: string) => s3BucketArn(bucket);
const stackRoles = (p: PolicyInputs) => iamRoleArn(p.accountId, `${p.namePrefix}-*`);

/** Inline policy of the plan role, on top of `ReadOnlyAccess`. */
export function planRoleStatements(p: PolicyInputs): Statement[] {
  const bucket = bucketArn(p.stateBucket);
  return [
    { Sid: 'StateList', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: bucket },
    // Plans run with -lock=false, so no write at all: see bootstrap/README.md ("Why the plan role cannot lock").
    { Sid: 'StateRead', Effect: 'Allow', Action: ['s3:GetObject'], Resource: `${bucket}/*` },
    { Sid: 'StateDecrypt', Effect: 'Allow', Action: ['kms:Decrypt', 'kms:DescribeKey'], Resource: p.stateKeyArn },
    {
      // Refreshing aws_secretsmanager_secret_version reads the value, which ReadOnlyAccess does not grant. The same
      // values are in the state this role already reads, so this widens nothing.
      Sid: 'RefreshStackSecrets',
      Effect: 'Allow',
      Action: ['secretsmanager:GetSecretValue'],
      Resource: arn({ service: 'secretsmanager', region: '*', account: p.accountId, resource: `secret:${p.namePrefix}-*` }),
    },
    {
      // The stack's keys allow use through Secrets Manager only; Resource "*" is bounded by kms:ViaService.
      Sid: 'DecryptThroughSecretsManager',
      Effect: 'Allow',
      Action: ['kms:Decrypt'],
      Resource: '*',
      Condition: {
        StringEquals: {
          'kms:CallerAccount': p.accountId,
          'kms:ViaService': p.deployRegions.map((r) => `secretsmanager.${r}.amazonaws.com`),
        },
      },
    },
    {
      // ReadOnlyAccess can read table items; a refresh only describes tables.
      Sid: 'NoTableItemReads',
      Effect: 'Deny',
      Action: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:Scan', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
      Resource: '*',
    },
    {
      // ReadOnlyAccess can read every object (payment artefacts); a refresh needs only the state objects.
      Sid: 'NoObjectReadsOutsideState',
      Effect: 'Deny',
      Action: ['s3:GetObject', 's3:GetObjectVersion'],
      NotResource: `${bucket}/*`,
    },
  ];
}

/** Inline policy of the deploy role. */
export function deployRoleStatements(p: PolicyInputs): Statement[] {
  const bucket = bucketArn(p.stateBucket);
  return [
    {
      // Service-wide because the stack creates resources whose ARNs are not known before they exist (VPCs,
      // subnets, API ids, key ids); bounded to the deploy regions.
      Sid: 'StackServicesInDeployRegions',
      Effect: 'Allow',
      Action: DEPLOY_SERVICES.map((s) => `${s}:*`),
      Resource: '*',
      Condition: { StringEquals: { 'aws:RequestedRegion': [...p.deployRegions] } },
    },
    // The provider checks the account (allowed_account_ids); GetCallerIdentity has no resource.
    { Sid: 'CallerIdentity', Effect: 'Allow', Action: ['sts:GetCallerIdentity'], Resource: '*' },
    {
      Sid: 'StackBuckets',
      Effect: 'Allow',
      Action: ['s3:*'],
      Resource: [bucketArn(`${p.namePrefix}-*`), `${bucketArn(`${p.namePrefix}-*`)}/*`],
    },
    { Sid: 'StateList', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: bucket },
    // State, its digest and the S3-native lock file (`<key>.tflock`, written and deleted by each deploy).
    { Sid: 'StateReadWrite', Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], Resource: `${bucket}/*` },
    {
      Sid: 'StateKeyUse',
      Effect: 'Allow',
      Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
      Resource: p.stateKeyArn,
    },
    { Sid: 'StackRoles', Effect: 'Allow', Action: [...ROLE_MANAGEMENT_ACTIONS], Resource: stackRoles(p) },
    {
      Sid: 'AttachOnlyTheStackServicePolicies',
      Effect: 'Allow',
      Action: ['iam:AttachRolePolicy'],
      Resource: stackRoles(p),
      Condition: { ArnEquals: { 'iam:PolicyARN': [...STACK_MANAGED_POLICIES] } },
    },
    { Sid: 'PassStackRoles', Effect: 'Allow', Action: ['iam:PassRole'], Resource: stackRoles(p) },
    {
      Sid: 'ServiceLinkedRoles',
      Effect: 'Allow',
      Action: ['iam:CreateServiceLinkedRole'],
      Resource: iamRoleArn(p.accountId, 'aws-service-role/*'),
      Condition: { StringEquals: { 'iam:AWSServiceName': [...SERVICE_LINKED_ROLE_SERVICES] } },
    },
    { Sid: 'ProtectStateBucket', Effect: 'Deny', Action: [...STATE_BUCKET_PROTECTED_ACTIONS], Resource: [bucket, `${bucket}/*`] },
    { Sid: 'ProtectStateKey', Effect: 'Deny', Action: [...STATE_KEY_PROTECTED_ACTIONS], Resource: p.stateKeyArn },
  ];
}
