import { Construct } from 'constructs';
import { Tier } from '../composition';
import { PlatformConfig } from '../config';
import { AuroraGlobalDatabase } from '../constructs/aurora-global-database';
import { CrossRegionBackup } from '../constructs/cross-region-backup';
import { ReplicatedBucket } from '../constructs/replicated-bucket';
import { SessionTable } from '../constructs/session-table';
import { RegionRole } from '../region';
import { DomainKeys } from './domain-keys';
import { Site } from './site';

export interface DataTierProps {
  readonly primary: Site;
  readonly dr: Site;
  readonly keys: Pick<DomainKeys, 'logs' | 'database' | 'storage'>;
  /** The site that holds the writer and runs the backup plan. */
  readonly activeRole: RegionRole;
  readonly config: Pick<PlatformConfig, 'protection' | 'database' | 'objectives' | 'logRetentionDays' | 'backup'>;
}

/**
 * Everything that holds data, replicated to the other site: the Aurora global database (and its credentials), the
 * sessions table, the artefacts bucket and the cross-region backups. A tier: each keeps its stack-level address.
 */
export class DataTier extends Tier {
  public readonly database: AuroraGlobalDatabase;
  public readonly sessions: SessionTable;
  public readonly artifacts: ReplicatedBucket;
  public readonly backup: CrossRegionBackup;

  constructor(scope: Construct, id: string, props: DataTierProps) {
    super(scope, id);
    const { primary, dr, keys, config, activeRole: active } = props;
    const protection = config.protection;
    this.database = new AuroraGlobalDatabase(this, 'database', {
      primary,
      dr,
      appSecurityGroup: { primary: primary.appSecurityGroup, dr: dr.appSecurityGroup },
      key: keys.database,
      protection,
      engineVersion: config.database.engineVersion,
      minCapacity: config.database.minCapacity,
      maxCapacity: config.database.maxCapacity,
      primaryInstanceCount: config.database.primaryInstances,
      drInstanceCount: config.database.drInstances,
      backupRetentionDays: config.database.backupRetentionDays,
      slowQueryMs: config.database.slowQueryMs,
      globalDbRpoSeconds: config.objectives.rpoSeconds,
      recoveryWindowInDays: protection.secretRecoveryWindowDays,
      exportedLogs: { key: keys.logs, retentionDays: config.logRetentionDays },
      activeRole: active,
    });
    primary.allowDatabase(this.database);
    dr.allowDatabase(this.database);

    this.sessions = new SessionTable(this, 'sessions', {
      primary: primary.ctx,
      dr: dr.ctx,
      key: keys.database,
      deletionProtection: protection.deletionProtection,
      preventDestroy: protection.preventDestroy,
    });

    this.artifacts = new ReplicatedBucket(this, 'artifacts', {
      primary: primary.ctx,
      dr: dr.ctx,
      key: keys.storage,
      purpose: 'artifacts',
      forceDestroy: protection.forceDestroyBuckets,
      preventDestroy: protection.preventDestroy,
    });

    // Replication copies logical corruption faithfully; backups copied to the other site's vault can undo it. The
    // plan runs in the active site's region, on the active cluster and the table's replica there.
    this.backup = new CrossRegionBackup(this, 'backup', {
      primary: primary.ctx,
      dr: dr.ctx,
      key: keys.storage,
      source: active,
      resources: [{ arn: this.database.activeCluster.arn }, { arn: this.sessions.tableArns[active] }],
      forceDestroy: protection.forceDestroyBuckets,
      schedule: config.backup.schedule,
      retentionDays: config.backup.retentionDays,
      copyRetentionDays: config.backup.copyRetentionDays,
    });
  }
}
