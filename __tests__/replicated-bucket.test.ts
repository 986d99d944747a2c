import { TerraformResource } from 'cdktf';
import { MultiRegionKey } from '../src/constructs/multi-region-key';
import { ReplicatedBucket, ReplicatedBucketProps } from '../src/constructs/replicated-bucket';
import { RegionContext } from '../src/region';
import { Json, Synth, fixtureStack, policyOf } from './support/synth';

type Overrides = Partial<Omit<ReplicatedBucketProps, 'primary' | 'dr' | 'key'>> & {
  contexts?: (primary: RegionContext, dr: RegionContext) => { primary: RegionContext; dr: RegionContext };
  foreignKey?: boolean;
};

function build(overrides: Overrides = {}) {
  const { stack, primary, dr } = fixtureStack();
  const key = new MultiRegionKey(stack, 'storage-key', { primary, dr, domain: 'storage', users: ['s3'], deletionWindowInDays: 7 });
  const { contexts, foreignKey, ...props } = overrides;
  const ctx = contexts ? contexts(primary, dr) : { primary, dr };
  const other = foreignKey ? fixtureStack() : undefined;
  const usedKey = other
    ? new MultiRegionKey(other.stack, 'other-key', { primary: other.primary, dr: other.dr, domain: 'other', users: ['s3'], deletionWindowInDays: 7 })
    : key;
  const bucket = new ReplicatedBucket(stack, 'artifacts', {
    ...ctx,
    key: usedKey,
    purpose: 'artifacts',
    forceDestroy: false,
    preventDestroy: true,
    ...props,
  });
  return { stack, primary, dr, key, bucket, synth: new Synth(stack) };
}

/** `type.logical_id`, as cdktf writes it in `depends_on`. */
const address = (r: TerraformResource) => `${r.terraformResourceType}.${r.friendlyUniqueId}`;

/** The one resource of `type` whose `bucket` argument references `bucket` (by id). */
function forBucket(synth: Synth, type: string, bucketId: string): Json {
  const found = synth.list(type).filter((r) => r.bucket === bucketId);
  expect(found).toHaveLength(1);
  return found[0];
}

describe('ReplicatedBucket', () => {
  const { primary, dr, key, bucket, synth } = build();
  const roles = ['primary', 'dr'] as const;
  const ids = { primary: synth.ref(bucket.primaryBucket.id), dr: synth.ref(bucket.drBucket.id) };
  const arns = { primary: synth.ref(bucket.primaryBucket.arn), dr: synth.ref(bucket.drBucket.arn) };
  const ctxOf = { primary, dr };

  describe('a bucket per region', () => {
    test.each(roles)('%s: named per account and region, in its own region, protected as asked', (role) => {
      const buckets = synth.inRegion('aws_s3_bucket', role);
      expect(buckets).toHaveLength(1);
      expect(buckets[0]).toMatchObject({
        bucket: ctxOf[role].naming.bucket('artifacts', ctxOf[role].region),
        force_destroy: false,
        lifecycle: { prevent_destroy: true },
      });
      expect(buckets[0].bucket).toContain(ctxOf[role].accountId);
    });

    test('the two names differ', () => {
      const names = synth.list('aws_s3_bucket').map((b) => b.bucket);
      expect(new Set(names).size).toBe(2);
    });

    test('bucketIn returns the bucket of each region', () => {
      expect(bucket.buckets['primary']).toBe(bucket.primaryBucket);
      expect(bucket.buckets['dr']).toBe(bucket.drBucket);
    });

    test.each(roles)('%s: versioning Enabled', (role) => {
      const v = forBucket(synth, 'aws_s3_bucket_versioning', ids[role]);
      expect(v.versioning_configuration).toEqual({ status: 'Enabled' });
      expect(v.provider).toBe(`aws.${role}`);
    });

    test.each(roles)("%s: SSE-KMS with the region's key and an S3 Bucket Key", (role) => {
      const sse = forBucket(synth, 'aws_s3_bucket_server_side_encryption_configuration', ids[role]);
      expect(sse.provider).toBe(`aws.${role}`);
      expect(sse.rule).toEqual([
        {
          apply_server_side_encryption_by_default: { sse_algorithm: 'aws:kms', kms_master_key_id: synth.ref(key.keys[role].arn) },
          bucket_key_enabled: true,
        },
      ]);
    });

    test.each(roles)('%s: all four public access blocks', (role) => {
      const pab = forBucket(synth, 'aws_s3_bucket_public_access_block', ids[role]);
      expect(pab).toMatchObject({
        provider: `aws.${role}`,
        block_public_acls: true,
        block_public_policy: true,
        ignore_public_acls: true,
        restrict_public_buckets: true,
      });
    });

    test.each(roles)('%s: ACLs disabled (BucketOwnerEnforced)', (role) => {
      const oc = forBucket(synth, 'aws_s3_bucket_ownership_controls', ids[role]);
      expect(oc.provider).toBe(`aws.${role}`);
      expect(oc.rule).toEqual({ object_ownership: 'BucketOwnerEnforced' });
    });

    test.each(roles)('%s: bucket policy denies every request without TLS', (role) => {
      const policy = forBucket(synth, 'aws_s3_bucket_policy', ids[role]);
      expect(policy.provider).toBe(`aws.${role}`);
      expect(policyOf(policy.policy).Statement).toEqual([
        {
          Sid: 'DenyInsecureTransport',
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:*',
          Resource: [arns[role], `${arns[role]}/*`],
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
      ]);
    });

    test.each(roles)('%s: lifecycle expires noncurrent versions (90 d) and aborts uploads (7 d), every rule with filter {}', (role) => {
      const lc = forBucket(synth, 'aws_s3_bucket_lifecycle_configuration', ids[role]);
      expect(lc.provider).toBe(`aws.${role}`);
      expect(lc.depends_on).toEqual([address(role === 'primary' ? bucket.primaryVersioning : bucket.drVersioning)]);
      for (const rule of lc.rule) {
        expect(rule.status).toBe('Enabled');
        expect(rule.filter).toEqual([{}]);
        expect(rule.prefix).toBeUndefined();
      }
      const noncurrent = lc.rule.filter((r: Json) => r.noncurrent_version_expiration);
      const abort = lc.rule.filter((r: Json) => r.abort_incomplete_multipart_upload);
      expect(noncurrent.map((r: Json) => r.noncurrent_version_expiration)).toEqual([[{ noncurrent_days: 90 }]]);
      expect(abort.map((r: Json) => r.abort_incomplete_multipart_upload)).toEqual([[{ days_after_initiation: 7 }]]);
    });
  });

  describe('replication primary → DR', () => {
    const replications = synth.list('aws_s3_bucket_replication_configuration');
    const replication = synth.bodyOf(bucket.replication);

    test('one configuration per direction; primary → DR on the primary bucket, in the primary region, with the replication role', () => {
      expect(replications).toHaveLength(2);
      expect(replication).toMatchObject({
        provider: 'aws.primary',
        bucket: ids.primary,
        role: synth.ref(bucket.replicationRole.arn),
      });
    });

    test('depends on the versioning of BOTH buckets (and on the role policy)', () => {
      expect(replication.depends_on).toEqual(
        expect.arrayContaining([address(bucket.primaryVersioning), address(bucket.drVersioning), address(bucket.replicationPolicy)]),
      );
      expect(replication.depends_on).toHaveLength(3);
      expect(address(bucket.drVersioning)).toMatch(/^aws_s3_bucket_versioning\./);
    });

    test('one V2 rule for every object: filter, priority, delete markers, KMS objects, DR key, RTC + metrics at 15 minutes', () => {
      expect(replication.rule).toEqual([
        {
          id: 'replicate-all-to-dr',
          status: 'Enabled',
          priority: 1,
          filter: { prefix: '' },
          delete_marker_replication: { status: 'Enabled' },
          source_selection_criteria: { sse_kms_encrypted_objects: { status: 'Enabled' }, replica_modifications: { status: 'Enabled' } },
          destination: {
            bucket: arns.dr,
            storage_class: 'STANDARD',
            encryption_configuration: { replica_kms_key_id: synth.ref(key.keys['dr'].arn) },
            replication_time: { status: 'Enabled', time: { minutes: 15 } },
            metrics: { status: 'Enabled', event_threshold: { minutes: 15 } },
          },
        },
      ]);
    });

    test('the replica key is the DR replica key, not the primary key', () => {
      const replicaKey = replication.rule[0].destination.encryption_configuration.replica_kms_key_id;
      expect(replicaKey).toMatch(/^\$\{aws_kms_replica_key\./);
      expect(replicaKey).not.toBe(synth.ref(key.keys['primary'].arn));
    });
  });

  describe('replication DR → primary (two-way: objects written while DR is active come back)', () => {
    const back = bucket.replications.dr;
    const config = synth.bodyOf(back.config);

    test('on the DR bucket, in the DR region, by a role of its own, after both versionings and its policy', () => {
      expect(config).toMatchObject({ provider: 'aws.dr', bucket: ids.dr, role: synth.ref(back.role.arn) });
      expect([...config.depends_on].sort()).toEqual([address(bucket.primaryVersioning), address(bucket.drVersioning), address(back.policy)].sort());
      expect(synth.bodyOf(back.role).provider).toBe('aws.dr');
    });

    test('the mirror rule: RTC + metrics, replica modification sync, re-encrypted with the primary key', () => {
      expect(config.rule).toEqual([
        {
          id: 'replicate-all-to-primary',
          status: 'Enabled',
          priority: 1,
          filter: { prefix: '' },
          delete_marker_replication: { status: 'Enabled' },
          source_selection_criteria: { sse_kms_encrypted_objects: { status: 'Enabled' }, replica_modifications: { status: 'Enabled' } },
          destination: {
            bucket: arns.primary,
            storage_class: 'STANDARD',
            encryption_configuration: { replica_kms_key_id: synth.ref(key.keys['primary'].arn) },
            replication_time: { status: 'Enabled', time: { minutes: 15 } },
            metrics: { status: 'Enabled', event_threshold: { minutes: 15 } },
          },
        },
      ]);
    });

    test('its role reads the DR bucket with the DR key and writes the primary bucket with the primary key, each through S3 in its region', () => {
      const statements = policyOf(synth.bodyOf(back.policy).policy).Statement;
      const sid = (id: string) => statements.find((s) => s.Sid === id)!;
      expect(sid('ReadSourceObjectVersions').Resource).toBe(`${arns.dr}/*`);
      expect(sid('WriteReplicas').Resource).toBe(`${arns.primary}/*`);
      expect(sid('DecryptSourceObjects')).toMatchObject({
        Resource: synth.ref(key.keys['dr'].arn),
        Condition: { StringEquals: { 'kms:ViaService': `s3.${dr.region}.amazonaws.com` } },
      });
      expect(sid('EncryptReplicas')).toMatchObject({
        Resource: synth.ref(key.keys['primary'].arn),
        Condition: { StringEquals: { 'kms:ViaService': `s3.${primary.region}.amazonaws.com` } },
      });
    });
  });

  describe('replication role', () => {
    const role = synth.resources('aws_iam_role')[bucket.replicationRole.friendlyUniqueId];
    const policyResource = synth.resources('aws_iam_role_policy')[bucket.replicationPolicy.friendlyUniqueId];
    const statements = policyOf(policyResource.policy).Statement;
    const byAction = (action: string) => statements.filter((s) => ([] as string[]).concat(s.Action).includes(action));

    test('trusted by S3 only, for our account only', () => {
      expect(role.provider).toBe('aws.primary');
      expect(role.name).toBe(primary.naming.name('iamRole', 'artifacts-s3-replication', primary.region));
      expect(policyOf(role.assume_role_policy).Statement).toEqual([
        {
          Effect: 'Allow',
          Principal: { Service: 's3.amazonaws.com' },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'aws:SourceAccount': primary.accountId } },
        },
      ]);
    });

    test('policy is attached to the role, in the primary region', () => {
      expect(policyResource.provider).toBe('aws.primary');
      expect(policyResource.role).toBe(synth.ref(bucket.replicationRole.id));
    });

    test('exactly the S3 replication actions, each on the right bucket or objects', () => {
      const s3 = statements.filter((s) => ([] as string[]).concat(s.Action).some((a) => a.startsWith('s3:')));
      expect(s3.map((s) => [s.Effect, s.Action, s.Resource])).toEqual([
        ['Allow', ['s3:GetReplicationConfiguration', 's3:ListBucket'], arns.primary],
        ['Allow', ['s3:GetObjectVersionForReplication', 's3:GetObjectVersionAcl', 's3:GetObjectVersionTagging'], `${arns.primary}/*`],
        ['Allow', ['s3:ReplicateObject', 's3:ReplicateDelete', 's3:ReplicateTags'], `${arns.dr}/*`],
      ]);
    });

    test('kms:Decrypt on the source key only through S3 in the primary region, for the source bucket', () => {
      const source = statements.filter((s) => s.Resource === synth.ref(key.keys['primary'].arn));
      expect(source).toEqual([
        expect.objectContaining({
          Effect: 'Allow',
          Action: 'kms:Decrypt',
          Condition: {
            StringEquals: { 'kms:ViaService': `s3.${primary.region}.amazonaws.com` },
            StringLike: { 'kms:EncryptionContext:aws:s3:arn': [arns.primary, `${arns.primary}/*`] },
          },
        }),
      ]);
    });

    test('kms:Encrypt / GenerateDataKey on the DR key only through S3 in the DR region, for the DR bucket', () => {
      const destination = statements.filter((s) => s.Resource === synth.ref(key.keys['dr'].arn));
      expect(destination).toEqual([
        expect.objectContaining({
          Effect: 'Allow',
          Action: expect.arrayContaining(['kms:Encrypt', 'kms:GenerateDataKey']),
          Condition: {
            StringEquals: { 'kms:ViaService': `s3.${dr.region}.amazonaws.com` },
            StringLike: { 'kms:EncryptionContext:aws:s3:arn': [arns.dr, `${arns.dr}/*`] },
          },
        }),
      ]);
      expect(byAction('kms:Encrypt')).toHaveLength(1);
    });

    test('no wildcard action, no wildcard resource, no Deny and nothing beyond the five statements', () => {
      expect(statements).toHaveLength(5);
      for (const s of statements) {
        expect(s.Effect).toBe('Allow');
        for (const a of [].concat(s.Action)) expect(a).not.toMatch(/\*/);
        for (const r of [].concat(s.Resource)) {
          expect(r).not.toBe('*');
          expect([arns.primary, `${arns.primary}/*`, `${arns.dr}/*`, synth.ref(key.keys['primary'].arn), synth.ref(key.keys['dr'].arn)]).toContain(r);
        }
      }
      expect(byAction('s3:*')).toEqual([]);
    });
  });

  test('every resource of the construct runs in its region: DR bucket resources in aws.dr, the rest in aws.primary', () => {
    const types = [
      'aws_s3_bucket',
      'aws_s3_bucket_versioning',
      'aws_s3_bucket_server_side_encryption_configuration',
      'aws_s3_bucket_public_access_block',
      'aws_s3_bucket_ownership_controls',
      'aws_s3_bucket_policy',
      'aws_s3_bucket_lifecycle_configuration',
    ];
    for (const type of types) {
      for (const r of synth.list(type)) {
        const drSide = r.bucket === ids.dr || r.bucket === dr.naming.bucket('artifacts', dr.region);
        expect([type, r.provider]).toEqual([type, drSide ? 'aws.dr' : 'aws.primary']);
      }
      expect(synth.inRegion(type, 'dr')).toHaveLength(1);
    }
    // One replication role, policy and configuration per direction, each in its source bucket's region.
    for (const type of ['aws_iam_role', 'aws_iam_role_policy', 'aws_s3_bucket_replication_configuration']) {
      expect(synth.list(type).map((r) => r.provider).sort()).toEqual(['aws.dr', 'aws.primary']);
    }
  });

  test('custom lifecycle periods and dev protection flags reach both buckets', () => {
    const dev = build({ noncurrentVersionExpirationDays: 30, abortIncompleteUploadDays: 2, forceDestroy: true, preventDestroy: false }).synth;
    for (const lc of dev.list('aws_s3_bucket_lifecycle_configuration')) {
      expect(lc.rule.flatMap((r: Json) => r.noncurrent_version_expiration ?? [])).toEqual([{ noncurrent_days: 30 }]);
      expect(lc.rule.flatMap((r: Json) => r.abort_incomplete_multipart_upload ?? [])).toEqual([{ days_after_initiation: 2 }]);
    }
    for (const b of dev.list('aws_s3_bucket')) expect(b).toMatchObject({ force_destroy: true, lifecycle: { prevent_destroy: false } });
  });

  describe('rejects bad props', () => {
    test.each<[string, Overrides, RegExp]>([
      ['an upper-case purpose', { purpose: 'Artifacts' }, /'purpose' must be lowercase letters, digits and hyphens.*got 'Artifacts'/],
      ['a purpose with a dot', { purpose: 'art.ifacts' }, /'purpose'.*got 'art\.ifacts'/],
      ['a purpose too long for a bucket name', { purpose: 'a'.repeat(40) }, /\(s3Bucket\) is \d+ characters; AWS allows 63/],
      ['noncurrentVersionExpirationDays 0', { noncurrentVersionExpirationDays: 0 }, /'noncurrentVersionExpirationDays' must be a whole number of days >= 1, got 0/],
      ['fractional noncurrentVersionExpirationDays', { noncurrentVersionExpirationDays: 1.5 }, /'noncurrentVersionExpirationDays'.*got 1\.5/],
      ['negative abortIncompleteUploadDays', { abortIncompleteUploadDays: -1 }, /'abortIncompleteUploadDays' must be a whole number of days >= 1, got -1/],
      ['forceDestroy with preventDestroy', { forceDestroy: true, preventDestroy: true }, /'forceDestroy' and 'preventDestroy' are both true/],
      ['swapped region contexts', { contexts: (p, d) => ({ primary: d, dr: p }) }, /'primary' must be the primary region context.*got roles 'dr' and 'primary'/],
      ['both contexts in one region', { contexts: (p, d) => ({ primary: p, dr: { ...d, region: p.region } }) }, /both in us-east-1; the DR copy must be in another region/],
      ['contexts of two accounts', { contexts: (p, d) => ({ primary: p, dr: { ...d, accountId: '210987654321' } }) }, /must be the same account/],
      ['a key of another region pair', { foreignKey: true }, /'key' \(alias\/pay-dev-other\) was not created for this region pair/],
    ])('fails with %s', (_name, overrides, message) => {
      expect(() => build(overrides)).toThrow(message);
    });
  });
});
