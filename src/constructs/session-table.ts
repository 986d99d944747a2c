import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import { Construct } from 'constructs';
import { PolicyStatement, allow } from '../iam';
import { PerRegion, RegionContext, RegionRole } from '../region';
import { MultiRegionKey } from './multi-region-key';
import { checkRegionPair } from './replicated-bucket';
import { dynamodbTableArn } from '../arn';

/** `primary`: region of the table (the replica is managed from there); `dr`: region of the replica. */
export interface SessionTableProps extends PerRegion<RegionContext> {
  /** Encrypts the table (primary key) and its replica (the key's replica in the DR region). */
  readonly key: MultiRegionKey;
  /** DynamoDB deletion protection on the table (prod). */
  readonly deletionProtection: boolean;
  /** Terraform `lifecycle.prevent_destroy` on the table (prod). */
  readonly preventDestroy: boolean;
  /**
   * Attribute holding each item's expiry, in epoch seconds (a Number); DynamoDB deletes expired items.
   * @default 'expiresAt'
   */
  readonly ttlAttribute?: string;
}

/** The partition key: one item per session. */
export const SESSION_KEY = 'sessionId';

/** DynamoDB attribute names are 1-255 characters (DynamoDB Developer Guide, naming rules). */
const MAX_ATTRIBUTE_NAME = 255;

/**
 * Session state in a DynamoDB global table (version 2019.11.21): the table in the primary region and a replica in
 * the DR region, each encrypted with its region's key, with point-in-time recovery on both.
 *
 * Global tables replicate asynchronously and resolve concurrent writes to the same item with last-writer-wins
 * (the default multi-region mode). That is fine for sessions, which may be lost or recreated, but nothing that
 * must be unique across regions can rely on it: payment idempotency keys therefore live in Aurora, behind its
 * single writer, not here.
 */
export class SessionTable extends Construct {
  public readonly table: DynamodbTable;
  /** Physical name, the same in both regions. */
  public readonly tableName: string;
  public readonly ttlAttribute: string;
  /**
   * The table's ARN in each site's region. The replica's ARN is a computed attribute inside a set of blocks, so it
   * is built from the known name (same in both regions).
   */
  public readonly tableArns: PerRegion<string>;

  constructor(scope: Construct, id: string, props: SessionTableProps) {
    super(scope, id);
    const { primary, dr, key } = props;
    const ttlAttribute = props.ttlAttribute ?? 'expiresAt';
    validate(props, ttlAttribute);
    this.ttlAttribute = ttlAttribute;
    // Global table replicas share the name, so it carries no region code.
    this.tableName = primary.naming.name('generic', 'sessions');

    this.table = new DynamodbTable(this, 'table', {
      provider: primary.provider,
      name: this.tableName,
      billingMode: 'PAY_PER_REQUEST',
      hashKey: SESSION_KEY,
      attribute: [{ name: SESSION_KEY, type: 'S' }],
      ttl: { enabled: true, attributeName: ttlAttribute },
      // Global tables replicate through streams with both images.
      streamEnabled: true,
      streamViewType: 'NEW_AND_OLD_IMAGES',
      serverSideEncryption: { enabled: true, kmsKeyArn: key.keys.primary.arn },
      pointInTimeRecovery: { enabled: true },
      deletionProtectionEnabled: props.deletionProtection,
      // Every replica of a table encrypted with a customer key needs its own key in its region. Provider 5.100's
      // `replica` block has no `deletion_protection_enabled` (only `aws_dynamodb_table_replica` has, and the two
      // must not be mixed): the replica's deletion protection is not managed here.
      replica: [
        {
          regionName: dr.region,
          kmsKeyArn: key.keys.dr.arn,
          pointInTimeRecovery: true,
          propagateTags: true,
        },
      ],
      tags: { Name: this.tableName },
      lifecycle: { preventDestroy: props.preventDestroy },
    });
    this.tableArns = { primary: this.table.arn, dr: dynamodbTableArn(dr, this.tableName) };
  }

  /**
   * Lets a function of one site do `actions` on that site's copy of the table (never the other region's: a
   * Lambda keeps working while the other region is down).
   */
  grant(role: RegionRole, sid: string, actions: readonly `dynamodb:${string}`[]): PolicyStatement {
    return allow(sid, actions, [this.tableArns[role]]);
  }
}

function validate(props: SessionTableProps, ttlAttribute: string): void {
  const what = 'SessionTable';
  checkRegionPair(what, props.primary, props.dr, props.key);
  if (ttlAttribute.length < 1 || ttlAttribute.length > MAX_ATTRIBUTE_NAME) {
    throw new Error(
      `${what}: 'ttlAttribute' must be 1-${MAX_ATTRIBUTE_NAME} characters, got '${ttlAttribute}' (${ttlAttribute.length}); use e.g. 'expiresAt'`,
    );
  }
  if (ttlAttribute === SESSION_KEY) {
    throw new Error(
      `${what}: 'ttlAttribute' is '${ttlAttribute}', the partition key (a String); TTL needs its own Number attribute such as 'expiresAt'`,
    );
  }
}
