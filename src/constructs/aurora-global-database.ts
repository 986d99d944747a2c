import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DbSubnetGroup } from '@cdktf/provider-aws/lib/db-subnet-group';
import { RdsCluster } from '@cdktf/provider-aws/lib/rds-cluster';
import { RdsClusterInstance } from '@cdktf/provider-aws/lib/rds-cluster-instance';
import { RdsClusterParameterGroup } from '@cdktf/provider-aws/lib/rds-cluster-parameter-group';
import { RdsGlobalCluster } from '@cdktf/provider-aws/lib/rds-global-cluster';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { SecretsmanagerSecretVersion } from '@cdktf/provider-aws/lib/secretsmanager-secret-version';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { Token } from 'cdktf';
import { Construct } from 'constructs';
import { Protection } from '../config';
import { AURORA_DEFAULTS, AURORA_MAX_ACU, AURORA_MIN_ACU, AURORA_MIN_MAJOR_VERSION, auroraMajorVersion } from '../defaults';
import { PerRegion, RegionContext, RegionRole, otherRole, perRegion } from '../region';
import { DatabaseCredentials } from './database-credentials';
import { MultiRegionKey } from './multi-region-key';
import { RegionalNetwork } from './regional-network';

const ENGINE = 'aurora-postgresql';
const PORT = 5432;

/** The default engine version (why 16.6: src/defaults.ts, the one place it is stated). */
export const DEFAULT_ENGINE_VERSION = AURORA_DEFAULTS.engineVersion;

/** One region of the database: where it runs and the network it runs in. */
export interface DatabaseRegionProps {
  readonly ctx: RegionContext;
  /** The database goes into this network's isolated subnets. */
  readonly network: RegionalNetwork;
}

/**
 * `primary`: the site whose cluster is created with the credentials (the writer while `activeRole` is primary);
 * `dr`: the site whose cluster joins the global database as a read-only secondary.
 */
export interface AuroraGlobalDatabaseProps extends PerRegion<DatabaseRegionProps> {
  /** The only clients allowed to reach PostgreSQL (tcp 5432), per region. */
  readonly appSecurityGroup: PerRegion<SecurityGroup>;
  /** The database domain's multi-region key: storage, Performance Insights and the credentials secret. */
  readonly key: MultiRegionKey;
  /** Deletion protection, `prevent_destroy` and final snapshots, from the profile. */
  readonly protection: Pick<Protection, 'deletionProtection' | 'preventDestroy' | 'finalSnapshot'>;
  /**
   * aurora-postgresql engine version, the same in both regions; the cluster parameter group family follows its
   * major version (`aurora-postgresql16`).
   * @default '16.6'
   */
  readonly engineVersion?: string;
  /** Database created in the primary cluster. @default 'payments' */
  readonly databaseName?: string;
  /** Master user name (1-16 letters or digits, starting with a letter). @default 'dbadmin' */
  readonly masterUsername?: string;
  /** Serverless v2 minimum capacity per instance, in ACUs (0.5-256, half steps). @default 0.5 */
  readonly minCapacity?: number;
  /** Serverless v2 maximum capacity per instance, in ACUs (minCapacity-256, half steps). @default 8 */
  readonly maxCapacity?: number;
  /** Instances of the primary cluster (one writer, the rest readers), spread over the zones. @default 2 */
  readonly primaryInstanceCount?: number;
  /** Instances of the DR cluster, spread over the zones. @default 1 */
  readonly drInstanceCount?: number;
  /** Days of automated backups (1-35). @default 7 */
  readonly backupRetentionDays?: number;
  /** Statements slower than this many milliseconds are logged (`log_min_duration_statement`; -1 turns it off). @default 500 */
  readonly slowQueryMs?: number;
  /**
   * `rds.global_db_rpo` in seconds (>= 20): the primary blocks commits when no secondary is within this lag,
   * which turns "typically sub-second" replication into a bound. Undefined leaves RPO unbounded.
   * @default undefined
   */
  readonly globalDbRpoSeconds?: number;
  /** Days a deleted credentials secret stays recoverable: 0 or 7-30. @default 30 */
  readonly recoveryWindowInDays?: number;
  /**
   * The site whose cluster is the writer (`config.activeRegion`). Only its parameter group carries
   * `rds.global_db_rpo`; nothing else depends on it, so a switchover in either direction plans no change to
   * either cluster. @default 'primary'
   */
  readonly activeRole?: RegionRole;
  /**
   * Where the exported PostgreSQL log goes: the log group RDS would otherwise create itself (unencrypted, never
   * expiring, left behind by a destroy) is created here first, with this key and retention.
   * @default RDS creates the log groups
   */
  readonly exportedLogs?: { readonly key: MultiRegionKey; readonly retentionDays: number };
}

/**
 * What a switchover or failover rewrites on a member cluster, ignored on **both** clusters. Without it the
 * next plan after a swap would call PromoteReadReplicaDBCluster on the new secondary
 * (`replication_source_identifier` read back from AWS, configured as "") or RemoveFromGlobalCluster
 * (`global_cluster_identifier`): provider `internal/service/rds/cluster.go`, resourceClusterUpdate.
 */
export const SWAP_REWRITTEN = ['replication_source_identifier', 'global_cluster_identifier'] as const;

/**
 * The credentials the cluster was created with stay on the cluster that was created with them (the primary
 * site's), ignored after creation: the rotation Lambda owns the password, and `master_username` /
 * `database_name` are ForceNew in the provider, read back from AWS (master_username always, database_name when
 * returned), so a difference after a swap must never plan a replacement. The DR site's cluster never carries
 * them (AWS rejects them on a cross-region member; they are Computed, so no diff in either role).
 */
export const CREATION_CREDENTIALS = ['master_password', 'master_username', 'database_name'] as const;

/**
 * An Aurora PostgreSQL global database for active-passive DR: a Serverless v2 primary cluster in the primary
 * region, a read-only secondary cluster in the DR region fed by storage-level replication, both encrypted with
 * their region's copy of one multi-region key, reachable only from the application security group of their
 * region, TLS enforced. Master credentials are generated by Terraform and kept in a secret replicated to the DR
 * region.
 */
export class AuroraGlobalDatabase extends Construct {
  public readonly globalCluster: RdsGlobalCluster;
  /** The global cluster's identifier as a plain string (for the DR region's configuration and the DR CLI). */
  public readonly globalClusterIdentifier: string;
  /** Each site's cluster (the one whose site is `activeRole` is the writer). */
  public readonly clusters: PerRegion<RdsCluster>;
  /**
   * Each site's cluster identifier as a plain string: for what must name a cluster without referencing it
   * (alarm dimensions, log group names), so the rule `naming.name('rds', 'aurora', region)` lives here only.
   */
  public readonly clusterIdentifiers: PerRegion<string>;
  /** The primary site's cluster (`clusters.primary`). */
  public readonly primaryCluster: RdsCluster;
  /** The DR site's cluster (`clusters.dr`), the secondary while the primary site is active. */
  public readonly secondaryCluster: RdsCluster;
  public readonly primaryInstances: RdsClusterInstance[];
  public readonly drInstances: RdsClusterInstance[];
  public readonly securityGroups: PerRegion<SecurityGroup>;
  public readonly subnetGroups: PerRegion<DbSubnetGroup>;
  public readonly parameterGroups: PerRegion<RdsClusterParameterGroup>;
  /** Generated master credentials and their secret. */
  public readonly credentials: DatabaseCredentials;
  /** The credentials secret (JSON: username, password, engine, host, port, dbname), replicated to the DR region. */
  public readonly secret: SecretsmanagerSecret;
  /** The secret's first value (later values come from rotation). */
  public readonly secretVersion: SecretsmanagerSecretVersion;
  public readonly masterUsername: string;
  public readonly databaseName: string;
  public readonly engineVersion: string;
  public readonly port = PORT;
  /** Writer endpoint of the global database: follows the writer across switchover and failover. */
  public readonly globalWriterEndpoint: string;
  /** The site whose cluster is the writer (and whose parameter group sets `rds.global_db_rpo`). */
  public readonly activeRole: RegionRole;
  /** The exported PostgreSQL log group of each cluster (when `exportedLogs` is set). */
  public readonly logGroups?: PerRegion<CloudwatchLogGroup>;

  constructor(scope: Construct, id: string, props: AuroraGlobalDatabaseProps) {
    super(scope, id);
    const v = validate(props);
    const { primary, dr, protection } = props;
    this.activeRole = props.activeRole ?? 'primary';
    this.engineVersion = v.engineVersion;
    this.masterUsername = v.masterUsername;
    this.databaseName = v.databaseName;
    this.clusterIdentifiers = perRegion((role) => props[role].ctx.naming.name('rds', 'aurora', props[role].ctx.region));

    this.credentials = new DatabaseCredentials(this, 'credentials', {
      primary: primary.ctx,
      dr: dr.ctx,
      key: props.key,
      username: v.masterUsername,
      recoveryWindowInDays: props.recoveryWindowInDays,
    });
    this.secret = this.credentials.secret;

    // A global cluster is not regional in Terraform terms; it is managed through the primary region's provider.
    this.globalClusterIdentifier = primary.ctx.naming.name('rds', 'aurora-global');
    this.globalCluster = new RdsGlobalCluster(this, 'global', {
      provider: primary.ctx.provider,
      globalClusterIdentifier: this.globalClusterIdentifier,
      engine: ENGINE,
      engineVersion: v.engineVersion,
      storageEncrypted: true,
      deletionProtection: protection.deletionProtection,
    });
    this.globalWriterEndpoint = this.globalCluster.endpoint;

    const regional = (side: DatabaseRegionProps) =>
      this.regionalBase(side, props.appSecurityGroup[side.ctx.role], v, side.ctx.role === this.activeRole);
    const p = regional(primary);
    const d = regional(dr);
    this.securityGroups = { primary: p.securityGroup, dr: d.securityGroup };
    this.subnetGroups = { primary: p.subnetGroup, dr: d.subnetGroup };
    this.parameterGroups = { primary: p.parameterGroup, dr: d.parameterGroup };

    // RDS publishes an exported log to /aws/rds/cluster/<cluster id>/<log type> and creates that group if it does not
    // exist (Aurora User Guide, "Publishing Aurora PostgreSQL logs to Amazon CloudWatch Logs"). Created first, so
    // ours (key, retention, destroyed with the stack) is the one RDS writes to.
    const exportedLogGroup = (side: DatabaseRegionProps) =>
      props.exportedLogs &&
      new CloudwatchLogGroup(this, `${side.ctx.role}-postgresql-logs`, {
        provider: side.ctx.provider,
        name: `/aws/rds/cluster/${this.clusterIdentifiers[side.ctx.role]}/postgresql`,
        kmsKeyId: props.exportedLogs.key.keys[side.ctx.role].arn,
        retentionInDays: props.exportedLogs.retentionDays,
      });
    const primaryLogs = exportedLogGroup(primary);
    const drLogs = exportedLogGroup(dr);
    if (primaryLogs && drLogs) this.logGroups = { primary: primaryLogs, dr: drLogs };

    const clusterSettings = (side: DatabaseRegionProps, base: RegionalBase) => {
      const ctx = side.ctx;
      return {
        provider: ctx.provider,
        clusterIdentifier: this.clusterIdentifiers[ctx.role],
        engine: ENGINE,
        engineVersion: v.engineVersion,
        engineMode: 'provisioned',
        globalClusterIdentifier: this.globalCluster.id,
        storageEncrypted: true,
        // Each cluster is encrypted with the key of its own region: an encrypted cross-region member needs a
        // KMS key in the region where it is created (CreateDBCluster KmsKeyId).
        kmsKeyId: props.key.keys[ctx.role].arn,
        serverlessv2ScalingConfiguration: { minCapacity: v.minCapacity, maxCapacity: v.maxCapacity },
        dbSubnetGroupName: base.subnetGroup.name,
        vpcSecurityGroupIds: [base.securityGroup.id],
        dbClusterParameterGroupName: base.parameterGroup.name,
        port: PORT,
        iamDatabaseAuthenticationEnabled: true,
        enabledCloudwatchLogsExports: ['postgresql'],
        backupRetentionPeriod: v.backupRetentionDays,
        copyTagsToSnapshot: true,
        deletionProtection: protection.deletionProtection,
        skipFinalSnapshot: !protection.finalSnapshot,
        finalSnapshotIdentifier: protection.finalSnapshot ? ctx.naming.name('rds', 'aurora-final', ctx.region) : undefined,
        tags: { Name: this.clusterIdentifiers[ctx.role], DatabaseRole: ctx.role },
      };
    };

    // Construct ids name the *site* ('primary-cluster' is the cluster in regions.primary, whichever role it has
    // now): they are Terraform addresses, and renaming one would replace a database.
    this.primaryCluster = new RdsCluster(this, 'primary-cluster', {
      ...clusterSettings(primary, p),
      // Global clusters do not support RDS-managed master passwords (manage_master_user_password); the password
      // comes from random_password, so it never depends on the secret that records this cluster's endpoint.
      masterUsername: v.masterUsername,
      masterPassword: this.credentials.password.result,
      databaseName: v.databaseName,
      lifecycle: { preventDestroy: protection.preventDestroy, ignoreChanges: [...CREATION_CREDENTIALS, ...SWAP_REWRITTEN] },
      dependsOn: primaryLogs ? [primaryLogs] : undefined,
    });
    this.primaryInstances = this.instances(primary, this.primaryCluster, p, v.primaryInstanceCount, props);

    this.secondaryCluster = new RdsCluster(this, 'secondary-cluster', {
      ...clusterSettings(dr, d),
      // No master_username, master_password or database_name: the secondary inherits them from the primary
      // through replication, and AWS rejects them ("Cannot specify user name for cross region replication
      // cluster").
      //
      // The secondary can only join the global cluster once the primary has a writer instance.
      dependsOn: [...this.primaryInstances, ...(drLogs ? [drLogs] : [])],
      lifecycle: { preventDestroy: protection.preventDestroy, ignoreChanges: [...SWAP_REWRITTEN] },
    });
    this.drInstances = this.instances(dr, this.secondaryCluster, d, v.drInstanceCount, props);
    this.clusters = { primary: this.primaryCluster, dr: this.secondaryCluster };

    // The host is the primary cluster's writer endpoint: no cycle (password -> cluster -> secret version).
    this.secretVersion = this.credentials.storeConnection({ engine: 'postgres', host: this.primaryCluster.endpoint, port: PORT, dbname: v.databaseName });
  }

  /** The cluster of the active site (the writer when the live state matches the config). */
  get activeCluster(): RdsCluster {
    return this.clusters[this.activeRole];
  }

  /** The cluster of the passive site (the secondary). */
  get passiveCluster(): RdsCluster {
    return this.clusters[otherRole(this.activeRole)];
  }

  /** Security group, subnet group and cluster parameter group of one region. */
  private regionalBase(side: DatabaseRegionProps, appSecurityGroup: SecurityGroup, v: Validated, active: boolean): RegionalBase {
    const { ctx, network } = side;
    const provider = ctx.provider;
    const role = ctx.role;

    const securityGroup = new SecurityGroup(this, `${role}-sg`, {
      provider,
      name: ctx.naming.name('generic', 'aurora', ctx.region),
      description: 'Aurora PostgreSQL: tcp 5432 from the application security group only',
      vpcId: network.vpc.id,
      tags: { Name: ctx.naming.name('generic', 'aurora', ctx.region) },
    });
    new VpcSecurityGroupIngressRule(this, `${role}-from-app`, {
      provider,
      securityGroupId: securityGroup.id,
      description: 'PostgreSQL from the application tier of this region',
      ipProtocol: 'tcp',
      fromPort: PORT,
      toPort: PORT,
      referencedSecurityGroupId: appSecurityGroup.id,
    });

    const subnetGroup = new DbSubnetGroup(this, `${role}-subnets`, {
      provider,
      name: ctx.naming.name('rds', 'aurora', ctx.region),
      description: 'Aurora PostgreSQL: isolated subnets (no route to the internet)',
      subnetIds: network.isolatedSubnets.map((s) => s.id),
      tags: { Name: ctx.naming.name('rds', 'aurora', ctx.region) },
    });

    const parameterGroup = new RdsClusterParameterGroup(this, `${role}-params`, {
      provider,
      // The family is part of the name: a major upgrade creates a new group instead of colliding with the old.
      name: ctx.naming.name('rds', `aurora-pg${v.majorVersion}`, ctx.region),
      family: `${ENGINE}${v.majorVersion}`,
      description: `Aurora PostgreSQL ${v.majorVersion}: TLS required, slow statements logged`,
      parameter: [
        // pending-reboot is accepted for static and dynamic parameters alike; a new cluster starts with it.
        { name: 'rds.force_ssl', value: '1', applyMethod: 'pending-reboot' },
        { name: 'log_min_duration_statement', value: Token.isUnresolved(v.slowQueryMs) ? Token.asString(v.slowQueryMs) : String(v.slowQueryMs), applyMethod: 'immediate' },
        // Active site only. Aurora blocks commits on the primary while no secondary is within this lag: with one
        // secondary, a problem in the passive region pauses payment writes (bounded loss traded for
        // availability, stated in the DR report). The passive site's group keeps the default so a promoted
        // secondary never blocks on the lost region (Aurora User Guide, aurora-global-database-disaster-recovery,
        // "Managing RPOs"). Each cluster has its own group, so moving the parameter is an in-place change of two
        // groups; the DR CLI sets it live during an operation.
        ...(v.globalDbRpoSeconds !== undefined && active
          ? [{ name: 'rds.global_db_rpo', value: String(v.globalDbRpoSeconds), applyMethod: 'immediate' }]
          : []),
      ],
      tags: { Name: ctx.naming.name('rds', `aurora-pg${v.majorVersion}`, ctx.region) },
    });

    return { securityGroup, subnetGroup, parameterGroup };
  }

  /** Serverless v2 instances of one cluster, one per zone in turn (distinct zones while count <= zones). */
  private instances(
    side: DatabaseRegionProps,
    cluster: RdsCluster,
    base: RegionalBase,
    count: number,
    props: AuroraGlobalDatabaseProps,
  ): RdsClusterInstance[] {
    const { ctx } = side;
    const zones = ctx.availabilityZones;
    const key = props.key.keys[ctx.role];
    return Array.from({ length: count }, (_, i) => {
      const name = ctx.naming.name('rds', `aurora-${i + 1}`, ctx.region);
      return new RdsClusterInstance(this, `${ctx.role}-instance-${i + 1}`, {
        provider: ctx.provider,
        identifier: name,
        clusterIdentifier: cluster.id,
        instanceClass: 'db.serverless',
        engine: ENGINE,
        engineVersion: this.engineVersion,
        // Both regions must run the same engine version for switchover/failover; a minor upgrade applied in one
        // region's maintenance window would break that, so versions change only through this code.
        autoMinorVersionUpgrade: false,
        availabilityZone: zones[i % zones.length],
        dbSubnetGroupName: base.subnetGroup.name,
        publiclyAccessible: false,
        // Performance Insights data is encrypted with this region's key; the key is set per instance.
        performanceInsightsEnabled: true,
        performanceInsightsKmsKeyId: key.arn,
        performanceInsightsRetentionPeriod: 7,
        copyTagsToSnapshot: true,
        tags: { Name: name, DatabaseRole: ctx.role },
      });
    });
  }
}

interface RegionalBase {
  readonly securityGroup: SecurityGroup;
  readonly subnetGroup: DbSubnetGroup;
  readonly parameterGroup: RdsClusterParameterGroup;
}

interface Validated {
  readonly engineVersion: string;
  readonly majorVersion: number;
  readonly databaseName: string;
  readonly masterUsername: string;
  readonly minCapacity: number;
  readonly maxCapacity: number;
  readonly primaryInstanceCount: number;
  readonly drInstanceCount: number;
  readonly backupRetentionDays: number;
  readonly slowQueryMs: number;
  readonly globalDbRpoSeconds?: number;
}

const PREFIX = 'AuroraGlobalDatabase';

/** Checks every prop that AWS would reject at apply time; each message names the prop, the value and the fix. */
function validate(props: AuroraGlobalDatabaseProps): Validated {
  const fail = (message: string): never => {
    throw new Error(`${PREFIX}: ${message}`);
  };
  const known = (n: number) => !Token.isUnresolved(n);

  const roles: Array<[RegionRole, DatabaseRegionProps]> = [['primary', props.primary], ['dr', props.dr]];
  for (const [role, side] of roles) {
    if (side.ctx.role !== role) fail(`${role}.ctx must be the ${role} region's context, got role '${side.ctx.role}'`);
  }
  if (props.primary.ctx.region === props.dr.ctx.region) {
    fail(`primary and dr are both in ${props.primary.ctx.region}; a global database needs two regions`);
  }

  const engineVersion = props.engineVersion ?? DEFAULT_ENGINE_VERSION;
  const majorVersion =
    auroraMajorVersion(engineVersion) ?? fail(`engineVersion must be an aurora-postgresql version like "${DEFAULT_ENGINE_VERSION}", got "${engineVersion}"`);
  if (majorVersion < AURORA_MIN_MAJOR_VERSION) {
    fail(`engineVersion must be ${AURORA_MIN_MAJOR_VERSION}.x or later for Serverless v2 in a global database, got "${engineVersion}"`);
  }

  const databaseName = props.databaseName ?? 'payments';
  if (!/^[a-zA-Z][a-zA-Z0-9_]{0,62}$/.test(databaseName)) {
    fail(`databaseName must be 1-63 letters, digits or underscores starting with a letter, got "${databaseName}"`);
  }
  const masterUsername = props.masterUsername ?? 'dbadmin';
  if (!/^[a-zA-Z][a-zA-Z0-9]{0,15}$/.test(masterUsername)) {
    fail(`masterUsername must be 1-16 letters or digits starting with a letter, got "${masterUsername}"`);
  }
  if (masterUsername.toLowerCase() === 'rdsadmin') fail(`masterUsername "${masterUsername}" is reserved by RDS; choose another name`);

  const minCapacity = props.minCapacity ?? AURORA_DEFAULTS.minCapacity;
  const maxCapacity = props.maxCapacity ?? AURORA_DEFAULTS.maxCapacity;
  const halfSteps = (n: number) => Number.isInteger(n * 2);
  if (known(minCapacity)) {
    if (minCapacity < AURORA_MIN_ACU) {
      fail(`minCapacity must be at least ${AURORA_MIN_ACU} for a global database (writers never auto-pause), got ${minCapacity}`);
    }
    if (!halfSteps(minCapacity)) fail(`minCapacity must be a multiple of 0.5 ACU, got ${minCapacity}`);
  }
  if (known(maxCapacity)) {
    if (maxCapacity > AURORA_MAX_ACU) fail(`maxCapacity must be at most ${AURORA_MAX_ACU} ACUs (the Serverless v2 maximum), got ${maxCapacity}`);
    if (!halfSteps(maxCapacity)) fail(`maxCapacity must be a multiple of 0.5 ACU, got ${maxCapacity}`);
  }
  if (known(minCapacity) && known(maxCapacity) && maxCapacity < minCapacity) {
    fail(`maxCapacity (${maxCapacity}) must be at least minCapacity (${minCapacity}); raise maxCapacity or lower minCapacity`);
  }

  const count = (field: string, value: number) => {
    // Count drives how many resources exist, so it cannot be a token.
    if (Token.isUnresolved(value)) fail(`${field} must be a plain number (it decides how many instances are declared)`);
    if (!Number.isInteger(value) || value < 1 || value > 16) {
      fail(`${field} must be a whole number from 1 to 16 (an Aurora cluster has one writer and up to 15 readers), got ${value}`);
    }
    return value;
  };
  const primaryInstanceCount = count('primaryInstanceCount', props.primaryInstanceCount ?? 2);
  const drInstanceCount = count('drInstanceCount', props.drInstanceCount ?? AURORA_DEFAULTS.drInstanceCount);

  const backupRetentionDays = props.backupRetentionDays ?? AURORA_DEFAULTS.backupRetentionDays;
  if (known(backupRetentionDays) && (!Number.isInteger(backupRetentionDays) || backupRetentionDays < 1 || backupRetentionDays > 35)) {
    fail(`backupRetentionDays must be a whole number of days from 1 to 35, got ${backupRetentionDays}`);
  }

  const slowQueryMs = props.slowQueryMs ?? AURORA_DEFAULTS.slowQueryMs;
  if (known(slowQueryMs) && (!Number.isInteger(slowQueryMs) || slowQueryMs < -1)) {
    fail(`slowQueryMs must be a whole number of milliseconds (0 logs every statement, -1 turns logging off), got ${slowQueryMs}`);
  }

  const globalDbRpoSeconds = props.globalDbRpoSeconds;
  if (globalDbRpoSeconds !== undefined && known(globalDbRpoSeconds) && (!Number.isInteger(globalDbRpoSeconds) || globalDbRpoSeconds < 20)) {
    fail(`globalDbRpoSeconds must be a whole number of seconds >= 20 (the rds.global_db_rpo minimum), got ${globalDbRpoSeconds}`);
  }

  return {
    globalDbRpoSeconds,
    engineVersion,
    majorVersion,
    databaseName,
    masterUsername,
    minCapacity,
    maxCapacity,
    primaryInstanceCount,
    drInstanceCount,
    backupRetentionDays,
    slowQueryMs,
  };
}
