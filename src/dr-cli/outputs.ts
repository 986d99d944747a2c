import { resolve } from 'node:path';
import { z } from 'zod';
import type { StackOutputName } from '../contracts/stack-outputs';

/**
 * The stack outputs the DR CLI needs (names from the contract, src/contracts/stack-outputs.ts), read from a `terraform output -json` file (`{ "<name>": { "value": … } }`) or
 * a `cdktf output --outputs-file` file (`{ "<stackName>": { "<name>": … } }`).
 */

export const DEFAULT_OUTPUTS_FILE = 'cdktf.out/outputs.json';

const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const nonEmpty = z.string().min(1, { message: 'is empty' });
const region = z.string().regex(REGION, { message: 'is not an AWS region name (e.g. "us-east-1")' });
const clusterArn = z
  .string()
  .regex(/^arn:aws[a-z-]*:rds:[a-z0-9-]+:\d{12}:cluster:.+$/, { message: 'is not an RDS cluster ARN' });
const httpsUrl = z.string().regex(/^https:\/\/[^/\s]+/, { message: 'is not an https:// URL' });

export const OUTPUT_SCHEMA = z.object({
  'primary-region': region,
  'dr-region': region,
  'global-cluster-id': nonEmpty,
  'primary-cluster-arn': clusterArn,
  'dr-cluster-arn': clusterArn,
  'primary-cluster-id': nonEmpty,
  'dr-cluster-id': nonEmpty,
  'primary-health-check-id': nonEmpty,
  'dr-health-check-id': nonEmpty,
  'api-domain-name': nonEmpty,
  'hosted-zone-id': nonEmpty,
  'sessions-table-name': nonEmpty,
  'artifacts-bucket-primary': nonEmpty,
  'artifacts-bucket-dr': nonEmpty,
  'payment-function-primary': nonEmpty,
  'payment-function-dr': nonEmpty,
  'api-endpoint-primary': httpsUrl,
  'api-endpoint-dr': httpsUrl,
  // issue 13: the role the deployed config gave each site, and what the CLI sets live during an operation.
  'active-region': z.enum(['primary', 'dr'], { message: 'must be "primary" or "dr"' }),
  'active-site-parameter-name': z.string().regex(/^\/[A-Za-z0-9_.\-/]+$/, { message: 'is not an SSM parameter name like "/pay/dev-control/active-site"' }),
  'primary-cluster-parameter-group': nonEmpty,
  'dr-cluster-parameter-group': nonEmpty,
  // Optional: stacks deployed before these outputs existed still load; the commands that need one say so.
  'api-client-secret-name': nonEmpty.optional(),
  'environment-profile': z.enum(['dev', 'prod']).optional(),
  'fis-experiment-template-primary': nonEmpty.optional(),
  'fis-experiment-template-dr': nonEmpty.optional(),
} satisfies { readonly [name in StackOutputName]?: z.ZodTypeAny });

export const OUTPUT_NAMES = Object.keys(OUTPUT_SCHEMA.shape) as (keyof z.infer<typeof OUTPUT_SCHEMA>)[];

/** Outputs only an accelerator-mode stack has (config `edge.mode: "accelerator"`); read by src/dr-cli/edge.ts. */
export const EDGE_OUTPUT_SCHEMA = z.object({
  'edge-mode': z.literal('accelerator'),
  'accelerator-arn': z.string().regex(/^arn:aws[a-z-]*:globalaccelerator::\d{12}:accelerator\/.+$/, { message: 'is not an accelerator ARN' }),
  'endpoint-group-arn-primary': z.string().regex(/:accelerator\/.+\/listener\/.+\/endpoint-group\/.+$/, { message: 'is not an endpoint group ARN' }),
  'endpoint-group-arn-dr': z.string().regex(/:accelerator\/.+\/listener\/.+\/endpoint-group\/.+$/, { message: 'is not an endpoint group ARN' }),
} satisfies { readonly [name in StackOutputName]?: z.ZodTypeAny });
export const EDGE_OUTPUT_NAMES = Object.keys(EDGE_OUTPUT_SCHEMA.shape) as (keyof z.infer<typeof EDGE_OUTPUT_SCHEMA>)[];
const KNOWN_NAMES: readonly string[] = [...OUTPUT_NAMES, ...EDGE_OUTPUT_NAMES];

/** The static-IP edge as deployed: the accelerator and the endpoint group of each site. */
export interface EdgeOutputs {
  readonly acceleratorArn: string;
  readonly endpointGroupArns: Record<Role, string>;
}

export type Role = 'primary' | 'dr';

/** One region of the platform as the stack deployed it (the *configured* role, not who writes right now). */
export interface RegionSite {
  readonly role: Role;
  readonly region: string;
  readonly clusterArn: string;
  readonly clusterId: string;
  readonly healthCheckId: string;
  readonly bucket: string;
  readonly paymentFunction: string;
  readonly apiEndpoint: string;
  /** The cluster's own DB cluster parameter group (`rds.global_db_rpo` is set on the active site's only). */
  readonly clusterParameterGroup: string;
  /** Account of the stack (from the cluster ARN): builds Lambda function ARNs for tagging. */
  readonly accountId: string;
  /** FIS experiment template that fails this site (output `fis-experiment-template-<role>`), when deployed. */
  readonly fisTemplateId?: string;
}

export interface StackOutputs {
  readonly globalClusterId: string;
  readonly apiDomainName: string;
  readonly hostedZoneId: string;
  readonly sessionsTable: string;
  /** `activeRegion` of the config the stack was last deployed with. */
  readonly activeRegion: Role;
  /** The active-site designation: an SSM String parameter of this name in each region, "primary" or "dr". */
  readonly activeSiteParameter: string;
  readonly primary: RegionSite;
  readonly dr: RegionSite;
  /** Present when the stack runs the accelerator edge. */
  readonly edge?: EdgeOutputs;
  /** Secret (replicated to both regions) holding the API client key (output `api-client-secret-name`). */
  readonly apiClientSecretName?: string;
  /** The config profile the stack was deployed with (output `environment-profile`); undefined on older stacks. */
  readonly profile?: 'dev' | 'prod';
  /** Where the outputs came from (for messages). */
  readonly source: string;
}

export class OutputsError extends Error {}

/** The outputs file path: `--outputs`, then `DR_OUTPUTS_FILE`, then `cdktf.out/outputs.json`, relative to `cwd`. */
export function outputsPath(flag: string | undefined, env: Record<string, string | undefined>, cwd: string): string {
  return resolve(cwd, flag ?? env.DR_OUTPUTS_FILE ?? DEFAULT_OUTPUTS_FILE);
}

const HOW_TO_CREATE =
  'create it with `npx cdktf output --outputs-file cdktf.out/outputs.json` (or `terraform output -json > outputs.json` ' +
  'in the stack directory) and pass it with --outputs <file> or DR_OUTPUTS_FILE';

/** Reads and validates the outputs file; throws `OutputsError` with a message that names every problem. */
export function loadOutputs(path: string, readFile: (p: string) => string, stack?: string): StackOutputs {
  let text: string;
  try {
    text = readFile(path);
  } catch (e) {
    throw new OutputsError(`Cannot read the stack outputs file ${path}: ${(e as Error).message}\n  ${HOW_TO_CREATE}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new OutputsError(`The stack outputs file ${path} is not valid JSON: ${(e as Error).message}`);
  }
  return parseOutputs(json, path, stack);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `{ value: x }` (terraform output -json) → x; anything else unchanged. */
function unwrap(v: unknown): unknown {
  return isRecord(v) && 'value' in v ? v.value : v;
}

/** Collects our output names from `obj`, descending into nested objects (cdktf nests outputs by construct path). */
function collect(obj: Record<string, unknown>, into: Record<string, unknown>, depth = 0): void {
  for (const [key, raw] of Object.entries(obj)) {
    if (KNOWN_NAMES.includes(key)) {
      if (!(key in into)) into[key] = unwrap(raw);
    } else if (isRecord(raw) && !('value' in raw) && depth < 5) {
      collect(raw, into, depth + 1);
    }
  }
}

const countKnown = (o: Record<string, unknown>) => {
  const found: Record<string, unknown> = {};
  collect(o, found);
  return Object.keys(found).length;
};

/** Picks the flat map of outputs from either file format, then validates it. */
export function parseOutputs(json: unknown, source: string, stack?: string): StackOutputs {
  if (!isRecord(json)) throw new OutputsError(`The stack outputs file ${source} must hold a JSON object`);
  const topLevelNames = Object.keys(json).filter((k) => (OUTPUT_NAMES as string[]).includes(k));
  let scope: Record<string, unknown> = json;
  if (stack !== undefined) {
    const s = json[stack];
    if (!isRecord(s)) {
      throw new OutputsError(
        `The stack outputs file ${source} has no stack "${stack}"; it has: ${Object.keys(json).join(', ') || '(nothing)'}`,
      );
    }
    scope = s;
  } else if (topLevelNames.length === 0) {
    const stacks = Object.entries(json).filter(([, v]) => isRecord(v) && !('value' in v) && countKnown(v) > 0);
    if (stacks.length > 1) {
      throw new OutputsError(
        `The stack outputs file ${source} holds several stacks (${stacks.map(([k]) => k).join(', ')}); ` +
          'choose one with --stack <name>',
      );
    }
    if (stacks.length === 1) scope = stacks[0][1] as Record<string, unknown>;
  }
  const flat: Record<string, unknown> = {};
  collect(scope, flat);

  const result = OUTPUT_SCHEMA.safeParse(flat);
  if (!result.success) {
    const missing = OUTPUT_NAMES.filter((n) => !OUTPUT_SCHEMA.shape[n].isOptional() && (flat[n] === undefined || flat[n] === null));
    const invalid = result.error.issues
      .filter((i) => !missing.includes(i.path[0] as (typeof OUTPUT_NAMES)[number]))
      .map((i) => `  - ${i.path.join('.')}: ${JSON.stringify(flat[i.path[0] as string])} ${i.message}`);
    const lines = [`The stack outputs in ${source} are incomplete or invalid:`];
    if (missing.length > 0) lines.push(`  - missing output(s): ${missing.join(', ')}`);
    lines.push(...invalid);
    lines.push('  Deploy the stack version that defines them and refresh the file (`npx cdktf output --outputs-file …`).');
    throw new OutputsError(lines.join('\n'));
  }
  const o = result.data;
  if (o['primary-region'] === o['dr-region']) {
    throw new OutputsError(`The stack outputs in ${source} name the same region twice (${o['primary-region']})`);
  }
  const site = (role: Role): RegionSite => ({
    role,
    region: o[`${role}-region`],
    clusterArn: o[`${role}-cluster-arn`],
    clusterId: o[`${role}-cluster-id`],
    healthCheckId: o[`${role}-health-check-id`],
    bucket: o[`artifacts-bucket-${role}`],
    paymentFunction: o[`payment-function-${role}`],
    apiEndpoint: o[`api-endpoint-${role}`].replace(/\/+$/, ''),
    clusterParameterGroup: o[`${role}-cluster-parameter-group`],
    accountId: o[`${role}-cluster-arn`].split(':')[4],
    ...(o[`fis-experiment-template-${role}`] ? { fisTemplateId: o[`fis-experiment-template-${role}`] } : {}),
  });
  let edge: EdgeOutputs | undefined;
  if (flat['edge-mode'] !== undefined) {
    const e = EDGE_OUTPUT_SCHEMA.safeParse(flat);
    if (!e.success) {
      const problems = e.error.issues.map((i) => `  - ${i.path.join('.')}: ${JSON.stringify(flat[i.path[0] as string])} ${i.message}`);
      throw new OutputsError([`The accelerator outputs in ${source} are incomplete or invalid:`, ...problems].join('\n'));
    }
    edge = {
      acceleratorArn: e.data['accelerator-arn'],
      endpointGroupArns: { primary: e.data['endpoint-group-arn-primary'], dr: e.data['endpoint-group-arn-dr'] },
    };
  }
  return {
    ...(edge ? { edge } : {}),
    globalClusterId: o['global-cluster-id'],
    apiDomainName: o['api-domain-name'].replace(/\.$/, ''),
    hostedZoneId: o['hosted-zone-id'].replace(/^\/?hostedzone\//, ''),
    sessionsTable: o['sessions-table-name'],
    activeRegion: o['active-region'],
    activeSiteParameter: o['active-site-parameter-name'],
    primary: site('primary'),
    dr: site('dr'),
    ...(o['api-client-secret-name'] ? { apiClientSecretName: o['api-client-secret-name'] } : {}),
    ...(o['environment-profile'] ? { profile: o['environment-profile'] } : {}),
    source,
  };
}
