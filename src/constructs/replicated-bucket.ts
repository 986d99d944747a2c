import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketLifecycleConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketReplicationConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-replication-configuration';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import { Token } from 'cdktf';
import { Construct } from 'constructs';
import { RegionContext, RegionRole, policyDocument, serviceTrustPolicy } from '../region';
import { MultiRegionKey } from './multi-region-key';

/** The replication rule's id (S3 replication metrics carry it as the `RuleId` dimension). */
export const REPLICATION_RULE_ID = 'replicate-all-to-dr';

export interface ReplicatedBucketProps {
  /** Region of the source bucket; replication runs from here. */
  readonly primary: RegionContext;
  /** Region of the replica bucket. */
  readonly dr: RegionContext;
  /** Encrypts both buckets (SSE-KMS): the primary key in the primary region, its replica in the DR region. */
  readonly key: MultiRegionKey;
  /** What the bucket holds, part of every physical name: lowercase letters, digits and hyphens (e.g. `artifacts`). */
  readonly purpose: string;
  /** Let `terraform destroy` delete non-empty buckets (dev only). */
  readonly forceDestroy: boolean;
  /** Terraform `lifecycle.prevent_destroy` on both buckets (prod). */
  readonly preventDestroy: boolean;
  /**
   * Days a noncurrent object version is kept before it expires, in both buckets.
   * @default 90
   */
  readonly noncurrentVersionExpirationDays?: number;
  /**
   * Days after which an incomplete multipart upload is aborted, in both buckets.
   * @default 7
   */
  readonly abortIncompleteUploadDays?: number;
}

/** The per-region resources of one bucket. */
interface RegionalBucket {
  readonly bucket: S3Bucket;
  readonly versioning: S3BucketVersioningA;
}

const PURPOSE = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

/** The only value S3 accepts for the RTC replication time and the metrics event threshold. */
const RTC_MINUTES = 15;

/**
 * A versioned, SSE-KMS encrypted, private S3 bucket in the primary region, replicated with S3 Replication Time
 * Control to an identical bucket in the DR region (replicas encrypted with the DR key, delete markers replicated).
 *
 * Both buckets: versioning, default encryption with the region's key and an S3 Bucket Key, all four public access
 * blocks, a TLS-only bucket policy, BucketOwnerEnforced (ACLs disabled), and a lifecycle that expires noncurrent
 * versions and aborts stale multipart uploads.
 */
export class ReplicatedBucket extends Construct {
  public readonly primaryBucket: S3Bucket;
  public readonly drBucket: S3Bucket;
  public readonly primaryVersioning: S3BucketVersioningA;
  public readonly drVersioning: S3BucketVersioningA;
  /** The role S3 assumes to replicate objects from the primary bucket to the DR bucket. */
  public readonly replicationRole: IamRole;
  /** The replication role's only permissions. */
  public readonly replicationPolicy: IamRolePolicy;
  public readonly replication: S3BucketReplicationConfigurationA;

  constructor(scope: Construct, id: string, props: ReplicatedBucketProps) {
    super(scope, id);
    const { primary, dr, key } = props;
    const noncurrentDays = props.noncurrentVersionExpirationDays ?? 90;
    const abortDays = props.abortIncompleteUploadDays ?? 7;
    validate(props, noncurrentDays, abortDays);

    const p = this.regionalBucket('primary', primary, props, noncurrentDays, abortDays);
    const d = this.regionalBucket('dr', dr, props, noncurrentDays, abortDays);
    this.primaryBucket = p.bucket;
    this.primaryVersioning = p.versioning;
    this.drBucket = d.bucket;
    this.drVersioning = d.versioning;

    const source = this.primaryBucket.arn;
    const destination = this.drBucket.arn;
    this.replicationRole = new IamRole(this, 'replication-role', {
      provider: primary.provider,
      name: primary.naming.name('iamRole', `${props.purpose}-s3-replication`, primary.region),
      description: `S3 replication of the ${props.purpose} bucket from ${primary.region} to ${dr.region}`,
      assumeRolePolicy: serviceTrustPolicy('s3.amazonaws.com', primary.accountId),
    });
    // Exactly the permissions of the S3 User Guide (replication-config-for-kms-objects): read the source's
    // configuration and object versions, write replicas, and use each key only through S3 in its region for
    // these two buckets. With an S3 Bucket Key the encryption context is the bucket ARN instead of the object ARN,
    // so both are allowed; S3 calls kms:Decrypt on the destination key to verify the bucket key (same guide,
    // "Amazon S3 Bucket Keys and replication").
    this.replicationPolicy = new IamRolePolicy(this, 'replication-policy', {
      provider: primary.provider,
      name: 's3-replication',
      role: this.replicationRole.id,
      policy: policyDocument([
        {
          Sid: 'ReadSourceConfiguration',
          Effect: 'Allow',
          Action: ['s3:GetReplicationConfiguration', 's3:ListBucket'],
          Resource: source,
        },
        {
          Sid: 'ReadSourceObjectVersions',
          Effect: 'Allow',
          Action: ['s3:GetObjectVersionForReplication', 's3:GetObjectVersionAcl', 's3:GetObjectVersionTagging'],
          Resource: `${source}/*`,
        },
        {
          Sid: 'WriteReplicas',
          Effect: 'Allow',
          Action: ['s3:ReplicateObject', 's3:ReplicateDelete', 's3:ReplicateTags'],
          Resource: `${destination}/*`,
        },
        {
          Sid: 'DecryptSourceObjects',
          Effect: 'Allow',
          Action: 'kms:Decrypt',
          Resource: key.in('primary').arn,
          Condition: {
            StringEquals: { 'kms:ViaService': `s3.${primary.region}.amazonaws.com` },
            StringLike: { 'kms:EncryptionContext:aws:s3:arn': [source, `${source}/*`] },
          },
        },
        {
          Sid: 'EncryptReplicas',
          Effect: 'Allow',
          Action: ['kms:Encrypt', 'kms:GenerateDataKey', 'kms:Decrypt'],
          Resource: key.in('dr').arn,
          Condition: {
            StringEquals: { 'kms:ViaService': `s3.${dr.region}.amazonaws.com` },
            StringLike: { 'kms:EncryptionContext:aws:s3:arn': [destination, `${destination}/*`] },
          },
        },
      ]),
    });

    // Replication needs versioning enabled on both buckets before it is configured (AWS rejects it otherwise),
    // and the role's permissions in place before the first object is replicated.
    this.replication = new S3BucketReplicationConfigurationA(this, 'replication', {
      provider: primary.provider,
      dependsOn: [this.primaryVersioning, this.drVersioning, this.replicationPolicy],
      bucket: this.primaryBucket.id,
      role: this.replicationRole.arn,
      rule: [
        {
          id: REPLICATION_RULE_ID,
          status: 'Enabled',
          priority: 1,
          // A V2 rule (with `filter`) for every object; V2 rules require `delete_marker_replication`.
          filter: { prefix: '' },
          deleteMarkerReplication: { status: 'Enabled' },
          // Objects encrypted with SSE-KMS are replicated only when opted in here, with a replica key below.
          sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: 'Enabled' } },
          destination: {
            bucket: destination,
            storageClass: 'STANDARD',
            encryptionConfiguration: { replicaKmsKeyId: key.in('dr').arn },
            // S3 RTC (99.99% of objects within 15 minutes) requires replication metrics with an event threshold;
            // 15 minutes is the only valid value for both.
            replicationTime: { status: 'Enabled', time: { minutes: RTC_MINUTES } },
            metrics: { status: 'Enabled', eventThreshold: { minutes: RTC_MINUTES } },
          },
        },
      ],
    });
  }

  /** The bucket of one region: the source in `primary`, the replica in `dr`. */
  bucketIn(role: RegionRole): S3Bucket {
    return role === 'primary' ? this.primaryBucket : this.drBucket;
  }

  private regionalBucket(
    role: RegionRole,
    ctx: RegionContext,
    props: ReplicatedBucketProps,
    noncurrentDays: number,
    abortDays: number,
  ): RegionalBucket {
    const provider = ctx.provider;
    const name = ctx.naming.bucket(props.purpose, ctx.region);
    const bucket = new S3Bucket(this, `${role}-bucket`, {
      provider,
      bucket: name,
      forceDestroy: props.forceDestroy,
      tags: { Name: name, Purpose: props.purpose, Replication: role === 'primary' ? 'source' : 'replica' },
      lifecycle: { preventDestroy: props.preventDestroy },
    });
    const versioning = new S3BucketVersioningA(this, `${role}-versioning`, {
      provider,
      bucket: bucket.id,
      versioningConfiguration: { status: 'Enabled' },
    });
    new S3BucketServerSideEncryptionConfigurationA(this, `${role}-encryption`, {
      provider,
      bucket: bucket.id,
      rule: [
        {
          applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: props.key.in(role).arn },
          bucketKeyEnabled: true,
        },
      ],
    });
    const publicAccess = new S3BucketPublicAccessBlock(this, `${role}-public-access-block`, {
      provider,
      bucket: bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, `${role}-ownership`, {
      provider,
      bucket: bucket.id,
      rule: { objectOwnership: 'BucketOwnerEnforced' },
    });
    // After the public access block: S3 rejects concurrent conflicting changes to one bucket's access settings.
    new S3BucketPolicy(this, `${role}-policy`, {
      provider,
      dependsOn: [publicAccess],
      bucket: bucket.id,
      policy: policyDocument([
        {
          Sid: 'DenyInsecureTransport',
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:*',
          Resource: [bucket.arn, `${bucket.arn}/*`],
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
      ]),
    });
    // Noncurrent-version rules act on a versioned bucket: configure them after versioning (provider docs). An
    // empty `filter {}` applies a rule to every object; without `filter` (or the deprecated `prefix`) provider
    // 5.x warns that one of them is required.
    new S3BucketLifecycleConfiguration(this, `${role}-lifecycle`, {
      provider,
      dependsOn: [versioning],
      bucket: bucket.id,
      rule: [
        {
          id: 'expire-noncurrent-versions',
          status: 'Enabled',
          filter: [{}],
          noncurrentVersionExpiration: [{ noncurrentDays }],
        },
        {
          id: 'abort-incomplete-multipart-uploads',
          status: 'Enabled',
          filter: [{}],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: abortDays }],
        },
      ],
    });
    return { bucket, versioning };
  }
}

function validate(props: ReplicatedBucketProps, noncurrentDays: number, abortDays: number): void {
  const what = `ReplicatedBucket '${props.purpose}'`;
  if (!PURPOSE.test(props.purpose)) {
    throw new Error(
      `${what}: 'purpose' must be lowercase letters, digits and hyphens (it is part of the bucket names), got '${props.purpose}'; use e.g. 'artifacts'`,
    );
  }
  checkRegionPair(what, props.primary, props.dr, props.key);
  for (const [prop, value] of [
    ['noncurrentVersionExpirationDays', noncurrentDays],
    ['abortIncompleteUploadDays', abortDays],
  ] as const) {
    if (!Token.isUnresolved(value) && (!Number.isInteger(value) || value < 1)) {
      throw new Error(`${what}: '${prop}' must be a whole number of days >= 1, got ${value}`);
    }
  }
  if (props.forceDestroy && props.preventDestroy) {
    throw new Error(
      `${what}: 'forceDestroy' and 'preventDestroy' are both true; a bucket that may not be destroyed needs no forced emptying: set forceDestroy false (prod) or preventDestroy false (dev)`,
    );
  }
}

/** The contexts are the primary and DR regions of one account, and the key was created for exactly that pair. */
export function checkRegionPair(what: string, primary: RegionContext, dr: RegionContext, key: MultiRegionKey): void {
  if (primary.role !== 'primary' || dr.role !== 'dr') {
    throw new Error(
      `${what}: 'primary' must be the primary region context and 'dr' the DR one, got roles '${primary.role}' and '${dr.role}'; pass them in that order`,
    );
  }
  if (primary.region === dr.region) {
    throw new Error(`${what}: 'primary' and 'dr' are both in ${primary.region}; the DR copy must be in another region`);
  }
  if (primary.accountId !== dr.accountId) {
    throw new Error(
      `${what}: 'primary' (account ${primary.accountId}) and 'dr' (account ${dr.accountId}) must be the same account`,
    );
  }
  if (key.primaryKey.provider !== primary.provider || key.replicaKey.provider !== dr.provider) {
    throw new Error(
      `${what}: 'key' (${key.aliasName}) was not created for this region pair (${primary.region} -> ${dr.region}); create the MultiRegionKey with the same 'primary' and 'dr' contexts`,
    );
  }
}
