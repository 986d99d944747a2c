import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { Construct } from 'constructs';
import { Tier } from '../composition';
import { PlatformConfig } from '../config';
import { AuroraGlobalDatabase } from '../constructs/aurora-global-database';
import { RegionalKey } from '../constructs/multi-region-key';
import { RegionalNetwork } from '../constructs/regional-network';
import { RegionContext } from '../region';

export interface SiteProps {
  /** The site's region context (its provider, region and role). */
  readonly ctx: RegionContext;
  readonly config: Pick<PlatformConfig, 'regions' | 'network' | 'logRetentionDays'>;
  /** Encrypts the VPC flow logs (this region's logs key). */
  readonly logKey: RegionalKey;
}

/**
 * One site: its region context, its network, and the application tier's security group (the only client the database
 * admits). Not a stack: a tier of the one stack, whose resources keep their stack-level addresses (`network-<role>`,
 * `app-sg-<role>`…).
 */
export class Site extends Tier {
  public readonly ctx: RegionContext;
  public readonly network: RegionalNetwork;
  /** The application tier (the Lambdas): the only client the database admits. */
  public readonly appSecurityGroup: SecurityGroup;

  constructor(scope: Construct, id: string, props: SiteProps) {
    super(scope, id);
    const { ctx, config } = props;
    this.ctx = ctx;
    this.network = new RegionalNetwork(this, `network-${ctx.role}`, {
      ctx,
      cidr: config.regions[ctx.role].vpcCidr,
      subnetPrefixLength: config.network.subnetPrefixLength,
      natGateways: config.network.natGateways,
      interfaceEndpoints: config.network.interfaceEndpoints,
      logKey: props.logKey,
      logRetentionDays: config.logRetentionDays,
    });
    const net = this.network;
    this.appSecurityGroup = new SecurityGroup(this, `app-sg-${ctx.role}`, {
      provider: ctx.provider,
      name: ctx.naming.name('generic', 'app', ctx.region),
      description: 'Payment and health Lambdas: egress to the database, AWS endpoints and gateway endpoints only',
      vpcId: net.vpc.id,
      tags: { Name: ctx.naming.name('generic', 'app', ctx.region) },
    });
    const egress = (id: string, description: string, target: { cidrIpv4?: string; prefixListId?: string }) =>
      new VpcSecurityGroupEgressRule(this, `app-sg-${ctx.role}-${id}`, {
        provider: ctx.provider,
        securityGroupId: this.appSecurityGroup.id,
        description,
        ipProtocol: 'tcp',
        fromPort: 443,
        toPort: 443,
        ...target,
      });
    egress('https-endpoints', 'HTTPS to interface endpoints in the VPC', { cidrIpv4: config.regions[ctx.role].vpcCidr });
    egress('https-s3', 'HTTPS to S3 through the gateway endpoint', { prefixListId: net.gatewayEndpoints.s3.prefixListId });
    egress('https-dynamodb', 'HTTPS to DynamoDB through the gateway endpoint', {
      prefixListId: net.gatewayEndpoints.dynamodb.prefixListId,
    });
    // The global endpoint resolves to the events API of whichever region it routes to (the other one after a
    // failover), out of reach of a VPC endpoint of this region; EventBridge publishes no prefix list.
    egress('https-eventbridge', 'HTTPS through NAT to the EventBridge global endpoint (payment events, either region)', {
      cidrIpv4: '0.0.0.0/0',
    });
  }

  /** The application tier may reach PostgreSQL on this site's cluster (once the database exists). */
  allowDatabase(database: AuroraGlobalDatabase): VpcSecurityGroupEgressRule {
    const role = this.ctx.role;
    return new VpcSecurityGroupEgressRule(this, `app-sg-${role}-postgres`, {
      provider: this.ctx.provider,
      securityGroupId: this.appSecurityGroup.id,
      description: 'PostgreSQL to the Aurora cluster of this region',
      ipProtocol: 'tcp',
      fromPort: database.port,
      toPort: database.port,
      referencedSecurityGroupId: database.securityGroups[role].id,
    });
  }
}
