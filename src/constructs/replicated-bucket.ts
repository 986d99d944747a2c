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
import { PolicyStatement, allow, policyDocument, serviceTrustPolicy } from '../iam';
import { PerRegion, RegionContext, RegionRole, otherRole } from '../region';
import { MultiRegionKey } from './multi-region-key';

/** The id of the rule replicating into site `to` (S3 replication metrics carry it as the `RuleId` dimension). */
export function replicationRuleId(to: RegionRole): string {
  return `replicate-all-to-${to}`;
}

/** The primary-to-DR rule's id. */
export const REPLICATION_RULE_ID = replicationRuleId('dr');

/** One direction of the two-way replication. */
export interface ReplicationDirection {
  readonly role: IamRole;
  readonly policy: IamRolePolicy;
  readonly config: S3BucketReplicationConfigurationA;
  readonly ruleId: string;
  readonly sourceBucket: S3Bucket;
  readonly destinationBucket: S3Bucket;
}

/** `primary` and `dr`: the region of each site's bucket (each replicates into the other). */
export interface ReplicatedBucketProps extends PerRegion<RegionContext> {
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
 * A versioned, SSE-KMS encrypted, private S3 bucket in each region, replicated **both ways** with S3 Replication
 * Time Control and replica modification sync (replicas encrypted with the destination region's key, delete markers
 * replicated), always on whichever site is active: artefacts written while DR is active reach the primary site.
 *
 * Both buckets: versioning, default encryption with the region's key and an S3 Bucket Key, all four public access
 * blocks, a TLS-only bucket policy, BucketOwnerEnforced (ACLs disabled), and a lifecycle that expires noncurrent
 * versions and aborts stale multipart uploads.
 */
export class ReplicatedBucket extends Construct {
  /** Each site's bucket (the same objects in both, replicated both ways). */
  public readonly buckets: PerRegion<S3Bucket>;
  /** Each bucket's versioning (replication is configured after both). */
  public readonly versionings: PerRegion<S3BucketVersioningA>;
  /** The primary site's bucket (`buckets.primary`). */
  public readonly primaryBucket: S3Bucket;
  public readonly drBucket: S3Bucket;
  public readonly primaryVersioning: S3BucketVersioningA;
  public readonly drVersioning: S3BucketVersioningA;
  /** The role S3 assumes to replicate objects from the primary bucket to the DR bucket. */
  public readonly replicationRole: IamRole;
  /** The replication role's only permissions. */
  public readonly replicationPolicy: IamRolePolicy;
  /** The primary-to-DR replication configuration. */
  public readonly replication: S3BucketReplicationConfigurationA;
  /** Both directions, keyed by the site of the source bucket. */
  public readonly replications: PerRegion<ReplicationDirection>;
  private readonly key: MultiRegionKey;

  constructor(scope: Construct, id: string, props: ReplicatedBucketProps) {
    super(scope, id);
    const { primary, dr } = props;
    const noncurrentDays = props.noncurrentVersionExpirationDays ?? 90;
    const abortDays = props.abortIncompleteUploadDays ?? 7;
    validate(props, noncurrentDays, abortDays);
    this.key = props.key;

    const p = this.regionalBucket('primary', primary, props, noncurrentDays, abortDays);
    const d = this.regionalBucket('dr', dr, props, noncurrentDays, abortDays);
    this.primaryBucket = p.bucket;
    this.primaryVersioning = p.versioning;
    this.drBucket = d.bucket;
    this.drVersioning = d.versioning;
    this.buckets = { primary: p.bucket, dr: d.bucket };
    this.versionings = { primary: p.versioning, dr: d.versioning };

    const p2d = this.direction('primary', props, { role: 'replication-role', policy: 'replication-policy', config: 'replication' });
    const d2p = this.direction('dr', props, { role: 'dr-replication-role', policy: 'dr-replication-policy', config: 'dr-replication' });
    this.replicationRole = p2d.role;
    this.replicationPolicy = p2d.policy;
    this.replication = p2d.config;
    this.replications = { primary: p2d, dr: d2p };
  }

  /**
   * Replication of the bucket of site `from` into the other site's bucket, by a role of its own. Both directions
   * exist whichever site is active, so objects written while DR is active come back, and replica modification
   * sync carries metadata changes made on a replica back to its source (S3 User Guide,
   * replication-for-metadata-changes: two-way replication needs a rule in each direction, each with
   * `ReplicaModifications` enabled). S3 does not replicate replicas again, so the two rules never loop.
   */
  private direction(from: RegionRole, props: ReplicatedBucketProps, ids: { role: string; policy: string; config: string }): ReplicationDirection {
    const to = otherRole(from);
    const src = props[from];
    const dst = props[to];
    const key = props.key;
    const source = this.buckets[from].arn;
    const destination = this.buckets[to].arn;
    const role = new IamRole(this, ids.role, {
      provider: src.provider,
      name: src.naming.name('iamRole', `${props.purpose}-s3-replication`, src.region),
      description: `S3 replication of the ${props.purpose} bucket from ${src.region} to ${dst.region}`,
      assumeRolePolicy: serviceTrustPolicy('s3.amazonaws.com', src.accountId),
    });
    // Exactly the permissions of the S3 User Guide (replication-config-for-kms-objects): read the source's
    // configuration and object versions, write replicas, and use each key only through S3 in its region for
    // these two buckets. With an S3 Bucket Key the encryption context is the bucket ARN instead of the object ARN,
    // so both are allowed; S3 calls kms:Decrypt on the destination key to verify the bucket key (same guide,
    // "Amazon S3 Bucket Keys and replication").
    const policy = new IamRolePolicy(this, ids.policy, {
      provider: src.provider,
      name: 's3-replication',
      role: role.id,
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
          Resource: key.keys[from].arn,
          Condition: {
            StringEquals: { 'kms:ViaService': `s3.${src.region}.amazonaws.com` },
            StringLike: { 'kms:EncryptionContext:aws:s3:arn': [source, `${source}/*`] },
          },
        },
        {
          Sid: 'EncryptReplicas',
          Effect: 'Allow',
          Action: ['kms:Encrypt', 'kms:GenerateDataKey', 'kms:Decrypt'],
          Resource: key.keys[to].arn,
          Condition: {
            StringEquals: { 'kms:ViaService': `s3.${dst.region}.amazonaws.com` },
            StringLike: { 'kms:EncryptionContext:aws:s3:arn': [destination, `${destination}/*`] },
          },
        },
      ]),
    });

    // Replication needs versioning enabled on both buckets before it is configured (AWS rejects it otherwise),
    // and the role's permissions in place before the first object is replicated.
    const ruleId = replicationRuleId(to);
    const config = new S3BucketReplicationConfigurationA(this, ids.config, {
      provider: src.provider,
      dependsOn: [this.primaryVersioning, this.drVersioning, policy],
      bucket: this.buckets[from].id,
      role: role.arn,
      rule: [
        {
          id: ruleId,
          status: 'Enabled',
          priority: 1,
          // A V2 rule (with `filter`) for every object; V2 rules require `delete_marker_replication`.
          filter: { prefix: '' },
          deleteMarkerReplication: { status: 'Enabled' },
          sourceSelectionCriteria: {
            // Objects encrypted with SSE-KMS are replicated only when opted in here, with a replica key below.
            sseKmsEncryptedObjects: { status: 'Enabled' },
            // Metadata changes made on a replica (tags, ACLs, lock settings) flow back: the two-way half.
            replicaModifications: { status: 'Enabled' },
          },
          destination: {
            bucket: destination,
            storageClass: 'STANDARD',
            encryptionConfiguration: { replicaKmsKeyId: key.keys[to].arn },
            // S3 RTC (99.99% of objects within 15 minutes) requires replication metrics with an event threshold;
            // 15 minutes is the only valid value for both.
            replicationTime: { status: 'Enabled', time: { minutes: RTC_MINUTES } },
            metrics: { status: 'Enabled', eventThreshold: { minutes: RTC_MINUTES } },
          },
        },
      ],
    });
    return { role, policy, config, ruleId, sourceBucket: this.buckets[from], destinationBucket: this.buckets[to] };
  }

  /**
   * Lets a function of one site write objects under `keyPrefix` into that site's bucket: `s3:PutObject` there,
   * and `kms:GenerateDataKey` on the site's key, which SSE-KMS calls for every new object (S3 User Guide,
   * UsingKMSEncryption, "Permissions"). Two statements: `<sid>` and `Encrypt<sid>`.
   */
  grantPutObjects(role: RegionRole, options: { readonly sid: string; readonly keyPrefix: string }): PolicyStatement[] {
    if (options.keyPrefix.startsWith('/')) {
      throw new Error(`ReplicatedBucket.grantPutObjects: keyPrefix "${options.keyPrefix}" must not start with "/" (S3 keys have none); use e.g. "audit/"`);
    }
    return [
      allow(options.sid, ['s3:PutObject'], [`${this.buckets[role].arn}/${options.keyPrefix}*`]),
      allow(`Encrypt${options.sid}`, ['kms:GenerateDataKey'], [this.key.keys[role].arn]),
    ];
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
      tags: { Name: name, Purpose: props.purpose, Replication: 'two-way' },
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
          applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: props.key.keys[role].arn },
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
