import { AcmCertificate } from '@cdktf/provider-aws/lib/acm-certificate';
import { AcmCertificateValidation } from '@cdktf/provider-aws/lib/acm-certificate-validation';
import { ApiGatewayApiKey } from '@cdktf/provider-aws/lib/api-gateway-api-key';
import { ApiGatewayBasePathMapping } from '@cdktf/provider-aws/lib/api-gateway-base-path-mapping';
import { ApiGatewayDeployment } from '@cdktf/provider-aws/lib/api-gateway-deployment';
import { ApiGatewayDomainName } from '@cdktf/provider-aws/lib/api-gateway-domain-name';
import { ApiGatewayIntegration } from '@cdktf/provider-aws/lib/api-gateway-integration';
import { ApiGatewayMethod } from '@cdktf/provider-aws/lib/api-gateway-method';
import { ApiGatewayMethodSettings } from '@cdktf/provider-aws/lib/api-gateway-method-settings';
import { ApiGatewayResource } from '@cdktf/provider-aws/lib/api-gateway-resource';
import { ApiGatewayRestApi } from '@cdktf/provider-aws/lib/api-gateway-rest-api';
import { ApiGatewayStage } from '@cdktf/provider-aws/lib/api-gateway-stage';
import { ApiGatewayUsagePlan } from '@cdktf/provider-aws/lib/api-gateway-usage-plan';
import { ApiGatewayUsagePlanKey } from '@cdktf/provider-aws/lib/api-gateway-usage-plan-key';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import { Route53Record } from '@cdktf/provider-aws/lib/route53-record';
import { Wafv2WebAcl } from '@cdktf/provider-aws/lib/wafv2-web-acl';
import { Wafv2WebAclAssociation } from '@cdktf/provider-aws/lib/wafv2-web-acl-association';
import { Fn } from 'cdktf';
import { Construct } from 'constructs';
import { API_DEFAULTS, WAF_MIN_RATE_LIMIT } from '../defaults';
import { RegionContext } from '../region';
import { RegionalKey } from './multi-region-key';

/** What an integration invokes: a function, or a function's alias (`qualifier`), e.g. `RegionalFunction.invokeTarget`. */
export interface LambdaInvokeTarget {
  readonly invokeArn: string;
  readonly functionName: string;
  /** The alias the integration and its permission name; none for the unqualified function. */
  readonly qualifier?: string;
}

export interface RegionalApiProps {
  readonly ctx: RegionContext;
  /** Handles `POST /payments` and `GET /payments/{id}`. */
  readonly paymentFunction: LambdaInvokeTarget;
  /** Handles `GET /health` and `GET /health/active` (unauthenticated: Route 53 health checkers call them). */
  readonly healthFunction: LambdaInvokeTarget;
  /**
   * The client credential, identical in both regions, so the same key works whichever region DNS points to
   * (SigV4 signatures are region-bound, so IAM authorization would break at failover).
   */
  readonly apiKeyValue: string;
  /** The custom domain (e.g. `api.payments.example.com`) and its certificate in this region. */
  readonly domainName: string;
  readonly certificate: AcmCertificate;
  /** The DNS validation record (one for both regions' certificates: they are identical). */
  readonly validationRecord: Route53Record;
  readonly logKey: RegionalKey;
  readonly logRetentionDays: number;
  /** @default 'v1' */
  readonly stageName?: string;
  /** Steady-state requests per second per region. @default 100 */
  readonly throttleRateLimit?: number;
  /** @default 200 */
  readonly throttleBurstLimit?: number;
  /** WAF rate-based rule: requests per 5 minutes per client IP. @default 2000 */
  readonly wafRateLimit?: number;
}

interface Route {
  readonly resource: ApiGatewayResource;
  /** Path in the invoke permission's source ARN (`*` for a path parameter). */
  readonly path: string;
  /** The resource path as API Gateway names it, e.g. `/payments/{id}` (the `Resource` metric dimension). */
  readonly resourcePath: string;
  readonly method: 'GET' | 'POST';
  readonly fn: LambdaInvokeTarget;
  readonly apiKeyRequired: boolean;
}

/**
 * A regional REST API: `/payments`, `/payments/{id}` (API key required) and `/health` (open) with Lambda proxy
 * integrations and invoke permissions scoped to those routes; a deployment that redeploys when routes change;
 * a stage with JSON access logs, X-Ray and throttling; a usage plan; a regional WAF web ACL; and the custom
 * domain with this region's certificate.
 */
export class RegionalApi extends Construct {
  public readonly api: ApiGatewayRestApi;
  public readonly stage: ApiGatewayStage;
  public readonly accessLogGroup: CloudwatchLogGroup;
  /** The execution log group API Gateway writes to (`API-Gateway-Execution-Logs_<api id>/<stage>`). */
  public readonly executionLogGroup: CloudwatchLogGroup;
  public readonly webAcl: Wafv2WebAcl;
  public readonly domain: ApiGatewayDomainName;
  public readonly certificateValidation: AcmCertificateValidation;
  /** Base URL of the stage on the execute-api endpoint (health checks target it directly). */
  public readonly executeApiHost: string;
  public readonly stageName: string;
  /** The payment routes, write first: `Method` and `Resource` as API Gateway's per-method metrics name them. */
  public readonly paymentRoutes: ReadonlyArray<{ readonly method: string; readonly resource: string }>;

  constructor(scope: Construct, id: string, props: RegionalApiProps) {
    super(scope, id);
    const { ctx } = props;
    const provider = ctx.provider;
    const name = (purpose: string) => ctx.naming.name('generic', purpose, ctx.region);
    this.stageName = props.stageName ?? 'v1';
    const rate = props.throttleRateLimit ?? API_DEFAULTS.throttleRateLimit;
    const burst = props.throttleBurstLimit ?? API_DEFAULTS.throttleBurstLimit;
    const wafRateLimit = props.wafRateLimit ?? API_DEFAULTS.wafRateLimit;
    if (wafRateLimit < WAF_MIN_RATE_LIMIT) {
      throw new Error(`RegionalApi: wafRateLimit must be at least ${WAF_MIN_RATE_LIMIT} (the WAF minimum), got ${wafRateLimit}`);
    }

    this.api = new ApiGatewayRestApi(this, 'api', {
      provider,
      name: name('payments-api'),
      description: `Payments API (${ctx.role} region)`,
      endpointConfiguration: { types: ['REGIONAL'] },
      // The execute-api endpoint stays enabled: each region's Route 53 health check calls it directly, so the
      // check measures that region and not whatever the failover name points to.
      disableExecuteApiEndpoint: false,
    });
    this.executeApiHost = `${this.api.id}.execute-api.${ctx.region}.amazonaws.com`;

    const payments = new ApiGatewayResource(this, 'payments', { provider, restApiId: this.api.id, parentId: this.api.rootResourceId, pathPart: 'payments' });
    const payment = new ApiGatewayResource(this, 'payment', { provider, restApiId: this.api.id, parentId: payments.id, pathPart: '{id}' });
    const health = new ApiGatewayResource(this, 'health', { provider, restApiId: this.api.id, parentId: this.api.rootResourceId, pathPart: 'health' });
    // "I am designated active": Route 53 watches it inverted on the passive site (see FailoverDns).
    const healthActive = new ApiGatewayResource(this, 'health-active', { provider, restApiId: this.api.id, parentId: health.id, pathPart: 'active' });
    const routes: Route[] = [
      { resource: payments, path: 'payments', resourcePath: '/payments', method: 'POST', fn: props.paymentFunction, apiKeyRequired: true },
      { resource: payment, path: 'payments/*', resourcePath: '/payments/{id}', method: 'GET', fn: props.paymentFunction, apiKeyRequired: true },
      { resource: health, path: 'health', resourcePath: '/health', method: 'GET', fn: props.healthFunction, apiKeyRequired: false },
      { resource: healthActive, path: 'health/active', resourcePath: '/health/active', method: 'GET', fn: props.healthFunction, apiKeyRequired: false },
    ];
    this.paymentRoutes = routes.filter((r) => r.fn === props.paymentFunction).map((r) => ({ method: r.method, resource: r.resourcePath }));

    const redeployOn: string[] = [];
    const methods: ApiGatewayMethod[] = [];
    const integrations: ApiGatewayIntegration[] = [];
    for (const route of routes) {
      const routeId = `${route.method.toLowerCase()}-${route.path.replace(/[/*]/g, (c) => (c === '/' ? '-' : 'id'))}`;
      const method = new ApiGatewayMethod(this, `${routeId}-method`, {
        provider,
        restApiId: this.api.id,
        resourceId: route.resource.id,
        httpMethod: route.method,
        authorization: 'NONE',
        apiKeyRequired: route.apiKeyRequired,
      });
      const integration = new ApiGatewayIntegration(this, `${routeId}-integration`, {
        provider,
        restApiId: this.api.id,
        resourceId: route.resource.id,
        httpMethod: method.httpMethod,
        type: 'AWS_PROXY',
        integrationHttpMethod: 'POST',
        uri: route.fn.invokeArn,
      });
      // Invoke permission for exactly this method and path of this API, any stage.
      new LambdaPermission(this, `${routeId}-permission`, {
        provider,
        functionName: route.fn.functionName,
        // An alias (provisioned concurrency) needs its own permission: the function's does not cover it.
        ...(route.fn.qualifier ? { qualifier: route.fn.qualifier } : {}),
        action: 'lambda:InvokeFunction',
        principal: 'apigateway.amazonaws.com',
        sourceArn: `${this.api.executionArn}/*/${route.method}/${route.path}`,
      });
      methods.push(method);
      integrations.push(integration);
      redeployOn.push(route.resource.id, method.id, integration.id, String(route.apiKeyRequired));
    }

    const deployment = new ApiGatewayDeployment(this, 'deployment', {
      provider,
      restApiId: this.api.id,
      description: 'Redeployed whenever a route, method or integration changes',
      triggers: { redeployment: Fn.sha1(Fn.jsonencode(redeployOn)) },
      lifecycle: { createBeforeDestroy: true },
      dependsOn: [...methods, ...integrations],
    });

    // Execution logging needs the account-level CloudWatch Logs role of API Gateway in this region ("CloudWatch Logs
    // role ARN must be set in account settings"). aws_api_gateway_account is a per-region account singleton that
    // every environment's stack would fight over, so the bootstrap stack sets it once per account and region
    // (bootstrap/account-settings.ts).

    this.accessLogGroup = new CloudwatchLogGroup(this, 'access-logs', {
      provider,
      name: `/aws/apigateway/${name('payments-api')}/access`,
      retentionInDays: props.logRetentionDays,
      kmsKeyId: props.logKey.arn,
    });
    // API Gateway writes execution logs to API-Gateway-Execution-Logs_<rest api id>/<stage> and creates that group
    // itself when it is missing (API Gateway Developer Guide, set-up-logging): created first, with our key and
    // retention, so it is encrypted, expires, and goes with the stack.
    this.executionLogGroup = new CloudwatchLogGroup(this, 'execution-logs', {
      provider,
      name: `API-Gateway-Execution-Logs_${this.api.id}/${this.stageName}`,
      retentionInDays: props.logRetentionDays,
      kmsKeyId: props.logKey.arn,
    });
    this.stage = new ApiGatewayStage(this, 'stage', {
      provider,
      restApiId: this.api.id,
      deploymentId: deployment.id,
      stageName: this.stageName,
      xrayTracingEnabled: true,
      accessLogSettings: {
        destinationArn: this.accessLogGroup.arn,
        format: JSON.stringify({
          requestId: '$context.requestId',
          ip: '$context.identity.sourceIp',
          requestTime: '$context.requestTime',
          httpMethod: '$context.httpMethod',
          resourcePath: '$context.resourcePath',
          status: '$context.status',
          responseLength: '$context.responseLength',
          latency: '$context.responseLatency',
          integrationLatency: '$context.integrationLatency',
          apiKeyId: '$context.identity.apiKeyId',
          wafStatus: '$context.waf.status',
        }),
      },
      dependsOn: [this.executionLogGroup],
    });
    new ApiGatewayMethodSettings(this, 'method-settings', {
      provider,
      restApiId: this.api.id,
      stageName: this.stage.stageName,
      methodPath: '*/*',
      settings: {
        metricsEnabled: true,
        loggingLevel: 'ERROR',
        // Request/response bodies carry payment data: never log them.
        dataTraceEnabled: false,
        throttlingRateLimit: rate,
        throttlingBurstLimit: burst,
      },
    });

    const key = new ApiGatewayApiKey(this, 'client-key', {
      provider,
      name: name('payments-client'),
      description: 'Payments client credential; the same value in both regions',
      value: props.apiKeyValue,
      enabled: true,
    });
    const plan = new ApiGatewayUsagePlan(this, 'usage-plan', {
      provider,
      name: name('payments-clients'),
      apiStages: [{ apiId: this.api.id, stage: this.stage.stageName }],
      throttleSettings: { rateLimit: rate, burstLimit: burst },
    });
    new ApiGatewayUsagePlanKey(this, 'usage-plan-key', { provider, keyId: key.id, keyType: 'API_KEY', usagePlanId: plan.id });

    this.webAcl = paymentsWebAcl(this, 'waf', {
      ctx,
      name: name('payments-api'),
      description: 'Payments API: AWS managed common rules and a per-IP rate limit',
      rateLimit: wafRateLimit,
    });
    new Wafv2WebAclAssociation(this, 'waf-association', { provider, resourceArn: this.stage.arn, webAclArn: this.webAcl.arn });

    this.certificateValidation = new AcmCertificateValidation(this, 'certificate-validation', {
      provider,
      certificateArn: props.certificate.arn,
      validationRecordFqdns: [props.validationRecord.fqdn],
    });
    this.domain = new ApiGatewayDomainName(this, 'domain', {
      provider,
      domainName: props.domainName,
      // A regional custom domain needs a certificate in its own region.
      regionalCertificateArn: this.certificateValidation.certificateArn,
      endpointConfiguration: { types: ['REGIONAL'] },
      securityPolicy: 'TLS_1_2',
    });
    new ApiGatewayBasePathMapping(this, 'base-path', {
      provider,
      apiId: this.api.id,
      stageName: this.stage.stageName,
      domainName: this.domain.domainName,
    });
  }
}

export interface PaymentsWebAclProps {
  readonly ctx: RegionContext;
  readonly name: string;
  readonly description: string;
  /** Requests per 5 minutes per client IP (AWS minimum 10). */
  readonly rateLimit: number;
}

/**
 * The payments rule set, one definition for every entry point (the API Gateway stage and, in accelerator mode,
 * the load balancer): AWS managed common rules, then a per-IP rate limit.
 */
export function paymentsWebAcl(scope: Construct, id: string, props: PaymentsWebAclProps): Wafv2WebAcl {
  if (props.rateLimit < 10) throw new Error(`paymentsWebAcl: rateLimit must be at least 10 (the WAF minimum), got ${props.rateLimit}`);
  const visibility = (metricName: string) => ({ cloudwatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName });
  return new Wafv2WebAcl(scope, id, {
    provider: props.ctx.provider,
    name: props.name,
    description: props.description,
    scope: 'REGIONAL',
    defaultAction: { allow: {} },
    visibilityConfig: visibility(props.name),
    rule: [
      {
        name: 'aws-common-rule-set',
        priority: 1,
        overrideAction: { none: {} },
        // The binding types `statement` as `any` and passes it through verbatim: keys must be snake_case.
        statement: { managed_rule_group_statement: { vendor_name: 'AWS', name: 'AWSManagedRulesCommonRuleSet' } },
        visibilityConfig: visibility('aws-common-rule-set'),
      },
      {
        name: 'rate-limit-per-ip',
        priority: 2,
        action: { block: {} },
        statement: { rate_based_statement: { limit: props.rateLimit, aggregate_key_type: 'IP' } },
        visibilityConfig: visibility('rate-limit-per-ip'),
      },
    ],
  });
}
