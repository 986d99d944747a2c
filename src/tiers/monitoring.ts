import { Construct } from 'constructs';
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
  /** The site in us-east-1: Route 53 publishes health-check metrics only there, and their alarms and topic live there. */
  public readonly route53MetricsCtx: RegionContext;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { contexts, applications, data, config } = props;
    const { primary: primaryCtx, dr: drCtx } = contexts;
    const usEast1 = [primaryCtx, drCtx].find((c) => c.region === 'us-east-1');
    if (!usEast1) {
      throw new Error(
        'regions: one of the two regions must be us-east-1: Route 53 publishes health-check metrics only there, and their alarms and topic must live there',
      );
    }
    this.route53MetricsCtx = usEast1;
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
      route53MetricsCtx: usEast1,
      key: props.key,
      emails: config.alerts.emails,
      subscriptions: config.alerts.subscriptions,
      healthChecks: props.dns.healthChecks,
      activeRole: props.activeRole,
      clusterIdentifiers: { primary: primaryCtx.naming.name('rds', 'aurora', primaryCtx.region), dr: drCtx.naming.name('rds', 'aurora', drCtx.region) },
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
