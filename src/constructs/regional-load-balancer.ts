import { AcmCertificateValidation } from '@cdktf/provider-aws/lib/acm-certificate-validation';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import { Lb } from '@cdktf/provider-aws/lib/lb';
import { LbListener } from '@cdktf/provider-aws/lib/lb-listener';
import { LbListenerRule } from '@cdktf/provider-aws/lib/lb-listener-rule';
import { LbTargetGroup } from '@cdktf/provider-aws/lib/lb-target-group';
import { LbTargetGroupAttachment } from '@cdktf/provider-aws/lib/lb-target-group-attachment';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketLifecycleConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { Subnet } from '@cdktf/provider-aws/lib/subnet';
import { Vpc } from '@cdktf/provider-aws/lib/vpc';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { Wafv2WebAcl } from '@cdktf/provider-aws/lib/wafv2-web-acl';
import { Wafv2WebAclAssociation } from '@cdktf/provider-aws/lib/wafv2-web-acl-association';
import { Token } from 'cdktf';
import { Construct } from 'constructs';
import { RegionalFunction } from './regional-function';
import { allowPublicHttps, waive } from '../guardrails';
import { PolicyStatement, policyDocument } from '../iam';
import { RegionContext } from '../region';
import { paymentsWebAcl } from './regional-api';
import { accountRootArn } from '../arn';

/**
 * The TLS policy of the HTTPS listener: TLS 1.3 and TLS 1.2 with forward-secret AES-GCM suites only (ELB
 * User Guide, describe-ssl-policies: "ELBSecurityPolicy-TLS13-1-2-Res-2021-06").
 */
export const ALB_TLS_POLICY = 'ELBSecurityPolicy-TLS13-1-2-Res-2021-06';

/**
 * Who delivers ALB access logs into a bucket of `region` (ELB User Guide, enable-access-logging, "Attach a policy
 * to your S3 bucket"): regions available before August 2022 grant the regional Elastic Load Balancing account,
 * newer regions the `logdelivery.elasticloadbalancing.amazonaws.com` service principal. Only the older regions
 * whose account id this project has checked against the guide are listed; any other older region fails synth
 * rather than guess a number.
 */
export const ELB_LOG_ACCOUNTS: Readonly<Record<string, string>> = {
  'us-east-1': '127311923021',
  'us-east-2': '033677994240',
  'us-west-1': '027434742980',
  'us-west-2': '797873946194',
  'eu-west-1': '156460612806',
  'eu-central-1': '054676820928',
};
/** Regions opened in or after August 2022: the service principal writes the logs. */
export const ELB_LOG_SERVICE_PRINCIPAL_REGIONS: readonly string[] = [
  'ap-south-2', 'ap-southeast-4', 'ap-southeast-5', 'ap-southeast-7', 'ca-west-1', 'eu-central-2', 'eu-south-2', 'il-central-1',
  'me-central-1', 'mx-central-1',
];

/** The principal that writes ALB access logs in `region`, or an error naming what to add. */
export function elbLogDeliveryPrincipal(region: string): { AWS: string } | { Service: string } {
  const account = ELB_LOG_ACCOUNTS[region];
  if (account) return { AWS: accountRootArn(account) };
  if (ELB_LOG_SERVICE_PRINCIPAL_REGIONS.includes(region)) return { Service: 'logdelivery.elasticloadbalancing.amazonaws.com' };
  throw new Error(
    `RegionalLoadBalancer: the Elastic Load Balancing log-delivery account of ${region} is not recorded; add it to ELB_LOG_ACCOUNTS (src/constructs/regional-load-balancer.ts) from the ELB User Guide, enable-access-logging`,
  );
}

export interface LoadBalancerHealthCheck {
  /** Seconds between checks (5-300); must exceed the timeout of every target function. */
  readonly intervalSeconds: number;
  /** Seconds to wait for an answer (2-120), below the interval. */
  readonly timeoutSeconds: number;
  readonly healthyThreshold: number;
  readonly unhealthyThreshold: number;
}

export interface RegionalLoadBalancerProps {
  readonly ctx: RegionContext;
  readonly vpc: Vpc;
  /** Where the load balancer's nodes live: the private subnets (the load balancer is internal). */
  readonly subnets: readonly Subnet[];
  /**
   * Serves `/payments` and `/payments/*`. The target is what callers invoke (`invokeTarget`): its `live` alias when
   * it has provisioned concurrency, which applies only to invocations of that alias.
   */
  readonly paymentFunction: RegionalFunction;
  /** Serves `/health`, the deep check that decides whether Global Accelerator sends traffic to this region. */
  readonly healthFunction: RegionalFunction;
  /** The validated certificate of the API name in this region (the same one API Gateway's custom domain uses). */
  readonly certificate: AcmCertificateValidation;
  readonly healthCheck: LoadBalancerHealthCheck;
  /** WAF rate-based rule: requests per 5 minutes per client IP. */
  readonly wafRateLimit: number;
  /** Days an access-log object is kept. */
  readonly logRetentionDays: number;
  /** prod: the load balancer cannot be deleted by accident. @default false */
  readonly deletionProtection?: boolean;
  /** dev: `terraform destroy` may empty the log bucket. @default false */
  readonly forceDestroyLogs?: boolean;
}

/** Path prefix of the access logs inside the bucket (ELB appends `AWSLogs/<account>/...`). */
const LOG_PREFIX = 'alb';

/**
 * An internal Application Load Balancer in one region, the endpoint Global Accelerator sends this region's share
 * of traffic to: an HTTPS-only listener with a modern TLS policy and the region's certificate, Lambda target groups
 * for the payment and health functions (invoke permission scoped to each target group), the same routes as the
 * API Gateway path, the payments WAF rule set, invalid header fields dropped, access logs to an SSE-S3 bucket of
 * this region, deletion protection in prod.
 *
 * The API key is NOT checked here (an ALB has no API-key feature): the payment handler verifies `x-api-key`
 * against the replicated client-key secret for every ALB event (lambdas/shared/http.ts, `albApiKey`).
 *
 * Health: Global Accelerator treats an ALB endpoint as healthy only if each of its target groups has a healthy
 * target (GA Developer Guide, about-endpoint-groups-health-check-options). The health target group checks the
 * deep `/health`, which answers 503 while this site is not the active one, so a passive region is unhealthy to
 * Global Accelerator whatever its traffic dial; the payment target group checks the same path, answered by the
 * payment function as a liveness probe (it fails when the function is fenced with reserved concurrency 0).
 */
export class RegionalLoadBalancer extends Construct {
  public readonly loadBalancer: Lb;
  public readonly listener: LbListener;
  public readonly securityGroup: SecurityGroup;
  public readonly targetGroups: { readonly payment: LbTargetGroup; readonly health: LbTargetGroup };
  public readonly webAcl: Wafv2WebAcl;
  public readonly logBucket: S3Bucket;

  constructor(scope: Construct, id: string, props: RegionalLoadBalancerProps) {
    super(scope, id);
    const { ctx } = props;
    const provider = ctx.provider;
    const name = (purpose: string) => ctx.naming.name('generic', purpose, ctx.region);
    const hc = props.healthCheck;
    if (hc.timeoutSeconds >= hc.intervalSeconds) {
      throw new Error(`RegionalLoadBalancer: healthCheck.timeoutSeconds (${hc.timeoutSeconds}) must be below healthCheck.intervalSeconds (${hc.intervalSeconds}) (edge.healthCheck in the config)`);
    }
    for (const fn of [props.paymentFunction.function, props.healthFunction.function]) {
      const timeout = fn.timeoutInput;
      // ELB invokes Lambda targets for health checks: the interval must exceed the function's timeout (CreateTargetGroup).
      if (timeout !== undefined && !Token.isUnresolved(timeout) && hc.intervalSeconds <= timeout) {
        throw new Error(
          `RegionalLoadBalancer: healthCheck.intervalSeconds (${hc.intervalSeconds}) must exceed the timeout of ${fn.functionNameInput ?? 'the function'} (${timeout} s); raise edge.healthCheck.intervalSeconds in the config`,
        );
      }
    }

    // --- Access logs: ALB writes them with SSE-S3 only (no KMS), so this bucket has its own SSE-S3 default. ----
    this.logBucket = new S3Bucket(this, 'logs', {
      provider,
      bucket: ctx.naming.bucket('alb-logs', ctx.region),
      forceDestroy: props.forceDestroyLogs ?? false,
    });
    waive(
      this.logBucket,
      'ENC-CMK',
      'Application Load Balancer access logs support only SSE-S3 (ELB User Guide, enable-access-logging: "The only server-side encryption option that is supported is Amazon S3-managed keys"); the bucket holds request metadata, never payment bodies, and is private, versioned and TLS-only',
    );
    new S3BucketServerSideEncryptionConfigurationA(this, 'logs-sse', {
      provider,
      bucket: this.logBucket.id,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }],
    });
    new S3BucketPublicAccessBlock(this, 'logs-public-access', {
      provider,
      bucket: this.logBucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    const versioning = new S3BucketVersioningA(this, 'logs-versioning', {
      provider,
      bucket: this.logBucket.id,
      versioningConfiguration: { status: 'Enabled' },
    });
    new S3BucketLifecycleConfiguration(this, 'logs-lifecycle', {
      provider,
      bucket: this.logBucket.id,
      rule: [
        {
          id: 'expire-access-logs',
          status: 'Enabled',
          filter: [{ prefix: `${LOG_PREFIX}/` }],
          expiration: [{ days: props.logRetentionDays }],
          noncurrentVersionExpiration: [{ noncurrentDays: 1 }],
        },
      ],
      dependsOn: [versioning],
    });
    const logObjects = `${this.logBucket.arn}/${LOG_PREFIX}/AWSLogs/${ctx.accountId}/*`;
    const statements: PolicyStatement[] = [
      {
        Sid: 'DenyInsecureTransport',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: [this.logBucket.arn, `${this.logBucket.arn}/*`],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
      { Sid: 'ElbAccessLogDelivery', Effect: 'Allow', Principal: elbLogDeliveryPrincipal(ctx.region), Action: 's3:PutObject', Resource: logObjects },
    ];
    const bucketPolicy = new S3BucketPolicy(this, 'logs-policy', { provider, bucket: this.logBucket.id, policy: policyDocument(statements) });

    // --- Network: an internal load balancer; Global Accelerator is the only way in from the internet. ----------
    this.securityGroup = new SecurityGroup(this, 'sg', {
      provider,
      name: name('payments-alb'),
      description: 'Internal payments ALB behind Global Accelerator: HTTPS from client addresses (client IP preservation)',
      vpcId: props.vpc.id,
      tags: { Name: name('payments-alb') },
    });
    // With client IP address preservation on, packets reach the ALB with the client's own source address, so the
    // security group must admit the clients (GA Developer Guide, about-endpoints.sipp-caveats: "make sure that all
    // your required security configurations, for example, security groups, are updated to include the user client
    // IP address on the allow list"). The ALB is internal: only Global Accelerator's network interfaces in this VPC
    // carry internet traffic to it (GA Developer Guide, best-practices-aga; the VPC needs an internet gateway,
    // which RegionalNetwork has). No egress rule: ALB invokes Lambda targets through the Lambda API, not the VPC.
    new VpcSecurityGroupIngressRule(this, 'sg-https-clients', {
      provider,
      securityGroupId: this.securityGroup.id,
      description: 'HTTPS from payment clients through Global Accelerator (client IPs preserved)',
      ipProtocol: 'tcp',
      fromPort: 443,
      toPort: 443,
      cidrIpv4: '0.0.0.0/0',
    });
    allowPublicHttps(
      this.securityGroup,
      'Internal ALB fronted by Global Accelerator with client IP preservation: sources are the clients\' own addresses, so HTTPS from anywhere must be admitted; the load balancer has no public address and is reachable from the internet only through the accelerator',
    );

    this.loadBalancer = new Lb(this, 'alb', {
      provider,
      name: name('payments'),
      internal: true,
      loadBalancerType: 'application',
      ipAddressType: 'ipv4',
      subnets: props.subnets.map((s) => s.id),
      securityGroups: [this.securityGroup.id],
      dropInvalidHeaderFields: true,
      enableDeletionProtection: props.deletionProtection ?? false,
      accessLogs: { bucket: this.logBucket.bucket, prefix: LOG_PREFIX, enabled: true },
      // ELB checks that it may write the logs when access logging is enabled.
      dependsOn: [bucketPolicy],
    });

    const targetGroup = (role: 'payment' | 'health', fn: RegionalFunction): LbTargetGroup => {
      const tg = new LbTargetGroup(this, `${role}-tg`, {
        provider,
        name: name(role === 'payment' ? 'payments' : 'health'),
        targetType: 'lambda',
        // The handlers read headers from multiValueHeaders (a repeated Idempotency-Key is refused, not merged).
        lambdaMultiValueHeadersEnabled: true,
        healthCheck: {
          enabled: true,
          path: '/health',
          matcher: '200',
          interval: hc.intervalSeconds,
          timeout: hc.timeoutSeconds,
          healthyThreshold: hc.healthyThreshold,
          unhealthyThreshold: hc.unhealthyThreshold,
        },
      });
      // The alias when there is one: provisioned concurrency applies only to invocations of the alias (or version)
      // it is configured on. The target is then the alias ARN, and the invoke permission carries the same qualifier:
      // a permission in the policy of one qualifier does not cover another (Lambda developer guide, resource-based
      // policies of versions and aliases), as for the API Gateway integrations (RegionalApi).
      const target = fn.invokeTarget;
      // Only this target group may invoke the function (confused-deputy protection).
      const permission = new LambdaPermission(this, `${role}-permission`, {
        provider,
        functionName: target.functionName,
        ...(target.qualifier ? { qualifier: target.qualifier } : {}),
        action: 'lambda:InvokeFunction',
        principal: 'elasticloadbalancing.amazonaws.com',
        sourceArn: tg.arn,
        // A change of target (the unqualified function → its alias) creates the new permission and attachment
        // before removing the old ones: the target group is never without a target.
        lifecycle: { createBeforeDestroy: true },
      });
      new LbTargetGroupAttachment(this, `${role}-attachment`, {
        provider,
        targetGroupArn: tg.arn,
        targetId: target.arn,
        dependsOn: [permission],
        lifecycle: { createBeforeDestroy: true },
      });
      return tg;
    };
    this.targetGroups = { payment: targetGroup('payment', props.paymentFunction), health: targetGroup('health', props.healthFunction) };

    const notFound = JSON.stringify({ error: { code: 'NOT_FOUND', message: 'no such resource' } });
    this.listener = new LbListener(this, 'https', {
      provider,
      loadBalancerArn: this.loadBalancer.arn,
      port: 443,
      protocol: 'HTTPS',
      sslPolicy: ALB_TLS_POLICY,
      certificateArn: props.certificate.certificateArn,
      defaultAction: [{ type: 'fixed-response', fixedResponse: { contentType: 'application/json', statusCode: '404', messageBody: notFound } }],
    });
    // The same routes as API Gateway: /payments and /payments/{id} to the payment function, /health to the health function.
    const route = (id: string, priority: number, paths: string[], tg: LbTargetGroup) =>
      new LbListenerRule(this, id, {
        provider,
        listenerArn: this.listener.arn,
        priority,
        condition: [{ pathPattern: { values: paths } }],
        action: [{ type: 'forward', targetGroupArn: tg.arn }],
      });
    route('payments-route', 10, ['/payments', '/payments/*'], this.targetGroups.payment);
    route('health-route', 20, ['/health'], this.targetGroups.health);

    // WAF sees the client's address too (client IP preservation), so the per-IP rate limit works as on API Gateway.
    this.webAcl = paymentsWebAcl(this, 'waf', {
      ctx,
      name: name('payments-alb'),
      description: 'Payments ALB: AWS managed common rules and a per-IP rate limit (the API Gateway rule set)',
      rateLimit: props.wafRateLimit,
    });
    new Wafv2WebAclAssociation(this, 'waf-association', { provider, resourceArn: this.loadBalancer.arn, webAclArn: this.webAcl.arn });
  }
}
