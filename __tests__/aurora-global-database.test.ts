import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { RandomProvider } from '@cdktf/provider-random/lib/provider';
import { TerraformResource } from 'cdktf';
import { AuroraGlobalDatabase, AuroraGlobalDatabaseProps } from '../src/constructs/aurora-global-database';
import { PASSWORD_SPECIALS } from '../src/constructs/database-credentials';
import { MultiRegionKey } from '../src/constructs/multi-region-key';
import { RegionalNetwork } from '../src/constructs/regional-network';
import { RegionContext, RegionRole } from '../src/region';
import { Json, Synth, fixtureStack } from './support/synth';

const DEV = { deletionProtection: false, preventDestroy: false, finalSnapshot: false };
const PROD = { deletionProtection: true, preventDestroy: true, finalSnapshot: true };

type Options = Partial<Omit<AuroraGlobalDatabaseProps, 'primary' | 'dr' | 'appSecurityGroup' | 'key'>>;

/** The database construct in a fixture stack with both networks, one key and an app security group per region. */
function build(options: Options = {}) {
  const { stack, primary, dr, config } = fixtureStack();
  new RandomProvider(stack, 'random');
  const key = new MultiRegionKey(stack, 'database-key', {
    primary,
    dr,
    domain: 'database',
    users: ['rds', 'secretsmanager'],
    deletionWindowInDays: 7,
  });
  const network = (ctx: RegionContext) =>
    new RegionalNetwork(stack, `network-${ctx.role}`, {
      ctx,
      cidr: config.regions[ctx.role].vpcCidr,
      natGateways: 'single',
      logKey: key.keys[ctx.role],
      logRetentionDays: 30,
    });
  const networks = { primary: network(primary), dr: network(dr) };
  const appSg = (ctx: RegionContext) =>
    new SecurityGroup(stack, `app-sg-${ctx.role}`, {
      provider: ctx.provider,
      name: ctx.naming.name('generic', 'app', ctx.region),
      description: 'application tier',
      vpcId: networks[ctx.role].vpc.id,
    });
  const appSecurityGroup = { primary: appSg(primary), dr: appSg(dr) };
  const db = new AuroraGlobalDatabase(stack, 'database', {
    primary: { ctx: primary, network: networks.primary },
    dr: { ctx: dr, network: networks.dr },
    appSecurityGroup,
    key,
    protection: DEV,
    ...options,
  });
  return { stack, key, db, appSecurityGroup, config, synth: new Synth(stack) };
}

/** The synthesized body of a resource, found through the construct (never a hard-coded logical id). */
function body(synth: Synth, resource: TerraformResource): Json {
  const found = synth.resources(resource.terraformResourceType)[synth.stack.getLogicalId(resource)];
  if (!found) throw new Error(`no synthesized ${resource.terraformResourceType} for ${resource.node.path}`);
  return found;
}

/** How cdktf renders a resource in `depends_on`. */
function address(synth: Synth, resource: TerraformResource): string {
  return `${resource.terraformResourceType}.${synth.stack.getLogicalId(resource)}`;
}

describe('AuroraGlobalDatabase', () => {
  const built = build();
  const { synth, db, key, appSecurityGroup } = built;
  const primaryCluster = body(synth, db.primaryCluster);
  const secondaryCluster = body(synth, db.secondaryCluster);

  test('declares exactly one encrypted aurora-postgresql global cluster', () => {
    expect(synth.count('aws_rds_global_cluster')).toBe(1);
    expect(synth.list('aws_rds_global_cluster')[0]).toMatchObject({
      engine: 'aurora-postgresql',
      engine_version: '16.6',
      storage_encrypted: true,
      provider: 'aws.primary',
    });
    expect(synth.count('aws_rds_cluster')).toBe(2);
  });

  test('both clusters join the global cluster with the same engine version', () => {
    const globalId = synth.ref(db.globalCluster.id);
    for (const cluster of [primaryCluster, secondaryCluster]) {
      expect(cluster.global_cluster_identifier).toBe(globalId);
      expect(cluster).toMatchObject({ engine: 'aurora-postgresql', engine_version: '16.6', storage_encrypted: true });
    }
  });

  test('the primary cluster carries the credentials from random_password, never an RDS-managed password', () => {
    expect(primaryCluster.master_username).toBe('dbadmin');
    expect(primaryCluster.master_password).toBe(synth.ref(db.credentials.password.result));
    expect(primaryCluster.master_password).not.toContain('aws_secretsmanager');
    expect(primaryCluster.database_name).toBe('payments');
    expect(primaryCluster).not.toHaveProperty('manage_master_user_password');
    expect(primaryCluster.kms_key_id).toBe(synth.ref(key.primaryKey.arn));
  });

  test('the secondary cluster has no credentials or database name', () => {
    expect(secondaryCluster).not.toHaveProperty('master_username');
    expect(secondaryCluster).not.toHaveProperty('master_password');
    expect(secondaryCluster).not.toHaveProperty('database_name');
    expect(secondaryCluster).not.toHaveProperty('manage_master_user_password');
  });

  test('the secondary cluster is encrypted with the DR replica key', () => {
    expect(secondaryCluster.kms_key_id).toBe(synth.ref(key.replicaKey.arn));
    expect(secondaryCluster.kms_key_id).not.toBe(primaryCluster.kms_key_id);
  });

  test('the secondary cluster waits for every primary instance', () => {
    expect(db.primaryInstances).toHaveLength(2);
    expect(secondaryCluster.depends_on).toEqual(expect.arrayContaining(db.primaryInstances.map((i) => address(synth, i))));
  });

  test('the secondary cluster ignores the attributes a failover changes', () => {
    expect(secondaryCluster.lifecycle.ignore_changes).toEqual(
      expect.arrayContaining(['replication_source_identifier', 'global_cluster_identifier']),
    );
  });

  test('both clusters are Serverless v2 with IAM auth, PostgreSQL logs and backups', () => {
    for (const cluster of [primaryCluster, secondaryCluster]) {
      expect(cluster).toMatchObject({
        serverlessv2_scaling_configuration: { min_capacity: 0.5, max_capacity: 8 },
        iam_database_authentication_enabled: true,
        enabled_cloudwatch_logs_exports: ['postgresql'],
        backup_retention_period: 7,
        copy_tags_to_snapshot: true,
      });
    }
  });

  test('every instance is db.serverless, private, with Performance Insights under its region key', () => {
    const cases: Array<[TerraformResource[], string, string]> = [
      [db.primaryInstances, synth.ref(db.primaryCluster.id), synth.ref(key.primaryKey.arn)],
      [db.drInstances, synth.ref(db.secondaryCluster.id), synth.ref(key.replicaKey.arn)],
    ];
    for (const [instances, clusterId, keyArn] of cases) {
      for (const instance of instances) {
        expect(body(synth, instance)).toMatchObject({
          instance_class: 'db.serverless',
          engine: 'aurora-postgresql',
          engine_version: '16.6',
          cluster_identifier: clusterId,
          publicly_accessible: false,
          auto_minor_version_upgrade: false,
          performance_insights_enabled: true,
          performance_insights_kms_key_id: keyArn,
        });
      }
    }
    expect(synth.count('aws_rds_cluster_instance')).toBe(3);
  });

  test('primary instances are spread over distinct zones of the primary region', () => {
    const zones = db.primaryInstances.map((i) => body(synth, i).availability_zone as string);
    expect(new Set(zones).size).toBe(zones.length);
    for (const zone of zones) expect(built.config.regions.primary.availabilityZones).toContain(zone);
  });

  test('a larger primary cluster still uses distinct zones while there are enough', () => {
    const { synth: s, db: d, config } = build({ primaryInstanceCount: 3 });
    const zones = d.primaryInstances.map((i) => body(s, i).availability_zone as string);
    expect(zones).toHaveLength(3);
    expect(new Set(zones)).toEqual(new Set(config.regions.primary.availabilityZones));
  });

  test('the secret is encrypted with the primary key and replicated to the DR region with the DR key', () => {
    expect(synth.count('aws_secretsmanager_secret')).toBe(1);
    const secret = body(synth, db.secret);
    expect(secret.provider).toBe('aws.primary');
    expect(secret.kms_key_id).toBe(synth.ref(key.primaryKey.arn));
    expect(secret.recovery_window_in_days).toBe(30);
    expect(secret.replica).toEqual([{ region: 'us-west-2', kms_key_id: synth.ref(key.replicaKey.arn) }]);
  });

  test('the secret version records the password and the primary endpoint', () => {
    const versions = synth.list('aws_secretsmanager_secret_version');
    expect(versions).toHaveLength(1);
    const [version] = versions;
    expect(version.secret_id).toBe(synth.ref(db.secret.id));
    const value = version.secret_string as string;
    expect(value).toMatch(/jsonencode/);
    // The references inside the expression, without the surrounding "${...}".
    const inner = (token: string) => token.replace(/^\$\{(.*)\}$/, '$1');
    expect(value).toContain(inner(synth.ref(db.credentials.password.result)));
    expect(value).toContain(inner(synth.ref(db.primaryCluster.endpoint)));
    expect(value).toContain('"postgres"');
    expect(value).toContain('5432');
  });

  test('the password avoids the characters RDS rejects', () => {
    const [password] = synth.list('random_password');
    expect(password.special).toBe(true);
    expect(password.length).toBeGreaterThanOrEqual(16);
    expect(password.length).toBeLessThanOrEqual(41);
    for (const c of ['/', '@', '"', ' ', "'", '\\']) expect(password.override_special).not.toContain(c);
    expect(password.override_special).toBe(PASSWORD_SPECIALS);
  });

  test('cluster parameter groups force TLS and log slow statements, family from the engine major', () => {
    expect(synth.count('aws_rds_cluster_parameter_group')).toBe(2);
    for (const role of ['primary', 'dr'] as const) {
      const group = body(synth, db.parameterGroups[role]);
      expect(group.family).toBe('aurora-postgresql16');
      expect(group.provider).toBe(`aws.${role}`);
      expect(group.parameter).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ name: 'rds.force_ssl', value: '1' }),
          expect.objectContaining({ name: 'log_min_duration_statement', value: '500' }),
        ]),
      );
    }
    expect(primaryCluster.db_cluster_parameter_group_name).toBe(synth.ref(db.parameterGroups.primary.name));
    expect(secondaryCluster.db_cluster_parameter_group_name).toBe(synth.ref(db.parameterGroups.dr.name));
  });

  test('engineVersion and slowQueryMs flow into the parameter group', () => {
    const { synth: s, db: d } = build({ engineVersion: '15.10', slowQueryMs: 250 });
    const group = body(s, d.parameterGroups.dr);
    expect(group.family).toBe('aurora-postgresql15');
    expect(group.parameter).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'log_min_duration_statement', value: '250' })]));
    expect(body(s, d.secondaryCluster).engine_version).toBe('15.10');
  });

  test.each(['primary', 'dr'] as const)('%s: PostgreSQL is reachable only from the app security group of the same region', (role) => {
    const other: RegionRole = role === 'primary' ? 'dr' : 'primary';
    const rules = synth
      .list('aws_vpc_security_group_ingress_rule')
      .filter((r) => r.security_group_id === synth.ref(db.securityGroups[role].id));
    expect(rules).toHaveLength(1);
    const [rule] = rules;
    expect(rule).toMatchObject({
      ip_protocol: 'tcp',
      from_port: 5432,
      to_port: 5432,
      referenced_security_group_id: synth.ref(appSecurityGroup[role].id),
      provider: `aws.${role}`,
    });
    expect(rule.referenced_security_group_id).not.toBe(synth.ref(appSecurityGroup[other].id));
    expect(rule.description).toEqual(expect.any(String));
    expect(rule).not.toHaveProperty('cidr_ipv4');
    const group = body(synth, db.securityGroups[role]);
    expect(group.description).toEqual(expect.any(String));
    const network = db.node.scope!.node.findChild(`network-${role}`) as RegionalNetwork;
    expect(group.vpc_id).toBe(synth.ref(network.vpc.id));
  });

  test('clusters use the isolated subnets and the database security group of their region', () => {
    for (const [role, cluster] of [['primary', primaryCluster], ['dr', secondaryCluster]] as const) {
      expect(cluster.db_subnet_group_name).toBe(synth.ref(db.subnetGroups[role].name));
      expect(cluster.vpc_security_group_ids).toEqual([synth.ref(db.securityGroups[role].id)]);
    }
    const network = db.node.scope!.node.findChild('network-dr') as RegionalNetwork;
    expect(body(synth, db.subnetGroups.dr).subnet_ids).toEqual(network.isolatedSubnets.map((s) => synth.ref(s.id)));
  });

  test('every AWS resource of the database names the provider of its region', () => {
    const expected: Array<[TerraformResource, RegionRole]> = [
      [db.globalCluster, 'primary'],
      [db.primaryCluster, 'primary'],
      [db.secondaryCluster, 'dr'],
      [db.secret, 'primary'],
      ...db.primaryInstances.map((i): [TerraformResource, RegionRole] => [i, 'primary']),
      ...db.drInstances.map((i): [TerraformResource, RegionRole] => [i, 'dr']),
      ...(['primary', 'dr'] as const).flatMap((role): Array<[TerraformResource, RegionRole]> => [
        [db.securityGroups[role], role],
        [db.subnetGroups[role], role],
        [db.parameterGroups[role], role],
      ]),
    ];
    for (const [resource, role] of expected) expect([resource.node.path, body(synth, resource).provider]).toEqual([resource.node.path, `aws.${role}`]);
    // Nothing AWS in the construct is left on the default provider.
    const awsResources = db.node.findAll().filter((c): c is TerraformResource => c instanceof TerraformResource && c.terraformResourceType.startsWith('aws_'));
    expect(awsResources.length).toBeGreaterThan(expected.length);
    for (const r of awsResources) expect(['aws.primary', 'aws.dr']).toContain(body(synth, r).provider);
  });

  test('dev protection: destroyable, no final snapshot', () => {
    expect(synth.list('aws_rds_global_cluster')[0].deletion_protection).toBe(false);
    for (const cluster of [primaryCluster, secondaryCluster]) {
      expect(cluster.deletion_protection).toBe(false);
      expect(cluster.skip_final_snapshot).toBe(true);
      expect(cluster).not.toHaveProperty('final_snapshot_identifier');
      expect(cluster.lifecycle.prevent_destroy).toBe(false);
    }
  });

  test('prod protection: deletion protection, final snapshots and prevent_destroy', () => {
    const { synth: s, db: d } = build({ protection: PROD, recoveryWindowInDays: 30 });
    expect(s.list('aws_rds_global_cluster')[0].deletion_protection).toBe(true);
    const clusters = [body(s, d.primaryCluster), body(s, d.secondaryCluster)];
    for (const cluster of clusters) {
      expect(cluster.deletion_protection).toBe(true);
      expect(cluster.skip_final_snapshot).toBe(false);
      expect(cluster.final_snapshot_identifier).toMatch(/^[a-z][a-z0-9-]*$/);
      expect(cluster.lifecycle.prevent_destroy).toBe(true);
    }
    expect(clusters[0].final_snapshot_identifier).not.toBe(clusters[1].final_snapshot_identifier);
    // prevent_destroy does not replace the failover ignore list on the secondary.
    expect(clusters[1].lifecycle.ignore_changes).toEqual(expect.arrayContaining(['replication_source_identifier']));
  });

  test('capacity and retention props reach both clusters', () => {
    const { synth: s, db: d } = build({ minCapacity: 1, maxCapacity: 16, backupRetentionDays: 14, drInstanceCount: 2 });
    for (const cluster of [body(s, d.primaryCluster), body(s, d.secondaryCluster)]) {
      expect(cluster.serverlessv2_scaling_configuration).toEqual({ min_capacity: 1, max_capacity: 16 });
      expect(cluster.backup_retention_period).toBe(14);
    }
    expect(d.drInstances).toHaveLength(2);
  });

  test.each<[string, Options, RegExp]>([
    ['minCapacity 0', { minCapacity: 0 }, /minCapacity must be at least 0\.5 .*got 0$/],
    ['maxCapacity below minCapacity', { minCapacity: 4, maxCapacity: 2 }, /maxCapacity \(2\) must be at least minCapacity \(4\)/],
    ['maxCapacity above 256', { maxCapacity: 512 }, /maxCapacity must be at most 256 .*got 512/],
    ['primaryInstanceCount 0', { primaryInstanceCount: 0 }, /primaryInstanceCount must be a whole number from 1 to 16.*got 0$/],
    ['drInstanceCount 0', { drInstanceCount: 0 }, /drInstanceCount must be a whole number from 1 to 16.*got 0$/],
    ['backupRetentionDays 40', { backupRetentionDays: 40 }, /backupRetentionDays must be a whole number of days from 1 to 35, got 40/],
    ['engineVersion 12.x', { engineVersion: '12.22' }, /engineVersion must be 13\.x or later .*got "12\.22"/],
    ['malformed engineVersion', { engineVersion: 'latest' }, /engineVersion must be an aurora-postgresql version like "16\.6", got "latest"/],
    ['masterUsername with a hyphen', { masterUsername: 'db-admin' }, /masterUsername must be 1-16 letters or digits .*got "db-admin"/],
    ['recoveryWindowInDays 3', { recoveryWindowInDays: 3 }, /recoveryWindowInDays must be 0 .* or a whole number of days from 7 to 30, got 3/],
  ])('fails early on %s', (_name, options, message) => {
    expect(() => build(options)).toThrow(message);
    expect(() => build(options)).toThrow(/^(AuroraGlobalDatabase|DatabaseCredentials): /);
  });
});
