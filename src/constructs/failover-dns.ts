import { ApiGatewayDomainName } from '@cdktf/provider-aws/lib/api-gateway-domain-name';
import { Route53HealthCheck } from '@cdktf/provider-aws/lib/route53-health-check';
import { Route53Record } from '@cdktf/provider-aws/lib/route53-record';
import { Construct } from 'constructs';
import { PerRegion, RegionContext, RegionRole, otherRole } from '../region';

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
 *   its database is writable), an **inverted** HTTPS check on its `/health/active` ("I am designated active"),
 *   healthy while the site does *not* claim active or cannot be reached, and a plain one, healthy while it claims;
 * - per site, whatever `active` is, two CALCULATED checks: `serves-<site>` = AND(its `/health`, NOT the other site
 *   claims active) and `standby-<site>` = OR(its `/health`, it claims active);
 * - the PRIMARY record = the active site's endpoint checked by its `serves` check; the SECONDARY record = the
 *   passive site's endpoint checked by its `standby` check. A record's check is always about the site it names.
 *
 * So the old region never takes traffic back by itself: after a failover the DR CLI designates the surviving
 * site in its own region, its claim turns the PRIMARY record's check (the old site's `serves`) unhealthy, and it
 * stays unhealthy even if the old site's own check passes again (Aurora's fencing of the old writer is best
 * effort); the SECONDARY record (the survivor's `standby`) stays healthy through a blip of the survivor's
 * `/health`, because the survivor claims. Nothing here calls the old region. Failback is a CLI operation that
 * moves the designation back.
 *
 * A change of `active` (the config commit after a swap) edits **no** health check: each record changes its value
 * and its `health_check_id` together, in one ChangeResourceRecordSets UPSERT (the provider's update when type and
 * set identifier are unchanged), and the checks it switches to have been evaluated all along (Route 53 counts a
 * new check healthy until it has data: Route 53 developer guide, health-checks-creating). Were a shared check's
 * children edited instead, Terraform would edit them before the record that references the check, and until the
 * record's own change is in sync the PRIMARY record would name the old site checked by the new site's health: DNS
 * would answer the old, refusing, site. The SECONDARY record moves after the PRIMARY one (see the records below).
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
  public readonly healthChecks: PerRegion<Route53HealthCheck>;
  /** Each site's inverted `/health/active` check: unhealthy while that site claims to be active. */
  public readonly claimChecks: PerRegion<Route53HealthCheck>;
  /** Each site's plain `/health/active` check: healthy while that site claims to be active. */
  public readonly claimsActiveChecks: PerRegion<Route53HealthCheck>;
  /** Per site, AND(its `/health`, NOT the other site claims active): exists in both roles. */
  public readonly servesChecks: PerRegion<Route53HealthCheck>;
  /** Per site, OR(its `/health`, it claims active): exists in both roles. */
  public readonly standbyChecks: PerRegion<Route53HealthCheck>;
  /** The active site's `serves` check: the PRIMARY record's check (and the payment-events endpoint's). */
  public readonly activeCheck: Route53HealthCheck;
  /** The passive site's `standby` check: the SECONDARY record's check. */
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
    const targets: PerRegion<FailoverTarget> = { primary: props.primary, dr: props.dr };

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

    // The calculated checks are per SITE and never depend on `active`: a change of `active` edits no check, it only
    // moves each record to the other site's endpoint AND that site's check in one UPSERT (see the class comment).
    const serves = (target: FailoverTarget) =>
      new Route53HealthCheck(this, `serves-${target.ctx.role}`, {
        provider,
        type: 'CALCULATED',
        // AND(the site's /health, NOT the other site claims active): both children must be healthy.
        childHealthchecks: [this.healthChecks[target.ctx.role].id, this.claimChecks[otherRole(target.ctx.role)].id],
        childHealthThreshold: 2,
        referenceName: `serves-${target.ctx.role}`,
        tags: { Name: target.ctx.naming.name('generic', 'api-serves', target.ctx.region), Region: target.ctx.region },
      });
    this.servesChecks = { primary: serves(props.primary), dr: serves(props.dr) };
    const standby = (target: FailoverTarget) =>
      new Route53HealthCheck(this, `standby-${target.ctx.role}`, {
        provider,
        type: 'CALCULATED',
        // OR(the site's /health, the site claims active): either child healthy.
        childHealthchecks: [this.healthChecks[target.ctx.role].id, this.claimsActiveChecks[target.ctx.role].id],
        childHealthThreshold: 1,
        referenceName: `standby-${target.ctx.role}`,
        tags: { Name: target.ctx.naming.name('generic', 'api-standby', target.ctx.region), Region: target.ctx.region },
      });
    this.standbyChecks = { primary: standby(props.primary), dr: standby(props.dr) };

    const active = props.active;
    const passive = otherRole(active);
    this.activeCheck = this.servesChecks[active];
    this.standbyCheck = this.standbyChecks[passive];

    const record = (
      id: string,
      type: 'PRIMARY' | 'SECONDARY',
      setIdentifier: string,
      target: FailoverTarget,
      healthCheck: Route53HealthCheck,
      after: Route53Record[],
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
        dependsOn: [this.healthChecks.primary, this.healthChecks.dr, ...after],
      });
    const primaryRecord = record('active-record', 'PRIMARY', 'active-site', targets[active], this.activeCheck, []);
    // The SECONDARY record moves only after the PRIMARY one, in both directions of a swap. Moved first, SECONDARY
    // would name the old site checked by its standby check (unhealthy: the old site neither passes /health nor
    // claims) while PRIMARY still names the old site checked by its serves check (unhealthy: the new site claims),
    // and with both unhealthy Route 53 answers PRIMARY (API reference, ResourceRecordSet Failover): the old site.
    // Moved first, PRIMARY names the new site with its serves check (healthy) while SECONDARY still names the new
    // site too. The provider returns from each record change only once it is INSYNC (route53 record.go:
    // resourceRecordCreate, waitChangeInsync), so the SECONDARY change starts after the PRIMARY one is served.
    const secondaryRecord = record('passive-record', 'SECONDARY', 'passive-site', targets[passive], this.standbyCheck, [primaryRecord]);
    this.records = { primary: primaryRecord, secondary: secondaryRecord };
  }
}
