import { Inventory, Json, SynthResource, blocks, isExpression, isTrue } from './inventory';
import { CheckContext, Finding, Rule } from './model';

/** The resource types that hold key material of this stack. */
export const KEY_TYPES = ['aws_kms_key', 'aws_kms_replica_key'] as const;

const KEY_FIX = 'a KMS key of this stack in the same region (MultiRegionKey.keys[role].arn)';

/**
 * Why `value` is not a key of this stack usable in `region`, or undefined when it is. A key "of ours" is a whole
 * reference to an `aws_kms_key` or `aws_kms_replica_key` of this stack: AWS managed keys (`alias/aws/...`, or
 * none), aliases, ARNs of keys managed elsewhere and data sources are refused, because nobody here controls their
 * policy, rotation or deletion.
 */
export function keyProblem(inventory: Inventory, value: unknown, attribute: string, region: string | undefined): string | undefined {
  if (value === undefined || value === null || value === '') {
    return `${attribute} is not set, so the data is encrypted with an AWS managed key (or not at all)`;
  }
  const key = inventory.referenced(value, KEY_TYPES);
  if (!key) {
    return `${attribute} is ${JSON.stringify(value)}, not a KMS key of this stack (an AWS managed key, an alias or a key managed elsewhere)`;
  }
  const keyRegion = inventory.regionOf(key);
  if (region && keyRegion && !isExpression(region) && region !== keyRegion) {
    return `${attribute} is ${key.address} in ${keyRegion}, but the data is in ${region}: KMS keys are regional`;
  }
  return undefined;
}

type Problem = { problem: string; fix: string };

function keyCheck(ctx: CheckContext, resource: SynthResource, value: unknown, attribute: string, region = ctx.inventory.regionOf(resource)): Problem[] {
  const problem = keyProblem(ctx.inventory, value, attribute, region);
  return problem ? [{ problem, fix: `set ${attribute} to ${KEY_FIX}` }] : [];
}

function flagCheck(body: Json, attribute: string): Problem[] {
  return isTrue(body[attribute]) ? [] : [{ problem: `${attribute} is ${JSON.stringify(body[attribute])}`, fix: `set ${attribute} = true` }];
}

type EncryptionCheck = (ctx: CheckContext, r: SynthResource) => Problem[];

/** Performance Insights data is encrypted with the key named here (or the AWS managed `aws/rds` key). */
const performanceInsights: EncryptionCheck = (ctx, r) =>
  isTrue(r.body.performance_insights_enabled)
    ? keyCheck(ctx, r, r.body.performance_insights_kms_key_id, 'performance_insights_kms_key_id')
    : [];

/** The S3 buckets' default encryption: aws:kms (or dual-layer) with our key, from the SSE resource or inline. */
const s3Bucket: EncryptionCheck = (ctx, bucket) => {
  const configs = ctx.inventory.referencing('aws_s3_bucket_server_side_encryption_configuration', 'bucket', bucket, ['id', 'bucket']);
  const rules: Array<[SynthResource, Json]> = [
    ...configs.flatMap((c) => blocks(c.body.rule).map((rule): [SynthResource, Json] => [c, rule])),
    ...blocks(bucket.body.server_side_encryption_configuration).flatMap((c) => blocks(c.rule).map((rule): [SynthResource, Json] => [bucket, rule])),
  ];
  if (rules.length === 0) {
    return [
      {
        problem: 'has no aws_s3_bucket_server_side_encryption_configuration, so objects get SSE-S3 with an AWS owned key',
        fix: `add an aws_s3_bucket_server_side_encryption_configuration with sse_algorithm "aws:kms" and kms_master_key_id = ${KEY_FIX}`,
      },
    ];
  }
  return rules.flatMap(([owner, rule]) => {
    const sse = blocks(rule.apply_server_side_encryption_by_default)[0] ?? {};
    const where = owner === bucket ? 'server_side_encryption_configuration' : owner.address;
    if (sse.sse_algorithm !== 'aws:kms' && sse.sse_algorithm !== 'aws:kms:dsse') {
      return [{ problem: `${where}: sse_algorithm is ${JSON.stringify(sse.sse_algorithm)}`, fix: `set sse_algorithm = "aws:kms" and kms_master_key_id = ${KEY_FIX}` }];
    }
    return keyCheck(ctx, owner, sse.kms_master_key_id, `${where}: kms_master_key_id`);
  });
};

/** Per resource type: how its data at rest is encrypted with a key of ours. */
const ENCRYPTION: Readonly<Record<string, EncryptionCheck>> = {
  aws_cloudwatch_log_group: (ctx, r) => keyCheck(ctx, r, r.body.kms_key_id, 'kms_key_id'),
  aws_sns_topic: (ctx, r) => keyCheck(ctx, r, r.body.kms_master_key_id, 'kms_master_key_id'),
  aws_sqs_queue: (ctx, r) => keyCheck(ctx, r, r.body.kms_master_key_id, 'kms_master_key_id'),
  aws_backup_vault: (ctx, r) => keyCheck(ctx, r, r.body.kms_key_arn, 'kms_key_arn'),
  aws_secretsmanager_secret: (ctx, r) => [
    ...keyCheck(ctx, r, r.body.kms_key_id, 'kms_key_id'),
    ...blocks(r.body.replica).flatMap((rep, i) => keyCheck(ctx, r, rep.kms_key_id, `replica[${i}].kms_key_id`, rep.region)),
  ],
  aws_ssm_parameter: (ctx, r) => (r.body.type === 'SecureString' ? keyCheck(ctx, r, r.body.key_id, 'key_id') : []),
  aws_dynamodb_table: (ctx, r) => {
    const sse = blocks(r.body.server_side_encryption)[0] ?? {};
    return [
      ...(isTrue(sse.enabled)
        ? keyCheck(ctx, r, sse.kms_key_arn, 'server_side_encryption.kms_key_arn')
        : [{ problem: 'server_side_encryption.enabled is not true, so the table uses an AWS owned key', fix: `set server_side_encryption { enabled = true, kms_key_arn = ${KEY_FIX} }` }]),
      ...blocks(r.body.replica).flatMap((rep, i) => keyCheck(ctx, r, rep.kms_key_arn, `replica[${i}].kms_key_arn`, rep.region_name)),
    ];
  },
  aws_dynamodb_table_replica: (ctx, r) => keyCheck(ctx, r, r.body.kms_key_arn, 'kms_key_arn'),
  aws_rds_cluster: (ctx, r) => [...flagCheck(r.body, 'storage_encrypted'), ...keyCheck(ctx, r, r.body.kms_key_id, 'kms_key_id'), ...performanceInsights(ctx, r)],
  // A global cluster has no key of its own: each member cluster is encrypted with a key of its region.
  aws_rds_global_cluster: (_ctx, r) => flagCheck(r.body, 'storage_encrypted'),
  aws_rds_cluster_instance: performanceInsights,
  aws_db_instance: (ctx, r) => [...flagCheck(r.body, 'storage_encrypted'), ...keyCheck(ctx, r, r.body.kms_key_id, 'kms_key_id'), ...performanceInsights(ctx, r)],
  aws_s3_bucket: s3Bucket,
  // Definition and execution history (the automatic failover's record): our key, not the AWS owned default.
  aws_sfn_state_machine: (ctx, r) => {
    const enc = blocks(r.body.encryption_configuration)[0] ?? {};
    return enc.type === 'CUSTOMER_MANAGED_KMS_KEY'
      ? keyCheck(ctx, r, enc.kms_key_id, 'encryption_configuration.kms_key_id')
      : [{ problem: `encryption_configuration.type is ${JSON.stringify(enc.type)}, so the execution history is encrypted with an AWS owned key`, fix: `set encryption_configuration { type = "CUSTOMER_MANAGED_KMS_KEY", kms_key_id = ${KEY_FIX} }` }];
  },
};

export const ENCRYPTED_TYPES = Object.keys(ENCRYPTION);

export const encryptionAtRest: Rule = {
  id: 'ENC-CMK',
  title: 'Data at rest is encrypted with a KMS key managed in this stack',
  rationale:
    'Payment data, credentials, logs and backups are encrypted with our multi-region keys, whose policies, rotation and deletion we control; AWS managed keys cannot be restricted or shared with the DR region.',
  resourceTypes: ENCRYPTED_TYPES,
  check: (ctx) =>
    ctx.inventory.ofType(...ENCRYPTED_TYPES).flatMap((r) => ENCRYPTION[r.type](ctx, r).map((p): Finding => ({ resource: r, ...p }))),
};

export const keyRotation: Rule = {
  id: 'KMS-ROTATION',
  title: 'Every KMS key rotates its key material yearly (replicas: their primary key does)',
  rationale: 'Automatic rotation limits the data encrypted under one key version; a multi-region replica shares its primary key\'s rotation, so the primary must be in this stack.',
  resourceTypes: [...KEY_TYPES],
  check: (ctx) => {
    const findings: Finding[] = [];
    for (const key of ctx.inventory.ofType('aws_kms_key')) {
      const spec = key.body.customer_master_key_spec;
      const usage = key.body.key_usage;
      // Asymmetric and HMAC keys cannot rotate automatically (KMS EnableKeyRotation): not applicable.
      if ((spec !== undefined && spec !== 'SYMMETRIC_DEFAULT') || (usage !== undefined && usage !== 'ENCRYPT_DECRYPT')) continue;
      if (!isTrue(key.body.enable_key_rotation)) {
        findings.push({ resource: key, problem: `enable_key_rotation is ${JSON.stringify(key.body.enable_key_rotation)}`, fix: 'set enable_key_rotation = true' });
      }
    }
    for (const replica of ctx.inventory.ofType('aws_kms_replica_key')) {
      if (!ctx.inventory.referenced(replica.body.primary_key_arn, ['aws_kms_key'])) {
        findings.push({
          resource: replica,
          problem: `primary_key_arn is ${JSON.stringify(replica.body.primary_key_arn)}, not an aws_kms_key of this stack, so its rotation cannot be verified`,
          fix: 'replicate a multi-region aws_kms_key of this stack (with enable_key_rotation = true)',
        });
      }
    }
    return findings;
  },
};
