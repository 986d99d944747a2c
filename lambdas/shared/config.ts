import { GetParametersByPathCommand, type Parameter, SSMClient } from '@aws-sdk/client-ssm';

/**
 * The runtime configuration of one region, read at cold start from Parameter Store under `CONFIG_PATH`
 * (written by the stack's `RuntimeParameters` in each region). No secrets: credentials come from Secrets
 * Manager.
 */
export interface RuntimeConfig {
  /** `primary` or `dr`: the region's role at deploy time (the database decides who is the writer now). */
  readonly regionRole: 'primary' | 'dr';
  /** The regional cluster's (writer) endpoint: every connection goes here. */
  readonly dbClusterEndpoint: string;
  readonly dbReaderEndpoint: string;
  readonly dbName: string;
  /** Name of the credentials secret; read from this region's Secrets Manager (the DR region has a replica). */
  readonly dbSecretName: string;
  readonly sessionsTable: string;
  /** This region's artifacts bucket (audit objects). */
  readonly artifactsBucket: string;
  readonly globalClusterId: string;
  /**
   * Name of the client-key secret (this region's replica), written only in edge.mode "accelerator": behind the ALB
   * nothing else checks `x-api-key`, so the payment handler does.
   */
  readonly apiKeySecretName?: string;
  /**
   * Name of the synthetic-probe key secret (this region's replica), written only in failover.mode "automatic": the
   * payment handler verifies the controller's `X-Synthetic-Probe` token with it (lambdas/shared/probe.ts).
   */
  readonly probeKeySecretName?: string;
}

/** Parameters written only in some configurations; absent means the feature is off. */
export const OPTIONAL_PARAMETER_NAMES = {
  apiKeySecretName: 'api-key-secret-name',
  probeKeySecretName: 'probe-key-secret-name',
} as const;

/** Parameter name (the suffix after `CONFIG_PATH`) for each config field. */
export const PARAMETER_NAMES: { readonly [K in Exclude<keyof RuntimeConfig, keyof typeof OPTIONAL_PARAMETER_NAMES>]: string } = {
  regionRole: 'region-role',
  dbClusterEndpoint: 'db-cluster-endpoint',
  dbReaderEndpoint: 'db-reader-endpoint',
  dbName: 'db-name',
  dbSecretName: 'db-secret-name',
  sessionsTable: 'sessions-table',
  artifactsBucket: 'artifacts-bucket',
  globalClusterId: 'global-cluster-id',
};

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** `/pay/dev/` and `/pay/dev` are the same path; SSM wants it without the trailing slash. */
export function normalizeConfigPath(path: string | undefined): string {
  if (!path || !path.startsWith('/')) {
    throw new ConfigError(`CONFIG_PATH must be a Parameter Store path such as '/pay/dev/', got '${path ?? ''}'`);
  }
  const trimmed = path.replace(/\/+$/, '');
  if (trimmed === '') throw new ConfigError(`CONFIG_PATH must not be '/', got '${path}'`);
  return trimmed;
}

/** Builds the config from `name -> value` (names relative to the path), reporting every problem at once. */
export function parseRuntimeConfig(values: Readonly<Record<string, string>>, path: string): RuntimeConfig {
  const problems: string[] = [];
  const out: Record<string, string> = {};
  for (const [field, name] of Object.entries(PARAMETER_NAMES)) {
    const value = values[name]?.trim();
    if (!value) problems.push(`'${path}/${name}' is missing or empty`);
    else out[field] = value;
  }
  if (out.regionRole !== undefined && out.regionRole !== 'primary' && out.regionRole !== 'dr') {
    problems.push(`'${path}/${PARAMETER_NAMES.regionRole}' must be 'primary' or 'dr', got '${out.regionRole}'`);
  }
  if (problems.length > 0) {
    throw new ConfigError(`Invalid runtime configuration under '${path}/': ${problems.join('; ')}`);
  }
  for (const [field, name] of Object.entries(OPTIONAL_PARAMETER_NAMES)) {
    const value = values[name]?.trim();
    if (value) out[field] = value;
  }
  return out as unknown as RuntimeConfig;
}

export interface LoadConfigOptions {
  readonly abortSignal?: AbortSignal;
}

/** Reads every parameter directly under `path` (all pages) and parses them. */
export async function loadRuntimeConfig(ssm: SSMClient, configPath: string, options: LoadConfigOptions = {}): Promise<RuntimeConfig> {
  const path = normalizeConfigPath(configPath);
  const values: Record<string, string> = {};
  let nextToken: string | undefined;
  do {
    const page = await ssm.send(
      new GetParametersByPathCommand({ Path: path, Recursive: false, WithDecryption: false, NextToken: nextToken }),
      { abortSignal: options.abortSignal },
    );
    for (const p of page.Parameters ?? ([] as Parameter[])) {
      if (p.Name && p.Value !== undefined) values[p.Name.slice(path.length + 1)] = p.Value;
    }
    nextToken = page.NextToken;
  } while (nextToken);
  return parseRuntimeConfig(values, path);
}
