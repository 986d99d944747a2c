import { Inventory, SynthResource, blocks, isTrue, list } from './inventory';
import { Finding, Rule } from './model';
import { Statement, isPublicPrincipal, parsePolicy } from './policy';
import { s3BucketArn } from '../arn';

/** Sub-resources (`aws_s3_bucket_*`) of a bucket: their `bucket` is the bucket's id or name, referenced or literal. */
function forBucket(inventory: Inventory, type: string, bucket: SynthResource): SynthResource[] {
  const name = bucket.body.bucket;
  return inventory
    .ofType(type)
    .filter((r) => inventory.refersTo(r.body.bucket, bucket, ['id', 'bucket']) || (typeof name === 'string' && r.body.bucket === name));
}

const PUBLIC_ACCESS_FLAGS = ['block_public_acls', 'block_public_policy', 'ignore_public_acls', 'restrict_public_buckets'] as const;

export const s3PublicAccessBlock: Rule = {
  id: 'S3-PUBLIC-ACCESS-BLOCK',
  title: 'Every bucket has a public access block with all four settings true',
  rationale: 'No ACL or bucket policy can ever make payment artefacts public, whatever a later change writes.',
  resourceTypes: ['aws_s3_bucket'],
  check: (ctx) =>
    ctx.inventory.ofType('aws_s3_bucket').flatMap((bucket): Finding[] => {
      const blocksOf = forBucket(ctx.inventory, 'aws_s3_bucket_public_access_block', bucket);
      const fix = `add an aws_s3_bucket_public_access_block for this bucket with ${PUBLIC_ACCESS_FLAGS.map((f) => `${f} = true`).join(', ')}`;
      if (blocksOf.length === 0) return [{ resource: bucket, problem: 'has no aws_s3_bucket_public_access_block', fix }];
      const best = blocksOf
        .map((pab) => ({ pab, off: PUBLIC_ACCESS_FLAGS.filter((f) => !isTrue(pab.body[f])) }))
        .sort((a, b) => a.off.length - b.off.length)[0];
      return best.off.length === 0
        ? []
        : [{ resource: bucket, problem: `${best.pab.address} does not set ${best.off.join(', ')} to true`, fix: `set ${best.off.map((f) => `${f} = true`).join(', ')} on ${best.pab.address}` }];
    }),
};

/** `arn:aws:s3:::<name>` or a reference to the bucket's ARN. */
function isBucketArn(inventory: Inventory, value: string, bucket: SynthResource): boolean {
  return inventory.refersTo(value, bucket, ['arn']) || (typeof bucket.body.bucket === 'string' && value === s3BucketArn(bucket.body.bucket));
}

/** A Deny of every S3 action (or every action) to everyone when aws:SecureTransport is false, on the bucket and its objects. */
function deniesInsecureTransport(inventory: Inventory, s: Statement, bucket: SynthResource): boolean {
  if (s.effect !== 'Deny' || !isPublicPrincipal(s.principal)) return false;
  if (!s.action.some((a) => a === '*' || a.toLowerCase() === 's3:*')) return false;
  const bool = (s.condition as Record<string, Record<string, unknown>> | undefined)?.Bool ?? {};
  const secure = list(bool['aws:SecureTransport'])[0];
  if (secure !== false && String(secure).toLowerCase() !== 'false') return false;
  const coversBucket = s.resource.some((r) => r === '*' || isBucketArn(inventory, r, bucket));
  const coversObjects = s.resource.some((r) => r === '*' || (r.endsWith('/*') && isBucketArn(inventory, r.slice(0, -2), bucket)));
  return coversBucket && coversObjects;
}

export const s3TlsOnly: Rule = {
  id: 'S3-TLS-ONLY',
  title: 'Every bucket policy denies requests without TLS',
  rationale: 'Objects never travel in clear text: the bucket refuses any request where aws:SecureTransport is false.',
  resourceTypes: ['aws_s3_bucket'],
  check: (ctx) =>
    ctx.inventory.ofType('aws_s3_bucket').flatMap((bucket): Finding[] => {
      const policies = [
        ...forBucket(ctx.inventory, 'aws_s3_bucket_policy', bucket).map((p) => p.body.policy),
        ...(bucket.body.policy !== undefined ? [bucket.body.policy] : []),
      ];
      const ok = policies.some((p) => {
        const parsed = parsePolicy(p);
        return 'statements' in parsed && parsed.statements.some((s) => deniesInsecureTransport(ctx.inventory, s, bucket));
      });
      return ok
        ? []
        : [
            {
              resource: bucket,
              problem: policies.length === 0 ? 'has no bucket policy' : 'no bucket policy statement denies requests with aws:SecureTransport "false"',
              fix: 'add an aws_s3_bucket_policy statement { Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [bucket ARN, bucket ARN + "/*"], Condition: { Bool: { "aws:SecureTransport": "false" } } }',
            },
          ];
    }),
};

export const s3Versioning: Rule = {
  id: 'S3-VERSIONING',
  title: 'Every bucket has versioning enabled',
  rationale: 'Overwritten or deleted objects stay recoverable, and replication to the DR region requires it.',
  resourceTypes: ['aws_s3_bucket'],
  check: (ctx) =>
    ctx.inventory.ofType('aws_s3_bucket').flatMap((bucket): Finding[] => {
      const enabled =
        forBucket(ctx.inventory, 'aws_s3_bucket_versioning', bucket).some((v) => blocks(v.body.versioning_configuration).some((c) => c.status === 'Enabled')) ||
        blocks(bucket.body.versioning).some((v) => isTrue(v.enabled));
      return enabled
        ? []
        : [{ resource: bucket, problem: 'has no aws_s3_bucket_versioning with status "Enabled"', fix: 'add an aws_s3_bucket_versioning for this bucket with versioning_configuration { status = "Enabled" }' }];
    }),
};
