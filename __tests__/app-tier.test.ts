import { POWERTOOLS_LAYER, powertoolsLayerArn } from '../src/powertools-layer';
import { Json, policyOf, synthDrStack } from './support/synth';

describe('application tier and failover DNS', () => {
  const { stack, synth } = synthDrStack();
  const roles = ['primary', 'dr'] as const;
  const rt = (role: (typeof roles)[number]) => stack.runtime[role];

  describe('Lambda functions', () => {
    test('payment and health functions in each region, one shared bundle per handler', () => {
      // The rotation function and the pager's probers (regional-pager.test.ts) are tested on their own.
      const fns = synth.list('aws_lambda_function').filter((f) => !/secret-rotation|prober$/.test(f.function_name));
      expect(fns.map((f) => [f.provider, f.function_name]).sort()).toEqual([
        ['aws.dr', 'pay-dev-usw2-health-check'],
        ['aws.dr', 'pay-dev-usw2-outbox-sweep'],
        ['aws.dr', 'pay-dev-usw2-payment-processor'],
        ['aws.primary', 'pay-dev-use1-health-check'],
        ['aws.primary', 'pay-dev-use1-outbox-sweep'],
        ['aws.primary', 'pay-dev-use1-payment-processor'],
      ]);
      const payment = fns.filter((f) => f.function_name.endsWith('payment-processor'));
      expect(payment[0].filename).toBe(payment[1].filename);
      expect(payment[0].source_code_hash).toBe(payment[1].source_code_hash);
    });

    test.each(roles)('%s: arm64, Node.js 22, X-Ray, bounded concurrency, private subnets with the app security group', (role) => {
      for (const fn of [rt(role).paymentFunction, rt(role).healthFunction]) {
        const body = synth.bodyOf(fn.function);
        expect(body).toMatchObject({
          provider: `aws.${role}`,
          architectures: ['arm64'],
          runtime: 'nodejs22.x',
          tracing_config: { mode: 'Active' },
          logging_config: { log_format: 'JSON', log_group: synth.ref(fn.logGroup.name) },
          vpc_config: {
            subnet_ids: stack[role].network.privateSubnets.map((s) => synth.ref(s.id)),
            security_group_ids: [synth.ref(stack[role].appSecurityGroup.id)],
          },
        });
        expect(body.reserved_concurrent_executions).toBeGreaterThan(0);
      }
      expect(synth.bodyOf(rt(role).healthFunction.function).timeout).toBeLessThanOrEqual(3);
    });

    test('every function (rotation included) carries the Powertools layer of its own region, at the pinned version', () => {
      const regionOf = { 'aws.primary': stack.primary.ctx.region, 'aws.dr': stack.dr.ctx.region } as Record<string, string>;
      const fns = synth.list('aws_lambda_function');
      expect(fns).toHaveLength(9); // payment, health and outbox sweep per region, rotation, a prober per region
      for (const fn of fns) {
        expect(fn.layers).toEqual([
          `arn:aws:lambda:${regionOf[fn.provider]}:094274105915:layer:AWSLambdaPowertoolsTypeScriptV2:${POWERTOOLS_LAYER.layerVersion}`,
        ]);
      }
      expect(() => powertoolsLayerArn('me-south-1')).toThrow(/Powertools Lambda layer 50 \(Powertools 2\.35\.0\) is not published in me-south-1.*choose another region/);
    });

    test('environment carries no secrets, only where to read configuration', () => {
      for (const fn of [...Object.values(rt('primary')), ...Object.values(rt('dr'))].flatMap((f) => ('function' in f ? [synth.bodyOf(f.function)] : []))) {
        const env = fn.environment.variables as Record<string, string>;
        // The payment function also publishes payment events (bus, source, the parameter holding the endpoint URL).
        const events = env.POWERTOOLS_SERVICE_NAME === 'payment-processor' ? ['PAYMENT_EVENTS_BUS_NAME', 'PAYMENT_EVENTS_ENDPOINT_PARAMETER', 'PAYMENT_EVENTS_SOURCE'] : [];
        expect(Object.keys(env).sort()).toEqual([
          'ACTIVE_SITE_PARAMETER',
          'CONFIG_PATH',
          'NODE_EXTRA_CA_CERTS',
          'NODE_OPTIONS',
          ...events,
          'POWERTOOLS_METRICS_NAMESPACE',
          'POWERTOOLS_SERVICE_NAME',
        ]);
        expect(env.ACTIVE_SITE_PARAMETER).toBe('/pay/dev-control/active-site');
        expect(JSON.stringify(env)).not.toMatch(/random_password|secret_string|password/i);
      }
    });

    test.each(roles)('%s: log groups encrypted with the region\'s logs key, with retention', (role) => {
      for (const fn of [rt(role).paymentFunction, rt(role).healthFunction]) {
        expect(synth.bodyOf(fn.logGroup)).toMatchObject({
          provider: `aws.${role}`,
          kms_key_id: synth.ref(stack.logsKey.keys[role].arn),
          retention_in_days: 30,
        });
      }
    });

    test.each(roles)('%s: the payment role allows exactly its secret, key, table, bucket and parameters in its own region', (role) => {
      const fn = rt(role).paymentFunction;
      const policy = synth.list('aws_iam_role_policy').find((p) => p.role === synth.ref(fn.role.id))!;
      const statements = Object.fromEntries(policyOf(policy.policy).Statement.map((s) => [s.Sid, s]));
      const region = stack.config.regions[role].region;
      expect(statements.DatabaseCredentials.Resource).toEqual([`arn:aws:secretsmanager:${region}:123456789012:secret:pay-dev-aurora-master-??????`]);
      expect(statements.DecryptCredentials.Resource).toEqual([synth.ref(stack.databaseKey.keys[role].arn)]);
      expect(statements.Sessions.Resource).toEqual([synth.ref(stack.sessions.tableArns[role])]);
      expect(statements.AuditObjects).toMatchObject({ Action: ['s3:PutObject'], Resource: [`${synth.ref(stack.artifacts.buckets[role].arn)}/audit/*`] });
      expect(statements.RuntimeConfiguration.Resource).toEqual([
        `arn:aws:ssm:${region}:123456789012:parameter/pay/dev/*`,
        `arn:aws:ssm:${region}:123456789012:parameter/pay/dev`,
      ]);
      expect(statements.OwnLogGroup.Resource).toEqual([`${synth.ref(fn.logGroup.arn)}:*`]);
    });

    test('no IAM statement anywhere allows every action; "*" resources only for APIs without resource-level permissions', () => {
      // Describe and ExperimentLogDelivery: the FIS experiment role (src/constructs/fault-injection.ts); ProberMetrics: the probers.
      const wildcardOk = new Set(['VpcNetworkInterfaces', 'XRayTraces', 'GeneratePassword', 'Describe', 'ExperimentLogDelivery', 'ProberMetrics']);
      for (const p of synth.list('aws_iam_role_policy')) {
        for (const s of policyOf(p.policy).Statement) {
          const actions = [s.Action].flat();
          expect(actions).not.toContain('*');
          expect(actions.filter((a: string) => a.endsWith(':*'))).toEqual([]);
          if ([s.Resource].flat().includes('*')) expect(wildcardOk.has(s.Sid)).toBe(true);
        }
      }
    });

    test('runtime configuration is written in both regions with each region\'s own values', () => {
      const params = synth.list('aws_ssm_parameter');
      for (const role of roles) {
        const mine = Object.fromEntries(params.filter((p) => p.provider === `aws.${role}`).map((p) => [p.name, p.value]));
        expect(mine['/pay/dev/region-role']).toBe(role);
        expect(mine['/pay/dev/artifacts-bucket']).toBe(synth.ref(stack.artifacts.buckets[role].bucket));
        const cluster = role === 'primary' ? stack.database.primaryCluster : stack.database.secondaryCluster;
        expect(mine['/pay/dev/db-cluster-endpoint']).toBe(synth.ref(cluster.endpoint));
        expect(mine['/pay/dev/db-secret-name']).toBe('pay-dev-aurora-master');
      }
    });
  });

  describe('regional REST API', () => {
    test.each(roles)('%s: routes with Lambda proxy integrations; /health and /health/active are the only routes without an API key', (role) => {
      const api = synth.ref(rt(role).api.api.id);
      const methods = synth.list('aws_api_gateway_method').filter((m) => m.rest_api_id === api);
      const resources = synth.list('aws_api_gateway_resource').filter((r) => r.rest_api_id === api);
      expect(resources.map((r) => r.path_part).sort()).toEqual(['active', 'health', 'payments', '{id}']);
      expect(methods.map((m) => [m.http_method, m.api_key_required]).sort()).toEqual([
        ['GET', false],
        ['GET', false],
        ['GET', true],
        ['POST', true],
      ]);
      const integrations = synth.list('aws_api_gateway_integration').filter((i) => i.rest_api_id === api);
      expect(integrations).toHaveLength(4);
      for (const i of integrations) expect(i).toMatchObject({ type: 'AWS_PROXY', integration_http_method: 'POST' });
      const uris = integrations.map((i) => i.uri).sort();
      expect(uris).toEqual(
        [
          rt(role).healthFunction.function.invokeArn,
          rt(role).healthFunction.function.invokeArn,
          rt(role).paymentFunction.function.invokeArn,
          rt(role).paymentFunction.function.invokeArn,
        ]
          .map((t) => synth.ref(t))
          .sort(),
      );
    });

    test.each(roles)('%s: invoke permissions scoped to each route of this API', (role) => {
      const exec = synth.ref(rt(role).api.api.executionArn);
      const perms = synth.list('aws_lambda_permission').filter((p) => p.source_arn.startsWith(exec));
      expect(perms.map((p) => p.source_arn).sort()).toEqual([
        `${exec}/*/GET/health`,
        `${exec}/*/GET/health/active`,
        `${exec}/*/GET/payments/*`,
        `${exec}/*/POST/payments`,
      ]);
      for (const p of perms) expect(p).toMatchObject({ principal: 'apigateway.amazonaws.com', action: 'lambda:InvokeFunction', provider: `aws.${role}` });
    });

    test.each(roles)('%s: deployment redeploys on route changes; stage with access logs, X-Ray and throttling', (role) => {
      const api = synth.ref(rt(role).api.api.id);
      const [deployment] = synth.list('aws_api_gateway_deployment').filter((d) => d.rest_api_id === api);
      expect(deployment.triggers.redeployment).toMatch(/^\$\{sha1\(jsonencode\(/);
      expect(deployment.lifecycle.create_before_destroy).toBe(true);
      expect(deployment.stage_name).toBeUndefined(); // deprecated in 5.x, removed in 6.x
      const stage = synth.bodyOf(rt(role).api.stage);
      expect(stage).toMatchObject({ xray_tracing_enabled: true, access_log_settings: { destination_arn: synth.ref(rt(role).api.accessLogGroup.arn) } });
      expect(JSON.parse(stage.access_log_settings.format)).toHaveProperty('requestId', '$context.requestId');
      const [settings] = synth.list('aws_api_gateway_method_settings').filter((s) => s.rest_api_id === api);
      expect(settings.settings).toMatchObject({ throttling_rate_limit: 100, throttling_burst_limit: 200, data_trace_enabled: false, metrics_enabled: true });
    });

    test('no account-level singleton: the API Gateway account setting belongs to the bootstrap, once per account', () => {
      // aws_api_gateway_account is one per region and account: two environments' stacks would overwrite each other.
      expect(synth.count('aws_api_gateway_account')).toBe(0);
      expect(synth.count('aws_backup_region_settings')).toBe(0);
      expect(synth.list('aws_iam_role').map((r) => r.name)).not.toContain(expect.stringMatching(/apigw/));
    });

    test('the same client key value is imported in both regions, with a usage plan each', () => {
      const keys = synth.list('aws_api_gateway_api_key');
      expect(keys).toHaveLength(2);
      expect(keys[0].value).toBe(keys[1].value);
      expect(keys[0].value).toMatch(/^\$\{random_password\./);
      expect(synth.count('aws_api_gateway_usage_plan')).toBe(2);
      expect(synth.count('aws_api_gateway_usage_plan_key')).toBe(2);
      const secret = synth.bodyOf(stack.apiClientSecret);
      expect(secret.replica).toEqual([{ region: 'us-west-2', kms_key_id: synth.ref(stack.databaseKey.keys['dr'].arn) }]);
    });

    test.each(roles)('%s: regional WAF with the AWS common rule set and a rate limit, on the stage', (role) => {
      const acl = synth.bodyOf(rt(role).api.webAcl);
      expect(acl.scope).toBe('REGIONAL');
      const rules = acl.rule as Json[];
      expect(rules.map((r) => r.name)).toEqual(['aws-common-rule-set', 'rate-limit-per-ip']);
      expect(rules[0].statement.managed_rule_group_statement).toEqual({ vendor_name: 'AWS', name: 'AWSManagedRulesCommonRuleSet' });
      expect(rules[1].statement.rate_based_statement).toEqual({ limit: 2000, aggregate_key_type: 'IP' });
      const assoc = synth.list('aws_wafv2_web_acl_association').filter((a) => a.web_acl_arn === synth.ref(rt(role).api.webAcl.arn));
      expect(assoc).toEqual([expect.objectContaining({ resource_arn: synth.ref(rt(role).api.stage.arn) })]);
    });
  });

  describe('custom domains and certificates', () => {
    test('a certificate in each region for the API name, DNS validated', () => {
      const certs = synth.list('aws_acm_certificate');
      expect(certs.map((c) => [c.provider, c.domain_name, c.validation_method]).sort()).toEqual([
        ['aws.dr', 'api-dev.payments.example.com', 'DNS'],
        ['aws.primary', 'api-dev.payments.example.com', 'DNS'],
      ]);
    });

    test('one validation record serves both certificates', () => {
      // (failover records, the API's and the TXT status records the probers read, are not validation records)
      const validationRecords = synth.list('aws_route53_record').filter((r) => !r.failover_routing_policy);
      expect(validationRecords).toHaveLength(1);
      expect(validationRecords[0].allow_overwrite).toBe(true);
      const validations = synth.list('aws_acm_certificate_validation');
      expect(validations).toHaveLength(2);
      expect(new Set(validations.map((v) => JSON.stringify(v.validation_record_fqdns))).size).toBe(1);
    });

    test.each(roles)('%s: regional domain with that region\'s certificate, TLS 1.2, mapped to the stage', (role) => {
      const domain = synth.bodyOf(rt(role).api.domain);
      expect(domain).toMatchObject({
        provider: `aws.${role}`,
        domain_name: 'api-dev.payments.example.com',
        regional_certificate_arn: synth.ref(rt(role).api.certificateValidation.certificateArn),
        endpoint_configuration: { types: ['REGIONAL'] },
        security_policy: 'TLS_1_2',
      });
      const validation = synth.bodyOf(rt(role).api.certificateValidation);
      expect(validation.provider).toBe(`aws.${role}`);
      expect(synth.list('aws_api_gateway_base_path_mapping').filter((m) => m.domain_name === synth.ref(rt(role).api.domain.domainName))).toHaveLength(1);
    });
  });

  describe('failover DNS', () => {
    const records = synth.list('aws_route53_record').filter((r) => r.failover_routing_policy && r.type !== 'TXT');

    test('one PRIMARY and one SECONDARY non-alias CNAME with the same name and our TTL (dns.recordTtlSeconds)', () => {
      expect(records.map((r) => r.failover_routing_policy.type).sort()).toEqual(['PRIMARY', 'SECONDARY']);
      expect(new Set(records.map((r) => r.name))).toEqual(new Set(['api-dev.payments.example.com']));
      for (const r of records) {
        expect(r).toMatchObject({ type: 'CNAME', ttl: 30 });
        expect(r.alias).toBeUndefined();
      }
    });

    test('activeRegion primary: PRIMARY serves the primary site with its serves check; SECONDARY the DR site with its standby check', () => {
      const primary = records.find((r) => r.failover_routing_policy.type === 'PRIMARY')!;
      const secondary = records.find((r) => r.failover_routing_policy.type === 'SECONDARY')!;
      expect(primary.records).toEqual([synth.ref(rt('primary').api.domain.regionalDomainName)]);
      expect(primary.health_check_id).toBe(synth.ref(stack.dns.servesChecks.primary.id));
      expect(synth.bodyOf(stack.dns.servesChecks.primary)).toMatchObject({
        type: 'CALCULATED',
        child_health_threshold: 2,
        child_healthchecks: [synth.ref(stack.dns.healthChecks.primary.id), synth.ref(stack.dns.claimChecks.dr.id)],
      });
      expect(secondary.records).toEqual([synth.ref(rt('dr').api.domain.regionalDomainName)]);
      // OR(the DR site's /health, the DR site claims active): see active-region.test.ts.
      expect(secondary.health_check_id).toBe(synth.ref(stack.dns.standbyChecks.dr.id));
      expect(synth.bodyOf(stack.dns.standbyChecks.dr).child_healthchecks).toEqual([synth.ref(stack.dns.healthChecks.dr.id), synth.ref(stack.dns.claimsActiveChecks.dr.id)]);
    });

    test.each(roles)('%s: an inverted HTTPS check on the site\'s /health/active ("I am designated active")', (role) => {
      expect(synth.bodyOf(stack.dns.claimChecks[role])).toMatchObject({
        type: 'HTTPS',
        fqdn: synth.ref(rt(role).api.executeApiHost),
        resource_path: '/v1/health/active',
        invert_healthcheck: true,
        request_interval: 10,
        failure_threshold: 3,
      });
    });

    test.each(roles)('%s: HTTPS health check on the region\'s own deep /health, 10 s × 3', (role) => {
      expect(synth.bodyOf(stack.dns.healthChecks[role])).toMatchObject({
        type: 'HTTPS',
        fqdn: synth.ref(rt(role).api.executeApiHost),
        resource_path: '/v1/health',
        port: 443,
        request_interval: 10,
        failure_threshold: 3,
      });
    });

    test('dev without a zone id creates the zone and outputs its name servers for the delegation; an existing zone is reused', () => {
      expect(synth.count('aws_route53_zone')).toBe(1);
      const zone = synth.list('aws_route53_zone')[0];
      expect(synth.json.output['hosted-zone-name-servers'].value).toBe(synth.ref(stack.createdZone!.nameServers));
      expect(zone.name).toBe('payments.example.com');
      // README's phase 1 of a dev first deploy targets this address.
      expect(synth.address(stack.createdZone!)).toBe('aws_route53_zone.zone');
      const existing = synthDrStack({ dns: { hostedZoneId: 'Z0123456789ABCDEFGHIJ' } }).synth;
      expect(existing.count('aws_route53_zone')).toBe(0);
      expect(existing.json.output['hosted-zone-name-servers']).toBeUndefined();
      expect(existing.list('aws_route53_record').every((r) => r.zone_id === 'Z0123456789ABCDEFGHIJ')).toBe(true);
    });

    test('each environment has its own API name by default, so dev and prod coexist in one account and zone', () => {
      const pr = synthDrStack({ environmentSuffix: 'pr123', dns: { hostedZoneId: 'Z0123456789ABCDEFGHIJ' } });
      expect(pr.stack.apiDomainName).toBe('api-pr123.payments.example.com');
      expect(stack.apiDomainName).toBe('api-dev.payments.example.com');
      expect(pr.synth.list('aws_api_gateway_domain_name').map((d) => d.domain_name)).toEqual(['api-pr123.payments.example.com', 'api-pr123.payments.example.com']);
    });
  });
});
