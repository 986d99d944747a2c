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
  /** The automatic failover controller of each region (`failover.mode: "automatic"` only). */
  public readonly controllers?: Record<RegionRole, FailoverController>;
  /** The armed one per the config: the passive region's (the active region's is inert). */
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
        // Each region's prober may start its own region's controller; it does only while its site is passive.
        ...(automatic ? { stateMachineArn: FailoverController.stateMachineArnFor(ctx), stateMachineKey: props.keys.logs.keys[role] } : {}),
      });
    };
    this.pagers = { primary: pager('primary'), dr: pager('dr') };
    if (automatic) {
      // A controller in EACH region (it fails over to its own region's site), so a role swap changes nothing
      // structural; the active site's is inert (FailoverController). The DR site's keeps the construct id it had
      // when it was the only one: a new id would replace its log groups and their execution history.
      const database = props.database;
      const controllerCode = props.bundles.code('failover-controller');
      const controller = (role: RegionRole) =>
        new FailoverController(this, role === 'dr' ? 'failover-controller' : 'failover-controller-primary', {
          ctx: contexts[role],
          peer: contexts[otherRole(role)],
          code: controllerCode,
          logKey: props.keys.logs.keys[role],
          logRetentionDays: config.logRetentionDays,
          pagerTopic: this.pagers[role].topic,
          globalClusterIdentifier: database.globalClusterIdentifier,
          targetCluster: database.clusters[role],
          targetParameterGroup: database.parameterGroups[role],
          rpoSeconds: config.objectives.rpoSeconds,
          peerPaymentFunction: applications[otherRole(role)].paymentFunction,
          apiDomain: props.edge.domainName,
          apiKeySecretName: contexts[role].naming.name('generic', 'api-client-key'),
          probeKeySecretName: props.edge.probeKeySecretName,
          apiKeySecretKey: props.keys.database.keys[role],
          failureThreshold: config.failover.probeFailureThreshold,
          cooldownSeconds: config.failover.cooldownSeconds,
          promotionBudgetSeconds: config.failover.promotionBudgetSeconds,
        });
      this.controllers = { primary: controller('primary'), dr: controller('dr') };
      this.controller = this.controllers[passive];
    }
  }
}
