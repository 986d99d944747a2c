import { Route53Zone } from '@cdktf/provider-aws/lib/route53-zone';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { TerraformOutput, TerraformStack } from 'cdktf';
import { PlatformConfig } from '../config';
import { StackOutputName } from '../contracts/stack-outputs';
import { ActiveSiteDesignation } from '../constructs/active-site-designation';
import { AuroraGlobalDatabase } from '../constructs/aurora-global-database';
import { CrossRegionPeering } from '../constructs/cross-region-peering';
import { FailoverController } from '../constructs/failover-controller';
import { FailoverDns } from '../constructs/failover-dns';
import { FaultInjection } from '../constructs/fault-injection';
import { PaymentEvents } from '../constructs/payment-events';
import { RegionalFunction } from '../constructs/regional-function';
import { RegionalPager, controlPath } from '../constructs/regional-pager';
import { ReplicatedBucket } from '../constructs/replicated-bucket';
import { SessionTable } from '../constructs/session-table';
import { RegionRole, otherRole } from '../region';
import { ApplicationTier } from './application-tier';
import { Site } from './site';
import { StaticIpEdge } from './traffic';

/** What the outputs are read from: the composed stack's parts (DrStack passes itself). */
export interface StackOutputSources {
  readonly config: PlatformConfig;
  readonly activeRole: RegionRole;
  readonly primary: Site;
  readonly dr: Site;
  readonly database: AuroraGlobalDatabase;
  readonly sessions: SessionTable;
  readonly artifacts: ReplicatedBucket;
  readonly peering: CrossRegionPeering;
  readonly runtime: Readonly<Record<RegionRole, ApplicationTier>>;
  readonly dns: FailoverDns;
  readonly apiDomainName: string;
  readonly hostedZoneId: string;
  readonly createdZone?: Route53Zone;
  readonly apiClientSecret: SecretsmanagerSecret;
  readonly designation: ActiveSiteDesignation;
  readonly rotationFunction: RegionalFunction;
  readonly pagers: Readonly<Record<RegionRole, RegionalPager>>;
  readonly controllers?: Readonly<Record<RegionRole, FailoverController>>;
  readonly controller?: FailoverController;
  readonly paymentEvents: PaymentEvents;
  readonly outboxSweep: Readonly<Record<RegionRole, RegionalFunction>>;
  readonly faultInjection: Readonly<Record<RegionRole, FaultInjection>>;
  readonly edge?: StaticIpEdge;
}

/**
 * Writes the outputs the DR CLI reads (`npm run dr`), named by the contract (src/contracts/stack-outputs.ts). Directly
 * in the stack, not in a tier: besides the address, cdktf nests each output under its construct path in the `//`
 * outputs map, which `cdktf output --outputs-file` follows; directly in the stack the outputs file stays flat.
 */
export function writeStackOutputs(stack: TerraformStack, s: StackOutputSources): void {
  const { config } = s;
  const active = s.activeRole;
  const passive = otherRole(active);
  const sites = [s.primary, s.dr];
  const output = (name: StackOutputName, value: string, description: string) => new TerraformOutput(stack, name, { value, description });
  output('primary-region', s.primary.ctx.region, 'Primary region');
  output('dr-region', s.dr.ctx.region, 'DR region');
  output('global-cluster-id', s.database.globalClusterIdentifier, 'Aurora global cluster identifier');
  output('primary-cluster-arn', s.database.primaryCluster.arn, 'Aurora cluster in the primary region');
  output('dr-cluster-arn', s.database.secondaryCluster.arn, 'Aurora cluster in the DR region');
  output('primary-cluster-id', s.database.primaryCluster.clusterIdentifier, 'Aurora cluster identifier (primary region)');
  output('dr-cluster-id', s.database.secondaryCluster.clusterIdentifier, 'Aurora cluster identifier (DR region)');
  output('primary-health-check-id', s.dns.healthChecks.primary.id, 'Route 53 health check of the primary region');
  output('dr-health-check-id', s.dns.healthChecks.dr.id, 'Route 53 health check of the DR region');
  output('api-domain-name', s.apiDomainName, 'Failover DNS name of the payments API');
  output('hosted-zone-id', s.hostedZoneId, 'Route 53 hosted zone of the API name');
  if (s.createdZone) {
    const name: StackOutputName = 'hosted-zone-name-servers';
    new TerraformOutput(stack, name, {
      value: s.createdZone.nameServers,
      description: `Name servers of the zone this stack created: add them as NS records for ${config.dns.zoneName} in the parent domain (phase 1 of the first deploy)`,
    });
  }
  output('sessions-table-name', s.sessions.tableName, 'DynamoDB global table of sessions');
  output('artifacts-bucket-primary', s.artifacts.buckets.primary.bucket, 'Payment artefacts bucket (primary)');
  output('artifacts-bucket-dr', s.artifacts.buckets.dr.bucket, 'Payment artefacts bucket (DR replica)');
  for (const { ctx, network } of sites) {
    const app = s.runtime[ctx.role];
    output(`payment-function-${ctx.role}`, app.paymentFunction.functionName, `Payment Lambda (${ctx.region})`);
    output(`api-endpoint-${ctx.role}`, `https://${app.api.executeApiHost}/${app.api.stageName}`, `Regional API endpoint (${ctx.region})`);
    output(`${ctx.role}-vpc-id`, network.vpc.id, `VPC in ${ctx.region}`);
  }
  // Reserved concurrency per region, for the fresh-account quota check (README): Lambda keeps 100 of the account's
  // concurrency unreserved, so the regional quota must be at least this total + 100.
  const reserved = (fns: readonly RegionalFunction[]) => fns.reduce((n, f) => n + f.reservedConcurrency, 0);
  const rt = s.runtime;
  // The probers, and the controller of each region, reserve concurrency too.
  const extra = (role: RegionRole) => [s.pagers[role].prober, ...(s.controllers ? [s.controllers[role].function] : [])];
  output('lambda-reserved-concurrency-primary', String(reserved([rt.primary.paymentFunction, rt.primary.healthFunction, s.rotationFunction, ...extra('primary')])), 'Reserved concurrency of the functions in the primary region');
  output('lambda-reserved-concurrency-dr', String(reserved([rt.dr.paymentFunction, rt.dr.healthFunction, ...extra('dr')])), 'Reserved concurrency of the functions in the DR region');
  output('peering-connection-id', s.peering.connection.id, 'Cross-region VPC peering connection');
  output('api-client-secret-name', s.apiClientSecret.name, 'Secret holding the API client key (both regions)');
  // The active site and the levers a DR operation moves live (src/contracts/stack-outputs.ts).
  output('active-region', active, 'Active site per the config (activeRegion): primary or dr');
  output('active-site-parameter-name', s.designation.parameterName, 'SSM parameter holding the active-site designation (same name in both regions)');
  output('primary-cluster-parameter-group', s.database.parameterGroups.primary.name, 'DB cluster parameter group of the primary site\'s cluster');
  output('dr-cluster-parameter-group', s.database.parameterGroups.dr.name, 'DB cluster parameter group of the DR site\'s cluster');
  output('failover-mode', config.failover.mode, 'manual or automatic (failover.mode)');
  output('control-path', controlPath(s.primary.ctx), 'SSM path of the control parameters (same in both regions)');
  for (const { ctx } of sites) {
    output(`pager-topic-${ctx.role}`, s.pagers[ctx.role].topic.arn, `Pager topic in ${ctx.region} (pages when the other region fails)`);
  }
  if (s.controller) {
    output('controller-region', s[passive].ctx.region, 'Region of the armed automatic failover controller (the passive site; the active site has an inert one)');
    output('controller-state-machine-arn', s.controller.stateMachineArn, 'Automatic failover state machine');
    output('kill-switch-parameter-name', s.controller.killSwitch.name, 'Automatic failover kill switch (enabled | disabled), controller region');
    output('last-run-parameter-name', s.controller.lastRun.name, 'Record of the last automatic failover run, controller region');
    output('operation-lock-parameter-name', s.controller.operationLock.name, 'Operation lock the controller honours, controller region');
  }
  // Payment events (read by src/dr-cli/events.ts; optional there, so older outputs files still work).
  output('payment-events-bus-name', s.paymentEvents.busName, 'Payment events bus (same name in both regions)');
  output('payment-events-endpoint-name', s.paymentEvents.endpoint.name, 'EventBridge global endpoint of payment events');
  output('payment-events-endpoint-region', s.paymentEvents.endpointRegion, 'Region the global endpoint lives in (the active site)');
  output('payment-events-endpoint-url', s.paymentEvents.endpoint.endpointUrl, 'URL of the global endpoint');
  for (const { ctx } of sites) {
    const ev = s.paymentEvents.regions[ctx.role];
    output(`payment-events-queue-url-${ctx.role}`, ev.queue.url, `Payment events queue for downstream systems (${ctx.region})`);
    output(`payment-events-archive-${ctx.role}`, ev.archive.name, `Payment events archive (${ctx.region})`);
    output(`outbox-sweep-function-${ctx.role}`, s.outboxSweep[ctx.role].functionName, `Outbox sweep Lambda (${ctx.region})`);
  }
  output('environment-profile', config.profile, 'Config profile (the drill refuses a failover drill on prod without confirmation)');
  for (const { ctx } of sites) {
    output(`fis-experiment-template-${ctx.role}`, s.faultInjection[ctx.role].template.id, `FIS experiment template that fails the ${ctx.role} site`);
  }
  if (s.edge) {
    // The DR CLI reads these (src/dr-cli/edge.ts): dials and endpoint health.
    const ga = s.edge.accelerator;
    output('edge-mode', 'accelerator', 'How clients reach the API: Global Accelerator in front of an ALB per region');
    output('accelerator-arn', ga.accelerator.arn, 'Global Accelerator of the payments API');
    output('accelerator-dns-name', ga.accelerator.dnsName, 'DNS name of the accelerator (the API name is its alias)');
    output('failover-record-name', s.dns.recordName, 'Route 53 failover name kept for probes and drills');
    for (const { ctx } of sites) {
      output(`endpoint-group-arn-${ctx.role}`, ga.endpointGroups[ctx.role].arn, `Accelerator endpoint group of ${ctx.region}`);
      output(`load-balancer-arn-${ctx.role}`, s.edge.loadBalancers[ctx.role].loadBalancer.arn, `Internal payments ALB in ${ctx.region}`);
    }
  }
}
