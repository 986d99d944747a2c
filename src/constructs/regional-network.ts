import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DefaultSecurityGroup } from '@cdktf/provider-aws/lib/default-security-group';
import { Eip } from '@cdktf/provider-aws/lib/eip';
import { FlowLog } from '@cdktf/provider-aws/lib/flow-log';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { InternetGateway } from '@cdktf/provider-aws/lib/internet-gateway';
import { NatGateway } from '@cdktf/provider-aws/lib/nat-gateway';
import { Route } from '@cdktf/provider-aws/lib/route';
import { RouteTable } from '@cdktf/provider-aws/lib/route-table';
import { RouteTableAssociation } from '@cdktf/provider-aws/lib/route-table-association';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { Subnet } from '@cdktf/provider-aws/lib/subnet';
import { Vpc } from '@cdktf/provider-aws/lib/vpc';
import { VpcEndpoint } from '@cdktf/provider-aws/lib/vpc-endpoint';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { Construct } from 'constructs';
import { formatCidr, parseCidr, subnetAt } from '../cidr';
import { policyDocument, serviceTrustPolicy } from '../iam';
import { RegionContext } from '../region';
import { RegionalKey } from './multi-region-key';
import { ec2Arn } from '../arn';

export type NatGatewayMode = 'single' | 'one-per-az';

export interface RegionalNetworkProps {
  readonly ctx: RegionContext;
  /** VPC IPv4 range; must not overlap the peer region's. */
  readonly cidr: string;
  /** Prefix length of every subnet. @default 20 */
  readonly subnetPrefixLength?: number;
  /** NAT gateways for the private subnets. @default 'one-per-az' */
  readonly natGateways?: NatGatewayMode;
  /** Interface endpoint services (`com.amazonaws.<region>.<name>`) in the private subnets. @default ['secretsmanager'] */
  readonly interfaceEndpoints?: readonly string[];
  /** Key that encrypts the flow-log group (this region's key). */
  readonly logKey: RegionalKey;
  /** Flow-log group retention in days. */
  readonly logRetentionDays: number;
}

/**
 * One region's network: a VPC with public, private (application) and isolated (database) subnets in every
 * configured zone, NAT for the private tier, S3/DynamoDB gateway endpoints, interface endpoints for AWS APIs,
 * VPC flow logs to an encrypted log group, and the default security group stripped of all rules.
 */
export class RegionalNetwork extends Construct {
  public readonly vpc: Vpc;
  public readonly cidr: string;
  public readonly publicSubnets: Subnet[] = [];
  public readonly privateSubnets: Subnet[] = [];
  public readonly isolatedSubnets: Subnet[] = [];
  public readonly publicRouteTable: RouteTable;
  /** One per zone, so each zone's private tier uses its own NAT gateway in `one-per-az` mode. */
  public readonly privateRouteTables: RouteTable[] = [];
  /** The database tier's route table: no route to the internet. */
  public readonly isolatedRouteTable: RouteTable;
  public readonly natGateways: NatGateway[] = [];
  public readonly endpointSecurityGroup: SecurityGroup;
  public readonly interfaceEndpoints: Record<string, VpcEndpoint> = {};
  /** S3 and DynamoDB gateway endpoints (their `prefixListId` is what security group egress rules target). */
  public readonly gatewayEndpoints: { readonly s3: VpcEndpoint; readonly dynamodb: VpcEndpoint };
  public readonly flowLogGroup: CloudwatchLogGroup;

  constructor(scope: Construct, id: string, props: RegionalNetworkProps) {
    super(scope, id);
    const { ctx } = props;
    const provider = ctx.provider;
    const zones = ctx.availabilityZones;
    const prefixLength = props.subnetPrefixLength ?? 20;
    const parsed = parseCidr(props.cidr);
    if (typeof parsed === 'string') throw new Error(`RegionalNetwork ${ctx.region}: cidr "${props.cidr}" ${parsed}`);
    if (zones.length < 2) throw new Error(`RegionalNetwork ${ctx.region}: needs at least 2 availability zones, got ${zones.length}`);
    // Throws with the sizes if the VPC cannot hold 3 tiers × zones.
    const block = (tier: number, zone: number) => formatCidr(subnetAt(parsed, prefixLength, tier * zones.length + zone));
    this.cidr = props.cidr;
    const name = (purpose: string) => ctx.naming.name('generic', purpose, ctx.region);
    const tags = (purpose: string) => ({ Name: name(purpose) });

    this.vpc = new Vpc(this, 'vpc', {
      provider,
      cidrBlock: props.cidr,
      enableDnsSupport: true,
      // Needed on both VPCs for DNS resolution over the peering connection.
      enableDnsHostnames: true,
      tags: tags('vpc'),
    });

    // Adopting the default security group with no rule blocks removes all of its rules.
    new DefaultSecurityGroup(this, 'default-sg', { provider, vpcId: this.vpc.id, tags: tags('default-deny') });

    const igw = new InternetGateway(this, 'igw', { provider, vpcId: this.vpc.id, tags: tags('igw') });

    zones.forEach((az, i) => {
      const subnet = (tier: string, index: number, list: Subnet[]) =>
        list.push(
          new Subnet(this, `${tier}-${az}`, {
            provider,
            vpcId: this.vpc.id,
            availabilityZone: az,
            cidrBlock: block(index, i),
            mapPublicIpOnLaunch: false,
            tags: { ...tags(`${tier}-${az.slice(-1)}`), Tier: tier },
          }),
        );
      subnet('public', 0, this.publicSubnets);
      subnet('private', 1, this.privateSubnets);
      subnet('isolated', 2, this.isolatedSubnets);
    });

    this.publicRouteTable = new RouteTable(this, 'public-rt', { provider, vpcId: this.vpc.id, tags: tags('public') });
    new Route(this, 'public-default', {
      provider,
      routeTableId: this.publicRouteTable.id,
      destinationCidrBlock: '0.0.0.0/0',
      gatewayId: igw.id,
    });
    this.publicSubnets.forEach((s, i) => {
      new RouteTableAssociation(this, `public-rta-${zones[i]}`, { provider, subnetId: s.id, routeTableId: this.publicRouteTable.id });
    });

    const natCount = (props.natGateways ?? 'one-per-az') === 'one-per-az' ? zones.length : 1;
    for (let i = 0; i < natCount; i++) {
      const eip = new Eip(this, `nat-eip-${zones[i]}`, { provider, domain: 'vpc', tags: tags(`nat-${zones[i].slice(-1)}`) });
      this.natGateways.push(
        new NatGateway(this, `nat-${zones[i]}`, {
          provider,
          allocationId: eip.allocationId,
          subnetId: this.publicSubnets[i].id,
          tags: tags(`nat-${zones[i].slice(-1)}`),
          dependsOn: [igw],
        }),
      );
    }

    zones.forEach((az, i) => {
      const rt = new RouteTable(this, `private-rt-${az}`, { provider, vpcId: this.vpc.id, tags: tags(`private-${az.slice(-1)}`) });
      new Route(this, `private-default-${az}`, {
        provider,
        routeTableId: rt.id,
        destinationCidrBlock: '0.0.0.0/0',
        natGatewayId: this.natGateways[Math.min(i, natCount - 1)].id,
      });
      new RouteTableAssociation(this, `private-rta-${az}`, { provider, subnetId: this.privateSubnets[i].id, routeTableId: rt.id });
      this.privateRouteTables.push(rt);
    });

    this.isolatedRouteTable = new RouteTable(this, 'isolated-rt', { provider, vpcId: this.vpc.id, tags: tags('isolated') });
    this.isolatedSubnets.forEach((s, i) => {
      new RouteTableAssociation(this, `isolated-rta-${zones[i]}`, { provider, subnetId: s.id, routeTableId: this.isolatedRouteTable.id });
    });

    const internalRouteTableIds = [...this.privateRouteTables, this.isolatedRouteTable].map((rt) => rt.id);
    const gateway = (service: 's3' | 'dynamodb') =>
      new VpcEndpoint(this, `gateway-${service}`, {
        provider,
        vpcId: this.vpc.id,
        serviceName: `com.amazonaws.${ctx.region}.${service}`,
        vpcEndpointType: 'Gateway',
        routeTableIds: internalRouteTableIds,
        tags: tags(`${service}-gateway`),
      });
    this.gatewayEndpoints = { s3: gateway('s3'), dynamodb: gateway('dynamodb') };

    this.endpointSecurityGroup = new SecurityGroup(this, 'endpoints-sg', {
      provider,
      name: name('endpoints'),
      description: 'Interface VPC endpoints: HTTPS from inside the VPC only',
      vpcId: this.vpc.id,
      tags: tags('endpoints'),
    });
    new VpcSecurityGroupIngressRule(this, 'endpoints-https', {
      provider,
      securityGroupId: this.endpointSecurityGroup.id,
      description: 'HTTPS to AWS API endpoints from the VPC',
      ipProtocol: 'tcp',
      fromPort: 443,
      toPort: 443,
      cidrIpv4: props.cidr,
    });
    for (const service of props.interfaceEndpoints ?? ['secretsmanager']) {
      this.interfaceEndpoints[service] = new VpcEndpoint(this, `interface-${service}`, {
        provider,
        vpcId: this.vpc.id,
        serviceName: `com.amazonaws.${ctx.region}.${service}`,
        vpcEndpointType: 'Interface',
        privateDnsEnabled: true,
        subnetIds: this.privateSubnets.map((s) => s.id),
        securityGroupIds: [this.endpointSecurityGroup.id],
        tags: tags(`${service}-endpoint`),
      });
    }

    this.flowLogGroup = new CloudwatchLogGroup(this, 'flow-logs', {
      provider,
      name: `/aws/vpc-flow-logs/${name('vpc')}`,
      retentionInDays: props.logRetentionDays,
      kmsKeyId: props.logKey.arn,
    });
    const flowRole = new IamRole(this, 'flow-logs-role', {
      provider,
      name: ctx.naming.name('iamRole', 'flow-logs', ctx.region),
      description: `VPC flow logs delivery for ${ctx.region}`,
      assumeRolePolicy: serviceTrustPolicy(
        'vpc-flow-logs.amazonaws.com',
        ctx.accountId,
        ec2Arn(ctx, 'vpc-flow-log/*'),
      ),
    });
    new IamRolePolicy(this, 'flow-logs-policy', {
      provider,
      role: flowRole.id,
      name: 'deliver-to-log-group',
      policy: policyDocument([
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
          Resource: [this.flowLogGroup.arn, `${this.flowLogGroup.arn}:*`],
        },
      ]),
    });
    new FlowLog(this, 'flow-log', {
      provider,
      vpcId: this.vpc.id,
      trafficType: 'ALL',
      logDestinationType: 'cloud-watch-logs',
      logDestination: this.flowLogGroup.arn,
      iamRoleArn: flowRole.arn,
      maxAggregationInterval: 60,
      tags: tags('flow-log'),
    });
  }

  /** Route tables that must reach a peer VPC: every private and isolated one. */
  get internalRouteTables(): RouteTable[] {
    return [...this.privateRouteTables, this.isolatedRouteTable];
  }
}
