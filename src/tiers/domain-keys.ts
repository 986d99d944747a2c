import { Construct } from 'constructs';
import { Tier } from '../composition';
import { MultiRegionKey } from '../constructs/multi-region-key';
import { RegionContext } from '../region';

export interface DomainKeysProps {
  readonly primary: RegionContext;
  readonly dr: RegionContext;
  /** Days KMS waits before deleting a key scheduled for deletion (config `protection.kmsDeletionWindowDays`). */
  readonly deletionWindowInDays: number;
  /** `failover.mode: "automatic"`: the failover controllers' state machines are encrypted with the logs key. */
  readonly automaticFailover: boolean;
}

/**
 * One multi-region key per data domain; each key policy grants only the services of that domain. A tier: the keys
 * keep their stack-level addresses (`logs-key`, `database-key`, …).
 */
export class DomainKeys extends Tier {
  /**
   * Log groups, alarms and topics (EventBridge rules publish AWS Backup job failures to the alert topics), and in
   * automatic mode the failover controllers' state machines (`states`, FailoverController).
   */
  public readonly logs: MultiRegionKey;
  /** Aurora, the secrets and the sessions table. */
  public readonly database: MultiRegionKey;
  /**
   * S3 objects and AWS Backup vaults. RDS is listed because AWS Backup re-encrypts the cross-region copies of Aurora
   * snapshots with the destination vault's key through RDS.
   */
  public readonly storage: MultiRegionKey;
  /** Payment event queues (SQS, read by downstream systems; EventBridge delivers as itself). */
  public readonly events: MultiRegionKey;

  constructor(scope: Construct, id: string, props: DomainKeysProps) {
    super(scope, id);
    const key = (keyId: string, domain: string, users: ConstructorParameters<typeof MultiRegionKey>[2]['users']) =>
      new MultiRegionKey(this, keyId, { primary: props.primary, dr: props.dr, domain, users, deletionWindowInDays: props.deletionWindowInDays });
    this.logs = key('logs-key', 'logs', ['logs', 'cloudwatch', 'sns', 'events', ...(props.automaticFailover ? (['states'] as const) : [])]);
    this.database = key('database-key', 'database', ['rds', 'secretsmanager', 'dynamodb']);
    this.storage = key('storage-key', 'storage', ['s3', 'backup', 'rds']);
    this.events = key('events-key', 'events', ['sqs', 'events']);
  }
}
