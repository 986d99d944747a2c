import { PlatformConfig } from './config';
import { DrReport, assertObjectives } from './dr-objectives';
import { acceleratorFailoverBound } from './edge-objectives';
import { eventPathSection } from './event-path-report';
import { RegionRole, otherRole } from './region';

/**
 * The DR report of a configuration: its objectives checked against the design it configures. Pure (no construct,
 * no cdktf): main.ts checks it before the app exists, DrStack keeps it, tests read it.
 */

/**
 * The payment function's database connection timeout (lambdas/payment-processor/index.ts: `connectionTimeoutMillis`),
 * a term of the RTO: the first connection to the new writer.
 */
export const PAYMENT_DB_CONNECT_TIMEOUT_MS = 2000;

/** The DR objectives of `config` checked against the design it configures; throws a DrObjectiveError. */
export function drReportFor(config: PlatformConfig): DrReport {
  const site = (role: RegionRole) => ({ site: role, region: config.regions[role].region });
  const report = assertObjectives(config.objectives, {
    mode: config.failover.mode,
    regions: { primary: config.regions.primary.region, dr: config.regions.dr.region },
    healthCheckIntervalSeconds: config.dns.healthCheckIntervalSeconds,
    healthCheckFailureThreshold: config.dns.healthCheckFailureThreshold,
    // The failover records are non-alias CNAMEs with this TTL (issue 13, FailoverDns).
    dnsTtlSeconds: config.dns.recordTtlSeconds,
    auroraGlobalDbRpoSeconds: config.objectives.rpoSeconds,
    probeIntervalSeconds: config.failover.probeIntervalSeconds,
    probeTimeoutSeconds: config.failover.probeTimeoutSeconds,
    probeFailureThreshold: config.failover.probeFailureThreshold,
    promotionBudgetSeconds: config.failover.promotionBudgetSeconds,
    // Only API Gateway invokes the provisioned alias; the accelerator edge's ALB targets the function itself, so in
    // that mode the report keeps counting a cold start.
    paymentProvisionedConcurrency: config.edge.mode === 'accelerator' ? 0 : config.api.paymentProvisionedConcurrency,
    paymentDbConnectTimeoutMs: PAYMENT_DB_CONNECT_TIMEOUT_MS,
    manualAcknowledgeSeconds: config.failover.manualAcknowledgeSeconds,
    manualSecondPersonSeconds: config.failover.manualSecondPersonSeconds,
    active: site(config.activeRegion),
    passive: site(otherRole(config.activeRegion)),
    // Accelerator mode: the edge term from Global Accelerator's behaviour instead of the DNS one.
    ...(config.edge.mode === 'accelerator' ? { edgeFailover: acceleratorFailoverBound(config.edge.healthCheck) } : {}),
  });
  return {
    ...report,
    eventPath: eventPathSection({
      healthCheckIntervalSeconds: config.dns.healthCheckIntervalSeconds,
      healthCheckFailureThreshold: config.dns.healthCheckFailureThreshold,
      auroraGlobalDbRpoSeconds: config.objectives.rpoSeconds,
      sweepIntervalMinutes: config.events.sweepIntervalMinutes,
      archiveRetentionDays: config.events.archiveRetentionDays,
      queueRetentionSeconds: config.events.queueRetentionSeconds,
    }),
  };
}
