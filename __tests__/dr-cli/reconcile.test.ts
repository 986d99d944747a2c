import {
  CopyDBClusterSnapshotCommand,
  CreateDBInstanceCommand,
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  DescribeDBClustersCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBInstancesCommand,
  RestoreDBClusterFromSnapshotCommand,
} from '@aws-sdk/client-rds';
import { createHash } from 'node:crypto';
import type { Client } from 'pg';
import { runMigrations } from '../../lambdas/payment-processor/migrations';
import { main } from '../../src/dr-cli/main';
import { comparePayments, type Difference, type Queryable } from '../../src/dr-cli/reconcile-compare';
import { startPostgres, type TestPostgres } from '../support/postgres';
import { CLUSTER_ID, World } from '../support/dr-cli-world';

/**
 * `reconcile` against two real PostgreSQL databases: the old writer's final state (its restored snapshot) and the
 * new writer, seeded with divergent data — identical rows (a large volume), rows missing in the new writer,
 * conflicting rows under one id, conflicting duplicates under one idempotency key, and a client retry re-created
 * under another id.
 */

let pg: TestPostgres;
let oldDbName: string;
let newDbName: string;
let oldDb: Client;
let newDb: Client;
const IDENTICAL = 20_000;

/** A deterministic uuid for test row `n` of `tag`. */
const uuid = (tag: string, n: number) => {
  const h = createHash('md5').update(`${tag}-${n}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
};
const hash = (s: string) => createHash('sha256').update(s).digest('hex');

async function insert(db: Client, p: { id: string; key: string; amount: number; reference?: string; hashOf?: string; region?: string; at?: string }) {
  await db.query(
    `INSERT INTO payments (id, idempotency_key, request_hash, merchant_id, reference, amount, currency, region, created_at)
     VALUES ($1, $2, $3, 'merchant-1', $4, $5, 'EUR', $6, $7)`,
    [p.id, p.key, hash(p.hashOf ?? `${p.key}:${p.amount}`), p.reference ?? p.key, p.amount, p.region ?? 'us-east-1', p.at ?? '2025-01-15T11:59:00Z'],
  );
}

const PLANTED = {
  missing: [uuid('missing', 1), uuid('missing', 2), uuid('missing', 3)],
  conflictingSameId: uuid('same-id', 1),
  conflictingKey: 'key-conflict-1',
  retriedKey: 'key-retried-1',
};

beforeAll(async () => {
  pg = await startPostgres();
  oldDbName = await pg.createDatabase('old_writer');
  newDbName = await pg.createDatabase('new_writer');
  oldDb = await pg.client(oldDbName);
  newDb = await pg.client(newDbName);
  await runMigrations(oldDb);
  await runMigrations(newDb);
  // The bulk: identical in both (replicated before the failover).
  const bulk = `
    INSERT INTO payments (id, idempotency_key, request_hash, merchant_id, reference, amount, currency, region, created_at)
    SELECT md5('bulk-' || n)::uuid, 'bulk-' || n, encode(sha256(('bulk-' || n)::bytea), 'hex'), 'merchant-1', 'ref-' || n,
           100 + n, 'EUR', 'us-east-1', timestamptz '2025-01-15T00:00:00Z' + n * interval '1 second'
      FROM generate_series(1, ${IDENTICAL}) AS n`;
  await oldDb.query(bulk);
  await newDb.query(bulk);
  // Written by the old writer in the last seconds, never replicated.
  for (const [i, id] of PLANTED.missing.entries()) await insert(oldDb, { id, key: `key-lost-${i}`, amount: 5000 + i, at: '2025-01-15T11:59:5' + i + 'Z' });
  // One id, different content (amount).
  await insert(oldDb, { id: PLANTED.conflictingSameId, key: 'key-same-id', amount: 700 });
  await insert(newDb, { id: PLANTED.conflictingSameId, key: 'key-same-id', amount: 799, hashOf: 'key-same-id:700' });
  // One idempotency key, two different payments (the retry after the failover carried another body).
  await insert(oldDb, { id: uuid('dup-old', 1), key: PLANTED.conflictingKey, amount: 1200 });
  await insert(newDb, { id: uuid('dup-new', 1), key: PLANTED.conflictingKey, amount: 2100, region: 'us-west-2' });
  // The same request retried after the failover: same key and body, new id.
  await insert(oldDb, { id: uuid('retry-old', 1), key: PLANTED.retriedKey, amount: 300 });
  await insert(newDb, { id: uuid('retry-new', 1), key: PLANTED.retriedKey, amount: 300, region: 'us-west-2' });
  // Only in the new writer, written after the failover: not a difference.
  await insert(newDb, { id: uuid('after', 1), key: 'key-after-failover', amount: 900, region: 'us-west-2', at: '2025-01-15T12:10:00Z' });
}, 180_000);

afterAll(async () => {
  await Promise.allSettled([oldDb?.end(), newDb?.end()]);
  await pg?.stop();
});

/** Counts the rows every query returns: the comparison must never load a table whole. */
function counting(db: Client): Queryable & { maxRows: number; queries: number } {
  const q = {
    maxRows: 0,
    queries: 0,
    async query<R>(sql: string, values?: unknown[]) {
      const res = await db.query(sql, values);
      q.queries += 1;
      q.maxRows = Math.max(q.maxRows, res.rows.length);
      return { rows: res.rows as R[] };
    },
  };
  return q;
}

describe('payments comparison (two real PostgreSQL databases)', () => {
  test('finds every planted difference and nothing else, in pages no larger than the page size', async () => {
    const found: Difference[] = [];
    const o = counting(oldDb);
    const n = counting(newDb);
    const before = process.memoryUsage().heapUsed;
    const summary = await comparePayments(o, n, { pageSize: 500 }, (d) => {
      found.push(d);
    });
    const grownMb = (process.memoryUsage().heapUsed - before) / 1e6;

    const total = IDENTICAL + PLANTED.missing.length + 3;
    expect(summary.oldRowsCompared).toBe(total);
    expect(summary.identical).toBe(IDENTICAL);
    expect(summary.differences).toEqual({ 'missing-in-new': 3, 'conflicting-duplicate': 1, 'conflicting-same-id': 1, 'same-payment-other-id': 1 });
    expect(found.filter((d) => d.kind === 'missing-in-new').map((d) => d.old.id).sort()).toEqual([...PLANTED.missing].sort());
    expect(found.find((d) => d.kind === 'conflicting-same-id')).toMatchObject({
      old: { id: PLANTED.conflictingSameId, amount: '700' },
      new: { id: PLANTED.conflictingSameId, amount: '799' },
      differingFields: ['amount'],
    });
    expect(found.find((d) => d.kind === 'conflicting-duplicate')).toMatchObject({
      old: { idempotency_key: PLANTED.conflictingKey, id: uuid('dup-old', 1), amount: '1200' },
      new: { idempotency_key: PLANTED.conflictingKey, id: uuid('dup-new', 1), amount: '2100', region: 'us-west-2' },
      differingFields: ['id', 'request_hash', 'amount'],
    });
    expect(found.find((d) => d.kind === 'same-payment-other-id')).toMatchObject({ old: { id: uuid('retry-old', 1) }, new: { id: uuid('retry-new', 1) }, differingFields: ['id'] });
    expect(found.some((d) => d.old.idempotency_key === 'key-after-failover')).toBe(false);

    // Bounded memory: keyset pages of 500 rows; no query returns more, whatever the table size.
    expect(summary.pages).toBe(Math.ceil(total / 500));
    expect(summary.maxRowsPerQuery).toBeLessThanOrEqual(500);
    expect(o.maxRows).toBeLessThanOrEqual(500);
    expect(n.maxRows).toBeLessThanOrEqual(500);
    // Typical, not a bound: the heap grows by far less than the 20 000 rows would take loaded at once.
    expect(grownMb).toBeLessThan(40);
  }, 120_000);

  test('--since narrows the comparison to payments created from that time', async () => {
    const found: Difference[] = [];
    const summary = await comparePayments(oldDb, newDb, { pageSize: 100, since: new Date('2025-01-15T11:59:00Z') }, (d) => {
      found.push(d);
    });
    // The bulk ends at 05:33:20; the planted rows are from 11:59.
    expect(summary.oldRowsCompared).toBe(PLANTED.missing.length + 3);
    expect(found).toHaveLength(6);
  });
});

describe('reconcile command', () => {
  let world: World;
  beforeEach(() => {
    world = new World();
  });
  afterEach(() => world.restore());

  const url = (db: string) => `postgres://${pg.user}:${pg.password}@${pg.host}:${pg.port}/${db}`;
  const run = async (...argv: string[]) => {
    const deps = world.deps();
    const code = await main(argv, {
      ...deps,
      appendFile: (p: string, t: string) => world.files.set(p, (world.files.get(p) ?? '') + t),
    });
    return { code, out: world.stdout.text, err: world.stderr.text };
  };
  const written = (suffix: string) => {
    const entry = [...world.files.entries()].find(([p]) => p.startsWith('/work/out/reconcile-') && p.endsWith(suffix));
    if (!entry) throw new Error(`no ${suffix} written`);
    return entry[1];
  };

  test('--compare writes CSV and JSON for finance with every planted difference', async () => {
    world.env.RECONCILE_OLD_DATABASE_URL = url(oldDbName);
    world.env.RECONCILE_NEW_DATABASE_URL = url(newDbName);
    const r = await run('reconcile', '--compare', '--restored-cluster', `${CLUSTER_ID.primary}-reconcile`, '--old-cluster', 'primary', '--out', 'out', '--page-size', '1000');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/RECONCILE: 20006 payments of the old writer compared \(20000 identical\), 6 difference\(s\)/);
    expect(r.out).toMatch(/missing in the new writer: 3/);

    const csv = written('.csv').trim().split('\n');
    expect(csv[0]).toMatch(/^kind,payment_id,idempotency_key,merchant_id,reference,amount_minor,currency,created_at,/);
    expect(csv).toHaveLength(7);
    for (const id of PLANTED.missing) expect(csv.some((l) => l.startsWith(`missing-in-new,${id},`) && /re-apply .* or refund/.test(l))).toBe(true);
    expect(csv.filter((l) => l.startsWith('conflicting-duplicate,'))).toHaveLength(1);

    const json = JSON.parse(written('.json'));
    expect(json.kind).toBe('dr-reconcile');
    expect(json.differences).toHaveLength(6);
    expect(json.summary).toMatchObject({ oldRowsCompared: 20006, identical: 20000, oldCluster: `${CLUSTER_ID.primary}-reconcile`, oldRegion: 'us-east-1' });
  }, 60_000);

  test('--compare refuses without both database URLs', async () => {
    const r = await run('reconcile', '--compare', '--restored-cluster', 'x-reconcile', '--old-cluster', 'primary');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/needs RECONCILE_OLD_DATABASE_URL .* and RECONCILE_NEW_DATABASE_URL/);
  });

  test('keeps the newest unplanned-failover snapshot as a manual copy and restores it to a temporary cluster', async () => {
    const rds = world.mocks.primary.rds;
    // A copy reports "creating" twice, then "available".
    const snapshots: Record<string, number> = {};
    rds.on(DescribeDBClusterSnapshotsCommand).callsFake((input: { DBClusterSnapshotIdentifier?: string; DBClusterIdentifier?: string }) => {
      if (input.DBClusterSnapshotIdentifier) {
        const polls = snapshots[input.DBClusterSnapshotIdentifier];
        if (polls === undefined) throw Object.assign(new Error('not found'), { name: 'DBClusterSnapshotNotFoundFault' });
        snapshots[input.DBClusterSnapshotIdentifier] = polls + 1;
        return { DBClusterSnapshots: [{ DBClusterSnapshotIdentifier: input.DBClusterSnapshotIdentifier, Status: polls >= 2 ? 'available' : 'creating' }] };
      }
      return {
        DBClusterSnapshots: [
          { DBClusterSnapshotIdentifier: `rds:${CLUSTER_ID.primary}-2025-01-14-05-00`, SnapshotType: 'automated', SnapshotCreateTime: new Date('2025-01-14T05:00:00Z') },
          { DBClusterSnapshotIdentifier: `rds:unplanned-global-failover-${CLUSTER_ID.primary}-older`, SnapshotType: 'automated', SnapshotCreateTime: new Date('2025-01-10T08:00:00Z') },
          { DBClusterSnapshotIdentifier: `rds:unplanned-global-failover-${CLUSTER_ID.primary}-abc`, SnapshotType: 'automated', SnapshotCreateTime: new Date('2025-01-15T12:30:00Z') },
        ],
      };
    });
    rds.on(CopyDBClusterSnapshotCommand).callsFake((input: { TargetDBClusterSnapshotIdentifier: string }) => {
      snapshots[input.TargetDBClusterSnapshotIdentifier] = 0;
      return {};
    });
    let restored = false;
    rds.on(DescribeDBClustersCommand).callsFake((input: { DBClusterIdentifier: string }) => {
      if (input.DBClusterIdentifier === CLUSTER_ID.primary) {
        return {
          DBClusters: [
            {
              DBClusterIdentifier: CLUSTER_ID.primary,
              Engine: 'aurora-postgresql',
              EngineVersion: '16.6',
              DBSubnetGroup: 'pay-dev-use1-db',
              VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-db1' }],
              KmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/mrk-1',
            },
          ],
        };
      }
      if (!restored) throw Object.assign(new Error('not found'), { name: 'DBClusterNotFoundFault' });
      return { DBClusters: [{ DBClusterIdentifier: input.DBClusterIdentifier, Status: 'available', Endpoint: 'tmp.cluster-x.us-east-1.rds.amazonaws.com' }] };
    });
    rds.on(RestoreDBClusterFromSnapshotCommand).callsFake(() => {
      restored = true;
      return {};
    });
    rds.on(CreateDBInstanceCommand).resolves({});
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceStatus: 'available' }] });

    const r = await run('reconcile', '--old-cluster', 'primary', '--poll-interval', '1s');
    expect(r.err).not.toMatch(/failed|refused/);
    expect(r.code).toBe(0);
    const kept = `${CLUSTER_ID.primary}-unplanned-failover-20250115t123000z`;
    expect(world.calls('primary', 'rds', CopyDBClusterSnapshotCommand)).toEqual([
      expect.objectContaining({ SourceDBClusterSnapshotIdentifier: `rds:unplanned-global-failover-${CLUSTER_ID.primary}-abc`, TargetDBClusterSnapshotIdentifier: kept }),
    ]);
    expect(world.calls('primary', 'rds', RestoreDBClusterFromSnapshotCommand)).toEqual([
      expect.objectContaining({
        DBClusterIdentifier: `${CLUSTER_ID.primary}-reconcile`,
        SnapshotIdentifier: kept,
        DBSubnetGroupName: 'pay-dev-use1-db',
        VpcSecurityGroupIds: ['sg-db1'],
        KmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/mrk-1',
        DeletionProtection: false,
      }),
    ]);
    expect(world.calls('primary', 'rds', CreateDBInstanceCommand)).toEqual([expect.objectContaining({ DBInstanceClass: 'db.serverless', DBClusterIdentifier: `${CLUSTER_ID.primary}-reconcile` })]);
    expect(r.out).toMatch(/Kept: manual snapshot .*-unplanned-failover-20250115t123000z \(does not expire\)/);
    expect(r.out).toContain(`npm run dr -- reconcile --compare --restored-cluster ${CLUSTER_ID.primary}-reconcile --old-cluster primary`);

    // Re-running reuses the copy and the cluster.
    world.stdout.text = '';
    expect((await run('reconcile', '--old-cluster', 'primary')).code).toBe(0);
    expect(world.calls('primary', 'rds', CopyDBClusterSnapshotCommand)).toHaveLength(1);
    expect(world.calls('primary', 'rds', RestoreDBClusterFromSnapshotCommand)).toHaveLength(1);
  });

  test('the old writer defaults to the site that is not the writer now', async () => {
    world.writer = 'dr';
    world.mocks.primary.rds.on(DescribeDBClusterSnapshotsCommand).resolves({ DBClusterSnapshots: [] });
    const r = await run('reconcile');
    expect(r.code).toBe(2);
    expect(r.err).toContain(`no rds:unplanned-global-failover-* snapshot of ${CLUSTER_ID.primary}:`);
    expect(world.calls('primary', 'rds', DescribeDBClusterSnapshotsCommand)[0]).toEqual(expect.objectContaining({ DBClusterIdentifier: CLUSTER_ID.primary }));
  });

  test('--cleanup prints (--dry-run) or deletes the temporary cluster, never anything else', async () => {
    let r = await run('reconcile', '--cleanup', '--dry-run', '--old-cluster', 'primary');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`aws rds delete-db-cluster --region us-east-1 --db-cluster-identifier ${CLUSTER_ID.primary}-reconcile --skip-final-snapshot`);
    expect(world.calls('primary', 'rds', DeleteDBClusterCommand)).toHaveLength(0);

    world.mocks.primary.rds.on(DeleteDBInstanceCommand).resolves({});
    world.mocks.primary.rds.on(DeleteDBClusterCommand).resolves({});
    r = await run('reconcile', '--cleanup', '--old-cluster', 'primary');
    expect(r.code).toBe(0);
    expect(world.calls('primary', 'rds', DeleteDBClusterCommand)).toEqual([{ DBClusterIdentifier: `${CLUSTER_ID.primary}-reconcile`, SkipFinalSnapshot: true }]);

    r = await run('reconcile', '--cleanup', '--old-cluster', 'primary', '--restored-cluster', CLUSTER_ID.primary);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/is not a temporary reconcile cluster/);
  });
});
