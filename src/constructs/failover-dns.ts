import { ApiGatewayDomainName } from '@cdktf/provider-aws/lib/api-gateway-domain-name';
import { Route53HealthCheck } from '@cdktf/provider-aws/lib/route53-health-check';
import { Route53Record } from '@cdktf/provider-aws/lib/route53-record';
import { Construct } from 'constructs';
import { RegionContext, RegionRole, otherRole } from '../region';

export interface FailoverTarget {
  readonly ctx: RegionContext;
  /** The site's regional custom domain: the CNAME target is its `regionalDomainName`. */
  readonly domain: ApiGatewayDomainName;
  /** Host of the site's own API endpoint, e.g. `<api id>.execute-api.<region>.amazonaws.com`. */
  readonly healthCheckHost: string;
  /** Path of the deep health check on that host, e.g. `/v1/health`. */
  readonly healthCheckPath: string;
  /** Path of the site's "I am designated active" endpoint, e.g. `/v1/health/active`. */
  readonly activeClaimPath: string;
}

export interface FailoverDnsProps {
  /** Route 53 is global; its resources are managed through this region's provider. */
  readonly ctx: RegionContext;
  readonly hostedZoneId: string;
  /** Fully qualified failover name, e.g. `api.payments.example.com`. */
  readonly recordName: string;
  readonly primary: FailoverTarget;
  readonly dr: FailoverTarget;
  /** The active site (`config.activeRegion`): the PRIMARY record serves it. */
  readonly active: RegionRole;
  /** TTL of both failover records (10-300 s). @default 30 */
  readonly recordTtlSeconds?: number;
  /** Seconds between checks: 10 or 30 (immutable once created). @default 10 */
  readonly healthCheckIntervalSeconds?: 10 | 30;
  /** Consecutive failures before a site counts as unhealthy (1-10). @default 3 */
  readonly failureThreshold?: number;
}

/**
 * Failover DNS for the API name, derived from the active site:
 *
 * - per site, an HTTPS check on its deep `/health` (healthy only when the site's own designation names it and
 *   its database is writable) and an **inverted** HTTPS check on its `/health/active` ("I am designated
 *   active"), healthy while the site does *not* claim active, or cannot be reached;
 * - a CALCULATED check = AND(active site's `/health`, inverted claim of the passive site) on the PRIMARY record,
 *   which serves the active site; the SECONDARY record serves the passive site with its own `/health`.
 *
 * So the old region never takes traffic back by itself: after a failover the DR CLI designates the surviving
 * site in its own region, the passive site's claim turns the PRIMARY record's check unhealthy, and it stays
 * unhealthy even if the old site's own check passes again (Aurora's fencing of the old writer is best effort).
 * Nothing here calls the old region. Failback is a CLI operation that moves the designation back.
 *
 * Both records are non-alias CNAMEs to the sites' API Gateway regional domain names, so their TTL is ours
 * (an alias record answers with the target's TTL). Records are keyed by failover type, not by site, so a change
 * of `active` updates the two records' values in place (never two PRIMARY records at once).
 *
 * Upgrading from the former alias A records: a CNAME cannot coexist with any other record at its name, and the
 * provider turns a type change into an in-place DELETE+CREATE of one record (route53 record.go,
 * resourceRecordUpdate), which Route 53 would refuse while the other A record exists. So the CNAMEs are new
 * resources (`active-record`, `passive-record`; the old `primary-record`/`dr-record` are destroyed), the site
 * checks gain a `reference_name` (ForceNew: replaced once), and both records depend on both site checks: the
 * old A records, which depend on the old checks, are destroyed before the checks are replaced, and the CNAMEs are
 * created after the new checks (order verified with Terraform 1.11). The name has no record for the seconds in
 * between: deploy the upgrade in a quiet window.
 */
export class FailoverDns extends Construct {
  /** Each site's deep `/health` check. */
  public readonly healthChecks: Record<RegionRole, Route53HealthCheck>;
  /** Each site's inverted `/health/active` check: unhealthy while that site claims to be active. */
  public readonly claimChecks: Record<RegionRole, Route53HealthCheck>;
  /** Each site's plain `/health/active` check: healthy while that site claims to be active. */
  public readonly claimsActiveChecks: Record<RegionRole, Route53HealthCheck>;
  /** AND(active site's health, NOT passive site's claim): the PRIMARY record's check. */
  public readonly activeCheck: Route53HealthCheck;
  /** OR(passive site's health, passive site claims active): the SECONDARY record's check. */
  public readonly standbyCheck: Route53HealthCheck;
  /** PRIMARY (the active site) and SECONDARY (the passive site). */
  public readonly records: { readonly primary: Route53Record; readonly secondary: Route53Record };
  public readonly recordName: string;
  public readonly recordTtlSeconds: number;
  public readonly healthCheckIntervalSeconds: 10 | 30;
  public readonly failureThreshold: number;
  public readonly active: RegionRole;

  constructor(scope: Construct, id: string, props: FailoverDnsProps) {
    super(scope, id);
    const interval = props.healthCheckIntervalSeconds ?? 10;
    const threshold = props.failureThreshold ?? 3;
    const ttl = props.recordTtlSeconds ?? 30;
    if (interval !== 10 && interval !== 30) {
      throw new Error(`FailoverDns: healthCheckIntervalSeconds must be 10 or 30 (Route 53), got ${interval}`);
    }
    if (!Number.isInteger(threshold) || threshold < 1 || threshold > 10) {
      throw new Error(`FailoverDns: failureThreshold must be a whole number from 1 to 10 (Route 53), got ${threshold}`);
    }
    if (!Number.isInteger(ttl) || ttl < 10 || ttl > 300) {
      throw new Error(`FailoverDns: recordTtlSeconds must be a whole number of seconds from 10 to 300, got ${ttl}`);
    }
    if (props.active !== 'primary' && props.active !== 'dr') {
      throw new Error(`FailoverDns: active must be 'primary' or 'dr', got '${String(props.active)}'`);
    }
    this.healthCheckIntervalSeconds = interval;
    this.failureThreshold = threshold;
    this.recordTtlSeconds = ttl;
    this.recordName = props.recordName;
    this.active = props.active;
    const provider = props.ctx.provider;
    const targets: Record<RegionRole, FailoverTarget> = { primary: props.primary, dr: props.dr };

    const https = (target: FailoverTarget, path: string) => ({
      provider,
      type: 'HTTPS',
      fqdn: target.healthCheckHost,
      port: 443,
      resourcePath: path,
      enableSni: true,
      requestInterval: interval,
      failureThreshold: threshold,
    });
    const check = (target: FailoverTarget) =>
      new Route53HealthCheck(this, `${target.ctx.role}-health`, {
        ...https(target, target.healthCheckPath),
        // Part of the caller reference (at most 16 characters); ForceNew, see the class comment.
        referenceName: `${target.ctx.role}-health`,
        measureLatency: true,
        tags: { Name: target.ctx.naming.name('generic', 'api-health', target.ctx.region), Region: target.ctx.region },
      });
    this.healthChecks = { primary: check(props.primary), dr: check(props.dr) };

    const claim = (target: FailoverTarget) =>
      new Route53HealthCheck(this, `${target.ctx.role}-active-claim`, {
        ...https(target, target.activeClaimPath),
        // Healthy while the site does not claim to be active (503, or unreachable); unhealthy once it does.
        invertHealthcheck: true,
        referenceName: `${target.ctx.role}-claim`,
        tags: { Name: target.ctx.naming.name('generic', 'api-not-claiming', target.ctx.region), Region: target.ctx.region },
      });
    this.claimChecks = { primary: claim(props.primary), dr: claim(props.dr) };
    const claimsActive = (target: FailoverTarget) =>
      new Route53HealthCheck(this, `${target.ctx.role}-claims-active`, {
        ...https(target, target.activeClaimPath),
        // Healthy while the site claims to be active (its designation names it).
        referenceName: `${target.ctx.role}-claims`,
        tags: { Name: target.ctx.naming.name('generic', 'api-claims-active', target.ctx.region), Region: target.ctx.region },
      });
    this.claimsActiveChecks = { primary: claimsActive(props.primary), dr: claimsActive(props.dr) };

    const active = props.active;
    const passive = otherRole(active);
    this.activeCheck = new Route53HealthCheck(this, 'active-site', {
      provider,
      type: 'CALCULATED',
      childHealthchecks: [this.healthChecks[active].id, this.claimChecks[passive].id],
      // Both children must be healthy: an AND.
      childHealthThreshold: 2,
      referenceName: 'active-site',
      tags: { Name: props.ctx.naming.name('generic', 'api-active-site'), ActiveSite: `${active} (${targets[active].ctx.region})` },
    });

    // After a failover and before `activeRegion` is committed, the promoted site is SECONDARY. Route 53 answers
    // PRIMARY (the old site) whenever SECONDARY is unhealthy, whatever PRIMARY's health (Route 53 developer guide,
    // failover routing), so a brief 503 from the new site's deep /health would hand DNS back to the old region. Its
    // claim keeps SECONDARY healthy: OR(passive /health, passive claims active). Before any failover the passive
    // site neither passes /health nor claims, so SECONDARY stays unhealthy as before.
    this.standbyCheck = new Route53HealthCheck(this, 'standby-site', {
      provider,
      type: 'CALCULATED',
      childHealthchecks: [this.healthChecks[passive].id, this.claimsActiveChecks[passive].id],
      // Either child healthy: an OR.
      childHealthThreshold: 1,
      referenceName: 'standby-site',
      tags: { Name: props.ctx.naming.name('generic', 'api-standby-site'), StandbySite: `${passive} (${targets[passive].ctx.region})` },
    });

    const record = (
      id: string,
      type: 'PRIMARY' | 'SECONDARY',
      setIdentifier: string,
      target: FailoverTarget,
      healthCheck: Route53HealthCheck,
    ) =>
      new Route53Record(this, id, {
        provider,
        zoneId: props.hostedZoneId,
        name: props.recordName,
        type: 'CNAME',
        ttl,
        records: [target.domain.regionalDomainName],
        setIdentifier,
        failoverRoutingPolicy: { type },
        healthCheckId: healthCheck.id,
        // After both site checks: orders the upgrade from alias A records (see the class comment).
        dependsOn: [this.healthChecks.primary, this.healthChecks.dr],
      });
    const primaryRecord = record('active-record', 'PRIMARY', 'active-site', targets[active], this.activeCheck);
    const secondaryRecord = record('passive-record', 'SECONDARY', 'passive-site', targets[passive], this.standbyCheck);
    this.records = { primary: primaryRecord, secondary: secondaryRecord };
  }
}
