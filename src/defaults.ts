/**
 * Defaults and limits stated by both a construct and the configuration, written once: a construct's documented
 * default is the value a config file without the key gets, and both validate against the same limit. Here, not
 * in the construct, because configuration imports no construct (the eslint wall in eslint.config.mjs).
 */

/**
 * aurora-postgresql 16.6: major 16 supports Aurora global databases and Serverless v2 (`db.serverless`, up to
 * 256 ACUs) in us-east-1 and us-west-2 (Aurora User Guide: "Supported Regions and DB engines for Aurora global
 * databases" and "... for Aurora Serverless v2"). Both regions must run the same version: switchover and
 * failover need matching engine versions.
 */
export const AURORA_DEFAULTS = {
  engineVersion: '16.6',
  /** Serverless v2 ACUs per instance. */
  minCapacity: 0.5,
  maxCapacity: 8,
  drInstanceCount: 1,
  backupRetentionDays: 7,
  slowQueryMs: 500,
} as const;

/** Aurora PostgreSQL majors from 13 support both global databases and Serverless v2. */
export const AURORA_MIN_MAJOR_VERSION = 13;
/** Serverless v2 capacity limits for a global database (its writers never auto-pause, so not 0). */
export const AURORA_MIN_ACU = 0.5;
export const AURORA_MAX_ACU = 256;

/** The major version of an aurora-postgresql version like "16.6", or undefined when it is not one. */
export function auroraMajorVersion(version: string): number | undefined {
  const match = /^([1-9]\d*)\.\d+$/.exec(version);
  return match ? Number(match[1]) : undefined;
}

/** API Gateway stage throttling and the WAF rate-based rule of each region's API. */
export const API_DEFAULTS = {
  /** Steady-state requests per second per region (stage and usage plan). */
  throttleRateLimit: 100,
  throttleBurstLimit: 200,
  /** Requests per 5 minutes per client IP. */
  wafRateLimit: 2000,
} as const;

/** The WAF minimum of a rate-based rule's limit (requests per 5 minutes). */
export const WAF_MIN_RATE_LIMIT = 10;
