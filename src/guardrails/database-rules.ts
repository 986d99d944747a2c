import { blocks, isTrue, list } from './inventory';
import { Finding, Rule } from './model';

export const databasesPrivate: Rule = {
  id: 'DB-NOT-PUBLIC',
  title: 'No database instance or cluster is publicly accessible',
  rationale: 'Databases live in isolated subnets and are reached from the application security group only; a public endpoint would bypass that.',
  resourceTypes: ['aws_db_instance', 'aws_rds_cluster_instance', 'aws_rds_cluster'],
  check: (ctx) =>
    ctx.inventory
      .ofType('aws_db_instance', 'aws_rds_cluster_instance', 'aws_rds_cluster')
      .filter((r) => r.body.publicly_accessible !== undefined && r.body.publicly_accessible !== false && r.body.publicly_accessible !== 'false')
      .map((r): Finding => ({ resource: r, problem: `publicly_accessible is ${JSON.stringify(r.body.publicly_accessible)}`, fix: 'set publicly_accessible = false' })),
};

export const databaseIamAuth: Rule = {
  id: 'DB-IAM-AUTH',
  title: 'IAM database authentication is enabled on every RDS cluster and instance',
  rationale: 'Operators and tools authenticate with short-lived IAM tokens instead of sharing the master password.',
  resourceTypes: ['aws_rds_cluster', 'aws_db_instance'],
  check: (ctx) =>
    ctx.inventory
      .ofType('aws_rds_cluster', 'aws_db_instance')
      .filter((r) => !isTrue(r.body.iam_database_authentication_enabled))
      .map((r): Finding => ({
        resource: r,
        problem: `iam_database_authentication_enabled is ${JSON.stringify(r.body.iam_database_authentication_enabled)}`,
        fix: 'set iam_database_authentication_enabled = true',
      })),
};

/** The log a database engine must export: the PostgreSQL log (connections, errors, slow statements) or MySQL's audit log. */
function requiredExport(engine: unknown): string | undefined {
  const e = String(engine ?? '');
  if (e.includes('postgres')) return 'postgresql';
  if (e.includes('mysql') || e.includes('mariadb')) return 'audit';
  return undefined;
}

export const databaseLogExports: Rule = {
  id: 'DB-LOG-EXPORTS',
  title: 'Every RDS cluster and instance exports its logs to CloudWatch Logs',
  rationale: 'Database logs (connections, errors, slow statements) are kept with retention and encryption outside the instance, and survive its failure.',
  resourceTypes: ['aws_rds_cluster', 'aws_db_instance'],
  check: (ctx) =>
    ctx.inventory.ofType('aws_rds_cluster', 'aws_db_instance').flatMap((r): Finding[] => {
      const exported = list(r.body.enabled_cloudwatch_logs_exports).map(String);
      const required = requiredExport(r.body.engine);
      if (exported.length > 0 && (!required || exported.includes(required))) return [];
      return [
        {
          resource: r,
          problem: `enabled_cloudwatch_logs_exports is ${JSON.stringify(r.body.enabled_cloudwatch_logs_exports ?? [])}${required ? ` (engine ${r.body.engine} needs "${required}")` : ''}`,
          fix: `set enabled_cloudwatch_logs_exports = [${JSON.stringify(required ?? 'the engine\'s logs')}]`,
        },
      ];
    }),
};

const PROTECTED: Readonly<Record<string, string>> = {
  aws_rds_cluster: 'deletion_protection',
  aws_rds_global_cluster: 'deletion_protection',
  aws_db_instance: 'deletion_protection',
  aws_dynamodb_table: 'deletion_protection_enabled',
};

export const deletionProtection: Rule = {
  id: 'DB-DELETION-PROTECTION',
  title: 'In prod, databases and tables have deletion protection',
  rationale: 'An accidental destroy or a console click cannot delete production payment data; dev stays destroyable by design.',
  resourceTypes: Object.keys(PROTECTED),
  profiles: ['prod'],
  check: (ctx) =>
    ctx.inventory
      .ofType(...Object.keys(PROTECTED))
      .filter((r) => !isTrue(r.body[PROTECTED[r.type]]))
      .map((r): Finding => ({ resource: r, problem: `${PROTECTED[r.type]} is ${JSON.stringify(r.body[PROTECTED[r.type]])} in prod`, fix: `set ${PROTECTED[r.type]} = true (config protection.deletionProtection)` })),
};

export const dynamodbPointInTimeRecovery: Rule = {
  id: 'DYNAMODB-PITR',
  title: 'Every DynamoDB table and replica has point-in-time recovery',
  rationale: 'Global-table replication copies a bad write to the DR region at once; point-in-time recovery in each region can undo it.',
  resourceTypes: ['aws_dynamodb_table', 'aws_dynamodb_table_replica'],
  check: (ctx) => [
    ...ctx.inventory.ofType('aws_dynamodb_table').flatMap((t): Finding[] => [
      ...(blocks(t.body.point_in_time_recovery).some((p) => isTrue(p.enabled))
        ? []
        : [{ resource: t, problem: 'point_in_time_recovery.enabled is not true', fix: 'set point_in_time_recovery { enabled = true }' }]),
      ...blocks(t.body.replica)
        .map((rep, i) => ({ rep, i }))
        .filter(({ rep }) => !isTrue(rep.point_in_time_recovery))
        .map(({ rep, i }): Finding => ({ resource: t, problem: `replica[${i}] (${rep.region_name}) has point_in_time_recovery ${JSON.stringify(rep.point_in_time_recovery)}`, fix: `set point_in_time_recovery = true on replica[${i}]` })),
    ]),
    ...ctx.inventory
      .ofType('aws_dynamodb_table_replica')
      .filter((r) => !isTrue(r.body.point_in_time_recovery))
      .map((r): Finding => ({ resource: r, problem: `point_in_time_recovery is ${JSON.stringify(r.body.point_in_time_recovery)}`, fix: 'set point_in_time_recovery = true' })),
  ],
};
