import { Construct } from 'constructs';
import { Tier } from '../composition';
import { PlatformConfig } from '../config';
import { ActiveSiteDesignation } from '../constructs/active-site-designation';
import { AuroraGlobalDatabase } from '../constructs/aurora-global-database';
import { FailoverController } from '../constructs/failover-controller';
import { FailoverDns } from '../constructs/failover-dns';
import { MultiRegionKey } from '../constructs/multi-region-key';
import { HealthStatusRecords, RegionalPager } from '../constructs/regional-pager';
import { RegionContext, RegionRole, otherRole } from '../region';
import { ApiEdge } from './api-edge';
import { ApplicationTier } from './application-tier';
import { LambdaBundles } from './lambda-bundles';

export interface PagingProps {
  readonly contexts: Record<RegionRole, RegionContext>;
  readonly applications: Record<RegionRole, ApplicationTier>;
  readonly edge: ApiEdge;
  readonly dns: FailoverDns;
  readonly database: AuroraGlobalDatabase;
  readonly designation: ActiveSiteDesignation;
  readonly keys: { readonly logs: MultiRegionKey; readonly database: MultiRegionKey };
  readonly bundles: LambdaBundles;
  readonly activeRole: RegionRole;
  readonly config: Pick<PlatformConfig, 'dns' | 'alerts' | 'logRetentionDays' | 'failover' | 'objectives'>;
}

/**
 * Paging from the surviving region, and the optional automatic failover: Route 53's view of each site as DNS records,
 * a pager per site (a prober watching the other site, its alarms and topic), and with `failover.mode: "automatic"`
 * the controller in the passive region. A tier: the resources keep their stack-level addresses.
 */
export class Paging extends Tier {
  /** Route 53's view of each site, readable through DNS from any region (the prober's second opinion). */
  public readonly healthStatus: HealthStatusRecords;
  /** A pager per region: the prober watching the other region, its alarms and the pager topic. */
  public readonly pagers: Record<RegionRole, RegionalPager>;
  /** The automatic failover controller in the passive region (`failover.mode: "automatic"` only). */
  public readonly controller?: FailoverController;

  constructor(scope: Construct, id: string, props: PagingProps) {
    super(scope, id);
    const { contexts, applications, config, activeRole: active } = props;
    const passive: RegionRole = otherRole(active);
    this.healthStatus = new HealthStatusRecords(this, 'health-status', {
      ctx: contexts.primary,
      hostedZoneId: props.edge.hostedZoneId,
      zoneName: config.dns.zoneName,
      healthChecks: props.dns.healthChecks,
    });
    const automatic = config.failover.mode === 'automatic';
    const healthUrl = (role: RegionRole) => `https://${applications[role].api.executeApiHost}/${applications[role].api.stageName}/health`;
    const proberCode = props.bundles.code('prober');
    const pager = (role: RegionRole) => {
      const ctx = contexts[role];
      const peerRole: RegionRole = role === 'primary' ? 'dr' : 'primary';
      return new RegionalPager(this, `pager-${role}`, {
        ctx,
        peer: contexts[peerRole],
        key: props.keys.logs.keys[role],
        emails: config.alerts.emails,
        subscriptions: config.alerts.subscriptions,
        logRetentionDays: config.logRetentionDays,
        proberCode,
        peerHealthUrl: healthUrl(peerRole),
        ownHealthUrl: healthUrl(role),
        peerStatusRecord: this.healthStatus.names[peerRole],
        designationArn: props.designation.arns[role],
        probeIntervalSeconds: config.failover.probeIntervalSeconds,
        probeTimeoutSeconds: config.failover.probeTimeoutSeconds,
        failureThreshold: config.failover.probeFailureThreshold,
        // Only the passive site's prober may start the controller (it lives in the passive region).
        ...(automatic && role === passive ? { stateMachineArn: FailoverController.stateMachineArnFor(ctx) } : {}),
      });
    };
    this.pagers = { primary: pager('primary'), dr: pager('dr') };
    if (automatic) {
      const ctx = contexts[passive];
      const database = props.database;
      this.controller = new FailoverController(this, 'failover-controller', {
        ctx,
        peer: contexts[active],
        code: props.bundles.code('failover-controller'),
        logKey: props.keys.logs.keys[passive],
        logRetentionDays: config.logRetentionDays,
        pagerTopic: this.pagers[passive].topic,
        globalClusterIdentifier: database.globalClusterIdentifier,
        targetCluster: database.clusters[passive],
        targetParameterGroup: database.parameterGroups[passive],
        rpoSeconds: config.objectives.rpoSeconds,
        peerPaymentFunction: applications[active].paymentFunction,
        apiDomain: props.edge.domainName,
        apiKeySecretName: ctx.naming.name('generic', 'api-client-key'),
        apiKeySecretKey: props.keys.database.keys[passive],
        failureThreshold: config.failover.probeFailureThreshold,
        cooldownSeconds: config.failover.cooldownSeconds,
        promotionBudgetSeconds: config.failover.promotionBudgetSeconds,
      });
    }
  }
}
