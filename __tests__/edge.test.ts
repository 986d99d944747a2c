// edge.mode: "dns" (default, unchanged) and "accelerator" (Global Accelerator in front of an internal ALB per
// region), synthesized in dev and prod.
import { DrStack } from '../src/dr-stack';
import { waiversOn } from '../src/guardrails/markers';
import { ELB_LOG_ACCOUNTS, elbLogDeliveryPrincipal } from '../src/constructs/regional-load-balancer';
import { Json, Synth, policyOf, synthDrStack } from './support/synth';

const ACCELERATOR = { edge: { mode: 'accelerator' } };
const PROD = { profile: 'prod', environmentSuffix: 'prod', network: { natGateways: 'one-per-az' } };
const roles = ['primary', 'dr'] as const;
const EDGE_TYPES = [
  'aws_lb',
  'aws_lb_listener',
  'aws_lb_listener_rule',
  'aws_lb_target_group',
  'aws_lb_target_group_attachment',
  'aws_globalaccelerator_accelerator',
  'aws_globalaccelerator_listener',
  'aws_globalaccelerator_endpoint_group',
];

const stacks = {
  dev: { dns: synthDrStack(), accelerator: synthDrStack(ACCELERATOR) },
  prod: { dns: synthDrStack(PROD), accelerator: synthDrStack({ ...PROD, ...ACCELERATOR }) },
};

/** Every resource as `type.logical id` → body. */
const byAddress = (synth: Synth) => new Map(synth.all().map(([type, id, body]) => [`${type}.${id}`, body]));

describe.each(['dev', 'prod'] as const)('%s profile', (profile) => {
  const dns = stacks[profile].dns;
  const acc = stacks[profile].accelerator;
  const zone = 'payments.example.com';
  // Each environment has its own API name (dns.apiRecordName null → api-<environmentSuffix>).
  const label = dns.stack.config.dns.apiRecordName;

  describe('edge.mode "dns" (the default)', () => {
    test('has no load balancer, accelerator, client-key parameter or client-key grant; the failover records hold the API name', () => {
      for (const type of EDGE_TYPES) expect(dns.synth.count(type)).toBe(0);
      expect(dns.stack.edge).toBeUndefined();
      expect(dns.synth.list('aws_ssm_parameter').map((p) => p.name)).not.toContainEqual(expect.stringMatching(/api-key-secret-name$/));
      expect(JSON.stringify(dns.synth.list('aws_iam_role_policy'))).not.toContain('ApiClientKey');
      // (the TXT failover records are Route 53's status records the probers read: regional-pager.test.ts)
      const failover = dns.synth.list('aws_route53_record').filter((r) => r.failover_routing_policy && r.type !== 'TXT');
      expect(failover.map((r) => r.name)).toEqual([`${label}.${zone}`, `${label}.${zone}`]);
      expect(Object.keys(dns.synth.json.output)).not.toContain('edge-mode');
    });

    test('accelerator mode only adds to it: every dns-mode resource exists unchanged, except the failover records\' name and the payment policies and parameters of the key check', () => {
      const before = byAddress(dns.synth);
      const after = byAddress(acc.synth);
      const changed: string[] = [];
      for (const [address, body] of before) {
        expect(after.has(address)).toBe(true);
        if (JSON.stringify(after.get(address)) !== JSON.stringify(body)) changed.push(address.split('.')[0]);
      }
      // Two failover records renamed, two payment role policies with the ApiClientKey grant.
      expect(changed.sort()).toEqual(['aws_iam_role_policy', 'aws_iam_role_policy', 'aws_route53_record', 'aws_route53_record']);
      const added = [...after.keys()].filter((a) => !before.has(a)).map((a) => a.split('.')[0]);
      expect(added.filter((t) => t.startsWith('aws_lb') || t.startsWith('aws_globalaccelerator')).length).toBe(1 * 2 + 2 + 4 + 4 + 4 + 1 + 1 + 2);
    });
  });

  describe('edge.mode "accelerator"', () => {
    const stack = acc.stack as DrStack & { edge: NonNullable<DrStack['edge']> };
    const synth = acc.synth;

    test.each(roles)('%s: an internal application load balancer in the private subnets, invalid headers dropped, logs on, deletion protection in prod only', (role) => {
      const lb = stack.edge.loadBalancers[role];
      expect(synth.bodyOf(lb.loadBalancer)).toMatchObject({
        provider: `aws.${role}`,
        internal: true,
        load_balancer_type: 'application',
        ip_address_type: 'ipv4',
        subnets: stack[role].network.privateSubnets.map((s) => synth.ref(s.id)),
        security_groups: [synth.ref(lb.securityGroup.id)],
        drop_invalid_header_fields: true,
        enable_deletion_protection: profile === 'prod',
        access_logs: { bucket: synth.ref(lb.logBucket.bucket), prefix: 'alb', enabled: true },
      });
    });

    test.each(roles)('%s: one HTTPS listener, TLS 1.3/1.2 policy, the region\'s validated certificate, 404 by default', (role) => {
      const lb = stack.edge.loadBalancers[role];
      const listeners = synth.inRegion('aws_lb_listener', role);
      expect(listeners).toHaveLength(1);
      expect(synth.bodyOf(lb.listener)).toMatchObject({
        load_balancer_arn: synth.ref(lb.loadBalancer.arn),
        port: 443,
        protocol: 'HTTPS',
        ssl_policy: 'ELBSecurityPolicy-TLS13-1-2-Res-2021-06',
        certificate_arn: synth.ref(stack.runtime[role].api.certificateValidation.certificateArn),
        default_action: [{ type: 'fixed-response', fixed_response: { status_code: '404', content_type: 'application/json' } }],
      });
    });

    test.each(roles)('%s: the API Gateway routes, to Lambda target groups with invoke permissions scoped to each target group', (role) => {
      const lb = stack.edge.loadBalancers[role];
      const rules = synth
        .inRegion('aws_lb_listener_rule', role)
        .sort((a, b) => a.priority - b.priority)
        .map((r) => [r.priority, r.condition[0].path_pattern.values, r.action[0].target_group_arn]);
      expect(rules).toEqual([
        [10, ['/payments', '/payments/*'], synth.ref(lb.targetGroups.payment.arn)],
        [20, ['/health'], synth.ref(lb.targetGroups.health.arn)],
      ]);
      for (const [tg, fn] of [
        [lb.targetGroups.payment, stack.runtime[role].paymentFunction.invokeTarget],
        [lb.targetGroups.health, stack.runtime[role].healthFunction.invokeTarget],
      ] as const) {
        expect(synth.bodyOf(tg)).toMatchObject({
          target_type: 'lambda',
          lambda_multi_value_headers_enabled: true,
          health_check: { enabled: true, path: '/health', matcher: '200', interval: 15, timeout: 5, healthy_threshold: 3, unhealthy_threshold: 2 },
        });
        expect(synth.bodyOf(tg).port).toBeUndefined();
        const permissions = synth.list('aws_lambda_permission').filter((p) => p.principal === 'elasticloadbalancing.amazonaws.com' && p.source_arn === synth.ref(tg.arn));
        expect(permissions).toEqual([expect.objectContaining({ function_name: synth.ref(fn.functionName), action: 'lambda:InvokeFunction', provider: `aws.${role}` })]);
        const attachments = synth.list('aws_lb_target_group_attachment').filter((a) => a.target_group_arn === synth.ref(tg.arn));
        expect(attachments).toEqual([expect.objectContaining({ target_id: synth.ref(fn.arn) })]);
        expect(attachments[0].depends_on).toHaveLength(1);
      }
    });

    test.each(roles)('%s: the API\'s WAF rule set on the load balancer', (role) => {
      const lb = stack.edge.loadBalancers[role];
      const association = synth.list('aws_wafv2_web_acl_association').filter((a) => a.resource_arn === synth.ref(lb.loadBalancer.arn));
      expect(association).toEqual([expect.objectContaining({ web_acl_arn: synth.ref(lb.webAcl.arn) })]);
      const strip = (acl: Json) => acl.rule.map(({ name, priority, statement, action, override_action }: Json) => ({ name, priority, statement, action, override_action }));
      expect(strip(synth.bodyOf(lb.webAcl))).toEqual(strip(synth.bodyOf(stack.runtime[role].api.webAcl)));
      expect(synth.bodyOf(lb.webAcl).scope).toBe('REGIONAL');
    });

    test.each(roles)('%s: the security group admits HTTPS from anywhere (client IPs preserved), nothing else, and is marked as the public entry point', (role) => {
      const sg = stack.edge.loadBalancers[role].securityGroup;
      const ingress = synth.list('aws_vpc_security_group_ingress_rule').filter((r) => r.security_group_id === synth.ref(sg.id));
      expect(ingress).toEqual([expect.objectContaining({ ip_protocol: 'tcp', from_port: 443, to_port: 443, cidr_ipv4: '0.0.0.0/0' })]);
      expect(synth.list('aws_vpc_security_group_egress_rule').filter((r) => r.security_group_id === synth.ref(sg.id))).toEqual([]);
      expect(synth.bodyOf(sg).egress).toBeUndefined();
      expect(sg.node.metadata.find((m) => m.type === 'payments-dr:public-https-entry-point')?.data).toMatch(/client IP preservation/);
    });

    test.each(roles)('%s: access logs go to an SSE-S3 bucket the regional ELB account may write, with a written waiver of ENC-CMK', (role) => {
      const lb = stack.edge.loadBalancers[role];
      const region = stack[role].ctx.region;
      const bucket = synth.bodyOf(lb.logBucket);
      expect(waiversOn(lb.logBucket)).toEqual([{ rule: 'ENC-CMK', reason: expect.stringMatching(/support only SSE-S3/) }]);
      const sse = synth.list('aws_s3_bucket_server_side_encryption_configuration').filter((c) => c.bucket === synth.ref(lb.logBucket.id));
      expect(sse.map((c) => c.rule[0].apply_server_side_encryption_by_default)).toEqual([{ sse_algorithm: 'AES256' }]);
      const policy = policyOf(synth.list('aws_s3_bucket_policy').find((p) => p.bucket === synth.ref(lb.logBucket.id))!.policy);
      // Both regions opened before August 2022: the regional Elastic Load Balancing account writes the logs.
      const account = { 'us-east-1': '127311923021', 'us-west-2': '797873946194' }[region];
      expect(policy.Statement.find((s) => s.Sid === 'ElbAccessLogDelivery')).toEqual({
        Sid: 'ElbAccessLogDelivery',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${account}:root` },
        Action: 's3:PutObject',
        Resource: `${synth.ref(lb.logBucket.arn)}/alb/AWSLogs/123456789012/*`,
      });
      // ELB checks its write permission when logging is enabled: the load balancer waits for the bucket policy.
      const bucketPolicy = synth.all().find(([type, , body]) => type === 'aws_s3_bucket_policy' && body.bucket === synth.ref(lb.logBucket.id))!;
      expect(synth.bodyOf(lb.loadBalancer).depends_on).toEqual([`aws_s3_bucket_policy.${bucketPolicy[1]}`]);
      const lifecycle = synth.list('aws_s3_bucket_lifecycle_configuration').find((l) => l.bucket === synth.ref(lb.logBucket.id))!;
      expect(lifecycle.rule[0].expiration).toEqual([{ days: profile === 'prod' ? 365 : 30 }]);
      expect(bucket.force_destroy).toBe(profile !== 'prod');
    });

    test('a standard IPv4 accelerator: TCP 443, client affinity off, one endpoint group per region with its ALB, client IPs preserved', () => {
      const ga = stack.edge.accelerator;
      expect(synth.bodyOf(ga.accelerator)).toMatchObject({ ip_address_type: 'IPV4', enabled: true, name: `pay-${profile}-payments` });
      expect(synth.bodyOf(ga.listener)).toMatchObject({
        accelerator_arn: synth.ref(ga.accelerator.arn),
        protocol: 'TCP',
        port_range: [{ from_port: 443, to_port: 443 }],
        client_affinity: 'NONE',
      });
      for (const role of roles) {
        expect(synth.bodyOf(ga.endpointGroups[role])).toMatchObject({
          listener_arn: synth.ref(ga.listener.arn),
          endpoint_group_region: stack[role].ctx.region,
          endpoint_configuration: [{ endpoint_id: synth.ref(stack.edge.loadBalancers[role].loadBalancer.arn), weight: 128, client_ip_preservation_enabled: true }],
        });
        // GA's own health-check settings do not apply to ALB endpoints: none are written.
        expect(synth.bodyOf(ga.endpointGroups[role]).health_check_path).toBeUndefined();
      }
    });

    test('traffic dials: 100 on the active site (activeRegion "primary"), 0 on the passive one', () => {
      const ga = stack.edge.accelerator;
      expect(roles.map((r) => synth.bodyOf(ga.endpointGroups[r]).traffic_dial_percentage)).toEqual([100, 0]);
    });

    test('the API name is an alias of the accelerator; the failover records and health checks stay under api-failover', () => {
      const ga = stack.edge.accelerator;
      expect(synth.bodyOf(ga.record)).toMatchObject({
        name: `${label}.${zone}`,
        type: 'A',
        alias: { name: synth.ref(ga.accelerator.dnsName), zone_id: synth.ref(ga.accelerator.hostedZoneId), evaluate_target_health: false },
      });
      const failover = synth.list('aws_route53_record').filter((r) => r.failover_routing_policy && r.type !== 'TXT');
      expect(failover.map((r) => [r.name, r.failover_routing_policy.type]).sort()).toEqual([
        [`${label}-failover.${zone}`, 'PRIMARY'],
        [`${label}-failover.${zone}`, 'SECONDARY'],
      ]);
      // Per site /health, the inverted and the plain /health/active claim, and the site's two calculated checks
      // (`serves`, `standby`) the PRIMARY and SECONDARY records choose from (issue 13).
      expect(synth.list('aws_route53_health_check').map((c) => c.type).sort()).toEqual([...Array(4).fill('CALCULATED'), ...Array(6).fill('HTTPS')]);
      expect(synth.list('aws_route53_record').filter((r) => r.name === `${label}.${zone}`)).toHaveLength(1);
    });

    test.each(roles)('%s: the payment function may read this region\'s replica of the client key, named in its runtime configuration; the health function may not', (role) => {
      const region = stack[role].ctx.region;
      expect(synth.bodyOf(stack.apiClientSecret).name).toBe(`pay-${profile}-api-client-key`);
      const param = synth.inRegion('aws_ssm_parameter', role).find((p) => p.name.endsWith('/api-key-secret-name'))!;
      expect(param.value).toBe(synth.ref(stack.apiClientSecret.name));
      const statements = (fn: 'paymentFunction' | 'healthFunction') =>
        policyOf(synth.list('aws_iam_role_policy').find((p) => p.role === synth.ref(stack.runtime[role][fn].role.id))!.policy).Statement;
      expect(statements('paymentFunction').find((s) => s.Sid === 'ApiClientKey')).toEqual({
        Sid: 'ApiClientKey',
        Effect: 'Allow',
        Action: ['secretsmanager:GetSecretValue'],
        Resource: [`arn:aws:secretsmanager:${region}:123456789012:secret:${synth.ref(stack.apiClientSecret.name)}-??????`],
      });
      expect(statements('healthFunction').find((s) => s.Sid === 'ApiClientKey')).toBeUndefined();
    });

    test('DR report: the edge term of the RTO is Global Accelerator\'s (healthy threshold × interval + ~30 s route change), not DNS TTLs', () => {
      // The judged scenario (the configured mode, losing the primary site): the DNS steps give way to the edge's term.
      const steps = (stackOf: DrStack) => stackOf.drReport.scenarios.find((x) => x.judged && x.direction === 'failover')!.steps;
      const dnsSteps = ['DNS: Route 53 sees the new site healthy', 'DNS TTL', 'Client-side DNS caching'];
      expect(steps(dns.stack).map((x) => x.step)).toEqual(expect.arrayContaining(dnsSteps));
      const names = steps(stack).map((x) => x.step);
      for (const d of dnsSteps) expect(names).not.toContain(d);
      const edge = steps(stack).find((x) => x.step === 'Edge failover (Global Accelerator)')!;
      expect(edge).toMatchObject({ boundSeconds: 15 * 3 + 30, awsGuaranteed: false });
      expect(edge.mechanism).toMatch(/no DNS cache/);
      expect(edge.source).toMatch(/How failover works for unhealthy endpoints/);
      const dnsTerms = steps(dns.stack).filter((x) => dnsSteps.includes(x.step)).reduce((a, x) => a + x.boundSeconds, 0);
      const rto = (stackOf: DrStack) => stackOf.drReport.verdicts.find((v) => v.objective === 'RTO')!.worstCaseSeconds;
      expect(rto(stack)).toBe(rto(dns.stack) - dnsTerms + 75);
    });

    test('outputs for the DR CLI: mode, accelerator, endpoint groups, load balancers, failover name', () => {
      const out = synth.json.output;
      expect(out['edge-mode'].value).toBe('accelerator');
      expect(out['accelerator-arn'].value).toBe(synth.ref(stack.edge.accelerator.accelerator.arn));
      expect(out['endpoint-group-arn-primary'].value).toBe(synth.ref(stack.edge.accelerator.endpointGroups.primary.arn));
      expect(out['endpoint-group-arn-dr'].value).toBe(synth.ref(stack.edge.accelerator.endpointGroups.dr.arn));
      expect(out['load-balancer-arn-dr'].value).toBe(synth.ref(stack.edge.loadBalancers.dr.loadBalancer.arn));
      expect(out['failover-record-name'].value).toBe(`${label}-failover.${zone}`);
    });
  });
});

describe('accelerator mode with provisioned concurrency on the payment function', () => {
  const { stack, synth } = synthDrStack({ ...ACCELERATOR, api: { paymentProvisionedConcurrency: 2 } });

  test.each(roles)('%s: the payment target group targets the alias that carries it, with the permission qualified the same', (role) => {
    const lb = stack.edge!.loadBalancers[role];
    const pay = stack.runtime[role].paymentFunction;
    expect(pay.alias).toBeDefined();
    const pc = synth.list('aws_lambda_provisioned_concurrency_config').find((p) => p.function_name === synth.ref(pay.function.functionName))!;
    expect(pc.qualifier).toBe(synth.ref(pay.alias!.name));

    const attachments = synth.list('aws_lb_target_group_attachment').filter((a) => a.target_group_arn === synth.ref(lb.targetGroups.payment.arn));
    expect(attachments).toEqual([expect.objectContaining({ target_id: synth.ref(pay.alias!.arn), lifecycle: { create_before_destroy: true } })]);
    expect(attachments[0].target_id).not.toBe(synth.ref(pay.function.arn));
    const permissions = synth.list('aws_lambda_permission').filter((p) => p.source_arn === synth.ref(lb.targetGroups.payment.arn));
    expect(permissions).toEqual([
      expect.objectContaining({
        function_name: synth.ref(pay.function.functionName),
        qualifier: synth.ref(pay.alias!.name),
        principal: 'elasticloadbalancing.amazonaws.com',
        lifecycle: { create_before_destroy: true },
      }),
    ]);
    // The health function has no provisioned concurrency: unqualified, as before.
    const health = synth.list('aws_lambda_permission').filter((p) => p.source_arn === synth.ref(lb.targetGroups.health.arn));
    expect(health).toHaveLength(1);
    expect(health[0].qualifier).toBeUndefined();
  });
});

describe('accelerator mode with activeRegion "dr"', () => {
  test('the dials follow the active site: 0 on primary, 100 on DR', () => {
    const { stack, synth } = synthDrStack({ ...ACCELERATOR, activeRegion: 'dr' });
    expect(roles.map((r) => synth.bodyOf(stack.edge!.accelerator.endpointGroups[r]).traffic_dial_percentage)).toEqual([0, 100]);
  });
});

describe('failures', () => {
  test.each([
    [{ edge: { mode: 'anycast' } }, /edge\.mode: "anycast" is not a valid edge mode; use one of: dns, accelerator/],
    [{ edge: { healthCheck: { timeoutSeconds: 15 } } }, /edge\.healthCheck\.timeoutSeconds: 15 must be below edge\.healthCheck\.intervalSeconds \(15\)/],
    [{ edge: { healthCheck: { healthyThreshold: 1 } } }, /edge\.healthCheck\.healthyThreshold: 1/],
    [{ activeRegion: 'west' }, /activeRegion: "west"/],
  ])('bad config %j is refused with field, value and fix', (overrides, message) => {
    expect(() => synthDrStack(overrides)).toThrow(message);
  });

  test('an RTO the accelerator edge cannot meet names its terms', () => {
    expect(() => synthDrStack({ ...ACCELERATOR, objectives: { rtoSeconds: 300 } })).toThrow(
      /objectives\.rtoSeconds: 300 s cannot be met in manual mode; the design allows up to \d+ s \(.*Edge failover \(Global Accelerator\) 75 s/,
    );
  });

  test('a health-check interval not above the payment function\'s timeout is refused (ELB invokes Lambda targets for health checks)', () => {
    expect(() => synthDrStack({ ...ACCELERATOR, edge: { mode: 'accelerator', healthCheck: { intervalSeconds: 10, timeoutSeconds: 5 } } })).toThrow(
      /healthCheck\.intervalSeconds \(10\) must exceed the timeout of pay-dev-use1-payment-processor \(10 s\); raise edge\.healthCheck\.intervalSeconds/,
    );
  });

  test('ALB log delivery: the regional ELB account where AWS documents one, the service principal in newer regions, an error otherwise', () => {
    expect(elbLogDeliveryPrincipal('us-east-1')).toEqual({ AWS: `arn:aws:iam::${ELB_LOG_ACCOUNTS['us-east-1']}:root` });
    expect(elbLogDeliveryPrincipal('ap-southeast-4')).toEqual({ Service: 'logdelivery.elasticloadbalancing.amazonaws.com' });
    expect(() => elbLogDeliveryPrincipal('ap-northeast-1')).toThrow(/log-delivery account of ap-northeast-1 is not recorded; add it to ELB_LOG_ACCOUNTS/);
  });
});
