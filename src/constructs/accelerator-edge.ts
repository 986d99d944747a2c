import { GlobalacceleratorAccelerator } from '@cdktf/provider-aws/lib/globalaccelerator-accelerator';
import { GlobalacceleratorEndpointGroup } from '@cdktf/provider-aws/lib/globalaccelerator-endpoint-group';
import { GlobalacceleratorListener } from '@cdktf/provider-aws/lib/globalaccelerator-listener';
import { Route53Record } from '@cdktf/provider-aws/lib/route53-record';
import { Construct } from 'constructs';
import { PerRegion, RegionContext, RegionRole } from '../region';
import { RegionalLoadBalancer } from './regional-load-balancer';

/** Weight of each region's single ALB endpoint: any value above 0 works; GA's default is 128. */
export const ENDPOINT_WEIGHT = 128;

export interface AcceleratorSite {
  readonly ctx: RegionContext;
  readonly loadBalancer: RegionalLoadBalancer;
}

export interface AcceleratorEdgeProps {
  /**
   * The provider that manages the accelerator. Global Accelerator is a global service whose API is served from
   * us-west-2 only; the AWS provider sends its calls there whatever the provider's region (provider source,
   * internal/service/globalaccelerator/service_package.go: "Global Accelerator endpoint is only available in AWS
   * Commercial us-west-2 Region").
   */
  readonly ctx: RegionContext;
  readonly primary: AcceleratorSite;
  readonly dr: AcceleratorSite;
  /** The site that takes traffic (config `activeRegion`): its endpoint group's traffic dial is 100, the other's 0. */
  readonly activeRegion: RegionRole;
  readonly hostedZoneId: string;
  /** The API name clients use, e.g. `api.payments.example.com`: becomes an alias of the accelerator. */
  readonly recordName: string;
}

/**
 * A standard Global Accelerator (two static anycast IPv4 addresses) with a TCP 443 listener, client affinity off,
 * and one endpoint group per region holding that region's internal ALB with client IP preservation on.
 *
 * Active-passive with traffic dials: 100 on the active site's endpoint group, 0 on the passive one. GA ignores the
 * dials when the dialed group has no healthy endpoint ("How failover works for unhealthy endpoints": "for this
 * failover, Global Accelerator ignores the traffic dial setting"), and with no healthy endpoint in the three
 * closest groups it fails open to the closest group. Hence both fences of the passive site matter: its ALB is
 * unhealthy while it is passive (the deep /health answers 503, RegionalLoadBalancer), and even when GA fails open
 * to it, the passive site refuses payment writes (read-only database, and the site knows it is passive).
 *
 * Both endpoints keep a weight above 0 so that health-based failover can reach the promoted site when the
 * operator cannot change the dials (the GA API lives in us-west-2, which may be the failed region).
 *
 * IPv4 only: a dual-stack accelerator needs dual-stack endpoints (GA Developer Guide, about-endpoints), and the
 * VPCs and ALBs are IPv4-only.
 */
export class AcceleratorEdge extends Construct {
  public readonly accelerator: GlobalacceleratorAccelerator;
  public readonly listener: GlobalacceleratorListener;
  public readonly endpointGroups: PerRegion<GlobalacceleratorEndpointGroup>;
  public readonly record: Route53Record;
  public readonly trafficDials: PerRegion<number>;

  constructor(scope: Construct, id: string, props: AcceleratorEdgeProps) {
    super(scope, id);
    if (props.activeRegion !== 'primary' && props.activeRegion !== 'dr') {
      throw new Error(`AcceleratorEdge: activeRegion must be "primary" or "dr", got ${JSON.stringify(props.activeRegion)}`);
    }
    const provider = props.ctx.provider;
    const naming = props.ctx.naming;

    this.accelerator = new GlobalacceleratorAccelerator(this, 'accelerator', {
      provider,
      name: naming.name('generic', 'payments'),
      ipAddressType: 'IPV4',
      enabled: true,
    });
    this.listener = new GlobalacceleratorListener(this, 'listener', {
      provider,
      acceleratorArn: this.accelerator.arn,
      // TCP pass-through: TLS ends at the regional ALB with the region's certificate.
      protocol: 'TCP',
      portRange: [{ fromPort: 443, toPort: 443 }],
      // NONE: requests are spread by 5-tuple; there is no session state to keep on one endpoint.
      clientAffinity: 'NONE',
    });

    this.trafficDials = { primary: props.activeRegion === 'primary' ? 100 : 0, dr: props.activeRegion === 'dr' ? 100 : 0 };
    const group = (site: AcceleratorSite) =>
      new GlobalacceleratorEndpointGroup(this, `${site.ctx.role}-group`, {
        provider,
        listenerArn: this.listener.arn,
        endpointGroupRegion: site.ctx.region,
        trafficDialPercentage: this.trafficDials[site.ctx.role],
        // No health_check_* here: for ALB endpoints GA uses the load balancer's own target health ("For Network
        // Load Balancer and Application Load Balancer endpoints, configure health check settings on the ELB console").
        endpointConfiguration: [
          { endpointId: site.loadBalancer.loadBalancer.arn, weight: ENDPOINT_WEIGHT, clientIpPreservationEnabled: true },
        ],
      });
    this.endpointGroups = { primary: group(props.primary), dr: group(props.dr) };

    // The API name is an alias of the accelerator: clients resolve it once and keep the two static IPs; failover
    // then happens behind those IPs, not in DNS caches.
    this.record = new Route53Record(this, 'api-record', {
      provider,
      zoneId: props.hostedZoneId,
      name: props.recordName,
      type: 'A',
      alias: { name: this.accelerator.dnsName, zoneId: this.accelerator.hostedZoneId, evaluateTargetHealth: false },
    });
  }
}
