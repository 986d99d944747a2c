import { Json, policyOf, synthDrStack } from './support/synth';

describe('dev stack foundation', () => {
  const { stack, synth } = synthDrStack();
  const config = stack.config;

  describe('providers and backend', () => {
    test('two aliased AWS providers, one per region, pinned to the wrong-account guard', () => {
      const aws: Json[] = synth.json.provider.aws;
      expect(aws).toHaveLength(2);
      expect(aws.map((p) => [p.alias, p.region])).toEqual([
        ['primary', 'us-east-1'],
        ['dr', 'us-west-2'],
      ]);
      for (const p of aws) expect(p.allowed_account_ids).toEqual([config.accountId]);
    });

    test('default tags carry environment, suffix, DR role and cost centre', () => {
      const tags = (alias: string) => synth.json.provider.aws.find((p: Json) => p.alias === alias).default_tags[0].tags;
      expect(tags('primary')).toMatchObject({
        Environment: 'dev',
        EnvironmentSuffix: 'dev',
        DisasterRecovery: 'primary',
        CostCenter: 'payments-platform',
      });
      expect(tags('dr')).toMatchObject({ DisasterRecovery: 'dr' });
    });

    test('the random provider is declared and the AWS provider is pinned to 5.100.0', () => {
      expect(synth.json.provider.random).toHaveLength(1);
      expect(synth.json.terraform.required_providers.aws.version).toBe('5.100.0');
    });

    test('S3 backend: per-environment key, encryption and S3-native locking', () => {
      expect(synth.json.terraform.backend.s3).toEqual({
        bucket: 'pay-terraform-state-123456789012',
        region: 'us-east-1',
        key: 'payments-dr/dev/terraform.tfstate',
        encrypt: true,
        use_lockfile: true,
      });
      expect(synth.json.terraform.backend.s3.dynamodb_table).toBeUndefined();
    });

    test('the state object is encrypted with the bootstrap\'s KMS key when one is configured', () => {
      const arn = 'arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-1111-2222-3333-444455556666';
      const { synth: withKey } = synthDrStack({ stateBackend: { kmsKeyArn: arn } });
      expect(withKey.json.terraform.backend.s3).toMatchObject({ encrypt: true, kms_key_id: arn, use_lockfile: true });
    });

    test('no data sources: a plan needs no live AWS account', () => {
      expect(synth.json.data).toBeUndefined();
    });
  });

  describe('every resource stays in its region', () => {
    const regionOf = new Map<string, string>();
    for (const [type, id, body] of synth.all()) regionOf.set(`${type}.${id}`, body.provider);

    test('every AWS resource names its provider explicitly', () => {
      const missing = synth.all().filter(([type, , body]) => type.startsWith('aws_') && !/^aws\.(primary|dr)$/.test(body.provider));
      expect(missing.map(([t, id]) => `${t}.${id}`)).toEqual([]);
    });

    // The only references that may cross regions, each by design.
    const crossRegionAllowed = new Set([
      'aws_vpc_peering_connection -> aws_vpc', // peer_vpc_id of the accepter's VPC
      'aws_vpc_peering_connection_accepter -> aws_vpc_peering_connection', // accepts the requester's connection
      'aws_vpc_peering_connection_options -> aws_vpc_peering_connection_accepter', // requester side waits for acceptance
      'aws_kms_replica_key -> aws_kms_key', // a replica names its primary key
      'aws_rds_cluster -> aws_rds_global_cluster', // the DR cluster joins the global cluster
      'aws_secretsmanager_secret -> aws_kms_replica_key', // the secret's DR replica is encrypted with the DR key
      'aws_dynamodb_table -> aws_kms_replica_key', // the table's DR replica is encrypted with the DR key
      'aws_s3_bucket_replication_configuration -> aws_s3_bucket', // replicates into the DR bucket
      'aws_s3_bucket_replication_configuration -> aws_kms_replica_key', // re-encrypts with the DR key
      'aws_iam_role_policy -> aws_s3_bucket', // the replication role writes the DR bucket
      'aws_iam_role_policy -> aws_kms_replica_key', // and encrypts with the DR key
      // Two-way S3 replication: the DR bucket replicates back, re-encrypting with the primary key.
      'aws_s3_bucket_replication_configuration -> aws_kms_key',
      'aws_iam_role_policy -> aws_kms_key',
      // Rotation runs where the secret's primary lives and reaches the writer of either site over the peering.
      'aws_lambda_function -> aws_rds_cluster', // both sites' cluster endpoints
      'aws_vpc_security_group_egress_rule -> aws_subnet', // PostgreSQL to the DR isolated subnets
      'aws_vpc_security_group_ingress_rule -> aws_subnet', // the DR cluster admits the rotation subnets
      'aws_backup_plan -> aws_backup_vault', // the copy action targets the DR vault
      // Route 53 is global (managed through the primary provider) and points at both regions:
      'aws_route53_health_check -> aws_api_gateway_rest_api', // checks the DR region's API directly
      'aws_route53_record -> aws_api_gateway_domain_name', // the SECONDARY alias targets the DR domain
      'aws_acm_certificate_validation -> aws_route53_record', // the DR certificate uses the one validation record
      // Observability shows both regions: dashboards side by side, S3 replication metrics name the DR bucket.
      'aws_cloudwatch_dashboard -> aws_api_gateway_rest_api',
      'aws_cloudwatch_dashboard -> aws_route53_health_check',
      'aws_cloudwatch_dashboard -> aws_s3_bucket',
      'aws_cloudwatch_metric_alarm -> aws_s3_bucket',
      // Payment events: the global endpoint names the bus of both regions; the other region's copy of the endpoint
      // URL parameter points at the one endpoint (it lives in the active site's region).
      'aws_cloudwatch_event_endpoint -> aws_cloudwatch_event_bus',
      'aws_ssm_parameter -> aws_cloudwatch_event_endpoint',
      // Each region's prober probes the other region's public API endpoint (regional-pager.ts).
      'aws_lambda_function -> aws_api_gateway_rest_api',
    ]);

    test('references cross regions only for the peering pair and key replication', () => {
      const crossings: string[] = [];
      const seen = new Set<string>();
      for (const [type, id, body] of synth.all()) {
        const text = JSON.stringify({ ...body, provider: undefined, depends_on: undefined });
        for (const m of text.matchAll(/\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)\./g)) {
          const target = `${m[1]}.${m[2]}`;
          const targetProvider = regionOf.get(target);
          if (targetProvider && targetProvider !== body.provider) {
            const edge = `${type} -> ${m[1]}`;
            seen.add(edge);
            if (!crossRegionAllowed.has(edge)) crossings.push(`${type}.${id} -> ${target}`);
          }
        }
      }
      expect(crossings).toEqual([]);
      // the scan does see the crossings that exist by design
      expect([...seen].sort()).toEqual([...crossRegionAllowed].sort());
    });
  });

  describe('networking per region', () => {
    test.each(['primary', 'dr'] as const)('%s: VPC with DNS support and hostnames', (role) => {
      const vpc = synth.resources('aws_vpc');
      const mine = Object.values(vpc).filter((v) => v.provider === `aws.${role}`);
      expect(mine).toHaveLength(1);
      expect(mine[0]).toMatchObject({
        cidr_block: config.regions[role].vpcCidr,
        enable_dns_support: true,
        enable_dns_hostnames: true,
      });
    });

    test.each(['primary', 'dr'] as const)('%s: public, private and isolated subnets in each configured zone', (role) => {
      const subnets = synth.inRegion('aws_subnet', role);
      expect(subnets).toHaveLength(9);
      for (const tier of ['public', 'private', 'isolated']) {
        const zones = subnets.filter((s) => s.tags.Tier === tier).map((s) => s.availability_zone);
        expect(zones.sort()).toEqual([...config.regions[role].availabilityZones].sort());
      }
      expect(subnets.every((s) => s.map_public_ip_on_launch === false)).toBe(true);
      const net = role === 'primary' ? stack.primary.network : stack.dr.network;
      for (const s of subnets) expect(s.vpc_id).toBe(synth.ref(net.vpc.id));
    });

    test('subnet CIDRs are distinct and inside their VPC', () => {
      const cidrs = synth.list('aws_subnet').map((s) => s.cidr_block);
      expect(new Set(cidrs).size).toBe(cidrs.length);
      expect(synth.inRegion('aws_subnet', 'primary').every((s) => s.cidr_block.startsWith('10.0.'))).toBe(true);
      expect(synth.inRegion('aws_subnet', 'dr').every((s) => s.cidr_block.startsWith('10.1.'))).toBe(true);
    });

    test('dev: one NAT gateway per region, every private route table defaults through it', () => {
      for (const role of ['primary', 'dr'] as const) {
        expect(synth.inRegion('aws_nat_gateway', role)).toHaveLength(1);
        expect(synth.inRegion('aws_eip', role)).toHaveLength(1);
      }
      const net = stack.primary.network;
      const natRef = synth.ref(net.natGateways[0].id);
      const privateDefaults = synth
        .inRegion('aws_route', 'primary')
        .filter((r) => r.destination_cidr_block === '0.0.0.0/0' && r.nat_gateway_id);
      expect(privateDefaults).toHaveLength(3);
      expect(privateDefaults.every((r) => r.nat_gateway_id === natRef)).toBe(true);
    });

    test('isolated (database) route table has no route to the internet', () => {
      const isolated = synth.ref(stack.primary.network.isolatedRouteTable.id);
      const routes = synth.list('aws_route').filter((r) => r.route_table_id === isolated);
      expect(routes.every((r) => r.destination_cidr_block !== '0.0.0.0/0')).toBe(true);
    });

    test('public route table routes to the internet gateway', () => {
      const publicRt = synth.ref(stack.primary.network.publicRouteTable.id);
      const routes = synth.list('aws_route').filter((r) => r.route_table_id === publicRt);
      expect(routes).toEqual([expect.objectContaining({ destination_cidr_block: '0.0.0.0/0', gateway_id: expect.stringContaining('aws_internet_gateway.') })]);
    });

    test.each(['primary', 'dr'] as const)('%s: S3 and DynamoDB gateway endpoints on private and isolated route tables', (role) => {
      const net = role === 'primary' ? stack.primary.network : stack.dr.network;
      const region = config.regions[role].region;
      const gateways = synth.inRegion('aws_vpc_endpoint', role).filter((e) => e.vpc_endpoint_type === 'Gateway');
      expect(gateways.map((g) => g.service_name).sort()).toEqual([`com.amazonaws.${region}.dynamodb`, `com.amazonaws.${region}.s3`]);
      for (const g of gateways) expect(g.route_table_ids).toEqual(net.internalRouteTables.map((rt) => synth.ref(rt.id)));
    });

    test.each(['primary', 'dr'] as const)('%s: interface endpoints with private DNS in private subnets, HTTPS from the VPC only', (role) => {
      const net = role === 'primary' ? stack.primary.network : stack.dr.network;
      const region = config.regions[role].region;
      const endpoints = synth.inRegion('aws_vpc_endpoint', role).filter((e) => e.vpc_endpoint_type === 'Interface');
      expect(endpoints.map((e) => e.service_name).sort()).toEqual(
        ['kms', 'secretsmanager', 'ssm'].map((s) => `com.amazonaws.${region}.${s}`),
      );
      for (const e of endpoints) {
        expect(e.private_dns_enabled).toBe(true);
        expect(e.subnet_ids).toEqual(net.privateSubnets.map((s) => synth.ref(s.id)));
        expect(e.security_group_ids).toEqual([synth.ref(net.endpointSecurityGroup.id)]);
      }
      const rules = synth
        .list('aws_vpc_security_group_ingress_rule')
        .filter((r) => r.security_group_id === synth.ref(net.endpointSecurityGroup.id));
      expect(rules).toEqual([
        expect.objectContaining({ ip_protocol: 'tcp', from_port: 443, to_port: 443, cidr_ipv4: config.regions[role].vpcCidr }),
      ]);
    });

    test('no security group rule anywhere admits the whole internet', () => {
      const open = synth
        .list('aws_vpc_security_group_ingress_rule')
        .filter((r) => r.cidr_ipv4 === '0.0.0.0/0' || r.cidr_ipv6 === '::/0');
      expect(open).toEqual([]);
      for (const sg of synth.list('aws_security_group')) {
        expect(sg.ingress ?? []).toEqual([]);
        expect(sg.description).toBeTruthy();
      }
    });

    test.each(['primary', 'dr'] as const)('%s: default security group is adopted with no rules', (role) => {
      const defaults = synth.inRegion('aws_default_security_group', role);
      expect(defaults).toHaveLength(1);
      expect(defaults[0].ingress).toBeUndefined();
      expect(defaults[0].egress).toBeUndefined();
    });

    test.each(['primary', 'dr'] as const)('%s: flow logs of all traffic to a KMS-encrypted log group with retention', (role) => {
      const net = role === 'primary' ? stack.primary.network : stack.dr.network;
      const logs = synth.inRegion('aws_flow_log', role);
      expect(logs).toHaveLength(1);
      expect(logs[0]).toMatchObject({
        vpc_id: synth.ref(net.vpc.id),
        traffic_type: 'ALL',
        log_destination_type: 'cloud-watch-logs',
        log_destination: synth.ref(net.flowLogGroup.arn),
      });
      const group = synth.inRegion('aws_cloudwatch_log_group', role)[0];
      expect(group.retention_in_days).toBe(30);
      expect(group.kms_key_id).toBe(synth.ref(stack.logsKey.keys[role].arn));
    });

    test('flow-log role: trusted by the flow-logs service of our account, writes only its log group', () => {
      const roles = synth.list('aws_iam_role').filter((r) => r.assume_role_policy.includes('vpc-flow-logs.amazonaws.com'));
      expect(roles).toHaveLength(2);
      const trust = policyOf(roles[0].assume_role_policy).Statement[0];
      expect(trust.Condition.StringEquals['aws:SourceAccount']).toBe(config.accountId);
      const policies = synth.list('aws_iam_role_policy').filter((p) => p.name === 'deliver-to-log-group');
      expect(policies).toHaveLength(2);
      for (const p of policies) {
        for (const s of policyOf(p.policy).Statement) {
          expect(s.Action).not.toContain('*');
          expect(s.Resource).not.toContain('*');
        }
      }
    });
  });

  describe('logs key (multi-region)', () => {
    const keyBody = () => synth.bodyOf(stack.logsKey.primaryKey);
    const replicaBody = () => synth.bodyOf(stack.logsKey.replicaKey);

    test('primary key is multi-region with rotation; the replica lives in the DR region', () => {
      expect(keyBody()).toMatchObject({ provider: 'aws.primary', multi_region: true, enable_key_rotation: true, deletion_window_in_days: 7 });
      expect(replicaBody()).toMatchObject({ provider: 'aws.dr', primary_key_arn: synth.ref(stack.logsKey.primaryKey.arn) });
    });

    test('each region\'s key policy grants CloudWatch Logs of that region and account only', () => {
      const policies = [
        ['us-east-1', keyBody().policy],
        ['us-west-2', replicaBody().policy],
      ];
      for (const [region, text] of policies) {
        const logs = policyOf(text).Statement.find((s) => s.Sid === 'CloudWatchLogs')!;
        expect(logs.Principal).toEqual({ Service: `logs.${region}.amazonaws.com` });
        expect(logs.Condition.ArnLike['kms:EncryptionContext:aws:logs:arn']).toBe(`arn:aws:logs:${region}:123456789012:log-group:*`);
        const admin = policyOf(text).Statement.find((s) => s.Sid === 'AccountAdministration')!;
        expect(admin.Action).not.toContain('kms:*');
        expect(admin.Action).not.toContain('kms:Decrypt');
      }
    });

    test('two aliases with the same name, one per region', () => {
      const aliases = synth.list('aws_kms_alias').filter((a) => a.name === 'alias/pay-dev-logs');
      expect(aliases.map((a) => a.provider).sort()).toEqual(['aws.dr', 'aws.primary']);
      expect(new Set(aliases.map((a) => a.name))).toEqual(new Set(['alias/pay-dev-logs']));
    });
  });

  describe('cross-region peering', () => {
    const requesterRef = synth.ref(stack.peering.connection.id);
    const accepterRef = synth.ref(stack.peering.accepter.vpcPeeringConnectionId);

    test('requested from the primary region, not auto-accepted there', () => {
      const [conn] = synth.list('aws_vpc_peering_connection');
      expect(conn).toMatchObject({
        provider: 'aws.primary',
        vpc_id: synth.ref(stack.primary.network.vpc.id),
        peer_vpc_id: synth.ref(stack.dr.network.vpc.id),
        peer_region: 'us-west-2',
        peer_owner_id: config.accountId,
        auto_accept: false,
      });
    });

    test('accepted in the DR region', () => {
      const accepters = synth.list('aws_vpc_peering_connection_accepter');
      expect(accepters).toEqual([
        expect.objectContaining({ provider: 'aws.dr', vpc_peering_connection_id: requesterRef, auto_accept: true }),
      ]);
    });

    test('DNS resolution enabled on both sides, from the accepted connection', () => {
      const options = synth.list('aws_vpc_peering_connection_options');
      expect(options).toHaveLength(2);
      const requester = options.find((o) => o.requester)!;
      const accepter = options.find((o) => o.accepter)!;
      expect(requester).toMatchObject({ provider: 'aws.primary', vpc_peering_connection_id: accepterRef, requester: { allow_remote_vpc_dns_resolution: true } });
      expect(accepter).toMatchObject({ provider: 'aws.dr', vpc_peering_connection_id: accepterRef, accepter: { allow_remote_vpc_dns_resolution: true } });
      expect(requester.accepter).toBeUndefined();
      expect(accepter.requester).toBeUndefined();
    });

    test.each([
      ['primary', 'dr'],
      ['dr', 'primary'],
    ] as const)('%s: a route to the peer CIDR in every private and isolated route table', (role, peer) => {
      const net = role === 'primary' ? stack.primary.network : stack.dr.network;
      const peerings = synth.list('aws_route').filter((r) => r.vpc_peering_connection_id && r.provider === `aws.${role}`);
      expect(peerings).toHaveLength(4); // 3 private (one per zone) + 1 isolated
      expect(peerings.map((r) => r.route_table_id).sort()).toEqual(net.internalRouteTables.map((rt) => synth.ref(rt.id)).sort());
      for (const r of peerings) {
        expect(r.destination_cidr_block).toBe(config.regions[peer].vpcCidr);
        expect(r.vpc_peering_connection_id).toBe(role === 'primary' ? requesterRef : accepterRef);
      }
    });

    test('never a default route through the peering, and no peering route in public tables', () => {
      const viaPeering = synth.list('aws_route').filter((r) => r.vpc_peering_connection_id);
      expect(viaPeering.filter((r) => r.destination_cidr_block === '0.0.0.0/0')).toEqual([]);
      const publicTables = [stack.primary.network, stack.dr.network].map((n) => synth.ref(n.publicRouteTable.id));
      expect(viaPeering.filter((r) => publicTables.includes(r.route_table_id))).toEqual([]);
    });
  });
});

describe('prod profile and variations', () => {
  test('prod: one NAT gateway per zone, each private route table through its own zone', () => {
    const { stack, synth } = synthDrStack({ profile: 'prod', environmentSuffix: 'prod', network: { natGateways: 'one-per-az' } });
    const net = stack.primary.network;
    expect(synth.inRegion('aws_nat_gateway', 'primary')).toHaveLength(3);
    const natRefs = net.natGateways.map((n) => synth.ref(n.id));
    net.privateRouteTables.forEach((rt, i) => {
      const route = synth.list('aws_route').find((r) => r.route_table_id === synth.ref(rt.id) && r.destination_cidr_block === '0.0.0.0/0')!;
      expect(route.nat_gateway_id).toBe(natRefs[i]);
    });
    expect(synth.list('aws_kms_key').map((k) => k.deletion_window_in_days)).toEqual([30, 30, 30, 30]);
    expect(synth.json.terraform.backend.s3.key).toBe('payments-dr/prod/terraform.tfstate');
  });

  test('two zones per region give 6 subnets and 3 peering routes per side', () => {
    const { synth } = synthDrStack({
      regions: {
        primary: { availabilityZones: ['us-east-1a', 'us-east-1b'] },
        dr: { availabilityZones: ['us-west-2a', 'us-west-2b'] },
      },
    });
    expect(synth.inRegion('aws_subnet', 'primary')).toHaveLength(6);
    expect(synth.list('aws_route').filter((r) => r.vpc_peering_connection_id && r.provider === 'aws.dr')).toHaveLength(3);
  });

  test('names carry prefix, suffix and region code', () => {
    const { synth } = synthDrStack({ environmentSuffix: 'pr42' });
    const roles = synth.list('aws_iam_role').map((r) => r.name);
    expect(roles).toEqual(expect.arrayContaining(['pay-pr42-use1-flow-logs', 'pay-pr42-usw2-flow-logs']));
    expect(roles.every((n) => n.startsWith('pay-pr42-'))).toBe(true);
  });
});
