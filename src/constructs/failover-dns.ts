import { ApiGatewayDomainName } from '@cdktf/provider-aws/lib/api-gateway-domain-name';
import { Route53HealthCheck } from '@cdktf/provider-aws/lib/route53-health-check';
import { Route53Record } from '@cdktf/provider-aws/lib/route53-record';
import { Construct } from 'constructs';
import { RegionContext, RegionRole } from '../region';

export interface FailoverTarget {
  readonly ctx: RegionContext;
  /** The region's regional custom domain (alias target). */
  readonly domain: ApiGatewayDomainName;
  /** Host of the region's own API endpoint, e.g. `<api id>.execute-api.<region>.amazonaws.com`. */
  readonly healthCheckHost: string;
  /** Path of the deep health check on that host, e.g. `/v1/health`. */
  readonly healthCheckPath: string;
}

export interface FailoverDnsProps {
  /** Route 53 is global; its resources are managed through this region's provider. */
  readonly ctx: RegionContext;
  readonly hostedZoneId: string;
  /** Fully qualified failover name, e.g. `api.payments.example.com`. */
  readonly recordName: string;
  readonly primary: FailoverTarget;
  readonly dr: FailoverTarget;
  /** Seconds between checks: 10 or 30 (immutable once created). @default 10 */
  readonly healthCheckInterval?: 10 | 30;
  /** Consecutive failures before a region counts as unhealthy (1-10). @default 3 */
  readonly failureThreshold?: number;
}

/**
 * Failover DNS: an HTTPS health check on each region's deep `/health`, and failover alias records for the API
 * name: PRIMARY to the primary region's custom domain, SECONDARY to the DR region's.
 *
 * `evaluate_target_health` on an API Gateway alias reflects only the API Gateway service in that region, not
 * our database or Lambdas, so each record also carries its region's own deep health check (API Gateway
 * developer guide, dns-failover). The DR check reports unhealthy until the DR database is promoted; with both
 * regions unhealthy Route 53 keeps answering PRIMARY, so DNS moves only once DR can take payments.
 */
export class FailoverDns extends Construct {
  public readonly healthChecks: Record<RegionRole, Route53HealthCheck>;
  public readonly records: Record<RegionRole, Route53Record>;
  public readonly recordName: string;
  public readonly healthCheckInterval: 10 | 30;
  public readonly failureThreshold: number;

  constructor(scope: Construct, id: string, props: FailoverDnsProps) {
    super(scope, id);
    const interval = props.healthCheckInterval ?? 10;
    const threshold = props.failureThreshold ?? 3;
    if (interval !== 10 && interval !== 30) {
      throw new Error(`FailoverDns: healthCheckInterval must be 10 or 30 seconds (Route 53), got ${interval}`);
    }
    if (!Number.isInteger(threshold) || threshold < 1 || threshold > 10) {
      throw new Error(`FailoverDns: failureThreshold must be a whole number from 1 to 10 (Route 53), got ${threshold}`);
    }
    this.healthCheckInterval = interval;
    this.failureThreshold = threshold;
    this.recordName = props.recordName;
    const provider = props.ctx.provider;

    const check = (target: FailoverTarget) =>
      new Route53HealthCheck(this, `${target.ctx.role}-health`, {
        provider,
        type: 'HTTPS',
        fqdn: target.healthCheckHost,
        port: 443,
        resourcePath: target.healthCheckPath,
        enableSni: true,
        requestInterval: interval,
        failureThreshold: threshold,
        measureLatency: true,
        tags: { Name: target.ctx.naming.name('generic', 'api-health', target.ctx.region), Region: target.ctx.region },
      });
    this.healthChecks = { primary: check(props.primary), dr: check(props.dr) };

    const record = (target: FailoverTarget, type: 'PRIMARY' | 'SECONDARY') =>
      new Route53Record(this, `${target.ctx.role}-record`, {
        provider,
        zoneId: props.hostedZoneId,
        name: props.recordName,
        type: 'A',
        setIdentifier: `${target.ctx.role}-${target.ctx.region}`,
        failoverRoutingPolicy: { type },
        healthCheckId: this.healthChecks[target.ctx.role].id,
        alias: {
          name: target.domain.regionalDomainName,
          zoneId: target.domain.regionalZoneId,
          evaluateTargetHealth: true,
        },
      });
    this.records = { primary: record(props.primary, 'PRIMARY'), dr: record(props.dr, 'SECONDARY') };
  }
}
