import { join, resolve } from 'node:path';
import {
  CopyDBClusterSnapshotCommand,
  CreateDBInstanceCommand,
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  DescribeDBClustersCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBInstancesCommand,
  RestoreDBClusterFromSnapshotCommand,
  type DBClusterSnapshot,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { Client } from 'pg';
import { describeGlobalCluster, errorText } from './aws';
import { EXIT_FAILED, EXIT_OK, EXIT_REFUSED, say, tell, type Ctx, type ExitCode } from './context';
import { otherSite, writerSite } from './decisions';
import { formatDuration, iso } from './format';
import type { RegionSite, Role } from './outputs';
import { comparePayments, CSV_HEADER, csvLine, FINANCE_ACTION, type CompareSummary, type Difference, type Queryable } from './reconcile-compare';

/**
 * `reconcile`: after an unplanned failover, the only copy of the writes that did not replicate is the old writer's
 * `rds:unplanned-global-failover-*` cluster snapshot, which expires with the old cluster's backup retention.
 *
 * 1. (default) Copies that snapshot to a manual snapshot (manual snapshots never expire), restores the copy to a
 *    temporary cluster in the old writer's subnets and security groups, and prints how to connect.
 * 2. `--compare`: compares the payments of the restored cluster (RECONCILE_OLD_DATABASE_URL) with the new writer's
 *    (RECONCILE_NEW_DATABASE_URL) by id and idempotency key, streamed in keyset pages, and writes CSV + JSON for
 *    finance. `--restored-cluster` names an already restored cluster (step 1 is skipped).
 * 3. `--cleanup` (`--dry-run` prints it): deletes the temporary cluster; the manual snapshot stays as evidence.
 */

export interface ReconcileOptions {
  readonly snapshotId?: string;
  /** The old writer's site; by default the site that is not the writer now. */
  readonly oldRole?: Role;
  readonly restoredCluster?: string;
  readonly compare: boolean;
  readonly since?: Date;
  readonly pageSize: number;
  readonly outDir?: string;
  readonly cleanup: boolean;
  readonly dryRun: boolean;
  readonly timeoutMs: number;
  readonly pollMs: number;
}

export const UNPLANNED_SNAPSHOT_PREFIX = 'rds:unplanned-global-failover-';

/** `send`, with the named not-found fault turned into `undefined`. */
async function unlessNotFound<T>(call: () => Promise<T>, fault: string): Promise<T | undefined> {
  try {
    return await call();
  } catch (e) {
    if ((e as Error).name === fault) return undefined;
    throw e;
  }
}

class Stop extends Error {
  constructor(
    message: string,
    readonly code: ExitCode,
  ) {
    super(message);
  }
}

/** `pay-dev-aurora-use1` → `pay-dev-aurora-use1-reconcile` (RDS identifiers: 63 characters at most). */
export function temporaryClusterId(oldClusterId: string): string {
  return `${oldClusterId.slice(0, 63 - '-reconcile'.length)}-reconcile`;
}

/** A manual snapshot id from the automated one's cluster and creation time: `<cluster>-unplanned-failover-20250115t120000z`. */
export function keptSnapshotId(oldClusterId: string, created: Date): string {
  const stamp = created.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'z').toLowerCase();
  return `${oldClusterId}-unplanned-failover-${stamp}`.slice(0, 255);
}

async function oldSite(ctx: Ctx, opts: ReconcileOptions): Promise<RegionSite> {
  if (opts.oldRole) return ctx.outputs[opts.oldRole];
  const { deps, outputs } = ctx;
  const view = await Promise.any(
    [outputs.dr, outputs.primary].map((s) => describeGlobalCluster(deps.aws.inRegion(s.region).rds, outputs.globalClusterId)),
  ).catch(() => {
    throw new Stop('could not read the global cluster in either region to tell which site was the old writer: pass --old-cluster primary|dr', EXIT_FAILED);
  });
  const writer = writerSite(view, outputs);
  if (!writer) throw new Stop('the global cluster has no writer of this stack: pass --old-cluster primary|dr', EXIT_REFUSED);
  return otherSite(outputs, writer);
}

/** The newest `rds:unplanned-global-failover-*` snapshot of `clusterId` (or the one named). */
async function findSnapshot(rds: RDSClient, clusterId: string, named?: string): Promise<DBClusterSnapshot> {
  if (named) {
    const out = await rds.send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: named }));
    const s = out.DBClusterSnapshots?.[0];
    if (!s) throw new Stop(`snapshot ${named} not found`, EXIT_REFUSED);
    return s;
  }
  const found: DBClusterSnapshot[] = [];
  let marker: string | undefined;
  do {
    // No SnapshotType filter: automated and manual snapshots of the cluster both come back, and the failover
    // snapshot is recognised by its name.
    const out = await rds.send(new DescribeDBClusterSnapshotsCommand({ DBClusterIdentifier: clusterId, Marker: marker }));
    found.push(...(out.DBClusterSnapshots ?? []).filter((s) => s.DBClusterSnapshotIdentifier?.startsWith(UNPLANNED_SNAPSHOT_PREFIX)));
    marker = out.Marker;
  } while (marker);
  if (found.length === 0) {
    throw new Stop(
      `no ${UNPLANNED_SNAPSHOT_PREFIX}* snapshot of ${clusterId}: Aurora takes it when the old writer's region comes back after an ` +
        'allow-data-loss failover; if it has expired, nothing can be reconciled from Aurora (name one with --snapshot)',
      EXIT_REFUSED,
    );
  }
  found.sort((a, b) => new Date(b.SnapshotCreateTime ?? 0).getTime() - new Date(a.SnapshotCreateTime ?? 0).getTime());
  return found[0];
}

async function waitFor(ctx: Ctx, what: string, timeoutMs: number, pollMs: number, check: () => Promise<string | undefined>): Promise<void> {
  const start = ctx.deps.now();
  let last: string | undefined;
  for (;;) {
    last = await check();
    if (last === 'available') return;
    if (ctx.deps.now() - start >= timeoutMs) throw new Stop(`${what} is still "${last ?? 'missing'}" after ${formatDuration(timeoutMs)}; re-run the command to carry on`, EXIT_FAILED);
    tell(ctx, `reconcile: ${what}: ${last ?? 'not visible yet'}`);
    await ctx.deps.sleep(pollMs);
  }
}

/** Step 1: keep the snapshot and restore it. Idempotent: what exists already is reused. */
async function prepare(ctx: Ctx, site: RegionSite, opts: ReconcileOptions): Promise<{ keptSnapshot: string; cluster: string; endpoint?: string }> {
  const rds = ctx.deps.aws.inRegion(site.region).rds;
  const source = await findSnapshot(rds, site.clusterId, opts.snapshotId);
  const sourceId = source.DBClusterSnapshotIdentifier!;
  const created = new Date(source.SnapshotCreateTime ?? ctx.deps.now());
  const kept = source.SnapshotType === 'manual' ? sourceId : keptSnapshotId(site.clusterId, created);
  tell(ctx, `reconcile: failover snapshot ${sourceId} of ${site.clusterId} (${site.region}), taken ${iso(created.getTime())}`);

  if (kept !== sourceId) {
    const existing = await unlessNotFound(() => rds.send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: kept })), 'DBClusterSnapshotNotFoundFault');
    if (!existing?.DBClusterSnapshots?.length) {
      tell(ctx, `reconcile: copying it to the manual snapshot ${kept} (manual snapshots do not expire)`);
      // Same-region copy: without KmsKeyId the copy stays encrypted with the source's key.
      await rds.send(
        new CopyDBClusterSnapshotCommand({
          SourceDBClusterSnapshotIdentifier: sourceId,
          TargetDBClusterSnapshotIdentifier: kept,
          Tags: [
            { Key: 'Purpose', Value: 'dr-reconcile-evidence' },
            { Key: 'SourceSnapshot', Value: sourceId.replace(/[^\p{L}\p{N}\s_.:/=+\-@]/gu, '-') },
          ],
        }),
      );
    }
    await waitFor(ctx, `snapshot copy ${kept}`, opts.timeoutMs, opts.pollMs, async () => {
      const out = await rds.send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: kept }));
      return out.DBClusterSnapshots?.[0]?.Status;
    });
  }

  const cluster = temporaryClusterId(site.clusterId);
  const describe = async () => (await unlessNotFound(() => rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: cluster })), 'DBClusterNotFoundFault'))?.DBClusters?.[0];
  if (!(await describe())) {
    const old = (await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: site.clusterId }))).DBClusters?.[0];
    if (!old) throw new Stop(`the old cluster ${site.clusterId} is not visible in ${site.region}: cannot copy its network settings`, EXIT_FAILED);
    tell(ctx, `reconcile: restoring ${kept} to the temporary cluster ${cluster} (subnets and security groups of ${site.clusterId})`);
    await rds.send(
      new RestoreDBClusterFromSnapshotCommand({
        DBClusterIdentifier: cluster,
        SnapshotIdentifier: kept,
        Engine: old.Engine ?? 'aurora-postgresql',
        EngineVersion: old.EngineVersion,
        DBSubnetGroupName: old.DBSubnetGroup,
        VpcSecurityGroupIds: (old.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId!).filter(Boolean),
        KmsKeyId: old.KmsKeyId,
        ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 4 },
        DeletionProtection: false,
        Tags: [{ Key: 'Purpose', Value: 'dr-reconcile-temporary' }],
      }),
    );
    await rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: `${cluster.slice(0, 61)}-1`,
        DBClusterIdentifier: cluster,
        DBInstanceClass: 'db.serverless',
        Engine: old.Engine ?? 'aurora-postgresql',
        Tags: [{ Key: 'Purpose', Value: 'dr-reconcile-temporary' }],
      }),
    );
  }
  await waitFor(ctx, `temporary cluster ${cluster}`, opts.timeoutMs, opts.pollMs, async () => (await describe())?.Status);
  await waitFor(ctx, `instance ${cluster.slice(0, 61)}-1`, opts.timeoutMs, opts.pollMs, async () => {
    const out = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: `${cluster.slice(0, 61)}-1` }));
    return out.DBInstances?.[0]?.DBInstanceStatus;
  });
  return { keptSnapshot: kept, cluster, endpoint: (await describe())?.Endpoint };
}

async function cleanup(ctx: Ctx, site: RegionSite, opts: ReconcileOptions): Promise<ExitCode> {
  const cluster = opts.restoredCluster ?? temporaryClusterId(site.clusterId);
  const instance = `${cluster.slice(0, 61)}-1`;
  const commands = [
    `aws rds delete-db-instance --region ${site.region} --db-instance-identifier ${instance} --skip-final-snapshot`,
    `aws rds delete-db-cluster --region ${site.region} --db-cluster-identifier ${cluster} --skip-final-snapshot`,
  ];
  if (!cluster.endsWith('-reconcile')) {
    tell(ctx, `refused: ${cluster} is not a temporary reconcile cluster (its name does not end in -reconcile); delete it yourself if you mean it`);
    return EXIT_REFUSED;
  }
  if (opts.dryRun) {
    say(ctx, ['Cleanup (dry run, nothing deleted):', ...commands.map((c) => `  ${c}`), 'The manual snapshot copy stays: it is the evidence finance may need.'].join('\n'));
    return EXIT_OK;
  }
  const rds = ctx.deps.aws.inRegion(site.region).rds;
  try {
    await unlessNotFound(() => rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: instance, SkipFinalSnapshot: true })), 'DBInstanceNotFoundFault');
    await unlessNotFound(() => rds.send(new DeleteDBClusterCommand({ DBClusterIdentifier: cluster, SkipFinalSnapshot: true })), 'DBClusterNotFoundFault');
  } catch (e) {
    tell(ctx, `cleanup failed (${errorText(e)}); delete by hand:\n${commands.map((c) => `  ${c}`).join('\n')}`);
    return EXIT_FAILED;
  }
  say(ctx, `Deleting the temporary cluster ${cluster} and its instance ${instance} in ${site.region}. The manual snapshot copy stays (evidence).`);
  return EXIT_OK;
}

/** Step 2: the comparison, streamed to `<out>/reconcile-<stamp>.csv` and `.json`. */
export async function compareAndWrite(
  ctx: Ctx,
  oldDb: Queryable,
  newDb: Queryable,
  opts: Pick<ReconcileOptions, 'pageSize' | 'since' | 'outDir'> & { readonly labels: Record<string, string> },
): Promise<{ summary: CompareSummary; csvPath: string; jsonPath: string }> {
  const { deps } = ctx;
  const append = deps.appendFile ?? ((p: string, t: string) => deps.writeFile(p, t));
  const stamp = iso(deps.now()).replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const dir = resolve(deps.cwd, opts.outDir ?? '.');
  const csvPath = join(dir, `reconcile-${stamp}.csv`);
  const jsonPath = join(dir, `reconcile-${stamp}.json`);
  deps.writeFile(csvPath, CSV_HEADER);
  deps.writeFile(jsonPath, `{\n  "kind": "dr-reconcile",\n  "generatedAt": ${JSON.stringify(iso(deps.now()))},\n  "differences": [`);
  let first = true;
  const sink = (d: Difference) => {
    append(csvPath, csvLine(d));
    append(jsonPath, `${first ? '' : ','}\n    ${JSON.stringify({ kind: d.kind, old: d.old, new: d.new ?? null, differingFields: d.differingFields ?? [], financeAction: FINANCE_ACTION[d.kind] })}`);
    first = false;
  };
  const summary = await comparePayments(oldDb, newDb, { pageSize: opts.pageSize, since: opts.since }, sink);
  append(
    jsonPath,
    `\n  ],\n  "summary": ${JSON.stringify({ ...summary, since: opts.since?.toISOString() ?? null, ...opts.labels }, null, 2).replace(/\n/g, '\n  ')}\n}\n`,
  );
  return { summary, csvPath, jsonPath };
}

export async function reconcileCommand(ctx: Ctx, opts: ReconcileOptions): Promise<ExitCode> {
  const { deps } = ctx;
  try {
    const site = await oldSite(ctx, opts);
    if (opts.cleanup) return await cleanup(ctx, site, opts);

    let prepared: Awaited<ReturnType<typeof prepare>> | undefined;
    if (!opts.restoredCluster) prepared = await prepare(ctx, site, opts);
    const cluster = opts.restoredCluster ?? prepared!.cluster;

    if (!opts.compare) {
      say(
        ctx,
        [
          `Restored: the old writer's final state is in ${cluster}${prepared?.endpoint ? ` (${prepared.endpoint})` : ''}, ${site.region}.`,
          prepared ? `Kept: manual snapshot ${prepared.keptSnapshot} (does not expire).` : '',
          'Next, from a host that reaches both databases (the old writer\'s VPC and the new writer\'s), with the credentials of',
          'the database secret as they were at the failover (AWSPREVIOUS after a rotation):',
          `  RECONCILE_OLD_DATABASE_URL=postgres://…@${prepared?.endpoint ?? '<restored endpoint>'}/payments?sslmode=require \\`,
          '  RECONCILE_NEW_DATABASE_URL=postgres://…@<new writer endpoint>/payments?sslmode=require \\',
          `  npm run dr -- reconcile --compare --restored-cluster ${cluster} --old-cluster ${site.role}`,
          `Then delete the temporary cluster: npm run dr -- reconcile --cleanup --old-cluster ${site.role} [--dry-run]`,
        ]
          .filter(Boolean)
          .join('\n'),
      );
      return EXIT_OK;
    }

    const oldUrl = deps.env.RECONCILE_OLD_DATABASE_URL;
    const newUrl = deps.env.RECONCILE_NEW_DATABASE_URL;
    if (!oldUrl || !newUrl) {
      tell(ctx, 'refused: --compare needs RECONCILE_OLD_DATABASE_URL (the restored cluster) and RECONCILE_NEW_DATABASE_URL (the new writer), postgres:// URLs (kept out of flags so passwords stay out of shell history and process lists)');
      return EXIT_REFUSED;
    }
    const oldDb = new Client({ connectionString: oldUrl, application_name: 'dr-reconcile', statement_timeout: 120_000 });
    const newDb = new Client({ connectionString: newUrl, application_name: 'dr-reconcile', statement_timeout: 120_000 });
    try {
      await Promise.all([oldDb.connect(), newDb.connect()]);
      // Read-only sessions: the comparison must never write to the new writer.
      await Promise.all([oldDb.query('SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY'), newDb.query('SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY')]);
      const { summary, csvPath, jsonPath } = await compareAndWrite(ctx, oldDb, newDb, {
        pageSize: opts.pageSize,
        since: opts.since,
        outDir: opts.outDir,
        labels: { oldCluster: cluster, oldRegion: site.region, newWriter: otherSite(ctx.outputs, site).clusterId },
      });
      const d = summary.differences;
      const total = Object.values(d).reduce((a, b) => a + b, 0);
      say(
        ctx,
        ctx.json
          ? JSON.stringify({ ...summary, csvPath, jsonPath }, null, 2)
          : [
              `RECONCILE: ${summary.oldRowsCompared} payments of the old writer compared (${summary.identical} identical), ${total} difference(s):`,
              `  missing in the new writer: ${d['missing-in-new']}`,
              `  conflicting duplicates (one idempotency key, two payments): ${d['conflicting-duplicate']}`,
              `  same id, different content: ${d['conflicting-same-id']}`,
              `  same payment under another id (client retry, no money action): ${d['same-payment-other-id']}`,
              `For finance: ${csvPath} (one row per difference, with the action) and ${jsonPath}`,
              `Then: npm run dr -- reconcile --cleanup --old-cluster ${site.role}`,
            ].join('\n'),
      );
      return EXIT_OK;
    } finally {
      await Promise.allSettled([oldDb.end(), newDb.end()]);
    }
  } catch (e) {
    if (e instanceof Stop) {
      tell(ctx, `reconcile ${e.code === EXIT_REFUSED ? 'refused' : 'failed'}: ${e.message}`);
      return e.code;
    }
    tell(ctx, `reconcile failed: ${errorText(e)}`);
    return EXIT_FAILED;
  }
}
