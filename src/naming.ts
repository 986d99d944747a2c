import { regionCode } from './aws-regions';

/** AWS naming rules per kind of resource: the maximum length and the allowed characters. */
export const NAME_RULES = {
  /** S3 bucket: 3-63 lowercase letters, digits, hyphens; globally unique, so it carries the account id. */
  s3Bucket: { max: 63, pattern: /^[a-z0-9][a-z0-9-]*[a-z0-9]$/ },
  /** RDS cluster / instance / global cluster identifiers, subnet and parameter groups: start with a letter. */
  rds: { max: 63, pattern: /^[a-z](?!.*--)[a-z0-9-]*[a-z0-9]$/ },
  /** IAM role names. */
  iamRole: { max: 64, pattern: /^[\w+=,.@-]+$/ },
  /** Lambda function names. */
  lambda: { max: 64, pattern: /^[a-zA-Z0-9-_]+$/ },
  /** Security groups, DynamoDB tables, SNS topics, secrets, log groups, API names: generous limits. */
  generic: { max: 255, pattern: /^[a-zA-Z0-9._\/-]+$/ },
} as const;

export type NameKind = keyof typeof NAME_RULES;

/**
 * Builds every physical name from the prefix, the environment suffix and (for regional resources) the region,
 * and enforces each AWS name limit, so a too-long suffix fails synth rather than `terraform apply`.
 */
export class Naming {
  constructor(
    public readonly prefix: string,
    public readonly suffix: string,
    public readonly accountId: string,
  ) {}

  /** `<prefix>-<suffix>[-<region code>]-<purpose>`, checked against the rules of `kind`. */
  name(kind: NameKind, purpose: string, region?: string): string {
    const parts = [this.prefix, this.suffix, ...(region ? [regionCode(region)] : []), purpose];
    return this.check(kind, parts.join('-'));
  }

  /** Globally unique bucket name: `<prefix>-<suffix>-<purpose>-<account id>-<region code>`. */
  bucket(purpose: string, region: string): string {
    return this.check('s3Bucket', [this.prefix, this.suffix, purpose, this.accountId, regionCode(region)].join('-'));
  }

  private check(kind: NameKind, value: string): string {
    const rule = NAME_RULES[kind];
    if (value.length > rule.max) {
      throw new Error(
        `Name "${value}" (${kind}) is ${value.length} characters; AWS allows ${rule.max}. Shorten namePrefix or environmentSuffix.`,
      );
    }
    if (!rule.pattern.test(value)) {
      throw new Error(`Name "${value}" breaks the ${kind} naming rule ${rule.pattern}.`);
    }
    return value;
  }
}
