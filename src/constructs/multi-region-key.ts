import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { KmsReplicaKey } from '@cdktf/provider-aws/lib/kms-replica-key';
import { Construct } from 'constructs';
import { accountRootArn, logGroupArn, logsArnPattern, stateMachineArn } from '../arn';
import { IamAction, PolicyCondition, PolicyStatement, allow, fromOwnAlarms, fromOwnRules, policyDocument } from '../iam';
import { PerRegion, RegionContext, RegionRole } from '../region';

/**
 * AWS services allowed to use a key. Services that act through a caller's IAM identity (`kms:ViaService`) are
 * granted to principals of our account only when the call comes through that service in that region; services
 * that act as themselves (CloudWatch Logs, CloudWatch alarms publishing to an encrypted topic) get a service
 * principal statement scoped to our account and region.
 */
export type KeyUser = 'logs' | 'cloudwatch' | 'events' | 'sns' | 'rds' | 'dynamodb' | 's3' | 'secretsmanager' | 'backup' | 'ssm' | 'lambda' | 'sqs' | 'states';

/**
 * The encryption context Step Functions puts on the KMS calls for a state machine's definition and execution history
 * (Step Functions developer guide, encryption-at-rest), for key and IAM policy conditions.
 */
export const STATES_CONTEXT_KEY = 'kms:EncryptionContext:aws:states:stateMachineArn';
/**
 * The encryption context of a customer-managed-key state machine's log delivery: the execution role generates the
 * data key with `SourceArn` = `arn:aws:logs:<region>:<account>:*` (literally `*`), and CloudWatch Logs' delivery
 * service decrypts with it (aws-cdk's StateMachine, which follows the policy the Step Functions console generates).
 */
export const LOG_DELIVERY_CONTEXT_KEY = 'kms:EncryptionContext:SourceArn';
export const logDeliveryContext = (ctx: Pick<RegionContext, 'region' | 'accountId'>) => logsArnPattern(ctx);

const VIA_SERVICE: ReadonlySet<KeyUser> = new Set(['sns', 'rds', 'dynamodb', 's3', 'secretsmanager', 'backup', 'ssm', 'lambda', 'sqs']);

/** Administrative actions for the account root; cryptographic use is granted only per service below. */
const ADMIN_ACTIONS = [
  // Not kms:Create*: that would include an unconditioned kms:CreateGrant, a way around kms:ViaService.
  'kms:CreateAlias', 'kms:Describe*', 'kms:Enable*', 'kms:List*', 'kms:Put*', 'kms:Update*', 'kms:Revoke*',
  'kms:Disable*', 'kms:Get*', 'kms:Delete*', 'kms:TagResource', 'kms:UntagResource', 'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion', 'kms:ReplicateKey',
];

export interface MultiRegionKeyProps extends PerRegion<RegionContext> {
  /** Data domain, used in the alias and description: `alias/<prefix>-<suffix>-<domain>`. */
  readonly domain: string;
  /** The AWS services that use this key; nothing else may use it for cryptography. */
  readonly users: readonly KeyUser[];
  /** Waiting period before deletion (7-30 days). */
  readonly deletionWindowInDays: number;
}

/** A key as other constructs consume it in one region. */
export interface RegionalKey {
  readonly arn: string;
  readonly keyId: string;
}

/**
 * A KMS multi-region primary key in the primary region and its replica in the DR region: same key id and
 * material, so data encrypted in one region decrypts in the other. Rotation is on (the replica follows the
 * primary's rotation; `aws_kms_replica_key` has no rotation argument).
 */
export class MultiRegionKey extends Construct {
  public readonly primaryKey: KmsKey;
  public readonly replicaKey: KmsReplicaKey;
  public readonly aliasName: string;
  /** The key of each site: the primary key and its replica (same key id and material). */
  public readonly keys: PerRegion<RegionalKey>;

  constructor(scope: Construct, id: string, props: MultiRegionKeyProps) {
    super(scope, id);
    if (props.deletionWindowInDays < 7 || props.deletionWindowInDays > 30) {
      throw new Error(`MultiRegionKey '${props.domain}': deletionWindowInDays must be 7-30, got ${props.deletionWindowInDays}`);
    }
    if (props.users.length === 0) {
      throw new Error(`MultiRegionKey '${props.domain}': users must name at least one AWS service that uses the key`);
    }
    const description = `${props.primary.naming.prefix}-${props.primary.naming.suffix} ${props.domain} (multi-region)`;
    this.primaryKey = new KmsKey(this, 'primary', {
      provider: props.primary.provider,
      description,
      multiRegion: true,
      enableKeyRotation: true,
      deletionWindowInDays: props.deletionWindowInDays,
      policy: keyPolicy(props.primary, props.users),
    });
    this.replicaKey = new KmsReplicaKey(this, 'replica', {
      provider: props.dr.provider,
      description,
      primaryKeyArn: this.primaryKey.arn,
      deletionWindowInDays: props.deletionWindowInDays,
      policy: keyPolicy(props.dr, props.users),
    });
    this.aliasName = `alias/${props.primary.naming.name('generic', props.domain)}`;
    new KmsAlias(this, 'primary-alias', { provider: props.primary.provider, name: this.aliasName, targetKeyId: this.primaryKey.keyId });
    new KmsAlias(this, 'replica-alias', { provider: props.dr.provider, name: this.aliasName, targetKeyId: this.replicaKey.keyId });
    this.keys = {
      primary: { arn: this.primaryKey.arn, keyId: this.primaryKey.keyId },
      dr: { arn: this.replicaKey.arn, keyId: this.replicaKey.keyId },
    };
  }

  /**
   * Lets an identity use the key of one site: `actions` on that region's key (or replica) only. The key policy
   * admits identities of our account only through the services it lists (`users`), so a grant for direct use
   * also needs that service's call path (e.g. `kms:Decrypt` of a secret through Secrets Manager).
   */
  grant(role: RegionRole, sid: string, actions: readonly IamAction[], condition?: PolicyCondition): PolicyStatement {
    return allow(sid, actions, [this.keys[role].arn], condition);
  }
}

function keyPolicy(ctx: RegionContext, users: readonly KeyUser[]): string {
  const statements: PolicyStatement[] = [
    { Sid: 'AccountAdministration', Effect: 'Allow', Principal: { AWS: accountRootArn(ctx.accountId) }, Action: ADMIN_ACTIONS, Resource: '*' },
  ];
  const via = users.filter((u) => VIA_SERVICE.has(u));
  if (via.length > 0) {
    statements.push({
      Sid: 'UseThroughServices',
      Effect: 'Allow',
      Principal: { AWS: accountRootArn(ctx.accountId) },
      Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
      Resource: '*',
      Condition: {
        StringEquals: {
          'kms:CallerAccount': ctx.accountId,
          'kms:ViaService': via.map((s) => `${s}.${ctx.region}.amazonaws.com`),
        },
      },
    });
    // Services such as RDS and AWS Backup hold grants on the key; only for AWS resources, only through them.
    statements.push({
      Sid: 'GrantsForServices',
      Effect: 'Allow',
      Principal: { AWS: accountRootArn(ctx.accountId) },
      Action: ['kms:CreateGrant', 'kms:ListGrants', 'kms:RevokeGrant'],
      Resource: '*',
      Condition: {
        StringEquals: {
          'kms:CallerAccount': ctx.accountId,
          'kms:ViaService': via.map((s) => `${s}.${ctx.region}.amazonaws.com`),
        },
        Bool: { 'kms:GrantIsForAWSResource': true },
      },
    });
  }
  if (users.includes('logs')) {
    // CloudWatch Logs encrypts as itself; the encryption context names the log group (Logs user guide,
    // encrypt-log-data-kms).
    statements.push({
      Sid: 'CloudWatchLogs',
      Effect: 'Allow',
      Principal: { Service: `logs.${ctx.region}.amazonaws.com` },
      // No kms:Describe* (in the Logs guide's example): DescribeKey carries no encryption context, so under this
      // condition it could never apply (Service Authorization Reference; guardrail IAM-AUTHORIZATION-DATA).
      Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'],
      Resource: '*',
      Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': logGroupArn(ctx, '*') } },
    });
  }
  if (users.includes('cloudwatch')) {
    // CloudWatch alarms publish to KMS-encrypted SNS topics as the cloudwatch service principal.
    statements.push({
      Sid: 'CloudWatchAlarms',
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      Resource: '*',
      Condition: fromOwnAlarms(ctx),
    });
  }
  if (users.includes('events')) {
    // EventBridge rules deliver to KMS-encrypted SNS topics and SQS queues as the events service principal, which
    // needs the key (SNS Developer Guide, sns-key-management, "Enable compatibility between event sources from AWS
    // services and encrypted topics"; EventBridge user guide, eb-use-resource-based, encrypted SQS queues); only
    // for rules of this account and region.
    statements.push({
      Sid: 'EventBridgeRules',
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      Resource: '*',
      Condition: fromOwnRules(ctx),
    });
  }
  if (users.includes('states')) {
    // Step Functions state machines encrypted with this key (FailoverController). Principals of this account whose
    // IAM policy allows it (the execution role, whoever starts an execution), only with the encryption context of a
    // state machine of this account and region; no kms:ViaService, which the developer guide does not promise for
    // these calls.
    statements.push({
      Sid: 'StepFunctionsStateMachines',
      Effect: 'Allow',
      Principal: { AWS: accountRootArn(ctx.accountId) },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: '*',
      Condition: {
        StringEquals: { 'kms:CallerAccount': ctx.accountId },
        StringLike: { [STATES_CONTEXT_KEY]: stateMachineArn(ctx, '*') },
      },
    });
    // Their execution logs: the execution role generates the data key, CloudWatch Logs' delivery service decrypts it
    // before writing to the (also encrypted) log group; both only under the log-delivery encryption context.
    statements.push({
      Sid: 'StepFunctionsLogDataKeys',
      Effect: 'Allow',
      Principal: { AWS: accountRootArn(ctx.accountId) },
      Action: ['kms:GenerateDataKey'],
      Resource: '*',
      Condition: { StringEquals: { 'kms:CallerAccount': ctx.accountId, [LOG_DELIVERY_CONTEXT_KEY]: logDeliveryContext(ctx) } },
    });
    statements.push({
      Sid: 'StepFunctionsLogDelivery',
      Effect: 'Allow',
      Principal: { Service: 'delivery.logs.amazonaws.com' },
      Action: ['kms:Decrypt'],
      Resource: '*',
      Condition: { StringEquals: { [LOG_DELIVERY_CONTEXT_KEY]: logDeliveryContext(ctx) } },
    });
  }
  return policyDocument(statements);
}
