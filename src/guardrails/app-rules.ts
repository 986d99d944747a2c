import { POWERTOOLS_LAYER } from '../powertools-layer';
import { blocks, isBlank, isTrue } from './inventory';
import { Finding, Rule } from './model';

export const lambdaTracing: Rule = {
  id: 'LAMBDA-TRACING',
  title: 'Every Lambda function has X-Ray active tracing',
  rationale: 'A payment can be followed across API Gateway, Lambda and the data stores in both regions, which also shows where a failover breaks.',
  resourceTypes: ['aws_lambda_function'],
  check: (ctx) =>
    ctx.inventory
      .ofType('aws_lambda_function')
      .filter((f) => !blocks(f.body.tracing_config).some((t) => t.mode === 'Active'))
      .map((f): Finding => ({ resource: f, problem: `tracing_config.mode is ${JSON.stringify(blocks(f.body.tracing_config)[0]?.mode)}`, fix: 'set tracing_config { mode = "Active" }' })),
};

export const lambdaConcurrency: Rule = {
  id: 'LAMBDA-CONCURRENCY',
  title: 'Every Lambda function has reserved concurrency',
  rationale: 'A flood of requests cannot exhaust the account\'s concurrency or the database\'s connection budget.',
  resourceTypes: ['aws_lambda_function'],
  check: (ctx) =>
    ctx.inventory
      .ofType('aws_lambda_function')
      .filter((f) => {
        const n = f.body.reserved_concurrent_executions;
        return n === undefined || n === null || Number(n) < 0;
      })
      .map((f): Finding => ({
        resource: f,
        problem: `reserved_concurrent_executions is ${JSON.stringify(f.body.reserved_concurrent_executions)} (unreserved)`,
        fix: 'set reserved_concurrent_executions to the most concurrent executions the function and its database may see',
      })),
};

/** Why a layer ARN is not allowed on a function in `region`, or undefined when it is. */
function layerProblem(arn: unknown, region: string | undefined): string | undefined {
  if (typeof arn !== 'string') return `layer ${JSON.stringify(arn)} is not an ARN`;
  // A layer version this stack publishes: its code is ours and reviewed like the functions'.
  if (/^\$\{aws_lambda_layer_version\.[^.}]+\.arn\}$/.test(arn)) return undefined;
  const { publisherAccount, layerName, layerVersion } = POWERTOOLS_LAYER;
  const m = /^arn:aws:lambda:([a-z0-9-]+):(\d{12}):layer:([A-Za-z0-9_-]+):(\d+)$/.exec(arn);
  if (!m || m[2] !== publisherAccount || m[3] !== layerName) return `layer ${arn} is neither published by this stack nor the Powertools layer`;
  if (Number(m[4]) !== layerVersion) return `layer ${arn} is Powertools layer version ${m[4]}, not ${layerVersion} (the Powertools ${POWERTOOLS_LAYER.packageVersion} the tests run)`;
  // Fail closed: a provider region that is not a literal cannot be checked against the layer's.
  if (!region) return `layer ${arn}: the function's region is not known at synth, so the layer's region cannot be checked`;
  if (m[1] !== region) return `layer ${arn} is in ${m[1]}, the function in ${region}`;
  return undefined;
}

export const lambdaLayers: Rule = {
  id: 'LAMBDA-LAYERS',
  title: 'Lambda layers come only from this stack or the pinned Powertools layer of the function\'s region',
  rationale:
    'A layer is code that runs with the function\'s permissions and sees every payment it handles: only layer versions this stack publishes, or the AWS-published Powertools layer at the exact version the handlers were tested with (layer versions are immutable).',
  resourceTypes: ['aws_lambda_function'],
  check: (ctx) =>
    ctx.inventory.ofType('aws_lambda_function').flatMap((f) => {
      const layers: unknown[] = Array.isArray(f.body.layers) ? f.body.layers : f.body.layers === undefined ? [] : [f.body.layers];
      return layers
        .map((arn) => layerProblem(arn, ctx.inventory.regionOf(f)))
        .filter((problem): problem is string => problem !== undefined)
        .map((problem): Finding => ({
          resource: f,
          problem,
          fix: 'replace it with powertoolsLayerArn(region) (src/powertools-layer.ts) or an aws_lambda_layer_version of this stack',
        }));
    }),
};

/** Variable names that say they hold a secret. */
export const SECRET_NAME = /(passw(or)?d|passwd|pwd|secret|token|api[_-]?key|private[_-]?key|access[_-]?key|credential|signing[_-]?key)/i;
/** Names that hold where a secret is, not the secret: `DB_SECRET_ARN`, `API_KEY_PARAMETER_NAME`, ... */
export const SECRET_LOCATOR_SUFFIX = /(_|^)(ARN|NAME|ID|PATH|PARAM|PARAMETER|PARAMETER_NAME|SECRET_ID|REGION|TTL)$/i;
/** Values that are secrets whatever the name: cloud keys, private keys, tokens, credentials in URLs. */
export const SECRET_VALUE: ReadonlyArray<readonly [RegExp, string]> = [
  [/\b(AKIA|ASIA)[0-9A-Z]{16}\b/, 'an AWS access key id'],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, 'a private key'],
  [/\bgh[pousr]_[A-Za-z0-9]{30,}/, 'a GitHub token'],
  [/\bxox[abprs]-[A-Za-z0-9-]{10,}/, 'a Slack token'],
  [/\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\./, 'a JWT'],
  [/[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i, 'a URL with a password'],
];
/** References to attributes that are secrets: the plaintext would be stored in the function's configuration. */
export const SECRET_REFERENCE =
  /\b(random_password\.[^.}\s]+\.(result|bcrypt_hash)|aws_secretsmanager_secret_version\.[^.}\s]+\.secret_(string|binary)|aws_iam_access_key\.[^.}\s]+\.(secret|ses_smtp_password_v4)|aws_api_gateway_api_key\.[^.}\s]+\.value|aws_rds_cluster\.[^.}\s]+\.master_password|aws_db_instance\.[^.}\s]+\.password|tls_private_key\.[^.}\s]+\.private_key_\w+|aws_ssm_parameter\.[^.}\s]+\.(value|insecure_value))\b/;

/** Why an environment variable looks like a plaintext secret, or undefined. */
export function secretLike(name: string, value: unknown): string | undefined {
  const text = typeof value === 'string' ? value : JSON.stringify(value ?? '');
  const ref = SECRET_REFERENCE.exec(text);
  if (ref) return `its value is ${ref[1]}, a secret`;
  const pattern = SECRET_VALUE.find(([re]) => re.test(text));
  if (pattern) return `its value looks like ${pattern[1]}`;
  if (SECRET_NAME.test(name) && !SECRET_LOCATOR_SUFFIX.test(name)) return 'its name says it holds a secret';
  return undefined;
}

export const lambdaEnvironmentSecrets: Rule = {
  id: 'LAMBDA-ENV-SECRETS',
  title: 'No plaintext secret in Lambda environment variables',
  rationale: 'Environment variables are readable by anyone with lambda:GetFunctionConfiguration and are stored in the Terraform state; secrets are read from Secrets Manager at run time.',
  resourceTypes: ['aws_lambda_function'],
  check: (ctx) =>
    ctx.inventory.ofType('aws_lambda_function').flatMap((f) =>
      blocks(f.body.environment).flatMap((env) =>
        Object.entries((env.variables ?? {}) as Record<string, unknown>)
          .map(([name, value]) => ({ name, why: secretLike(name, value) }))
          .filter((v): v is { name: string; why: string } => v.why !== undefined)
          .map(({ name, why }): Finding => ({
            resource: f,
            problem: `environment variable ${name}: ${why}`,
            fix: 'pass the secret\'s name or ARN instead (e.g. DB_SECRET_ARN) and read it from Secrets Manager at run time',
          })),
      ),
    ),
};

export const apiStageAccessLogs: Rule = {
  id: 'API-STAGE-ACCESS-LOGS',
  title: 'Every API stage writes access logs',
  rationale: 'Who called what, when and with which result is recorded for every request (PCI DSS logging), per region.',
  resourceTypes: ['aws_api_gateway_stage', 'aws_apigatewayv2_stage'],
  check: (ctx) =>
    ctx.inventory.ofType('aws_api_gateway_stage', 'aws_apigatewayv2_stage').flatMap((stage): Finding[] => {
      const settings = blocks(stage.body.access_log_settings)[0];
      const missing = [!settings || isBlank(settings.destination_arn) ? 'destination_arn' : undefined, !settings || isBlank(settings.format) ? 'format' : undefined].filter(Boolean);
      return missing.length === 0
        ? []
        : [{ resource: stage, problem: `access_log_settings has no ${missing.join(' or ')}`, fix: 'set access_log_settings { destination_arn = <an encrypted log group of this stack>, format = <JSON with $context.requestId> }' }];
    }),
};

export const apiStageTracing: Rule = {
  id: 'API-STAGE-TRACING',
  title: 'Every REST API stage has X-Ray tracing',
  rationale: 'Traces start at the edge of the platform, so a slow or failing region is visible end to end.',
  resourceTypes: ['aws_api_gateway_stage'],
  check: (ctx) =>
    ctx.inventory
      .ofType('aws_api_gateway_stage')
      .filter((s) => !isTrue(s.body.xray_tracing_enabled))
      .map((s): Finding => ({ resource: s, problem: `xray_tracing_enabled is ${JSON.stringify(s.body.xray_tracing_enabled)}`, fix: 'set xray_tracing_enabled = true' })),
};

/** Retention (days) required in prod: PCI DSS v4.0 requirement 10.5.1 keeps audit log history for at least 12 months. */
export const PROD_MIN_LOG_RETENTION_DAYS = 365;

export const logRetention: Rule = {
  id: 'LOG-RETENTION',
  title: `Every log group has a retention period (at least ${PROD_MIN_LOG_RETENTION_DAYS} days in prod)`,
  rationale: 'Logs neither disappear before an investigation nor accumulate forever; prod keeps a year of audit history.',
  resourceTypes: ['aws_cloudwatch_log_group'],
  check: (ctx) =>
    ctx.inventory.ofType('aws_cloudwatch_log_group').flatMap((g): Finding[] => {
      const days = g.body.retention_in_days;
      if (days === undefined || days === null || Number(days) === 0) {
        return [{ resource: g, problem: `retention_in_days is ${JSON.stringify(days ?? null)} (logs never expire)`, fix: 'set retention_in_days (config logRetentionDays)' }];
      }
      if (ctx.options.profile === 'prod' && Number(days) < PROD_MIN_LOG_RETENTION_DAYS) {
        return [{ resource: g, problem: `retention_in_days is ${days} in prod`, fix: `set retention_in_days to at least ${PROD_MIN_LOG_RETENTION_DAYS} in prod` }];
      }
      return [];
    }),
};
