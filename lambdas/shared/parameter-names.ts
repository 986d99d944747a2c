/**
 * The Parameter Store names contract between the stack (which writes the parameters) and the Lambdas (which read
 * them): the one place a name is spelled. Both sides import it: the Lambdas through `lambdas/shared/`, the stack
 * and the constructs that create the parameters directly (the one import of `lambdas/` the construct wall allows,
 * eslint.config.mjs). It therefore imports nothing and holds data and string functions only.
 * `__tests__/parameter-contract.test.ts` checks the synthesized stacks against it.
 *
 * Two paths per region, the same names in both regions (each function reads only its own region's copy):
 * - the runtime configuration `/<prefix>/<suffix>/<name>` (`CONFIG_PATH`), written from the stack at deploy and
 *   read by the API Lambdas at cold start with one GetParametersByPath;
 * - the control parameters `/<prefix>/<suffix>-control/<name>` (`CONTROL_PATH`), set live by the DR CLI, the
 *   prober and the failover controller. Outside the configuration path on purpose: the cold-start read of the
 *   configuration never caches the designation.
 */

/** The runtime configuration path of an environment, with its trailing slash: `/pay/dev/`. */
export function configPath(naming: { readonly prefix: string; readonly suffix: string }): string {
  return `/${naming.prefix}/${naming.suffix}/`;
}

/** The control path of an environment, without a trailing slash: `/pay/dev-control`. */
export function controlPath(naming: { readonly prefix: string; readonly suffix: string }): string {
  return `/${naming.prefix}/${naming.suffix}-control`;
}

/** Required runtime configuration: field of `RuntimeConfig` -> parameter name under the configuration path. */
export const CONFIG_PARAMETERS = {
  /** `primary` | `dr`: the region's role at deploy time. */
  regionRole: 'region-role',
  dbClusterEndpoint: 'db-cluster-endpoint',
  dbReaderEndpoint: 'db-reader-endpoint',
  dbName: 'db-name',
  dbSecretName: 'db-secret-name',
  sessionsTable: 'sessions-table',
  artifactsBucket: 'artifacts-bucket',
  globalClusterId: 'global-cluster-id',
} as const;

/** Runtime configuration written only in some configurations; absent means the feature is off. */
export const OPTIONAL_CONFIG_PARAMETERS = {
  /** The client-key secret's name, written only in `edge.mode: "accelerator"` (the ALB checks no key). */
  apiKeySecretName: 'api-key-secret-name',
  /** The synthetic-probe key secret's name, written only in `failover.mode: "automatic"` (lambdas/shared/probe.ts). */
  probeKeySecretName: 'probe-key-secret-name',
} as const;

/**
 * The payment events global endpoint's URL, under the configuration path but read on its own (GetParameter,
 * `PAYMENT_EVENTS_ENDPOINT_PARAMETER`): the endpoint may be re-created without redeploying the functions.
 */
export const PAYMENT_EVENTS_ENDPOINT_PARAMETER = 'payment-events-endpoint-url';

/** Parameter names under the control path. */
export const CONTROL_PARAMETERS = {
  /** `primary` | `dr`: the active site (the passive site's second fence). */
  activeSite: 'active-site',
  /** `enabled` | `disabled`: the automatic failover kill switch (one per region: each region has a controller). */
  autoFailover: 'auto-failover',
  /** JSON lock or `none`: a DR operation or deploy in progress. */
  operationInProgress: 'operation-in-progress',
  /** JSON run record of the last automatic failover. */
  lastRun: 'auto-failover-last-run',
  /** JSON streak of the prober's failed probes of the other site. */
  proberState: 'prober-state',
} as const;

export type ConfigField = keyof typeof CONFIG_PARAMETERS | keyof typeof OPTIONAL_CONFIG_PARAMETERS;
export type ControlParameter = keyof typeof CONTROL_PARAMETERS;

/**
 * The runtime configuration as Parameter Store values (name -> value), from the values by field: the stack
 * writes by field, so a field it forgets is a type error, not a missing parameter at cold start.
 */
export function configParameterValues(
  values: { readonly [K in keyof typeof CONFIG_PARAMETERS]: string } & { readonly [K in keyof typeof OPTIONAL_CONFIG_PARAMETERS]?: string },
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [field, name] of Object.entries({ ...CONFIG_PARAMETERS, ...OPTIONAL_CONFIG_PARAMETERS })) {
    const value = (values as Record<string, string | undefined>)[field];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** The full names of the control parameters under `path` (e.g. `/pay/dev-control`, trailing slash optional). */
export function controlParameters(path: string): { readonly [K in ControlParameter]: string } {
  const base = path.replace(/\/+$/, '');
  return Object.fromEntries(Object.entries(CONTROL_PARAMETERS).map(([key, name]) => [key, `${base}/${name}`])) as { [K in ControlParameter]: string };
}

/**
 * The control parameters each function reads, by its `POWERTOOLS_SERVICE_NAME` (through `CONTROL_PATH`). The
 * contract test checks that every one exists in the function's region.
 */
export const CONTROL_PARAMETERS_READ: Readonly<Record<string, readonly ControlParameter[]>> = {
  prober: ['activeSite', 'proberState'],
  'failover-controller': ['activeSite', 'autoFailover', 'operationInProgress', 'lastRun'],
};
