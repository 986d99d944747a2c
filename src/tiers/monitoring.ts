import { Construct } from 'constructs';
import { ROUTE53_METRICS_REGION, ROUTE53_METRICS_RULE, route53MetricsSite } from '../aws-regions';
import { Tier } from '../composition';
import { PlatformConfig } from '../config';
import { FailoverDns } from '../constructs/failover-dns';
import { MultiRegionKey } from '../constructs/multi-region-key';
import { DrObservability, DrObservabilityProps } from '../constructs/observability';
import { ReplicatedBucket } from '../constructs/replicated-bucket';
import { RegionContext, RegionRole } from '../region';
import { ApplicationTier } from './application-tier';
import { DataTier } from './data-tier';

export interface MonitoringProps {
  readonly contexts: Record<RegionRole, RegionContext>;
  readonly applications: Record<RegionRole, ApplicationTier>;
  readonly data: DataTier;
  readonly dns: FailoverDns;
  /** Encrypts the alert topics. */
  readonly key: MultiRegionKey;
  readonly activeRole: RegionRole;
  readonly config: Pick<PlatformConfig, 'alerts' | 'objectives'>;
}

/**
 * Alarms, dashboards and alert topics of both sites (DrObservability), and the Secrets Manager events the alerts
 * follow. A tier: the resources keep their stack-level addresses (`observability`).
 */
export class Monitoring extends Tier {
  public readonly observability: DrObservability;
  /** The site in us-east-1 (`route53MetricsSite`): Route 53 publishes health-check metrics only there. */
  public readonly route53MetricsCtx: RegionContext;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { contexts, applications, data, config } = props;
    const { primary: primaryCtx, dr: drCtx } = contexts;
    // The us-east-1 rule has one owner (src/aws-regions.ts); config refuses a region pair without it.
    const metricsSite = route53MetricsSite({ primary: primaryCtx.region, dr: drCtx.region });
    if (metricsSite === undefined) throw new Error(`Monitoring: neither ${primaryCtx.region} nor ${drCtx.region} is ${ROUTE53_METRICS_REGION}; ${ROUTE53_METRICS_RULE}`);
    this.route53MetricsCtx = contexts[metricsSite];
    const watch = (ctx: RegionContext) => ({
      ctx,
      apiName: applications[ctx.role].api.api.name,
      apiStage: applications[ctx.role].api.stageName,
      functionNames: [applications[ctx.role].paymentFunction.functionName, applications[ctx.role].healthFunction.functionName],
      paymentRoutes: applications[ctx.role].api.paymentRoutes,
    });
    const observabilityProps: DrObservabilityProps = {
      primary: watch(primaryCtx),
      dr: watch(drCtx),
      key: props.key,
      emails: config.alerts.emails,
      subscriptions: config.alerts.subscriptions,
      healthChecks: props.dns.healthChecks,
      activeRole: props.activeRole,
      // The database's own (plain strings): the cluster id rule has one owner.
      clusterIdentifiers: data.database.clusterIdentifiers,
      // Alarm at half the objective: time to act before the bound blocks commits on the primary.
      rpoLagThresholdMs: (config.objectives.rpoSeconds * 1000) / 2,
      sessionsTableName: data.sessions.tableName,
      replication: {
        primary: replicationWatch(data.artifacts, 'primary'),
        dr: replicationWatch(data.artifacts, 'dr'),
      },
      backupVaultName: data.backup.vaultNames[props.activeRole],
    };
    this.observability = new DrObservability(this, 'observability', observabilityProps);

    // The DR replica of the database secret must receive every rotated version (replication runs with the
    // rotation role's permissions); Secrets Manager publishes no metric for it, only CloudTrail service events,
    // which EventBridge receives without a trail. Rotation failures are watched the same way.
    this.observability.notifyOnEvents(
      primaryCtx,
      observabilityProps,
      'secret-replication-rotation-failed',
      `Secrets Manager in ${primaryCtx.region}: a secret failed to replicate to ${drCtx.region}, or a rotation failed or was abandoned`,
      {
        source: ['aws.secretsmanager'],
        'detail-type': ['AWS Service Event via CloudTrail'],
        detail: { eventName: ['ReplicationFailed', 'RotationFailed', 'RotationAbandoned'] },
      },
    );
  }
}

/** The metric dimensions of the replication out of one site's bucket. */
function replicationWatch(artifacts: ReplicatedBucket, from: RegionRole) {
  const direction = artifacts.replications[from];
  return { sourceBucket: direction.sourceBucket.bucket, destinationBucket: direction.destinationBucket.bucket, ruleId: direction.ruleId };
}
