import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { RandomProvider } from '@cdktf/provider-random/lib/provider';
import { S3Backend, TerraformOutput, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { PlatformConfig } from './config';
import { CrossRegionPeering } from './constructs/cross-region-peering';
import { MultiRegionKey } from './constructs/multi-region-key';
import { RegionalNetwork } from './constructs/regional-network';
import { Naming } from './naming';
import { RegionContext, RegionRole } from './region';

export interface DrStackProps {
  readonly config: PlatformConfig;
}

/** The S3 backend key of an environment's state. */
export function stateKey(config: PlatformConfig): string {
  return `${config.stateBackend.keyPrefix}/${config.environmentSuffix}/terraform.tfstate`;
}

/** The stack name, which is also the directory under `cdktf.out/stacks/`. */
export function stackName(config: PlatformConfig): string {
  return `payments-dr-${config.environmentSuffix}`;
}

/** Per-region building blocks, exposed for tests and for the constructs of later tiers. */
export interface RegionStack {
  readonly ctx: RegionContext;
  readonly network: RegionalNetwork;
}

/**
 * The one stack: two aliased AWS providers (primary and DR region), S3 state with native locking, and the
 * composition of the per-domain constructs.
 */
export class DrStack extends TerraformStack {
  public readonly config: PlatformConfig;
  public readonly primary: RegionStack;
  public readonly dr: RegionStack;
  public readonly logsKey: MultiRegionKey;
  public readonly peering: CrossRegionPeering;

  constructor(scope: Construct, id: string, props: DrStackProps) {
    super(scope, id);
    const config = props.config;
    this.config = config;
    const naming = new Naming(config.namePrefix, config.environmentSuffix, config.accountId);

    new S3Backend(this, {
      bucket: config.stateBackend.bucket,
      region: config.stateBackend.region,
      key: stateKey(config),
      encrypt: true,
    });
    // S3-native state locking (Terraform >= 1.11) replaces the deprecated DynamoDB lock table; cdktf 0.21's
    // S3Backend has no field for it.
    this.addOverride('terraform.backend.s3.use_lockfile', true);

    const context = (role: RegionRole): RegionContext => {
      const regionConfig = config.regions[role];
      const provider = new AwsProvider(this, `aws-${role}`, {
        alias: role,
        region: regionConfig.region,
        // A plan against the wrong account fails at once instead of planning a second platform.
        allowedAccountIds: [config.accountId],
        defaultTags: [
          {
            tags: {
              Project: 'payments-dr',
              Environment: config.profile,
              EnvironmentSuffix: config.environmentSuffix,
              DisasterRecovery: role,
              CostCenter: config.costCenter,
              ManagedBy: 'cdktf',
            },
          },
        ],
      });
      return {
        provider,
        region: regionConfig.region,
        role,
        availabilityZones: regionConfig.availabilityZones,
        accountId: config.accountId,
        naming,
      };
    };
    const primaryCtx = context('primary');
    const drCtx = context('dr');
    new RandomProvider(this, 'random');

    this.logsKey = new MultiRegionKey(this, 'logs-key', {
      primary: primaryCtx,
      dr: drCtx,
      domain: 'logs',
      users: ['logs', 'cloudwatch', 'sns'],
      deletionWindowInDays: config.protection.kmsDeletionWindowDays,
    });

    const network = (ctx: RegionContext) =>
      new RegionalNetwork(this, `network-${ctx.role}`, {
        ctx,
        cidr: config.regions[ctx.role].vpcCidr,
        subnetPrefixLength: config.network.subnetPrefixLength,
        natGateways: config.network.natGateways,
        interfaceEndpoints: config.network.interfaceEndpoints,
        logKey: this.logsKey.in(ctx.role),
        logRetentionDays: config.logRetentionDays,
      });
    this.primary = { ctx: primaryCtx, network: network(primaryCtx) };
    this.dr = { ctx: drCtx, network: network(drCtx) };

    this.peering = new CrossRegionPeering(this, 'peering', {
      requester: this.primary,
      accepter: this.dr,
    });

    for (const r of [this.primary, this.dr]) {
      new TerraformOutput(this, `${r.ctx.role}-vpc-id`, { value: r.network.vpc.id, description: `VPC in ${r.ctx.region}` });
    }
    new TerraformOutput(this, 'peering-connection-id', { value: this.peering.connection.id });
  }
}
