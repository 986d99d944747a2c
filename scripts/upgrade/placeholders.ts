/**
 * Deterministic, type-correct stand-ins for the values a plan only knows after apply (ids, ARNs, endpoints,
 * generated names), so a simulated state can hold a deployed version.
 *
 * Most values only need the right type: nothing in a plan against the state reads them except the references
 * that copy them (which the simulator resolves to the very same value). A few computed values have meaning that
 * provider logic or validation reads at plan time; those are the `COMPUTED` table below, each with the reason.
 * Everything here is checked by the simulation itself: the version planned against its own simulated state
 * must plan no changes, so a wrong stand-in shows up as a diff, never silently.
 */
import { createHash } from 'node:crypto';
import { ValueType } from './schema';

export interface PlaceholderContext {
  /** Resource instance address, e.g. `aws_vpc.network-primary_vpc_1A2B`. */
  readonly address: string;
  readonly type: string;
  /** Attribute path inside the resource. */
  readonly path: ReadonlyArray<string | number>;
  /** Region of the resource's provider configuration ('' for providers without one). */
  readonly region: string;
  readonly account: string;
  /** The instance's known values (planned `after`), to derive names from. */
  readonly known: Record<string, unknown>;
}

export function hash(...parts: ReadonlyArray<string | number>): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex');
}

const seed = (ctx: PlaceholderContext, salt = '') => hash(ctx.address, ctx.path.join('.'), salt);

/** Services of ARNs whose type prefix does not say it. */
const ARN_SERVICE: ReadonlyArray<[RegExp, string]> = [
  [/^aws_(api_gateway|apigatewayv2)_/, 'apigateway'],
  [/^aws_cloudwatch_log_/, 'logs'],
  [/^aws_cloudwatch_event_/, 'events'],
  [/^aws_cloudwatch_/, 'cloudwatch'],
  [/^aws_(db|rds)_/, 'rds'],
  [/^aws_(vpc|subnet|route|internet_gateway|nat_gateway|eip|security_group|default_|flow_log|network_|ec2_)/, 'ec2'],
  [/^aws_sfn_/, 'states'],
  [/^aws_route53_/, 'route53'],
  [/^aws_acm_/, 'acm'],
];

/** Services whose ARNs carry no region (and, for S3, no account). */
const GLOBAL_SERVICES = new Set(['iam', 'route53', 's3', 'cloudfront', 'waf', 'organizations']);

export function arnService(type: string): string {
  for (const [re, service] of ARN_SERVICE) if (re.test(type)) return service;
  return type.split('_')[1] ?? 'sim';
}

/** A name for the resource from its known values, or a hash. */
function nameOf(ctx: PlaceholderContext): string {
  const k = ctx.known;
  for (const attr of ['name', 'bucket', 'function_name', 'cluster_identifier', 'identifier', 'global_cluster_identifier', 'alarm_name', 'dashboard_name', 'domain_name']) {
    const v = k[attr];
    if (typeof v === 'string' && v !== '') return v;
  }
  return `sim-${seed(ctx, 'name').slice(0, 12)}`;
}

export function arnOf(ctx: PlaceholderContext, resource: string, service = arnService(ctx.type)): string {
  const region = GLOBAL_SERVICES.has(service) ? '' : ctx.region;
  const account = service === 's3' ? '' : ctx.account;
  return `arn:aws:${service}:${region}:${account}:${resource}`;
}

/** The resource part of a resource's own ARN. */
function ownArnResource(ctx: PlaceholderContext): string {
  const t = ctx.type.replace(/^aws_/, '');
  switch (ctx.type) {
    case 'aws_s3_bucket':
      return nameOf(ctx);
    case 'aws_lambda_function':
      return `function:${nameOf(ctx)}`;
    case 'aws_rds_cluster':
      return `cluster:${nameOf(ctx)}`;
    case 'aws_rds_cluster_instance':
      return `db:${nameOf(ctx)}`;
    case 'aws_rds_global_cluster':
      return `global-cluster:${nameOf(ctx)}`;
    case 'aws_rds_cluster_parameter_group':
      return `cluster-pg:${nameOf(ctx)}`;
    case 'aws_db_subnet_group':
      return `subgrp:${nameOf(ctx)}`;
    case 'aws_cloudwatch_log_group':
      return `log-group:${nameOf(ctx)}`;
    case 'aws_sns_topic':
      return nameOf(ctx);
    case 'aws_secretsmanager_secret':
      return `secret:${nameOf(ctx)}-${seed(ctx, 'suffix').slice(0, 6)}`;
    case 'aws_dynamodb_table':
      return `table/${nameOf(ctx)}`;
    case 'aws_kms_key':
    case 'aws_kms_replica_key':
      return `key/${keyId(ctx)}`;
    case 'aws_iam_role':
      return `role/${nameOf(ctx)}`;
    case 'aws_ssm_parameter':
      return `parameter${String(ctx.known.name ?? '/sim').startsWith('/') ? '' : '/'}${ctx.known.name ?? 'sim'}`;
    default:
      return `${t}/${nameOf(ctx)}`;
  }
}

/** A KMS key id: `mrk-…` for multi-Region keys, whose replicas share the primary's id. */
function keyId(ctx: PlaceholderContext): string {
  if (ctx.type === 'aws_kms_replica_key' && typeof ctx.known.primary_key_arn === 'string') {
    return ctx.known.primary_key_arn.split('/').pop()!;
  }
  const h = seed({ ...ctx, path: ['key_id'] });
  return ctx.known.multi_region === true
    ? `mrk-${h.slice(0, 32)}`
    : `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** EC2-style id prefixes of ids and id-valued attributes. */
const ID_PREFIX: Record<string, string> = {
  aws_vpc: 'vpc',
  aws_subnet: 'subnet',
  aws_security_group: 'sg',
  aws_default_security_group: 'sg',
  aws_route_table: 'rtb',
  aws_route_table_association: 'rtbassoc',
  aws_internet_gateway: 'igw',
  aws_nat_gateway: 'nat',
  aws_eip: 'eipalloc',
  aws_vpc_endpoint: 'vpce',
  aws_vpc_peering_connection: 'pcx',
  aws_flow_log: 'fl',
  aws_vpc_security_group_ingress_rule: 'sgr',
  aws_vpc_security_group_egress_rule: 'sgr',
  aws_network_acl: 'acl',
};
const ATTR_PREFIX: Record<string, string> = {
  default_route_table_id: 'rtb',
  main_route_table_id: 'rtb',
  default_security_group_id: 'sg',
  default_network_acl_id: 'acl',
  dhcp_options_id: 'dopt',
  network_interface_id: 'eni',
  allocation_id: 'eipalloc',
  association_id: 'eipassoc',
  prefix_list_id: 'pl',
  security_group_rule_id: 'sgr',
  ipv6_association_id: 'vpc-cidr-assoc',
};

/** Resource types whose id is one of their own (configured or computed) attributes. */
const ID_IS: Record<string, string> = {
  aws_iam_role: 'name',
  aws_cloudwatch_log_group: 'name',
  aws_dynamodb_table: 'name',
  aws_lambda_function: 'function_name',
  aws_s3_bucket: 'bucket',
  aws_ssm_parameter: 'name',
  aws_rds_cluster: 'cluster_identifier',
  aws_rds_cluster_instance: 'identifier',
  aws_rds_global_cluster: 'global_cluster_identifier',
  aws_db_subnet_group: 'name',
  aws_rds_cluster_parameter_group: 'name',
  aws_db_parameter_group: 'name',
  aws_backup_vault: 'name',
  aws_kms_alias: 'name',
  aws_cloudwatch_metric_alarm: 'alarm_name',
  aws_cloudwatch_dashboard: 'dashboard_name',
  aws_api_gateway_domain_name: 'domain_name',
  aws_sns_topic: 'arn',
  aws_sns_topic_subscription: 'arn',
  aws_secretsmanager_secret: 'arn',
  aws_acm_certificate: 'arn',
  aws_kms_key: 'key_id',
  aws_kms_replica_key: 'key_id',
  aws_eip: 'allocation_id',
  aws_vpc_peering_connection_accepter: 'vpc_peering_connection_id',
  aws_secretsmanager_secret_rotation: 'secret_id',
  aws_route53_zone: 'zone_id',
  aws_wafv2_web_acl_association: 'web_acl_arn',
};

/** The value an attribute of `ctx.known` would have (recursing for ids that are other computed attributes). */
function attributeValue(ctx: PlaceholderContext, attr: string): string {
  const v = ctx.known[attr];
  if (typeof v === 'string' && v !== '') return v;
  return stringPlaceholder({ ...ctx, path: [attr] });
}

function stringPlaceholder(ctx: PlaceholderContext): string {
  const attr = String(ctx.path[ctx.path.length - 1] ?? '');
  const top = ctx.path.length === 1;
  const h = seed(ctx);
  if (top && attr === 'id') {
    const same = ID_IS[ctx.type];
    if (same && same !== 'id') return attributeValue(ctx, same);
    const prefix = ID_PREFIX[ctx.type];
    if (prefix) return `${prefix}-${h.slice(0, 17)}`;
    if (ctx.type === 'aws_secretsmanager_secret_version') return `${String(ctx.known.secret_id ?? 'sim')}|${attributeValue(ctx, 'version_id')}`;
    if (ctx.type.startsWith('aws_api_gateway_')) return h.slice(0, 10);
    if (ctx.type === 'terraform_data' || ctx.type === 'aws_route53_health_check' || ctx.type.startsWith('aws_backup_')) {
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
    }
    return `sim-${h.slice(0, 16)}`;
  }
  if (top && attr === 'arn') return arnOf(ctx, ownArnResource(ctx));
  if (top && attr === 'key_id' && ctx.type.startsWith('aws_kms_')) return keyId(ctx);
  if (top && attr === 'zone_id' && ctx.type === 'aws_route53_zone') return `Z${h.slice(0, 20).toUpperCase()}`;
  if (/(^|_)arn$/.test(attr)) return arnOf(ctx, `${attr.replace(/_?arn$/, '') || 'resource'}/sim-${h.slice(0, 12)}`);
  if (ATTR_PREFIX[attr]) return `${ATTR_PREFIX[attr]}-${h.slice(0, 17)}`;
  if (attr === 'owner_id' || attr === 'owner' || attr === 'peer_owner_id') return ctx.account;
  if (attr === 'hosted_zone_id' || attr === 'regional_zone_id' || attr === 'cloudfront_zone_id') return `Z${h.slice(0, 13).toUpperCase()}`;
  if (/(^|_)(endpoint|dns_name|domain_name|fqdn|hostname)$/.test(attr)) return `sim-${h.slice(0, 12)}.${ctx.region || 'global'}.sim.amazonaws.com`;
  if (/(^|_)url$/.test(attr)) return `https://sim-${h.slice(0, 12)}.${ctx.region || 'global'}.sim.amazonaws.com/`;
  if (/(_date|_time|^not_after|^not_before|^last_modified|_at)$/.test(attr)) return '2026-01-01T00:00:00Z';
  if (attr === 'region') return ctx.region;
  return `sim-${h.slice(0, 16)}`;
}

/**
 * Computed attributes whose value has meaning at plan time, per resource type. Each entry returns the value a
 * deployment would have, derived from the instance's known values.
 */
const COMPUTED: Record<string, Record<string, (ctx: PlaceholderContext) => unknown>> = {
  aws_acm_certificate: {
    // One validation record per name; resources read `tolist(…)[0].resource_record_name`. Its domain names must be
    // the certificate's own, or the set differs from what the provider derives from domain_name at plan time.
    domain_validation_options: (ctx) => {
      const names = [ctx.known.domain_name, ...((ctx.known.subject_alternative_names as string[] | null) ?? [])].filter(
        (n, i, all): n is string => typeof n === 'string' && all.indexOf(n) === i,
      );
      return names.map((d) => {
        const h = hash(d).slice(0, 32);
        return {
          domain_name: d,
          resource_record_name: `_${h}.${d}.`,
          resource_record_type: 'CNAME',
          resource_record_value: `_${hash(d, 'value').slice(0, 32)}.sim.acm-validations.aws.`,
        };
      });
    },
  },
  aws_lambda_function: {
    qualified_arn: (ctx) => `${attributeValue(ctx, 'arn')}:$LATEST`,
    invoke_arn: (ctx) => `arn:aws:apigateway:${ctx.region}:lambda:path/2015-03-31/functions/${attributeValue(ctx, 'arn')}/invocations`,
    qualified_invoke_arn: (ctx) =>
      `arn:aws:apigateway:${ctx.region}:lambda:path/2015-03-31/functions/${attributeValue(ctx, 'arn')}:$LATEST/invocations`,
    version: () => '$LATEST',
  },
  aws_api_gateway_rest_api: {
    execution_arn: (ctx) => `arn:aws:execute-api:${ctx.region}:${ctx.account}:${attributeValue(ctx, 'id')}`,
    arn: (ctx) => `arn:aws:apigateway:${ctx.region}::/restapis/${attributeValue(ctx, 'id')}`,
  },
  aws_kms_replica_key: {
    key_id: (ctx) => keyId(ctx),
  },
  aws_route53_zone: {
    // A public zone's four delegation name servers (outputs hand them to the parent zone's owner).
    name_servers: (ctx) => [0, 1, 2, 3].map((i) => `ns-${parseInt(hash(ctx.address, String(i)).slice(0, 3), 16)}.awsdns-${i}${i}.sim.`),
  },
  aws_route53_record: {
    // The record's name as stored: the provider lowercases it and drops the trailing dot (ACM's names have one).
    fqdn: (ctx) => normalizeRecordName(String(ctx.known.name ?? '')),
  },
  aws_sns_topic: {
    // AWS returns it for FIFO topics only; the provider rejects a value on a standard topic at plan time.
    fifo_throughput_scope: (ctx) => (ctx.known.fifo_topic === true ? 'Topic' : null),
  },
  // The harness's stand-in for random_*: its output is its input once applied.
  terraform_data: {
    output: (ctx) => ctx.known.input ?? null,
  },
};

export function normalizeRecordName(name: string): string {
  return name.replace(/\.$/, '').toLowerCase();
}

/**
 * Provider normalizations of configured values (a `StateFunc`): the value a state holds for a configured one.
 * Applied to values the simulator evaluates from the configuration; terraform normalizes known ones itself.
 */
const NORMALIZED: Record<string, Record<string, (v: unknown) => unknown>> = {
  aws_route53_record: { name: (v) => (typeof v === 'string' ? normalizeRecordName(v) : v) },
};

export function normalizeConfigured(type: string, attr: string, v: unknown): unknown {
  const f = NORMALIZED[type]?.[attr];
  return f ? f(v) : v;
}

/**
 * Values a plan from no state knows, but the provider's Read after the create writes differently: the state holds
 * what Read wrote. Without these the first plan against the simulated state plans an update of each, and the
 * simulation needs a second pass (a whole plan) to fold it back; with them it converges in one.
 */
const AS_READ: Record<string, Record<string, (v: unknown) => unknown>> = {
  aws_fis_experiment_template: {
    // flattenExperimentTemplateTargets sets `parameters` from the API's map on every read, so a target without
    // parameters holds {} where the create plan says null (provider 5.100.0, internal/service/fis/experiment_template.go).
    target: (v) => (Array.isArray(v) ? v.map((t) => (t && typeof t === 'object' && (t as Record<string, unknown>).parameters === null ? { ...t, parameters: {} } : t)) : v),
  },
};

/** The value of a created instance's top-level attribute as the provider's Read leaves it (see `AS_READ`). */
export function asRead(type: string, attr: string, v: unknown): unknown {
  const f = AS_READ[type]?.[attr];
  return f ? f(v) : v;
}

/** The per-type rule for a computed top-level attribute, when there is one (see `COMPUTED`). */
export function computedRule(type: string, attr: string): ((ctx: PlaceholderContext) => unknown) | undefined {
  return COMPUTED[type]?.[attr];
}

/** The stand-in for an unknown value of type `t` at `ctx.path`. */
export function placeholderFor(t: ValueType | undefined, ctx: PlaceholderContext): unknown {
  if (ctx.path.length === 1) {
    const special = COMPUTED[ctx.type]?.[String(ctx.path[0])];
    if (special) return special(ctx);
  }
  switch (t?.kind) {
    case 'string':
      return stringPlaceholder(ctx);
    case 'number':
      return 0;
    case 'bool':
      return false;
    case 'list':
    case 'set':
    case 'tuple':
      return [];
    case 'map':
      return {};
    case 'object':
      return Object.fromEntries(Object.keys(t.attrs).map((k) => [k, null]));
    default:
      return null;
  }
}
