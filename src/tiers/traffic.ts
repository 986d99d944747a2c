import { Construct } from 'constructs';
import { Tier } from '../composition';
import { PlatformConfig } from '../config';
import { AcceleratorEdge } from '../constructs/accelerator-edge';
import { FailoverDns } from '../constructs/failover-dns';
import { RegionalLoadBalancer } from '../constructs/regional-load-balancer';
import { RegionRole } from '../region';
import { ApiEdge } from './api-edge';
import { ApplicationTier } from './application-tier';
import { Site } from './site';

/** The static-IP edge (config `edge.mode: "accelerator"`). */
export interface StaticIpEdge {
  readonly loadBalancers: Record<RegionRole, RegionalLoadBalancer>;
  readonly accelerator: AcceleratorEdge;
}

export interface TrafficProps {
  readonly sites: Record<RegionRole, Site>;
  readonly applications: Record<RegionRole, ApplicationTier>;
  readonly edge: ApiEdge;
  readonly activeRole: RegionRole;
  readonly config: Pick<PlatformConfig, 'dns' | 'edge' | 'api' | 'logRetentionDays' | 'protection'>;
}

/**
 * How clients reach the active site: the Route 53 failover records and their health checks, and in accelerator mode
 * Global Accelerator in front of an internal ALB per site. A tier: the resources keep their stack-level addresses
 * (`dns`, `alb-<role>`, `accelerator`).
 */
export class Traffic extends Tier {
  public readonly dns: FailoverDns;
  /** Accelerator mode only. */
  public readonly accelerator?: StaticIpEdge;
  /**
   * The name of the failover records. In accelerator mode the API name belongs to the accelerator; the failover
   * records (and their health checks, which the alarms, `npm run dr -- status` and drills read) stay under a name of
   * their own.
   */
  public readonly failoverRecordName: string;

  constructor(scope: Construct, id: string, props: TrafficProps) {
    super(scope, id);
    const { sites, applications, edge, config } = props;
    const accelerator = config.edge.mode === 'accelerator';
    const target = (r: Site) => {
      const api = applications[r.ctx.role].api;
      return {
        ctx: r.ctx,
        domain: api.domain,
        healthCheckHost: api.executeApiHost,
        healthCheckPath: `/${api.stageName}/health`,
        activeClaimPath: `/${api.stageName}/health/active`,
      };
    };
    this.failoverRecordName = accelerator ? `${config.dns.apiRecordName}-failover.${config.dns.zoneName}` : edge.domainName;
    this.dns = new FailoverDns(this, 'dns', {
      ctx: sites.primary.ctx,
      hostedZoneId: edge.hostedZoneId,
      recordName: this.failoverRecordName,
      primary: target(sites.primary),
      dr: target(sites.dr),
      active: props.activeRole,
      recordTtlSeconds: config.dns.recordTtlSeconds,
      healthCheckIntervalSeconds: config.dns.healthCheckIntervalSeconds,
      failureThreshold: config.dns.healthCheckFailureThreshold,
    });

    if (accelerator) {
      const loadBalancer = (r: Site) =>
        new RegionalLoadBalancer(this, `alb-${r.ctx.role}`, {
          ctx: r.ctx,
          vpc: r.network.vpc,
          subnets: r.network.privateSubnets,
          paymentFunction: applications[r.ctx.role].paymentFunction,
          healthFunction: applications[r.ctx.role].healthFunction,
          certificate: applications[r.ctx.role].api.certificateValidation,
          healthCheck: config.edge.healthCheck,
          wafRateLimit: config.api.wafRateLimit,
          logRetentionDays: config.logRetentionDays,
          deletionProtection: config.protection.deletionProtection,
          forceDestroyLogs: config.protection.forceDestroyBuckets,
        });
      const loadBalancers = { primary: loadBalancer(sites.primary), dr: loadBalancer(sites.dr) };
      this.accelerator = {
        loadBalancers,
        accelerator: new AcceleratorEdge(this, 'accelerator', {
          ctx: sites.primary.ctx,
          primary: { ctx: sites.primary.ctx, loadBalancer: loadBalancers.primary },
          dr: { ctx: sites.dr.ctx, loadBalancer: loadBalancers.dr },
          activeRegion: props.activeRole,
          hostedZoneId: edge.hostedZoneId,
          recordName: edge.domainName,
        }),
      };
    }
  }
}
