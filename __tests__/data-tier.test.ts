import { policyOf, synthDrStack } from './support/synth';

/** Stack-level guarantees of the data tier; each construct's own suite covers its details. */
describe('data tier in the composed stack', () => {
  const { stack, synth } = synthDrStack();
  const ourKeys = new Set(
    [stack.logsKey, stack.databaseKey, stack.storageKey].flatMap((k) => [k.keys['primary'].arn, k.keys['dr'].arn]).map((a) => synth.ref(a)),
  );
  const keyIn = (role: 'primary' | 'dr', which: 'databaseKey' | 'storageKey' | 'logsKey') => synth.ref(stack[which].keys[role].arn);

  test('a multi-region key with rotation per data domain (logs, database, storage, events), each replicated to DR', () => {
    const keys = synth.list('aws_kms_key');
    expect(keys).toHaveLength(4);
    for (const k of keys) expect(k).toMatchObject({ multi_region: true, enable_key_rotation: true, provider: 'aws.primary' });
    expect(synth.list('aws_kms_replica_key').map((k) => k.provider)).toEqual(['aws.dr', 'aws.dr', 'aws.dr', 'aws.dr']);
  });

  test('each key policy grants only its domain\'s services, scoped to our account and the key\'s region', () => {
    const via = (key: typeof stack.databaseKey) =>
      policyOf(synth.bodyOf(key.replicaKey).policy).Statement.find((s) => s.Sid === 'UseThroughServices')!.Condition.StringEquals;
    expect(via(stack.databaseKey)).toEqual({
      'kms:CallerAccount': '123456789012',
      'kms:ViaService': ['rds.us-west-2.amazonaws.com', 'secretsmanager.us-west-2.amazonaws.com', 'dynamodb.us-west-2.amazonaws.com'],
    });
    expect(via(stack.storageKey)['kms:ViaService']).toEqual(['s3.us-west-2.amazonaws.com', 'backup.us-west-2.amazonaws.com', 'rds.us-west-2.amazonaws.com']);
  });

  test('grants on a key only for AWS resources through its services; no unconditioned CreateGrant', () => {
    for (const key of [stack.databaseKey, stack.storageKey]) {
      const statements = policyOf(synth.bodyOf(key.primaryKey).policy).Statement;
      const admin = statements.find((s) => s.Sid === 'AccountAdministration')!;
      expect(admin.Action).not.toContain('kms:Create*');
      expect(admin.Action).not.toContain('kms:CreateGrant');
      const grants = statements.find((s) => s.Sid === 'GrantsForServices')!;
      expect(grants.Action).toContain('kms:CreateGrant');
      expect(grants.Condition.Bool).toEqual({ 'kms:GrantIsForAWSResource': true });
      expect(grants.Condition.StringEquals['kms:ViaService'].length).toBeGreaterThan(0);
    }
  });

  test('no unencrypted store anywhere: every store names one of our keys', () => {
    const stores: Array<[string, (r: Record<string, any>) => unknown]> = [
      ['aws_rds_cluster', (r) => r.storage_encrypted && r.kms_key_id],
      ['aws_rds_global_cluster', (r) => (r.storage_encrypted ? 'encrypted' : undefined)],
      ['aws_dynamodb_table', (r) => r.server_side_encryption?.enabled && r.server_side_encryption.kms_key_arn],
      ['aws_secretsmanager_secret', (r) => r.kms_key_id],
      ['aws_cloudwatch_log_group', (r) => r.kms_key_id],
      ['aws_sns_topic', (r) => r.kms_master_key_id],
      ['aws_backup_vault', (r) => r.kms_key_arn],
      ['aws_s3_bucket_server_side_encryption_configuration', (r) => r.rule[0].apply_server_side_encryption_by_default.kms_master_key_id],
    ];
    for (const [type, keyOf] of stores) {
      const list = synth.list(type);
      expect(list.length).toBeGreaterThan(0);
      for (const r of list) {
        const key = keyOf(r);
        if (type === 'aws_rds_global_cluster') expect(key).toBe('encrypted');
        else expect(ourKeys.has(key as string)).toBe(true);
      }
    }
    expect(synth.count('aws_s3_bucket_server_side_encryption_configuration')).toBe(synth.count('aws_s3_bucket'));
    for (const i of synth.list('aws_rds_cluster_instance')) expect(ourKeys.has(i.performance_insights_kms_key_id)).toBe(true);
  });

  test('the secondary cluster carries no credentials, uses the DR key and joins after the primary\'s instances', () => {
    const secondary = synth.bodyOf(stack.database.secondaryCluster);
    expect(secondary.master_username).toBeUndefined();
    expect(secondary.master_password).toBeUndefined();
    expect(secondary.database_name).toBeUndefined();
    expect(secondary.kms_key_id).toBe(keyIn('dr', 'databaseKey'));
    expect(secondary.depends_on).toEqual(expect.arrayContaining(stack.database.primaryInstances.map((i) => synth.address(i))));
    expect(secondary.lifecycle.ignore_changes).toEqual(['replication_source_identifier', 'global_cluster_identifier']);
  });

  test('credentials and the sessions table replicate to the DR region with the DR key', () => {
    expect(synth.bodyOf(stack.database.secret).replica).toEqual([{ region: 'us-west-2', kms_key_id: keyIn('dr', 'databaseKey') }]);
    const table = synth.bodyOf(stack.sessions.table);
    expect(table.replica).toEqual([expect.objectContaining({ region_name: 'us-west-2', kms_key_arn: keyIn('dr', 'databaseKey'), point_in_time_recovery: true })]);
    expect(table.point_in_time_recovery).toEqual({ enabled: true });
    expect(table.stream_view_type).toBe('NEW_AND_OLD_IMAGES');
  });

  test('the master password rotates every 30 days through our Lambda in the primary region; Terraform never rolls it back', () => {
    const [rotation] = synth.list('aws_secretsmanager_secret_rotation');
    expect(rotation).toMatchObject({
      provider: 'aws.primary',
      secret_id: synth.ref(stack.database.secret.id),
      rotation_lambda_arn: synth.ref(stack.rotationFunction.function.arn),
      rotation_rules: { automatically_after_days: 30 },
    });
    const permission = synth.list('aws_lambda_permission').find((p) => p.principal === 'secretsmanager.amazonaws.com')!;
    expect(permission.source_arn).toBe(synth.ref(stack.database.secret.arn));
    const fn = synth.bodyOf(stack.rotationFunction.function);
    expect(fn.vpc_config.subnet_ids).toEqual(stack.primary.network.privateSubnets.map((s) => synth.ref(s.id)));
    const policy = synth.list('aws_iam_role_policy').find((p) => p.role === synth.ref(stack.rotationFunction.role.id))!;
    const rotate = policyOf(policy.policy).Statement.find((s) => s.Sid === 'RotateDatabaseSecret')!;
    expect(rotate.Resource).toEqual(['arn:aws:secretsmanager:us-east-1:123456789012:secret:pay-dev-aurora-master-??????']);
    expect(synth.list('aws_secretsmanager_secret_version').find((v) => v.secret_id === synth.ref(stack.database.secret.id))!.lifecycle).toEqual({
      ignore_changes: ['secret_string'],
    });
    expect(synth.bodyOf(stack.database.primaryCluster).lifecycle.ignore_changes).toEqual([
      'master_password',
      'master_username',
      'database_name',
      'replication_source_identifier',
      'global_cluster_identifier',
    ]);
  });

  test('S3 replication uses RTC with metrics at 15 minutes and re-encrypts with the DR key', () => {
    const rule = synth.bodyOf(stack.artifacts.replication).rule[0];
    expect(rule.destination.replication_time).toEqual({ status: 'Enabled', time: { minutes: 15 } });
    expect(rule.destination.metrics).toEqual({ status: 'Enabled', event_threshold: { minutes: 15 } });
    expect(rule.destination.encryption_configuration.replica_kms_key_id).toBe(keyIn('dr', 'storageKey'));
  });

  test('backups of the Aurora cluster and the sessions table are copied to the DR vault', () => {
    const selection = synth.bodyOf(stack.backup.selection);
    expect(selection.resources).toEqual([synth.ref(stack.database.primaryCluster.arn), synth.ref(stack.sessions.table.arn)]);
    const copy = synth.bodyOf(stack.backup.plan).rule[0].copy_action[0];
    expect(copy.destination_vault_arn).toBe(synth.ref(stack.backup.vaults.dr.arn));
  });

  test('the database admits PostgreSQL only from the application security group of its region and the rotation function', () => {
    const ingress = (role: 'primary' | 'dr') =>
      synth.list('aws_vpc_security_group_ingress_rule').filter((r) => r.security_group_id === synth.ref(stack.database.securityGroups[role].id));
    expect(ingress('primary')).toEqual([
      expect.objectContaining({ from_port: 5432, to_port: 5432, referenced_security_group_id: synth.ref(stack.rotationSecurityGroup.id) }),
      expect.objectContaining({ from_port: 5432, to_port: 5432, referenced_security_group_id: synth.ref(stack.primary.appSecurityGroup.id) }),
    ]);
    // Across the peering a security group cannot be referenced: the DR cluster admits the rotation function's subnets.
    expect(ingress('dr')).toEqual([
      ...stack.primary.network.privateSubnets.map((s) =>
        expect.objectContaining({ from_port: 5432, to_port: 5432, cidr_ipv4: synth.ref(s.cidrBlock), provider: 'aws.dr' }),
      ),
      expect.objectContaining({ from_port: 5432, to_port: 5432, referenced_security_group_id: synth.ref(stack.dr.appSecurityGroup.id) }),
    ]);
  });

  test('prod: deletion protection, prevent_destroy, final snapshots, two primary instances in different zones', () => {
    const prod = synthDrStack({ profile: 'prod', environmentSuffix: 'prod' });
    const primary = prod.synth.bodyOf(prod.stack.database.primaryCluster);
    expect(primary).toMatchObject({ deletion_protection: true, skip_final_snapshot: false, lifecycle: { prevent_destroy: true } });
    expect(primary.final_snapshot_identifier).toBeTruthy();
    const instances = prod.stack.database.primaryInstances.map((i) => prod.synth.bodyOf(i));
    expect(instances).toHaveLength(2);
    expect(new Set(instances.map((i) => i.availability_zone)).size).toBe(2);
    expect(prod.synth.bodyOf(prod.stack.sessions.table).deletion_protection_enabled).toBe(true);
    for (const b of prod.synth.list('aws_s3_bucket')) expect(b.force_destroy).toBe(false);
    // Deleted secrets stay recoverable for 30 days in prod.
    expect(prod.synth.list('aws_secretsmanager_secret').map((s) => s.recovery_window_in_days)).toEqual([30, 30]);
  });

  test('dev is fully destroyable', () => {
    const primary = synth.bodyOf(stack.database.primaryCluster);
    expect(primary).toMatchObject({ deletion_protection: false, skip_final_snapshot: true });
    expect(synth.list('aws_s3_bucket').every((b) => b.force_destroy === true)).toBe(true);
    expect(synth.list('aws_backup_vault').every((v) => v.force_destroy === true)).toBe(true);
    // Secrets are deleted at once (ForceDeleteWithoutRecovery), so the same names can be created again right after
    // a destroy; a recovery window keeps the name taken (terraform-provider-aws issue #10259).
    const secrets = synth.list('aws_secretsmanager_secret');
    expect(secrets).toHaveLength(2);
    for (const secret of secrets) expect(secret.recovery_window_in_days).toBe(0);
  });

  test('config rejects a prod database with a single primary instance', () => {
    expect(() => synthDrStack({ profile: 'prod', database: { primaryInstances: 1 } })).toThrow(
      /database\.primaryInstances: 1 must be at least 2 in the prod profile/,
    );
  });
});
