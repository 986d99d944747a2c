import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { MAX_PREFIX_LENGTH, formatZodIssue } from '../src/config';
import { AWS_REGIONS, isAwsRegion } from '../src/aws-regions';

/**
 * Configuration of the one-off bootstrap stack (state bucket, GitHub OIDC provider, CI roles), read from the
 * JSON named by `BOOTSTRAP_CONFIG` (a file path, or the JSON itself when it starts with `{`).
 * Every problem is reported at once, naming the field, the value and what would be valid.
 */

/** Route 53 and IAM are global services whose API calls are signed for us-east-1; the DR stack needs it too. */
export const GLOBAL_SERVICES_REGION = 'us-east-1';

const region = z.string().refine(isAwsRegion, {
  message: `is not an AWS region this project supports; use one of: ${AWS_REGIONS.join(', ')}`,
});

export const bootstrapConfigSchema = z
  .object({
    /** The AWS account the pipeline deploys to; the provider refuses any other. */
    accountId: z.string().regex(/^\d{12}$/, { message: 'must be a 12-digit AWS account id (e.g. "123456789012")' }),
    /** Region of the state bucket and of the bootstrap provider. */
    region,
    /** GitHub owner (organisation or user) of the repository, spelled exactly as GitHub does (the OIDC `sub` is case-sensitive). */
    githubOrg: z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/, {
      message: 'must be a GitHub owner name: 1-39 letters, digits and single inner hyphens (e.g. "acme-payments")',
    }),
    /** GitHub repository name, without the owner. */
    githubRepo: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,100}$/, {
        message: 'must be a GitHub repository name without the owner: 1-100 letters, digits, ".", "_" or "-" (e.g. "payments-dr-platform")',
      })
      .refine((v) => v !== '.' && v !== '..', { message: 'is not a repository name' }),
    /** Name of the Terraform state bucket to create; the DR stack's `stateBackend.bucket` / `TERRAFORM_STATE_BUCKET`. */
    stateBucket: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, {
        message: 'must be an S3 bucket name: 3-63 lowercase letters, digits, "." or "-", starting and ending with a letter or digit',
      })
      .refine((v) => !v.includes('..') && !/^\d+\.\d+\.\d+\.\d+$/.test(v) && !v.startsWith('xn--') && !v.endsWith('-s3alias'), {
        message: 'breaks an S3 bucket naming rule (no "..", not an IP address, no "xn--" prefix or "-s3alias" suffix)',
      }),
    /** The DR stack's `namePrefix`: the deploy role may manage IAM roles and S3 buckets named `<namePrefix>-*` only. */
    namePrefix: z
      .string()
      .max(MAX_PREFIX_LENGTH, { message: `is longer than ${MAX_PREFIX_LENGTH} characters (the DR stack's namePrefix rule)` })
      .regex(/^[a-z][a-z0-9]*$/, { message: 'must be lowercase letters and digits, starting with a letter (the DR stack\'s namePrefix)' }),
    /**
     * Regions the deploy role may call regional services in: the DR stack's primary and DR regions.
     * @default ["us-east-1", "us-west-2"]
     */
    deployRegions: z
      .array(region)
      .min(1, { message: 'must list at least one region' })
      .refine((v) => v.includes(GLOBAL_SERVICES_REGION), {
        message: `must include "${GLOBAL_SERVICES_REGION}": Route 53 and IAM calls are signed for it, and the DR stack needs one region there`,
      })
      .default([GLOBAL_SERVICES_REGION, 'us-west-2']),
    /**
     * Public hosted zones to create, e.g. `["payments.example.com"]`: the DR config's `dns.zoneName`. The outputs
     * give each zone's id (the DR config's `dns.hostedZoneId`) and the name servers to delegate to from the parent
     * domain, before the first deploy of an environment in it.
     * @default []
     */
    hostedZones: z
      .array(
        z
          .string()
          .max(253)
          .refine((v) => v.split('.').length >= 2 && v.split('.').every((l) => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(l)), {
            message: 'must be a lowercase DNS name like "payments.example.com"',
          }),
      )
      .refine((v) => new Set(v).size === v.length, { message: 'lists a zone twice; list each zone once' })
      .default([]),
  })
  .strict();

export type BootstrapConfig = z.infer<typeof bootstrapConfigSchema>;

export class BootstrapConfigError extends Error {
  constructor(
    public readonly problems: readonly string[],
    source: string,
  ) {
    super(`Invalid bootstrap configuration (${source}), ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'BootstrapConfigError';
  }
}

/** Validates parsed JSON; throws a BootstrapConfigError listing every problem. */
export function parseBootstrapConfig(input: unknown, source = 'BOOTSTRAP_CONFIG'): BootstrapConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new BootstrapConfigError([`must hold a JSON object like bootstrap/config.example.json, got ${JSON.stringify(input)}`], source);
  }
  const result = bootstrapConfigSchema.safeParse(input);
  if (!result.success) throw new BootstrapConfigError(result.error.issues.map((i) => formatZodIssue(i, input, 'bootstrap/config.example.json')), source);
  return result.data;
}

/** Reads `BOOTSTRAP_CONFIG`: a path to a JSON file, or the JSON itself when the value starts with `{`. */
export function loadBootstrapConfig(
  env: NodeJS.ProcessEnv = process.env,
  readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): BootstrapConfig {
  const value = env.BOOTSTRAP_CONFIG?.trim();
  if (!value) {
    throw new BootstrapConfigError(
      ['BOOTSTRAP_CONFIG is not set: point it at a JSON file (copy bootstrap/config.example.json) or set it to the JSON itself'],
      'BOOTSTRAP_CONFIG',
    );
  }
  const inline = value.startsWith('{');
  const source = inline ? 'BOOTSTRAP_CONFIG (inline JSON)' : `BOOTSTRAP_CONFIG=${value}`;
  let text = value;
  if (!inline) {
    try {
      text = readFile(value);
    } catch (e) {
      throw new BootstrapConfigError([`cannot read "${value}": ${(e as Error).message}`], source);
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new BootstrapConfigError([`is not valid JSON: ${(e as Error).message}`], source);
  }
  return parseBootstrapConfig(parsed, source);
}
