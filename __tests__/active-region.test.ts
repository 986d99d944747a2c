// activeRegion: everything that depends on which site is active, derived from the config in both directions.
// Synthesized for both values in dev and prod; the assertions are the same for either site, written in terms of
// "the active site" and "the passive site".
import { WRITER_HOSTS_ENV } from '../lambdas/secret-rotation';
import { CREATION_CREDENTIALS, SWAP_REWRITTEN } from '../src/constructs/aurora-global-database';
import { DrStack } from '../src/dr-stack';
import { RegionRole, otherRole } from '../src/region';
import { Json, Synth, policyOf, synthDrStack, testConfig } from './support/synth';

const PROD = { profile: 'prod', environmentSuffix: 'prod' };

/** One synth per (profile, activeRegion), shared by every test below. */
const built = new Map<string, { stack: DrStack; synth: Synth }>();
function stackFor(profile: 'dev' | 'prod', active: RegionRole) {
  const key = `${profile}/${active}`;
  if (!built.has(key)) built.set(key, synthDrStack({ ...(profile === 'prod' ? PROD : {}), activeRegion: active }));
  return built.get(key)!;
}

const cases = [
  ['dev', 'primary'],
  ['dev', 'dr'],
  ['prod', 'primary'],
  ['prod', 'dr'],
] as const;

describe.each(cases)('%s with activeRegion %s', (profile, active) => {
  const { stack, synth } = stackFor(profile, active);
  const passive = otherRole(active);
  const region = (role: RegionRole) => stack.config.regions[role].region;

  describe('Aurora', () => {
    test('both clusters ignore what a swap rewrites; the primary site keeps its creation credentials, ignored', () => {
      const primarySite = synth.bodyOf(stack.database.primaryCluster);
      const drSite = synth.bodyOf(stack.database.secondaryCluster);
      expect(primarySite.lifecycle.ignore_changes).toEqual([...CREATION_CREDENTIALS, ...SWAP_REWRITTEN]);
      expect(drSite.lifecycle.ignore_changes).toEqual([...SWAP_REWRITTEN]);
      expect(SWAP_REWRITTEN).toEqual(['replication_source_identifier', 'global_cluster_identifier']);
      expect(primarySite).toMatchObject({ master_username: 'dbadmin', database_name: 'payments' });
      // AWS rejects credentials on a cross-region member; they stay where they were created, whatever the role.
      for (const field of ['master_username', 'master_password', 'database_name', 'replication_source_identifier']) {
        expect(drSite[field]).toBeUndefined();
        if (field === 'replication_source_identifier') expect(primarySite[field]).toBeUndefined();
      }
    });

    test('each cluster has its own parameter group; rds.global_db_rpo only on the active site\'s', () => {
      const rpo = (role: RegionRole) =>
        synth.bodyOf(stack.database.parameterGroups[role]).parameter.filter((p: Json) => p.name === 'rds.global_db_rpo');
      expect(rpo(active)).toEqual([{ name: 'rds.global_db_rpo', value: String(stack.config.objectives.rpoSeconds), apply_method: 'immediate' }]);
      expect(rpo(passive)).toEqual([]);
      for (const role of ['primary', 'dr'] as const) {
        expect(synth.bodyOf(stack.database.clusters[role]).db_cluster_parameter_group_name).toBe(synth.ref(stack.database.parameterGroups[role].name));
        expect(synth.bodyOf(stack.database.parameterGroups[role]).provider).toBe(`aws.${role}`);
      }
    });
  });

  describe('the active-site designation (the passive site\'s second fence)', () => {
    test('one String parameter per region, same name, valued with the active site', () => {
      const params = synth.list('aws_ssm_parameter').filter((p) => p.name === `/pay/${stack.config.environmentSuffix}-control/active-site`);
      expect(params.map((p) => [p.provider, p.type, p.value]).sort()).toEqual([
        ['aws.dr', 'String', active],
        ['aws.primary', 'String', active],
      ]);
    });

    test('every payment and health function reads only its own region\'s parameter', () => {
      for (const role of ['primary', 'dr'] as const) {
        for (const fn of [stack.runtime[role].paymentFunction, stack.runtime[role].healthFunction]) {
          expect(synth.bodyOf(fn.function).environment.variables.ACTIVE_SITE_PARAMETER).toBe(stack.designation.parameterName);
          const statements = policyOf(synth.bodyOf(fn.policy).policy).Statement;
          const reads = statements.filter((s) => [s.Action].flat().includes('ssm:GetParameter'));
          // The payment function also reads its region's payment-events endpoint URL (issue 19), in the same statement.
          const endpointUrl = fn === stack.runtime[role].paymentFunction ? [`arn:aws:ssm:${region(role)}:123456789012:parameter/pay/${stack.config.environmentSuffix}/payment-events-endpoint-url`] : [];
          expect(reads).toEqual([
            expect.objectContaining({
              Sid: 'ActiveSiteDesignation',
              Action: ['ssm:GetParameter'],
              Resource: [`arn:aws:ssm:${region(role)}:123456789012:parameter${stack.designation.parameterName}`, ...endpointUrl],
            }),
          ]);
        }
      }
    });
  });

  describe('DNS: the PRIMARY record serves the active site; the old site never takes traffic back by itself', () => {
    // The API's failover records (the TXT status records the probers read are tested in regional-pager.test.ts).
    const records = synth.list('aws_route53_record').filter((r) => r.failover_routing_policy && r.type !== 'TXT');
    const of = (type: string) => records.find((r) => r.failover_routing_policy.type === type)!;

    const other = stackFor(profile, passive);
    const checks = (synthOf: Synth) => synthOf.resources('aws_route53_health_check');
    const serves = (role: RegionRole) => stack.dns.servesChecks[role];
    const standby = (role: RegionRole) => stack.dns.standbyChecks[role];

    test('PRIMARY: a CNAME to the active site, checked by the active site\'s serves check = AND(its /health, NOT the passive site claims active)', () => {
      expect(of('PRIMARY')).toMatchObject({
        type: 'CNAME',
        ttl: stack.config.dns.recordTtlSeconds,
        records: [synth.ref(stack.runtime[active].api.domain.regionalDomainName)],
        health_check_id: synth.ref(serves(active).id),
      });
      expect(stack.dns.activeCheck).toBe(serves(active));
      expect(synth.bodyOf(serves(active))).toMatchObject({
        type: 'CALCULATED',
        child_health_threshold: 2,
        child_healthchecks: [synth.ref(stack.dns.healthChecks[active].id), synth.ref(stack.dns.claimChecks[passive].id)],
      });
      expect(synth.bodyOf(stack.dns.claimChecks[passive])).toMatchObject({ invert_healthcheck: true, resource_path: '/v1/health/active' });
      // The payment-events endpoint follows the same check.
      expect(synth.bodyOf(stack.paymentEvents.endpoint).routing_config.failover_config.primary).toEqual({ health_check: synth.ref(serves(active).arn) });
    });

    test('SECONDARY: a CNAME to the passive site, checked by its standby check = OR(its /health, it claims active), so a promoted site keeps DNS through a blip', () => {
      expect(of('SECONDARY')).toMatchObject({
        type: 'CNAME',
        ttl: stack.config.dns.recordTtlSeconds,
        records: [synth.ref(stack.runtime[passive].api.domain.regionalDomainName)],
        health_check_id: synth.ref(standby(passive).id),
      });
      expect(stack.dns.standbyCheck).toBe(standby(passive));
      expect(synth.bodyOf(standby(passive))).toMatchObject({
        type: 'CALCULATED',
        child_health_threshold: 1,
        child_healthchecks: [synth.ref(stack.dns.healthChecks[passive].id), synth.ref(stack.dns.claimsActiveChecks[passive].id)],
      });
      const claims = synth.bodyOf(stack.dns.claimsActiveChecks[passive]);
      expect(claims).toMatchObject({ type: 'HTTPS', resource_path: '/v1/health/active' });
      expect(claims.invert_healthcheck).toBeUndefined();
    });

    test('every site has its serves and standby checks in either role: the same resources, ids and bodies, so a swap edits no health check', () => {
      for (const role of ['primary', 'dr'] as const) {
        expect(synth.bodyOf(serves(role))).toMatchObject({
          type: 'CALCULATED',
          child_health_threshold: 2,
          child_healthchecks: [synth.ref(stack.dns.healthChecks[role].id), synth.ref(stack.dns.claimChecks[otherRole(role)].id)],
        });
        expect(synth.bodyOf(standby(role))).toMatchObject({
          type: 'CALCULATED',
          child_health_threshold: 1,
          child_healthchecks: [synth.ref(stack.dns.healthChecks[role].id), synth.ref(stack.dns.claimsActiveChecks[role].id)],
        });
        // The same resolved ids in the other role's synthesis.
        expect(synth.ref(serves(role).id)).toBe(other.synth.ref(other.stack.dns.servesChecks[role].id));
        expect(synth.ref(standby(role).id)).toBe(other.synth.ref(other.stack.dns.standbyChecks[role].id));
      }
      // 3 HTTPS + 2 CALCULATED per site, every one identical in the other role (addresses and bodies).
      expect(Object.values(checks(synth)).map((c) => c.type).sort()).toEqual([...Array(4).fill('CALCULATED'), ...Array(6).fill('HTTPS')]);
      expect(checks(synth)).toEqual(checks(other.synth));
    });

    test('a swap changes only the records: the two records trade sites, each with the check of the site it names', () => {
      const otherRecords = other.synth.list('aws_route53_record').filter((r) => r.failover_routing_policy && r.type !== 'TXT');
      const otherOf = (type: string) => otherRecords.find((r) => r.failover_routing_policy.type === type)!;
      expect([otherOf('PRIMARY').records, otherOf('PRIMARY').health_check_id]).toEqual([of('SECONDARY').records, synth.ref(serves(passive).id)]);
      expect([otherOf('SECONDARY').records, otherOf('SECONDARY').health_check_id]).toEqual([of('PRIMARY').records, synth.ref(standby(active).id)]);
    });

    test('the records keep their addresses and set identifiers in either role (an activeRegion change updates values in place)', () => {
      expect(synth.address(stack.dns.records.primary)).toBe(other.synth.address(other.stack.dns.records.primary));
      expect(synth.address(stack.dns.records.secondary)).toBe(other.synth.address(other.stack.dns.records.secondary));
      expect(records.map((r) => [r.failover_routing_policy.type, r.set_identifier]).sort()).toEqual([
        ['PRIMARY', 'active-site'],
        ['SECONDARY', 'passive-site'],
      ]);
    });

    test('the SECONDARY record is changed after the PRIMARY one (depends_on), never the other way round', () => {
      const primary = synth.address(stack.dns.records.primary);
      expect(synth.bodyOf(stack.dns.records.secondary).depends_on).toContain(primary);
      expect(synth.bodyOf(stack.dns.records.primary).depends_on).not.toContain(synth.address(stack.dns.records.secondary));
    });
  });

  describe('alarms: nothing in ALARM by design in either role; every regional alarm in both regions', () => {
    const alarms = synth.list('aws_cloudwatch_metric_alarm');

    test('RPO lag on each site\'s own cluster: missing data breaches only on the secondary (the passive site)', () => {
      const lag = alarms.filter((a) => a.metric_name === 'AuroraGlobalDBRPOLag');
      const on = (role: RegionRole) => lag.find((a) => a.provider === `aws.${role}`)!;
      expect(lag).toHaveLength(2);
      expect(on(passive)).toMatchObject({ dimensions: { DBClusterIdentifier: `pay-${stack.config.environmentSuffix}-${regionCode(region(passive))}-aurora` }, treat_missing_data: 'breaching' });
      expect(on(active)).toMatchObject({ dimensions: { DBClusterIdentifier: `pay-${stack.config.environmentSuffix}-${regionCode(region(active))}-aurora` }, treat_missing_data: 'notBreaching' });
    });

    test('the unhealthy-site page watches the active site\'s check; the passive site\'s (unhealthy by design) is only in the any-site-healthy alarm', () => {
      const route53 = alarms.filter((a) => a.namespace === 'AWS/Route53' || a.metric_query?.some((q: Json) => q.metric?.namespace === 'AWS/Route53'));
      const single = route53.filter((a) => a.dimensions?.HealthCheckId);
      expect(single.map((a) => a.dimensions.HealthCheckId)).toEqual([synth.ref(stack.dns.healthChecks[active].id)]);
      const anySite = route53.find((a) => a.metric_query?.some((q: Json) => q.metric?.namespace === 'AWS/Route53'))!;
      expect(anySite.metric_query.find((q: Json) => q.expression).expression).toBe('MAX([p, d])');
    });

    test('every regional alarm exists in both regions', () => {
      const names = (role: RegionRole) =>
        new Set(
          alarms
            .filter((a) => a.provider === `aws.${role}` && a.namespace !== 'AWS/Route53' && !a.metric_query)
            .map((a) => a.alarm_name.replace(`-${regionCode(region(role))}-`, '-<region>-').replace(/-(use1|usw2)-(payment-processor|health-check)/, '-$2')),
        );
      expect([...names('dr')].sort()).toEqual([...names('primary')].sort());
      expect(names('primary').size).toBeGreaterThanOrEqual(8);
    });

    test('failed backup jobs are watched where the plan runs (the active site), failed copies in both regions', () => {
      // Rules with a pattern (the outbox sweep's schedule has none).
      const rules = synth.list('aws_cloudwatch_event_rule').filter((r) => r.event_pattern).map((r) => [r.provider, JSON.parse(r.event_pattern)] as const);
      const backup = rules.filter(([, p]) => p.source[0] === 'aws.backup');
      expect(backup.filter(([, p]) => p['detail-type'][0] === 'Backup Job State Change').map(([provider, p]) => [provider, p.detail.backupVaultName])).toEqual([
        [`aws.${active}`, [stack.backup.vaultNames[active]]],
      ]);
      const copies = backup.filter(([, p]) => p['detail-type'][0] === 'Copy Job State Change');
      expect(copies.map(([provider]) => provider).sort()).toEqual(['aws.dr', 'aws.primary']);
      for (const [, p] of copies) {
        expect(p.detail.sourceBackupVaultArn).toEqual([`arn:aws:backup:${region(active)}:123456789012:backup-vault:${stack.backup.vaultNames[active]}`]);
      }
    });
  });

  test('S3: replication both ways, each with RTC, metrics and replica modification sync', () => {
    const configs = synth.list('aws_s3_bucket_replication_configuration');
    expect(configs.map((c) => c.provider).sort()).toEqual(['aws.dr', 'aws.primary']);
    for (const c of configs) {
      expect(c.rule[0]).toMatchObject({
        status: 'Enabled',
        source_selection_criteria: { sse_kms_encrypted_objects: { status: 'Enabled' }, replica_modifications: { status: 'Enabled' } },
        destination: { replication_time: { status: 'Enabled', time: { minutes: 15 } }, metrics: { status: 'Enabled', event_threshold: { minutes: 15 } } },
      });
    }
  });

  test('backups: the active cluster and the table backed up in the active region, copied to the other vault', () => {
    expect(synth.list('aws_backup_plan')).toHaveLength(1);
    expect(synth.list('aws_backup_selection')).toHaveLength(1);
    const plan = synth.bodyOf(stack.backup.plan);
    expect(plan.provider).toBe(`aws.${active}`);
    expect(plan.rule[0].target_vault_name).toBe(synth.ref(stack.backup.vaults[active].name));
    expect(plan.rule[0].copy_action[0].destination_vault_arn).toBe(synth.ref(stack.backup.vaults[passive].arn));
    const selection = synth.bodyOf(stack.backup.selection);
    expect(selection.provider).toBe(`aws.${active}`);
    expect(selection.resources).toEqual([synth.ref(stack.database.clusters[active].arn), synth.ref(stack.sessions.tableArns[active])]);
    expect(synth.bodyOf(stack.backup.role).provider).toBe(`aws.${active}`);
    expect(synth.list('aws_backup_vault').map((v) => v.provider).sort()).toEqual(['aws.dr', 'aws.primary']);
  });

  describe('rotation: in the secret\'s home region, reaching the writer of whichever site is active', () => {
    test('the function lists both sites\' cluster endpoints, the active one first', () => {
      const fn = synth.bodyOf(stack.rotationFunction.function);
      expect(fn.provider).toBe('aws.primary');
      expect(WRITER_HOSTS_ENV).toBe('DB_WRITER_HOSTS');
      expect(fn.environment.variables[WRITER_HOSTS_ENV]).toBe(
        `${synth.ref(stack.database.clusters[active].endpoint)},${synth.ref(stack.database.clusters[passive].endpoint)}`,
      );
    });

    test('its network path reaches the DR writer over the peering (CIDRs: security groups cannot be referenced across regions)', () => {
      const egress = synth.list('aws_vpc_security_group_egress_rule').filter((r) => r.security_group_id === synth.ref(stack.rotationSecurityGroup.id));
      expect(egress.filter((r) => r.from_port === 5432).map((r) => r.cidr_ipv4 ?? r.referenced_security_group_id).sort()).toEqual(
        [synth.ref(stack.database.securityGroups.primary.id), ...stack.dr.network.isolatedSubnets.map((s) => synth.ref(s.cidrBlock))].sort(),
      );
      const drIngress = synth
        .list('aws_vpc_security_group_ingress_rule')
        .filter((r) => r.security_group_id === synth.ref(stack.database.securityGroups.dr.id) && r.cidr_ipv4);
      expect(drIngress.map((r) => r.cidr_ipv4)).toEqual(stack.primary.network.privateSubnets.map((s) => synth.ref(s.cidrBlock)));
    });

    test('each new version can reach the DR replica: the role may encrypt with the replica key through Secrets Manager in the DR region', () => {
      const statements = policyOf(synth.bodyOf(stack.rotationFunction.policy).policy).Statement;
      expect(statements.find((s) => s.Sid === 'ReplicaSecretKey')).toEqual({
        Sid: 'ReplicaSecretKey',
        Effect: 'Allow',
        Action: ['kms:Encrypt', 'kms:GenerateDataKey', 'kms:Decrypt'],
        Resource: [synth.ref(stack.databaseKey.keys['dr'].arn)],
        Condition: { StringEquals: { 'kms:ViaService': `secretsmanager.${region('dr')}.amazonaws.com` } },
      });
    });

    test('rotation starts only once there is something to rotate (issue 14 item 1)', () => {
      const rotation = synth.list('aws_secretsmanager_secret_rotation')[0];
      expect(rotation.rotate_immediately).toBe(true);
      const permission = synth.list('aws_lambda_permission').find((p) => p.principal === 'secretsmanager.amazonaws.com')!;
      const must = [
        stack.rotationFunction.policy,
        stack.database.secretVersion,
        ...stack.database.primaryInstances,
        ...stack.database.drInstances,
        stack.primary.network.interfaceEndpoints.secretsmanager,
        ...stack.peering.requesterRoutes,
        ...stack.peering.accepterRoutes,
      ].map((r) => synth.address(r));
      expect(rotation.depends_on).toEqual(expect.arrayContaining(must));
      expect(rotation.depends_on.some((d: string) => d.startsWith('aws_lambda_permission.'))).toBe(true);
      expect(permission.source_arn).toBe(synth.ref(stack.database.secret.arn));
      const sgRules = rotation.depends_on.filter((d: string) => /^aws_vpc_security_group_(egress|ingress)_rule\./.test(d));
      expect(sgRules).toHaveLength(3 + stack.dr.network.isolatedSubnets.length + stack.primary.network.privateSubnets.length);
    });

    test('a failed replication or rotation of a secret notifies the topic (EventBridge; no metric exists)', () => {
      const rule = synth.list('aws_cloudwatch_event_rule').find((r) => r.name.endsWith('secret-replication-rotation-failed'))!;
      expect(rule.provider).toBe('aws.primary');
      expect(JSON.parse(rule.event_pattern)).toEqual({
        source: ['aws.secretsmanager'],
        'detail-type': ['AWS Service Event via CloudTrail'],
        detail: { eventName: ['ReplicationFailed', 'RotationFailed', 'RotationAbandoned'] },
      });
      const target = synth.list('aws_cloudwatch_event_target').find((t) => t.rule === synth.ref(stack.observability.eventRules.find((e) => synth.bodyOf(e.rule) === rule)!.rule.name))!;
      const topic = stack.observability.topics[region('primary')];
      expect(target.arn).toBe(synth.ref(topic.arn));
      const policy = policyOf(synth.list('aws_sns_topic_policy').find((p) => p.arn === synth.ref(topic.arn))!.policy).Statement;
      expect(policy.find((s) => s.Sid === 'EventBridgeRules')).toMatchObject({ Principal: { Service: 'events.amazonaws.com' }, Action: 'sns:Publish' });
      expect(policy.find((s) => s.Sid === 'CloudWatchAlarms')).toMatchObject({ Principal: { Service: 'cloudwatch.amazonaws.com' } });
      const keyPolicy = policyOf(synth.bodyOf(stack.logsKey.primaryKey).policy).Statement;
      expect(keyPolicy.find((s) => s.Sid === 'EventBridgeRules')).toMatchObject({ Principal: { Service: 'events.amazonaws.com' } });
    });
  });

  test('DR report: derived for the active site, with the failover and failback directions', () => {
    const name = (role: RegionRole) => `${role} (${region(role)})`;
    expect(stack.drReport.directions).toEqual({ failover: `${name(active)} -> ${name(passive)}`, failback: `${name(passive)} -> ${name(active)}` });
    expect(stack.drReport.design.dnsTtlSeconds).toBe(stack.config.dns.recordTtlSeconds);
    // The failover scenario promotes the passive site's cluster, the failback scenario goes the other way.
    const failover = stack.drReport.scenarios.find((x) => x.id === `failover-${stack.config.failover.mode}`)!;
    expect(failover).toMatchObject({ from: region(active), to: region(passive) });
    expect(failover.title).toContain(name(active));
    expect(failover.steps.find((x) => x.step === 'Aurora promotion')!.mechanism).toContain(region(passive));
    expect(stack.drReport.scenarios.find((x) => x.id === 'failback-planned')).toMatchObject({ from: region(passive), to: region(active) });
  });

  test('outputs for the DR CLI: active-region, the designation parameter, each cluster\'s parameter group', () => {
    const outputs = synth.json.output;
    expect(outputs['active-region'].value).toBe(active);
    expect(outputs['active-site-parameter-name'].value).toBe(stack.designation.parameterName);
    expect(outputs['primary-cluster-parameter-group'].value).toBe(synth.ref(stack.database.parameterGroups.primary.name));
    expect(outputs['dr-cluster-parameter-group'].value).toBe(synth.ref(stack.database.parameterGroups.dr.name));
  });
});

describe.each(['dev', 'prod'] as const)('%s: switching activeRegion changes nothing stateful', (profile) => {
  const a = stackFor(profile, 'primary').synth;
  const b = stackFor(profile, 'dr').synth;
  const STATEFUL = [
    'aws_rds_global_cluster',
    'aws_rds_cluster',
    'aws_rds_cluster_instance',
    'aws_dynamodb_table',
    'aws_s3_bucket',
    'aws_backup_vault',
    'aws_kms_key',
    'aws_kms_replica_key',
    'aws_secretsmanager_secret',
    'aws_secretsmanager_secret_version',
  ];

  test.each(STATEFUL)('%s: the same addresses with identical configuration', (type) => {
    expect(Object.keys(b.resources(type)).sort()).toEqual(Object.keys(a.resources(type)).sort());
    expect(b.resources(type)).toEqual(a.resources(type));
  });

  test('the global cluster and both clusters do not change at all (no replication_source_identifier or global_cluster_identifier change can be planned)', () => {
    expect(b.resources('aws_rds_cluster')).toEqual(a.resources('aws_rds_cluster'));
  });
});

describe('config', () => {
  test('activeRegion defaults to primary and dns.recordTtlSeconds to 30', () => {
    const config = testConfig();
    expect(config.activeRegion).toBe('primary');
    expect(config.dns.recordTtlSeconds).toBe(30);
  });

  test.each([
    [{ activeRegion: 'secondary' }, /activeRegion/],
    [{ dns: { recordTtlSeconds: 5 } }, /dns\.recordTtlSeconds: 5/],
    [{ dns: { recordTtlSeconds: 301 } }, /dns\.recordTtlSeconds: 301/],
  ])('%j is refused', (override, message) => {
    expect(() => testConfig(override)).toThrow(message);
  });
});

function regionCode(region: string): string {
  return { 'us-east-1': 'use1', 'us-west-2': 'usw2' }[region] ?? region;
}
