import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { RandomProvider } from '@cdktf/provider-random/lib/provider';
import { S3Backend, TerraformOutput, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { PlatformConfig } from './config';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { AuroraGlobalDatabase } from './constructs/aurora-global-database';
import { CrossRegionBackup } from './constructs/cross-region-backup';
import { CrossRegionPeering } from './constructs/cross-region-peering';
import { MultiRegionKey } from './constructs/multi-region-key';
import { RegionalNetwork } from './constructs/regional-network';
import { ReplicatedBucket } from './constructs/replicated-bucket';
import { RuntimeParameters } from './constructs/runtime-parameters';
import { SessionTable } from './constructs/session-table';
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
  /** The application tier (the Lambdas): the only client the database admits. */
  readonly appSecurityGroup: SecurityGroup;
}

/** Per-region runtime configuration, set once the data tier exists. */
export interface RegionRuntime {
  readonly parameters: RuntimeParameters;
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
  public readonly databaseKey: MultiRegionKey;
  public readonly storageKey: MultiRegionKey;
  public readonly peering: CrossRegionPeering;
  public readonly database: AuroraGlobalDatabase;
  public readonly sessions: SessionTable;
  public readonly artifacts: ReplicatedBucket;
  public readonly backup: CrossRegionBackup;
  public readonly runtime: { readonly primary: RegionRuntime; readonly dr: RegionRuntime };

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

    // One multi-region key per data domain; each key policy grants only the services of that domain.
    const key = (id: string, domain: string, users: ConstructorParameters<typeof MultiRegionKey>[2]['users']) =>
      new MultiRegionKey(this, id, {
        primary: primaryCtx,
        dr: drCtx,
        domain,
        users,
        deletionWindowInDays: config.protection.kmsDeletionWindowDays,
      });
    this.logsKey = key('logs-key', 'logs', ['logs', 'cloudwatch', 'sns']);
    this.databaseKey = key('database-key', 'database', ['rds', 'secretsmanager', 'dynamodb']);
    // Storage: S3 objects and AWS Backup vaults. RDS is listed because AWS Backup re-encrypts the cross-region
    // copies of Aurora snapshots with the destination vault's key through RDS.
    this.storageKey = key('storage-key', 'storage', ['s3', 'backup', 'rds']);

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
    const region = (ctx: RegionContext): RegionStack => {
      const net = network(ctx);
      const appSecurityGroup = new SecurityGroup(this, `app-sg-${ctx.role}`, {
        provider: ctx.provider,
        name: ctx.naming.name('generic', 'app', ctx.region),
        description: 'Payment and health Lambdas: egress to the database, AWS endpoints and gateway endpoints only',
        vpcId: net.vpc.id,
        tags: { Name: ctx.naming.name('generic', 'app', ctx.region) },
      });
      const egress = (id: string, description: string, target: { cidrIpv4?: string; prefixListId?: string }) =>
        new VpcSecurityGroupEgressRule(this, `app-sg-${ctx.role}-${id}`, {
          provider: ctx.provider,
          securityGroupId: appSecurityGroup.id,
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
      return { ctx, network: net, appSecurityGroup };
    };
    this.primary = region(primaryCtx);
    this.dr = region(drCtx);

    this.peering = new CrossRegionPeering(this, 'peering', {
      requester: this.primary,
      accepter: this.dr,
    });

    const protection = config.protection;
    this.database = new AuroraGlobalDatabase(this, 'database', {
      primary: this.primary,
      dr: this.dr,
      appSecurityGroup: { primary: this.primary.appSecurityGroup, dr: this.dr.appSecurityGroup },
      key: this.databaseKey,
      protection,
      engineVersion: config.database.engineVersion,
      minCapacity: config.database.minCapacity,
      maxCapacity: config.database.maxCapacity,
      primaryInstanceCount: config.database.primaryInstances,
      drInstanceCount: config.database.drInstances,
      backupRetentionDays: config.database.backupRetentionDays,
      slowQueryMs: config.database.slowQueryMs,
      recoveryWindowInDays: config.profile === 'prod' ? 30 : 7,
    });
    for (const r of [this.primary, this.dr]) {
      new VpcSecurityGroupEgressRule(this, `app-sg-${r.ctx.role}-postgres`, {
        provider: r.ctx.provider,
        securityGroupId: r.appSecurityGroup.id,
        description: 'PostgreSQL to the Aurora cluster of this region',
        ipProtocol: 'tcp',
        fromPort: this.database.port,
        toPort: this.database.port,
        referencedSecurityGroupId: this.database.securityGroups[r.ctx.role].id,
      });
    }

    this.sessions = new SessionTable(this, 'sessions', {
      primary: primaryCtx,
      dr: drCtx,
      key: this.databaseKey,
      deletionProtection: protection.deletionProtection,
      preventDestroy: protection.preventDestroy,
    });

    this.artifacts = new ReplicatedBucket(this, 'artifacts', {
      primary: primaryCtx,
      dr: drCtx,
      key: this.storageKey,
      purpose: 'artifacts',
      forceDestroy: protection.forceDestroyBuckets,
      preventDestroy: protection.preventDestroy,
    });

    // Replication copies logical corruption faithfully; backups copied to the DR vault can undo it.
    this.backup = new CrossRegionBackup(this, 'backup', {
      primary: primaryCtx,
      dr: drCtx,
      key: this.storageKey,
      resources: [{ arn: this.database.primaryCluster.arn }, { arn: this.sessions.table.arn }],
      forceDestroy: protection.forceDestroyBuckets,
      schedule: config.backup.schedule,
      retentionDays: config.backup.retentionDays,
      copyRetentionDays: config.backup.copyRetentionDays,
    });

    const runtime = (r: RegionStack): RegionRuntime => {
      const cluster = r.ctx.role === 'primary' ? this.database.primaryCluster : this.database.secondaryCluster;
      return {
        parameters: new RuntimeParameters(this, `runtime-${r.ctx.role}`, {
          ctx: r.ctx,
          values: {
            'region-role': r.ctx.role,
            'db-cluster-endpoint': cluster.endpoint,
            'db-reader-endpoint': cluster.readerEndpoint,
            'db-name': this.database.databaseName,
            'db-secret-name': this.database.credentials.secretName,
            'global-cluster-id': this.database.globalClusterIdentifier,
            'sessions-table': this.sessions.tableName,
            'artifacts-bucket': this.artifacts.bucketIn(r.ctx.role).bucket,
          },
        }),
      };
    };
    this.runtime = { primary: runtime(this.primary), dr: runtime(this.dr) };

    for (const r of [this.primary, this.dr]) {
      new TerraformOutput(this, `${r.ctx.role}-vpc-id`, { value: r.network.vpc.id, description: `VPC in ${r.ctx.region}` });
    }
    new TerraformOutput(this, 'peering-connection-id', { value: this.peering.connection.id });
  }
}
