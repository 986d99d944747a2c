/**
 * The resource types that hold data (or identity others depend on) and are never replaced or destroyed by
 * accident: `npm run plan:upgrade` exits 1 when a plan replaces or destroys one of them, naming each.
 *
 * A type belongs here when destroying it loses something a new one does not have: stored data, key material
 * that decrypts stored data, a secret's current value, a zone's delegation, recovery points, logs kept for
 * audit. Add a type with the reason; remove one only with a reason as good.
 */
export const STATEFUL_TYPES: Readonly<Record<string, string>> = {
  aws_rds_global_cluster: 'Aurora global database: the writer, every replica region and their replication',
  aws_rds_cluster: 'Aurora cluster: the database storage and its automated backups',
  aws_rds_cluster_instance: 'Aurora instance: a writer/reader of the cluster (a replacement is an outage; a lone writer takes the cluster down)',
  aws_db_instance: 'RDS instance: the database storage',
  aws_dynamodb_table: 'DynamoDB table: the items',
  aws_dynamodb_table_replica: 'DynamoDB replica: the replica region’s copy',
  aws_s3_bucket: 'S3 bucket: the objects and their versions',
  aws_kms_key: 'KMS key: the key material; data encrypted with it cannot be decrypted without it',
  aws_kms_replica_key: 'KMS replica key: the key material in the replica region',
  aws_kms_external_key: 'KMS external key: imported key material',
  aws_secretsmanager_secret: 'Secrets Manager secret: the current value and its versions (rotated values exist nowhere else)',
  aws_secretsmanager_secret_version: 'Secrets Manager secret version: a replacement writes the configured value over a rotated one',
  aws_backup_vault: 'AWS Backup vault: the recovery points in it',
  aws_route53_zone: 'Route 53 hosted zone: a new zone gets new name servers; the parent delegation breaks',
  aws_cloudwatch_log_group: 'CloudWatch log group: the log events kept for audit and incident analysis',
  aws_efs_file_system: 'EFS file system: the files',
  aws_ebs_volume: 'EBS volume: the blocks',
  aws_elasticache_replication_group: 'ElastiCache replication group: the cached and persisted data',
  aws_sqs_queue: 'SQS queue: messages not yet consumed',
  aws_kinesis_stream: 'Kinesis stream: records within the retention period',
  aws_ecr_repository: 'ECR repository: the images',
};

/** The resource type of an address (`module.a.aws_s3_bucket.b["k"]` → `aws_s3_bucket`). */
export function typeOf(address: string): string {
  const parts = address.replace(/\[[^\]]*\]/g, '').split('.');
  // The type is the part before the name; data sources ('data.x.y') are never stateful here.
  return parts[parts.length - 2] ?? '';
}

export function isStateful(type: string): boolean {
  return Object.prototype.hasOwnProperty.call(STATEFUL_TYPES, type);
}
