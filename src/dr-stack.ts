import { Construct } from 'constructs';
import { ComposedStack } from './composition';
import { PlatformConfig } from './config';
import { ActiveSiteDesignation } from './constructs/active-site-designation';
import { CredentialRotation } from './constructs/credential-rotation';
import { CrossRegionPeering } from './constructs/cross-region-peering';
import { DrReport } from './dr-objectives';
import { drReportFor } from './dr-report';
import { applyGuardrails } from './guardrails';
import { RegionRole } from './region';
import { ApiEdge } from './tiers/api-edge';
import { ApplicationTier } from './tiers/application-tier';
import { DataTier } from './tiers/data-tier';
import { DomainKeys } from './tiers/domain-keys';
import { Drills } from './tiers/drills';
import { foundation } from './tiers/foundation';
import { LambdaBundles } from './tiers/lambda-bundles';
import { Monitoring } from './tiers/monitoring';
import { Paging } from './tiers/paging';
import { PaymentEventsAccess } from './tiers/payment-events-access';
import { PaymentEventsWiring } from './tiers/payment-events-wiring';
import { Site } from './tiers/site';
import { writeStackOutputs } from './tiers/stack-outputs';
import { Traffic } from './tiers/traffic';

export interface DrStackProps {
  readonly config: PlatformConfig;
}

/**
 * The one stack: two aliased AWS providers (primary and DR region), S3 state with native locking, and the
 * composition of the tiers (src/tiers/), each built for a site and its role. Tiers are address-transparent
 * (src/composition.ts): every resource keeps the Terraform address it had when this constructor built it inline.
 * The public fields are the parts tests and the outputs read; each is documented where it is built.
 */
export class DrStack extends ComposedStack {
  public readonly config: PlatformConfig;
  /** The site that is active (`config.activeRegion`). */
  public readonly activeRole: RegionRole;
  public readonly drReport: DrReport;
  public readonly keys: DomainKeys;
  public readonly primary: Site;
  public readonly dr: Site;
  public readonly peering: CrossRegionPeering;
  public readonly designation: ActiveSiteDesignation;
  public readonly data: DataTier;
  public readonly apiEdge: ApiEdge;
  /** The application tier of each site. */
  public readonly runtime: Readonly<Record<RegionRole, ApplicationTier>>;
  public readonly rotation: CredentialRotation;
  public readonly traffic: Traffic;
  public readonly monitoring: Monitoring;
  public readonly paging: Paging;
  public readonly events: PaymentEventsWiring;
  public readonly drills: Drills;

  // The parts tests and the outputs read, by their names before the tiers.
  get logsKey() { return this.keys.logs; }
  get databaseKey() { return this.keys.database; }
  get storageKey() { return this.keys.storage; }
  get eventsKey() { return this.keys.events; }
  get database() { return this.data.database; }
  get sessions() { return this.data.sessions; }
  get artifacts() { return this.data.artifacts; }
  get backup() { return this.data.backup; }
  get hostedZoneId() { return this.apiEdge.hostedZoneId; }
  get createdZone() { return this.apiEdge.createdZone; }
  get apiDomainName() { return this.apiEdge.domainName; }
  get apiClientSecret() { return this.apiEdge.clientSecret; }
  get rotationFunction() { return this.rotation.function; }
  get rotationSecurityGroup() { return this.rotation.securityGroup; }
  get dns() { return this.traffic.dns; }
  get edge() { return this.traffic.accelerator; }
  get observability() { return this.monitoring.observability; }
  get healthStatus() { return this.paging.healthStatus; }
  get pagers() { return this.paging.pagers; }
  get controllers() { return this.paging.controllers; }
  get controller() { return this.paging.controller; }
  get paymentEvents() { return this.events.paymentEvents; }
  get outboxSweep() { return this.events.outboxSweep; }
  get faultInjection() { return this.drills.faultInjection; }
  get drillRtoGuard() { return this.drills.rtoGuard; }

  constructor(scope: Construct, id: string, props: DrStackProps) {
    super(scope, id);
    const config = (this.config = props.config);
    const active = (this.activeRole = config.activeRegion);
    // Objectives first: a design that cannot meet them fails before any resource exists.
    this.drReport = drReportFor(config);
    const contexts = foundation(this, config);
    const keys = (this.keys = new DomainKeys(this, 'keys', { ...contexts, deletionWindowInDays: config.protection.kmsDeletionWindowDays, automaticFailover: config.failover.mode === 'automatic' }));
    const site = (role: RegionRole) => new Site(this, `site-${role}`, { ctx: contexts[role], config, logKey: keys.logs.keys[role] });
    const sites = { primary: (this.primary = site('primary')), dr: (this.dr = site('dr')) };
    this.peering = new CrossRegionPeering(this, 'peering', { requester: this.primary, accepter: this.dr });
    const designation = (this.designation = new ActiveSiteDesignation(this, 'active-site', { ...contexts, active }));
    const data = (this.data = new DataTier(this, 'data', { ...sites, keys, activeRole: active, config }));
    const edge = (this.apiEdge = new ApiEdge(this, 'api-edge', { ...contexts, key: keys.database, config }));

    const bundles = new LambdaBundles(this, 'bundles');
    const publishing = new PaymentEventsAccess(contexts.primary, contexts.dr);
    const application = (role: RegionRole) =>
      new ApplicationTier(this, `application-${role}`, { site: sites[role], data, keys, designation, edge, events: publishing, bundles, config });
    const applications = (this.runtime = { primary: application('primary'), dr: application('dr') });
    this.rotation = data.database.credentials.addRotation(this, 'credential-rotation', {
      ...sites,
      primaryVpcCidr: config.regions.primary.vpcCidr,
      database: data.database,
      code: bundles.code('secret-rotation'),
      logKey: keys.logs.keys.primary,
      logRetentionDays: config.logRetentionDays,
      rotationIntervalDays: config.database.rotationDays,
      peeringRoutes: [...this.peering.requesterRoutes, ...this.peering.accepterRoutes],
    });

    const dns = (this.traffic = new Traffic(this, 'traffic', { sites, applications, edge, activeRole: active, config })).dns;
    const monitoring = (this.monitoring = new Monitoring(this, 'monitoring', { contexts, applications, data, dns, key: keys.logs, activeRole: active, config }));
    const alertTopics = monitoring.observability.topics;
    this.paging = new Paging(this, 'paging', { contexts, applications, edge, dns, database: data.database, designation, keys, bundles, activeRole: active, config });
    this.events = new PaymentEventsWiring(this, 'payment-events-wiring', { sites, applications, data, dns, designation, access: publishing, keys, bundles, alertTopics, config });
    this.drills = new Drills(this, 'drills', { sites, dns, route53MetricsCtx: monitoring.route53MetricsCtx, alertTopics, logsKey: keys.logs, config });

    writeStackOutputs(this, this);
    // Last, so it sees every resource: synth fails on any violation of the security baseline (docs/security.md).
    applyGuardrails(this, { profile: config.profile });
  }
}
