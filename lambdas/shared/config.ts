import type { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import { CONFIG_PARAMETERS, OPTIONAL_CONFIG_PARAMETERS } from './parameter-names';

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

/** Parameters written only in some configurations; absent means the feature is off (the contract's names). */
export const OPTIONAL_PARAMETER_NAMES = OPTIONAL_CONFIG_PARAMETERS;

/** Parameter name (the suffix after `CONFIG_PATH`) for each required config field (the contract's names). */
export const PARAMETER_NAMES: { readonly [K in Exclude<keyof RuntimeConfig, keyof typeof OPTIONAL_PARAMETER_NAMES>]: string } = CONFIG_PARAMETERS;

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

/**
 * Reads every parameter directly under `path` (GetParametersByPath, every page: Powertools' `SSMProvider`) and
 * parses them. Not cached here (`forceFetch`): the caller keeps the parsed configuration for the container's life,
 * and an incomplete one is read again on the next call rather than served from Powertools' cache.
 */
export async function loadRuntimeConfig(provider: Pick<SSMProvider, 'getMultiple'>, configPath: string): Promise<RuntimeConfig> {
  const path = normalizeConfigPath(configPath);
  const values = await provider.getMultiple(path, { decrypt: false, recursive: false, forceFetch: true });
  return parseRuntimeConfig((values ?? {}) as Record<string, string>, path);
}
