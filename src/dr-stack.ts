import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { RandomProvider } from '@cdktf/provider-random/lib/provider';
import { AcmCertificate } from '@cdktf/provider-aws/lib/acm-certificate';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import { Route53Record } from '@cdktf/provider-aws/lib/route53-record';
import { SecretsmanagerSecretRotation } from '@cdktf/provider-aws/lib/secretsmanager-secret-rotation';
import { Route53Zone } from '@cdktf/provider-aws/lib/route53-zone';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { SecretsmanagerSecretVersion } from '@cdktf/provider-aws/lib/secretsmanager-secret-version';
import { Password } from '@cdktf/provider-random/lib/password';
import { AssetType, S3Backend, TerraformAsset, TerraformOutput, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { PlatformConfig } from './config';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { AuroraGlobalDatabase } from './constructs/aurora-global-database';
import { CrossRegionBackup } from './constructs/cross-region-backup';
import { CrossRegionPeering } from './constructs/cross-region-peering';
import { AcceleratorEdge } from './constructs/accelerator-edge';
import { FailoverDns } from './constructs/failover-dns';
import { FailoverController } from './constructs/failover-controller';
import { HealthStatusRecords, RegionalPager, controlPath } from './constructs/regional-pager';
import { FaultInjection } from './constructs/fault-injection';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { DrObservability, DrObservabilityProps } from './constructs/observability';
import { ActiveSiteDesignation } from './constructs/active-site-designation';
import { DrReport, assertObjectives } from './dr-objectives';
import { eventPathSection } from './event-path-report';
import { acceleratorFailoverBound } from './edge-objectives';
import { applyGuardrails } from './guardrails';
import { RegionalApi } from './constructs/regional-api';
import { RegionalFunction } from './constructs/regional-function';
import { RegionalLoadBalancer } from './constructs/regional-load-balancer';
import { bundleLambda } from './lambda-bundle';
import { MultiRegionKey } from './constructs/multi-region-key';
import { PaymentEvents, paymentEventNames } from './constructs/payment-events';
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { SsmParameter } from '@cdktf/provider-aws/lib/ssm-parameter';
import { RegionalNetwork } from './constructs/regional-network';
import { ReplicatedBucket } from './constructs/replicated-bucket';
import { RuntimeParameters } from './constructs/runtime-parameters';
import { configParameterValues, PAYMENT_EVENTS_ENDPOINT_PARAMETER } from '../lambdas/shared/parameter-names';
import { SessionTable } from './constructs/session-table';
import { Naming } from './naming';
import { PolicyStatement } from './iam';
import { RegionContext, RegionRole, otherRole } from './region';

export interface DrStackProps {
  readonly config: PlatformConfig;
}

/** The payment function's database connection timeout (lambdas/payment-processor: connectionTimeoutMillis). */
export const PAYMENT_DB_CONNECT_TIMEOUT_MS = 2000;

/** The DR objectives of `config` checked against the design it configures; throws a DrObjectiveError. */
export function drReportFor(config: PlatformConfig): DrReport {
  const site = (role: RegionRole) => ({ site: role, region: config.regions[role].region });
  const report = assertObjectives(config.objectives, {
    mode: config.failover.mode,
    regions: { primary: config.regions.primary.region, dr: config.regions.dr.region },
    healthCheckIntervalSeconds: config.dns.healthCheckIntervalSeconds,
    healthCheckFailureThreshold: config.dns.healthCheckFailureThreshold,
    // The failover records are non-alias CNAMEs with this TTL (CONTRACTS.md, issue 13's FailoverDns).
    dnsTtlSeconds: config.dns.recordTtlSeconds,
    auroraGlobalDbRpoSeconds: config.objectives.rpoSeconds,
    probeIntervalSeconds: config.failover.probeIntervalSeconds,
    probeTimeoutSeconds: config.failover.probeTimeoutSeconds,
    probeFailureThreshold: config.failover.probeFailureThreshold,
    promotionBudgetSeconds: config.failover.promotionBudgetSeconds,
    // Only API Gateway invokes the provisioned alias; the accelerator edge's ALB targets the function itself, so in
    // that mode the report keeps counting a cold start.
    paymentProvisionedConcurrency: config.edge.mode === 'accelerator' ? 0 : config.api.paymentProvisionedConcurrency,
    paymentDbConnectTimeoutMs: PAYMENT_DB_CONNECT_TIMEOUT_MS,
    manualAcknowledgeSeconds: config.failover.manualAcknowledgeSeconds,
    manualSecondPersonSeconds: config.failover.manualSecondPersonSeconds,
    active: site(config.activeRegion),
    passive: site(otherRole(config.activeRegion)),
    // Accelerator mode: the edge term from Global Accelerator's behaviour instead of the DNS one.
    ...(config.edge.mode === 'accelerator' ? { edgeFailover: acceleratorFailoverBound(config.edge.healthCheck) } : {}),
  });
  return {
    ...report,
    eventPath: eventPathSection({
      healthCheckIntervalSeconds: config.dns.healthCheckIntervalSeconds,
      healthCheckFailureThreshold: config.dns.healthCheckFailureThreshold,
      auroraGlobalDbRpoSeconds: config.objectives.rpoSeconds,
      sweepIntervalMinutes: config.events.sweepIntervalMinutes,
      archiveRetentionDays: config.events.archiveRetentionDays,
      queueRetentionSeconds: config.events.queueRetentionSeconds,
    }),
  };
}

/** The S3 backend key of an environment's state. */
export function stateKey(config: PlatformConfig): string {
  return `${config.stateBackend.keyPrefix}/${config.environmentSuffix}/terraform.tfstate`;
}

/** The stack name, which is also the directory under `cdktf.out/stacks/`. */
export function stackName(config: PlatformConfig): string {
  return `payments-dr-${config.environmentSuffix}`;
}

/** Per-region building blocks, exposed for tests and for the constructs of later tiers. */
export interface RegionStack {
  readonly ctx: RegionContext;
  readonly network: RegionalNetwork;
  /** The application tier (the Lambdas): the only client the database admits. */
  readonly appSecurityGroup: SecurityGroup;
}

/** The static-IP edge (config `edge.mode: "accelerator"`). */
export interface AcceleratorEdgeStack {
  readonly loadBalancers: Record<RegionRole, RegionalLoadBalancer>;
  readonly accelerator: AcceleratorEdge;
}

/** Per-region runtime configuration, set once the data tier exists. */
export interface RegionRuntime {
  readonly parameters: RuntimeParameters;
  readonly paymentFunction: RegionalFunction;
  readonly healthFunction: RegionalFunction;
  readonly api: RegionalApi;
}

/**
 * The one stack: two aliased AWS providers (primary and DR region), S3 state with native locking, and the
 * composition of the per-domain constructs.
 */
export class DrStack extends TerraformStack {
  public readonly config: PlatformConfig;
  public readonly primary: RegionStack;
  public readonly dr: RegionStack;
  public readonly logsKey: MultiRegionKey;
  public readonly databaseKey: MultiRegionKey;
  public readonly storageKey: MultiRegionKey;
  /** Payment event queues (SQS, read by downstream systems; EventBridge delivers as itself). */
  public readonly eventsKey: MultiRegionKey;
  /** Buses, global endpoint, queues and archives of payment events (issue #19). */
  public readonly paymentEvents: PaymentEvents;
  /** The scheduled outbox sweep in each region (sends events not sent right after their commit). */
  public readonly outboxSweep: Record<RegionRole, RegionalFunction>;
  public readonly peering: CrossRegionPeering;
  public readonly database: AuroraGlobalDatabase;
  public readonly sessions: SessionTable;
  public readonly artifacts: ReplicatedBucket;
  public readonly backup: CrossRegionBackup;
  public readonly runtime: { readonly primary: RegionRuntime; readonly dr: RegionRuntime };
  public readonly hostedZoneId: string;
  /** The zone this stack created (dev without `dns.hostedZoneId`); undefined when the zone exists already. */
  public readonly createdZone?: Route53Zone;
  public readonly apiDomainName: string;
  public readonly apiClientSecret: SecretsmanagerSecret;
  public readonly dns: FailoverDns;
  /** Accelerator mode only: Global Accelerator in front of an internal ALB per region. */
  public readonly edge?: AcceleratorEdgeStack;
  /** Rotates the database master password (in the secret's home region, regions.primary; the DR replica follows). */
  public readonly rotationFunction: RegionalFunction;
  public readonly observability: DrObservability;
  /** FIS experiment templates that fail each site (the drill injects on the active one). */
  public readonly faultInjection: { readonly primary: FaultInjection; readonly dr: FaultInjection };
  /**
   * Drill guard (us-east-1, where Route 53 health metrics live): no region has passed its health check for longer
   * than the RTO objective, so the drill has become an outage. A stop condition of the template of the site in
   * us-east-1; for the other site's template the drill CLI enforces the same bound (--rto-timeout).
   */
  public readonly drillRtoGuard: CloudwatchMetricAlarm;
  /** The site that is active (`config.activeRegion`). */
  public readonly activeRole: RegionRole;
  /** The active-site designation parameter in each region (the passive site's second fence). */
  public readonly designation: ActiveSiteDesignation;
  /** The rotation function's own security group (it reaches the writer of either site). */
  public readonly rotationSecurityGroup: SecurityGroup;
  /** Route 53's view of each site, readable through DNS from any region (the prober's second opinion). */
  public readonly healthStatus: HealthStatusRecords;
  /** A pager per region: the prober watching the other region, its alarms and the pager topic. */
  public readonly pagers: Record<RegionRole, RegionalPager>;
  /** The automatic failover controller in the passive region (`failover.mode: "automatic"` only). */
  public readonly controller?: FailoverController;
  /** The DR objectives checked against this design (written as dr-report.json/.md at synth). */
  public readonly drReport: DrReport;

  constructor(scope: Construct, id: string, props: DrStackProps) {
    super(scope, id);
    const config = props.config;
    this.config = config;
    const active = config.activeRegion;
    this.activeRole = active;
    // Objectives first: a design that cannot meet them fails before any resource exists.
    this.drReport = drReportFor(config);
    const naming = new Naming(config.namePrefix, config.environmentSuffix, config.accountId);

    new S3Backend(this, {
      bucket: config.stateBackend.bucket,
      region: config.stateBackend.region,
      key: stateKey(config),
      encrypt: true,
      // Without a key ARN, encrypt = true means SSE-S3; the bootstrap's state key makes it SSE-KMS.
      ...(config.stateBackend.kmsKeyArn ? { kmsKeyId: config.stateBackend.kmsKeyArn } : {}),
    });
    // S3-native state locking (Terraform >= 1.11) replaces the deprecated DynamoDB lock table; cdktf 0.21's
    // S3Backend has no field for it.
    this.addOverride('terraform.backend.s3.use_lockfile', true);

    const context = (role: RegionRole): RegionContext => {
      const regionConfig = config.regions[role];
      const provider = new AwsProvider(this, `aws-${role}`, {
        alias: role,
        region: regionConfig.region,
        // A plan against the wrong account fails at once instead of planning a second platform.
        allowedAccountIds: [config.accountId],
        defaultTags: [
          {
            tags: {
              Project: 'payments-dr',
              Environment: config.profile,
              EnvironmentSuffix: config.environmentSuffix,
              DisasterRecovery: role,
              CostCenter: config.costCenter,
              ManagedBy: 'cdktf',
            },
          },
        ],
      });
      return {
        provider,
        region: regionConfig.region,
        role,
        availabilityZones: regionConfig.availabilityZones,
        accountId: config.accountId,
        naming,
      };
    };
    const primaryCtx = context('primary');
    const drCtx = context('dr');
    new RandomProvider(this, 'random');

    // One multi-region key per data domain; each key policy grants only the services of that domain.
    const key = (id: string, domain: string, users: ConstructorParameters<typeof MultiRegionKey>[2]['users']) =>
      new MultiRegionKey(this, id, {
        primary: primaryCtx,
        dr: drCtx,
        domain,
        users,
        deletionWindowInDays: config.protection.kmsDeletionWindowDays,
      });
    // events: EventBridge rules publish AWS Backup job failures to the alert topics, which this key encrypts.
    this.logsKey = key('logs-key', 'logs', ['logs', 'cloudwatch', 'sns', 'events']);
    this.databaseKey = key('database-key', 'database', ['rds', 'secretsmanager', 'dynamodb']);
    // Storage: S3 objects and AWS Backup vaults. RDS is listed because AWS Backup re-encrypts the cross-region
    // copies of Aurora snapshots with the destination vault's key through RDS.
    this.storageKey = key('storage-key', 'storage', ['s3', 'backup', 'rds']);
    this.eventsKey = key('events-key', 'events', ['sqs', 'events']);

    const network = (ctx: RegionContext) =>
      new RegionalNetwork(this, `network-${ctx.role}`, {
        ctx,
        cidr: config.regions[ctx.role].vpcCidr,
        subnetPrefixLength: config.network.subnetPrefixLength,
        natGateways: config.network.natGateways,
        interfaceEndpoints: config.network.interfaceEndpoints,
        logKey: this.logsKey.in(ctx.role),
        logRetentionDays: config.logRetentionDays,
      });
    const region = (ctx: RegionContext): RegionStack => {
      const net = network(ctx);
      const appSecurityGroup = new SecurityGroup(this, `app-sg-${ctx.role}`, {
        provider: ctx.provider,
        name: ctx.naming.name('generic', 'app', ctx.region),
        description: 'Payment and health Lambdas: egress to the database, AWS endpoints and gateway endpoints only',
        vpcId: net.vpc.id,
        tags: { Name: ctx.naming.name('generic', 'app', ctx.region) },
      });
      const egress = (id: string, description: string, target: { cidrIpv4?: string; prefixListId?: string }) =>
        new VpcSecurityGroupEgressRule(this, `app-sg-${ctx.role}-${id}`, {
          provider: ctx.provider,
          securityGroupId: appSecurityGroup.id,
          description,
          ipProtocol: 'tcp',
          fromPort: 443,
          toPort: 443,
          ...target,
        });
      egress('https-endpoints', 'HTTPS to interface endpoints in the VPC', { cidrIpv4: config.regions[ctx.role].vpcCidr });
      egress('https-s3', 'HTTPS to S3 through the gateway endpoint', { prefixListId: net.gatewayEndpoints.s3.prefixListId });
      egress('https-dynamodb', 'HTTPS to DynamoDB through the gateway endpoint', {
        prefixListId: net.gatewayEndpoints.dynamodb.prefixListId,
      });
      // The global endpoint resolves to the events API of whichever region it routes to (the other one after a
      // failover), out of reach of a VPC endpoint of this region; EventBridge publishes no prefix list.
      egress('https-eventbridge', 'HTTPS through NAT to the EventBridge global endpoint (payment events, either region)', {
        cidrIpv4: '0.0.0.0/0',
      });
      return { ctx, network: net, appSecurityGroup };
    };
    this.primary = region(primaryCtx);
    this.dr = region(drCtx);

    this.peering = new CrossRegionPeering(this, 'peering', {
      requester: this.primary,
      accepter: this.dr,
    });

    this.designation = new ActiveSiteDesignation(this, 'active-site', { primary: primaryCtx, dr: drCtx, active });

    const protection = config.protection;
    this.database = new AuroraGlobalDatabase(this, 'database', {
      primary: this.primary,
      dr: this.dr,
      appSecurityGroup: { primary: this.primary.appSecurityGroup, dr: this.dr.appSecurityGroup },
      key: this.databaseKey,
      protection,
      engineVersion: config.database.engineVersion,
      minCapacity: config.database.minCapacity,
      maxCapacity: config.database.maxCapacity,
      primaryInstanceCount: config.database.primaryInstances,
      drInstanceCount: config.database.drInstances,
      backupRetentionDays: config.database.backupRetentionDays,
      slowQueryMs: config.database.slowQueryMs,
      globalDbRpoSeconds: config.objectives.rpoSeconds,
      recoveryWindowInDays: protection.secretRecoveryWindowDays,
      exportedLogs: { key: this.logsKey, retentionDays: config.logRetentionDays },
      activeRole: active,
    });
    for (const r of [this.primary, this.dr]) {
      new VpcSecurityGroupEgressRule(this, `app-sg-${r.ctx.role}-postgres`, {
        provider: r.ctx.provider,
        securityGroupId: r.appSecurityGroup.id,
        description: 'PostgreSQL to the Aurora cluster of this region',
        ipProtocol: 'tcp',
        fromPort: this.database.port,
        toPort: this.database.port,
        referencedSecurityGroupId: this.database.securityGroups[r.ctx.role].id,
      });
    }

    this.sessions = new SessionTable(this, 'sessions', {
      primary: primaryCtx,
      dr: drCtx,
      key: this.databaseKey,
      deletionProtection: protection.deletionProtection,
      preventDestroy: protection.preventDestroy,
    });

    this.artifacts = new ReplicatedBucket(this, 'artifacts', {
      primary: primaryCtx,
      dr: drCtx,
      key: this.storageKey,
      purpose: 'artifacts',
      forceDestroy: protection.forceDestroyBuckets,
      preventDestroy: protection.preventDestroy,
    });

    // Replication copies logical corruption faithfully; backups copied to the other site's vault can undo it. The
    // plan runs in the active site's region, on the active cluster and the table's replica there.
    this.backup = new CrossRegionBackup(this, 'backup', {
      primary: primaryCtx,
      dr: drCtx,
      key: this.storageKey,
      source: active,
      resources: [{ arn: this.database.activeCluster.arn }, { arn: this.sessions.arnIn(active) }],
      forceDestroy: protection.forceDestroyBuckets,
      schedule: config.backup.schedule,
      retentionDays: config.backup.retentionDays,
      copyRetentionDays: config.backup.copyRetentionDays,
    });

    // --- Application tier ---------------------------------------------------------------------------------
    // The client credential: one API key value imported into both regions' API Gateways, kept in a secret
    // replicated to the DR region so clients and the DR drill can read it in either region.
    const apiKeyValue = new Password(this, 'api-client-key', { length: 40, special: false });
    this.apiClientSecret = new SecretsmanagerSecret(this, 'api-client-secret', {
      provider: primaryCtx.provider,
      name: naming.name('generic', 'api-client-key'),
      description: 'Payments API client key (x-api-key), the same in both regions',
      kmsKeyId: this.databaseKey.in('primary').arn,
      recoveryWindowInDays: protection.secretRecoveryWindowDays,
      replica: [{ region: drCtx.region, kmsKeyId: this.databaseKey.in('dr').arn }],
    });
    new SecretsmanagerSecretVersion(this, 'api-client-secret-value', {
      provider: primaryCtx.provider,
      secretId: this.apiClientSecret.id,
      secretString: apiKeyValue.result,
    });

    // prod must name an existing, delegated zone (config validation). A dev stack without one creates it: the first
    // deploy is then two-phase (README, "Fresh account"), because ACM validates through public DNS and waits for the
    // parent domain to delegate to name servers that only exist once the zone does.
    this.createdZone = config.dns.hostedZoneId
      ? undefined
      : new Route53Zone(this, 'zone', { provider: primaryCtx.provider, name: config.dns.zoneName, comment: 'Payments DR platform' });
    this.hostedZoneId = config.dns.hostedZoneId ?? this.createdZone!.zoneId;
    if (config.dns.hostedZoneId) {
      // Stacks deployed before prod required an existing zone created it here (`hostedZoneId: null`). Naming that
      // zone's id now must not destroy it (found by `npm run plan:upgrade -- --from 4306699 --config
      // config/prod.json`): Terraform forgets the old address and the zone stays in AWS (a `removed` block,
      // Terraform >= 1.7; a no-op where the address was never in state). cdktf 0.21 has no construct for it.
      this.addOverride('removed', [{ from: 'aws_route53_zone.zone', lifecycle: { destroy: false } }]);
    }
    this.apiDomainName = `${config.dns.apiRecordName}.${config.dns.zoneName}`;

    // One regional certificate per region (a regional custom domain needs one in its own region). Both ask for
    // the same name, so ACM asks for the identical validation record: it is created once.
    const certificate = (ctx: RegionContext) =>
      new AcmCertificate(this, `api-certificate-${ctx.role}`, {
        provider: ctx.provider,
        domainName: this.apiDomainName,
        validationMethod: 'DNS',
        lifecycle: { createBeforeDestroy: true },
      });
    const certificates = { primary: certificate(primaryCtx), dr: certificate(drCtx) };
    const validation = certificates.primary.domainValidationOptions.get(0);
    const validationRecord = new Route53Record(this, 'api-certificate-validation', {
      provider: primaryCtx.provider,
      zoneId: this.hostedZoneId,
      name: validation.resourceRecordName,
      type: validation.resourceRecordType,
      records: [validation.resourceRecordValue],
      ttl: 300,
      allowOverwrite: true,
    });

    // One bundle per handler, shared by both regions' functions.
    const asset = (name: string) =>
      new TerraformAsset(this, `bundle-${name}`, { path: bundleLambda(name).zipPath, type: AssetType.FILE });
    const paymentCode = asset('payment-processor');
    const healthCode = asset('health-check');
    const accelerator = config.edge.mode === 'accelerator';

    // Payment events: the publishers get names and ARNs as strings; the endpoint is created once the health check
    // it follows exists (that check watches the payment function's own API).
    const eventNames = paymentEventNames(naming);
    const publishEvents = {
      Sid: 'PublishPaymentEvents',
      Effect: 'Allow' as const,
      Action: 'events:PutEvents',
      Resource: [primaryCtx, drCtx].map((c) => `arn:aws:events:${c.region}:${config.accountId}:event-bus/${eventNames.busName}`),
    };
    const endpointUrlParameter = PAYMENT_EVENTS_ENDPOINT_PARAMETER;
    // lambdas/shared/outbox.ts (EventTargetResolver) reads the endpoint URL with GetParameter, every minute at most:
    // added to the function's GetParameter statement (the designation's) so the action is granted once.
    const withEndpointUrl = (statements: readonly PolicyStatement[], ctx: RegionContext, configPath: string): PolicyStatement[] => {
      const arn = `arn:aws:ssm:${ctx.region}:${ctx.accountId}:parameter${configPath}${endpointUrlParameter}`;
      const i = statements.findIndex((st) => JSON.stringify(st.Action) === JSON.stringify(['ssm:GetParameter']));
      if (i < 0) return [...statements, { Sid: 'PaymentEventsEndpointUrl', Effect: 'Allow', Action: ['ssm:GetParameter'], Resource: [arn] }];
      return statements.map((st, j) => (j === i ? { ...st, Resource: [...[st.Resource ?? []].flat(), arn] } : st));
    };
    const eventsEnvironment = (configPath: string) => ({
      PAYMENT_EVENTS_BUS_NAME: eventNames.busName,
      PAYMENT_EVENTS_SOURCE: eventNames.source,
      PAYMENT_EVENTS_ENDPOINT_PARAMETER: `${configPath}${endpointUrlParameter}`,
    });

    const runtime = (r: RegionStack): RegionRuntime => {
      const { ctx } = r;
      const cluster = ctx.role === 'primary' ? this.database.primaryCluster : this.database.secondaryCluster;
      const parameters = new RuntimeParameters(this, `runtime-${ctx.role}`, {
        ctx,
        // By RuntimeConfig field: the parameter names are the contract's (lambdas/shared/parameter-names.ts).
        values: configParameterValues({
          regionRole: ctx.role,
          dbClusterEndpoint: cluster.endpoint,
          dbReaderEndpoint: cluster.readerEndpoint,
          dbName: this.database.databaseName,
          dbSecretName: this.database.credentials.secretName,
          globalClusterId: this.database.globalClusterIdentifier,
          sessionsTable: this.sessions.tableName,
          artifactsBucket: this.artifacts.bucketIn(ctx.role).bucket,
          // Behind the ALB the payment handler verifies x-api-key itself, against this region's replica.
          ...(accelerator ? { apiKeySecretName: this.apiClientSecret.name } : {}),
        }),
      });
      // Everything below is this region's: the secret replica, the key replica, the table replica, the bucket.
      const secretArn = `arn:aws:secretsmanager:${ctx.region}:${ctx.accountId}:secret:${this.database.credentials.secretName}-??????`;
      const readConfig = [
        {
          Sid: 'RuntimeConfiguration',
          Effect: 'Allow' as const,
          // lambdas/shared/config.ts reads the whole path with GetParametersByPath and nothing else.
          Action: ['ssm:GetParametersByPath'],
          Resource: [parameters.arnPattern, parameters.arnPattern.replace(/\/\*$/, '')],
        },
        { Sid: 'DatabaseCredentials', Effect: 'Allow' as const, Action: ['secretsmanager:GetSecretValue'], Resource: [secretArn] },
        { Sid: 'DecryptCredentials', Effect: 'Allow' as const, Action: ['kms:Decrypt'], Resource: [this.databaseKey.in(ctx.role).arn] },
        // Only this region's copy of the designation (no cross-region read).
        { Sid: 'ActiveSiteDesignation', Effect: 'Allow' as const, Action: ['ssm:GetParameter'], Resource: [this.designation.arnIn(ctx)] },
      ];
      const tableArn = this.sessions.arnIn(ctx.role);
      const bucket = this.artifacts.bucketIn(ctx.role);
      const environment = (service: string) => ({
        CONFIG_PATH: parameters.path,
        // This region's active-site designation (read, never written, by the function; cached <= 5 s).
        ACTIVE_SITE_PARAMETER: this.designation.parameterName,
        POWERTOOLS_SERVICE_NAME: service,
        POWERTOOLS_METRICS_NAMESPACE: 'PaymentsDR',
        NODE_OPTIONS: '--enable-source-maps',
        // Trust the RDS CA bundle the Lambda runtime ships, for TLS to Aurora.
        NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
      });
      const common = {
        ctx,
        subnets: r.network.privateSubnets,
        securityGroup: r.appSecurityGroup,
        logKey: this.logsKey.in(ctx.role),
        logRetentionDays: config.logRetentionDays,
      };
      const paymentFunction = new RegionalFunction(this, `payment-fn-${ctx.role}`, {
        ...common,
        purpose: 'payment-processor',
        code: paymentCode,
        reservedConcurrency: config.api.paymentConcurrency,
        // Passive readiness: initialized environments on both sites, so the first payments after a failover
        // meet no cold start (counted in the DR report).
        provisionedConcurrency: config.api.paymentProvisionedConcurrency,
        timeoutSeconds: 10,
        environment: { ...environment('payment-processor'), ...eventsEnvironment(parameters.path) },
        statements: [
          ...withEndpointUrl(readConfig, ctx, parameters.path),
          publishEvents,
          // The handler only ever updates a session item (UpdateItem with ADD): no PutItem, no GetItem.
          { Sid: 'Sessions', Effect: 'Allow', Action: ['dynamodb:UpdateItem'], Resource: [tableArn] },
          { Sid: 'AuditObjects', Effect: 'Allow', Action: ['s3:PutObject'], Resource: [`${bucket.arn}/audit/*`] },
          { Sid: 'EncryptAuditObjects', Effect: 'Allow', Action: ['kms:GenerateDataKey'], Resource: [this.storageKey.in(ctx.role).arn] },
          // The client key, read from this region's replica (encrypted with the database key, already decryptable).
          ...(accelerator
            ? [
                {
                  Sid: 'ApiClientKey',
                  Effect: 'Allow' as const,
                  Action: ['secretsmanager:GetSecretValue'],
                  Resource: [`arn:aws:secretsmanager:${ctx.region}:${ctx.accountId}:secret:${this.apiClientSecret.name}-??????`],
                },
              ]
            : []),
        ],
      });
      const healthFunction = new RegionalFunction(this, `health-fn-${ctx.role}`, {
        ...common,
        purpose: 'health-check',
        code: healthCode,
        reservedConcurrency: config.api.healthConcurrency,
        // Route 53 waits 2 s for an answer; the handler's own budget is shorter.
        timeoutSeconds: 3,
        memorySizeMb: 256,
        environment: environment('health-check'),
        statements: [
          ...readConfig,
          // The probe is one GetItem (lambdas/health-check); no DescribeTable.
          { Sid: 'SessionsReachable', Effect: 'Allow', Action: ['dynamodb:GetItem'], Resource: [tableArn] },
        ],
      });
      const api = new RegionalApi(this, `api-${ctx.role}`, {
        ctx,
        paymentFunction: paymentFunction.invokeTarget,
        healthFunction: healthFunction.function,
        apiKeyValue: apiKeyValue.result,
        domainName: this.apiDomainName,
        certificate: certificates[ctx.role],
        validationRecord,
        logKey: this.logsKey.in(ctx.role),
        logRetentionDays: config.logRetentionDays,
        throttleRateLimit: config.api.throttleRateLimit,
        throttleBurstLimit: config.api.throttleBurstLimit,
        wafRateLimit: config.api.wafRateLimit,
      });
      return { parameters, paymentFunction, healthFunction, api };
    };
    this.runtime = { primary: runtime(this.primary), dr: runtime(this.dr) };

    // Credential rotation: Secrets Manager's four steps in a Lambda of ours in the region of the secret's
    // primary (regions.primary): Secrets Manager rotates only a primary secret, never a replica (Secrets Manager
    // user guide, create-manage-multi-region-secrets: "rotation ... in the primary Region, and the new secret
    // value propagates to all of the associated replica secrets"). The writer is in whichever site is active,
    // so the function finds it among both sites' cluster endpoints (DB_WRITER_HOSTS) and reaches the DR writer
    // over the peering. While the primary site's region is down, rotation cannot run at all (README, Rotation).
    const secretArn = `arn:aws:secretsmanager:${primaryCtx.region}:${primaryCtx.accountId}:secret:${this.database.credentials.secretName}-??????`;
    this.rotationSecurityGroup = new SecurityGroup(this, 'rotation-sg', {
      provider: primaryCtx.provider,
      name: primaryCtx.naming.name('generic', 'secret-rotation', primaryCtx.region),
      description: 'Secret rotation Lambda: PostgreSQL to the writer of either site, HTTPS to the VPC endpoints',
      vpcId: this.primary.network.vpc.id,
      tags: { Name: primaryCtx.naming.name('generic', 'secret-rotation', primaryCtx.region) },
    });
    const rotationNetwork = [
      new VpcSecurityGroupEgressRule(this, 'rotation-sg-https-endpoints', {
        provider: primaryCtx.provider,
        securityGroupId: this.rotationSecurityGroup.id,
        description: 'HTTPS to the interface endpoints in the VPC (Secrets Manager)',
        ipProtocol: 'tcp',
        fromPort: 443,
        toPort: 443,
        cidrIpv4: config.regions.primary.vpcCidr,
      }),
      new VpcSecurityGroupEgressRule(this, 'rotation-sg-postgres-primary', {
        provider: primaryCtx.provider,
        securityGroupId: this.rotationSecurityGroup.id,
        description: 'PostgreSQL to the Aurora cluster of the primary site',
        ipProtocol: 'tcp',
        fromPort: this.database.port,
        toPort: this.database.port,
        referencedSecurityGroupId: this.database.securityGroups.primary.id,
      }),
      new VpcSecurityGroupIngressRule(this, 'aurora-primary-from-rotation', {
        provider: primaryCtx.provider,
        securityGroupId: this.database.securityGroups.primary.id,
        description: 'PostgreSQL from the secret rotation Lambda',
        ipProtocol: 'tcp',
        fromPort: this.database.port,
        toPort: this.database.port,
        referencedSecurityGroupId: this.rotationSecurityGroup.id,
      }),
      // Security groups cannot be referenced across regions over a peering, so the DR side admits the subnets
      // the function runs in, and the function may reach the DR isolated subnets the cluster lives in.
      ...this.dr.network.isolatedSubnets.map(
        (subnet, i) =>
          new VpcSecurityGroupEgressRule(this, `rotation-sg-postgres-dr-${i + 1}`, {
            provider: primaryCtx.provider,
            securityGroupId: this.rotationSecurityGroup.id,
            description: `PostgreSQL to the Aurora cluster of the DR site (isolated subnet ${i + 1}, over the peering)`,
            ipProtocol: 'tcp',
            fromPort: this.database.port,
            toPort: this.database.port,
            cidrIpv4: subnet.cidrBlock,
          }),
      ),
      ...this.primary.network.privateSubnets.map(
        (subnet, i) =>
          new VpcSecurityGroupIngressRule(this, `aurora-dr-from-rotation-${i + 1}`, {
            provider: drCtx.provider,
            securityGroupId: this.database.securityGroups.dr.id,
            description: `PostgreSQL from the secret rotation Lambda (primary-site private subnet ${i + 1}, over the peering)`,
            ipProtocol: 'tcp',
            fromPort: this.database.port,
            toPort: this.database.port,
            cidrIpv4: subnet.cidrBlock,
          }),
      ),
    ];
    this.rotationFunction = new RegionalFunction(this, 'rotation-fn', {
      ctx: primaryCtx,
      purpose: 'secret-rotation',
      code: asset('secret-rotation'),
      reservedConcurrency: 1,
      timeoutSeconds: 30,
      memorySizeMb: 256,
      subnets: this.primary.network.privateSubnets,
      securityGroup: this.rotationSecurityGroup,
      logKey: this.logsKey.in('primary'),
      logRetentionDays: config.logRetentionDays,
      environment: {
        POWERTOOLS_SERVICE_NAME: 'secret-rotation',
        NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
        // Both sites' cluster endpoints, the active one first: the function uses whichever is writable.
        // WRITER_HOSTS_ENV of lambdas/secret-rotation (a test checks the two agree).
        DB_WRITER_HOSTS: [this.database.activeCluster.endpoint, this.database.passiveCluster.endpoint].join(','),
      },
      statements: [
        {
          Sid: 'RotateDatabaseSecret',
          Effect: 'Allow',
          Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage'],
          Resource: [secretArn],
        },
        { Sid: 'GeneratePassword', Effect: 'Allow', Action: ['secretsmanager:GetRandomPassword'], Resource: '*' },
        { Sid: 'SecretKey', Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: [this.databaseKey.in('primary').arn] },
        // Secrets Manager replicates each new version to the DR replica with the caller's permissions: it
        // re-encrypts with the replica's key, which needs kms:GenerateDataKey and kms:Encrypt on that key
        // (Secrets Manager user guide, replicate-secrets_troubleshoot). Without it the DR replica keeps the old
        // password after a rotation, and the DR site cannot log in once promoted.
        {
          Sid: 'ReplicaSecretKey',
          Effect: 'Allow',
          Action: ['kms:Encrypt', 'kms:GenerateDataKey', 'kms:Decrypt'],
          Resource: [this.databaseKey.in('dr').arn],
          Condition: { StringEquals: { 'kms:ViaService': `secretsmanager.${drCtx.region}.amazonaws.com` } },
        },
      ],
    });
    const rotationPermission = new LambdaPermission(this, 'rotation-permission', {
      provider: primaryCtx.provider,
      functionName: this.rotationFunction.function.functionName,
      action: 'lambda:InvokeFunction',
      principal: 'secretsmanager.amazonaws.com',
      sourceArn: this.database.secret.arn,
    });
    // RotateSecret rotates at once by default, and a failed first rotation leaves AWSPENDING on a version, which
    // makes every later RotateSecret fail until it is cleared (RotateSecret API reference, RotateImmediately;
    // provider docs, secretsmanager_secret_rotation). So the rotation is configured only once there is something
    // to rotate and a way to do it: the secret's first value, every instance of both clusters, the network path
    // (security group rules, the Secrets Manager endpoint, the peering routes), the function's policy and the
    // permission for Secrets Manager to invoke it. The immediate first rotation then proves rotation works.
    const secretsEndpoint = this.primary.network.interfaceEndpoints.secretsmanager;
    new SecretsmanagerSecretRotation(this, 'rotation', {
      provider: primaryCtx.provider,
      secretId: this.database.secret.id,
      rotationLambdaArn: this.rotationFunction.function.arn,
      rotationRules: { automaticallyAfterDays: config.database.rotationDays },
      rotateImmediately: true,
      dependsOn: [
        rotationPermission,
        this.rotationFunction.policy,
        this.database.secretVersion,
        ...this.database.primaryInstances,
        ...this.database.drInstances,
        ...rotationNetwork,
        ...(secretsEndpoint ? [secretsEndpoint] : []),
        ...this.peering.requesterRoutes,
        ...this.peering.accepterRoutes,
      ],
    });

    const target = (r: RegionStack) => {
      const api = this.runtime[r.ctx.role].api;
      return {
        ctx: r.ctx,
        domain: api.domain,
        healthCheckHost: api.executeApiHost,
        healthCheckPath: `/${api.stageName}/health`,
        activeClaimPath: `/${api.stageName}/health/active`,
      };
    };
    // In accelerator mode the API name belongs to the accelerator; the failover records (and their health checks,
    // which the alarms, `npm run dr -- status` and drills read) stay under a name of their own.
    const failoverRecordName = accelerator ? `${config.dns.apiRecordName}-failover.${config.dns.zoneName}` : this.apiDomainName;
    this.dns = new FailoverDns(this, 'dns', {
      ctx: primaryCtx,
      hostedZoneId: this.hostedZoneId,
      recordName: failoverRecordName,
      primary: target(this.primary),
      dr: target(this.dr),
      active,
      recordTtlSeconds: config.dns.recordTtlSeconds,
      healthCheckIntervalSeconds: config.dns.healthCheckIntervalSeconds,
      failureThreshold: config.dns.healthCheckFailureThreshold,
    });

    if (accelerator) {
      const loadBalancer = (r: RegionStack) =>
        new RegionalLoadBalancer(this, `alb-${r.ctx.role}`, {
          ctx: r.ctx,
          vpc: r.network.vpc,
          subnets: r.network.privateSubnets,
          paymentFunction: this.runtime[r.ctx.role].paymentFunction.function,
          healthFunction: this.runtime[r.ctx.role].healthFunction.function,
          certificate: this.runtime[r.ctx.role].api.certificateValidation,
          healthCheck: config.edge.healthCheck,
          wafRateLimit: config.api.wafRateLimit,
          logRetentionDays: config.logRetentionDays,
          deletionProtection: protection.deletionProtection,
          forceDestroyLogs: protection.forceDestroyBuckets,
        });
      const loadBalancers = { primary: loadBalancer(this.primary), dr: loadBalancer(this.dr) };
      this.edge = {
        loadBalancers,
        accelerator: new AcceleratorEdge(this, 'accelerator', {
          ctx: primaryCtx,
          primary: { ctx: primaryCtx, loadBalancer: loadBalancers.primary },
          dr: { ctx: drCtx, loadBalancer: loadBalancers.dr },
          activeRegion: config.activeRegion,
          hostedZoneId: this.hostedZoneId,
          recordName: this.apiDomainName,
        }),
      };
    }

    const usEast1 = [primaryCtx, drCtx].find((c) => c.region === 'us-east-1');
    if (!usEast1) {
      throw new Error(
        'regions: one of the two regions must be us-east-1: Route 53 publishes health-check metrics only there, and their alarms and topic must live there',
      );
    }
    const watch = (r: RegionStack) => ({
      ctx: r.ctx,
      apiName: this.runtime[r.ctx.role].api.api.name,
      apiStage: this.runtime[r.ctx.role].api.stageName,
      functionNames: [this.runtime[r.ctx.role].paymentFunction.functionName, this.runtime[r.ctx.role].healthFunction.functionName],
      paymentRoutes: this.runtime[r.ctx.role].api.paymentRoutes,
    });
    const observabilityProps: DrObservabilityProps = {
      primary: watch(this.primary),
      dr: watch(this.dr),
      route53MetricsCtx: usEast1,
      key: this.logsKey,
      emails: config.alerts.emails,
      subscriptions: config.alerts.subscriptions,
      healthChecks: this.dns.healthChecks,
      activeRole: active,
      clusterIdentifiers: { primary: primaryCtx.naming.name('rds', 'aurora', primaryCtx.region), dr: drCtx.naming.name('rds', 'aurora', drCtx.region) },
      // Alarm at half the objective: time to act before the bound blocks commits on the primary.
      rpoLagThresholdMs: (config.objectives.rpoSeconds * 1000) / 2,
      sessionsTableName: this.sessions.tableName,
      replication: {
        primary: this.replicationWatch('primary'),
        dr: this.replicationWatch('dr'),
      },
      backupVaultName: this.backup.vaultNames[active],
    };
    this.observability = new DrObservability(this, 'observability', observabilityProps);

    // The DR replica of the database secret must receive every rotated version (replication runs with the
    // rotation role's permissions); Secrets Manager publishes no metric for it, only CloudTrail service events,
    // which EventBridge receives without a trail. Rotation failures are watched the same way.
    this.observability.notifyOnEvents(
      primaryCtx,
      observabilityProps,
      'secret-replication-rotation-failed',
      `Secrets Manager in ${primaryCtx.region}: a secret failed to replicate to ${drCtx.region}, or a rotation failed or was abandoned`,
      {
        source: ['aws.secretsmanager'],
        'detail-type': ['AWS Service Event via CloudTrail'],
        detail: { eventName: ['ReplicationFailed', 'RotationFailed', 'RotationAbandoned'] },
      },
    );

    // --- Paging from the surviving region, and the optional automatic failover -----------------------------
    const passive: RegionRole = otherRole(active);
    const contexts: Record<RegionRole, RegionContext> = { primary: primaryCtx, dr: drCtx };
    this.healthStatus = new HealthStatusRecords(this, 'health-status', {
      ctx: primaryCtx,
      hostedZoneId: this.hostedZoneId,
      zoneName: config.dns.zoneName,
      healthChecks: this.dns.healthChecks,
    });
    const automatic = config.failover.mode === 'automatic';
    const healthUrl = (role: RegionRole) => `https://${this.runtime[role].api.executeApiHost}/${this.runtime[role].api.stageName}/health`;
    const proberCode = asset('prober');
    const pager = (role: RegionRole) => {
      const ctx = contexts[role];
      const peerRole: RegionRole = role === 'primary' ? 'dr' : 'primary';
      return new RegionalPager(this, `pager-${role}`, {
        ctx,
        peer: contexts[peerRole],
        key: this.logsKey.in(role),
        emails: config.alerts.emails,
        subscriptions: config.alerts.subscriptions,
        logRetentionDays: config.logRetentionDays,
        proberCode,
        peerHealthUrl: healthUrl(peerRole),
        ownHealthUrl: healthUrl(role),
        peerStatusRecord: this.healthStatus.names[peerRole],
        designationArn: this.designation.arnIn(ctx),
        probeIntervalSeconds: config.failover.probeIntervalSeconds,
        probeTimeoutSeconds: config.failover.probeTimeoutSeconds,
        failureThreshold: config.failover.probeFailureThreshold,
        // Only the passive site's prober may start the controller (it lives in the passive region).
        ...(automatic && role === passive ? { stateMachineArn: FailoverController.stateMachineArnFor(ctx) } : {}),
      });
    };
    this.pagers = { primary: pager('primary'), dr: pager('dr') };
    if (automatic) {
      const ctx = contexts[passive];
      this.controller = new FailoverController(this, 'failover-controller', {
        ctx,
        peer: contexts[active],
        code: asset('failover-controller'),
        logKey: this.logsKey.in(passive),
        logRetentionDays: config.logRetentionDays,
        pagerTopic: this.pagers[passive].topic,
        globalClusterIdentifier: this.database.globalClusterIdentifier,
        targetCluster: passive === 'primary' ? this.database.primaryCluster : this.database.secondaryCluster,
        targetParameterGroup: this.database.parameterGroups[passive],
        rpoSeconds: config.objectives.rpoSeconds,
        peerPaymentFunction: this.runtime[active].paymentFunction,
        apiDomain: this.apiDomainName,
        apiKeySecretName: naming.name('generic', 'api-client-key'),
        apiKeySecretKey: this.databaseKey.in(passive),
        failureThreshold: config.failover.probeFailureThreshold,
        cooldownSeconds: config.failover.cooldownSeconds,
        promotionBudgetSeconds: config.failover.promotionBudgetSeconds,
      });
    }
    // --- Payment events (issue #19) -----------------------------------------------------------------------
    // The endpoint follows the check of the PRIMARY DNS record (FailoverDns.activeCheck, CALCULATED: the active
    // site's deep /health AND the passive site not claiming active): the publisher's region, no subscriber metrics,
    // and events go where payments go, also after a failover while the old region answers again.
    this.paymentEvents = new PaymentEvents(this, 'payment-events', {
      primary: primaryCtx,
      dr: drCtx,
      activeRole: config.activeRegion,
      activeHealthCheck: this.dns.activeCheck,
      key: this.eventsKey,
      archiveRetentionDays: config.events.archiveRetentionDays,
      queueRetentionSeconds: config.events.queueRetentionSeconds,
      maxReceiveCount: config.events.maxReceiveCount,
    });
    const sweepCode = asset('outbox-sweep');
    const sweep = (r: RegionStack): RegionalFunction => {
      const { ctx } = r;
      const parameters = this.runtime[ctx.role].parameters;
      new SsmParameter(this, `payment-events-endpoint-url-${ctx.role}`, {
        provider: ctx.provider,
        name: `${parameters.path}${endpointUrlParameter}`,
        type: 'String',
        value: this.paymentEvents.endpoint.endpointUrl,
        description: 'URL of the payment events global endpoint (the payment Lambda derives the EndpointId); managed by cdktf',
      });
      const fn = new RegionalFunction(this, `outbox-sweep-fn-${ctx.role}`, {
        ctx,
        purpose: 'outbox-sweep',
        code: sweepCode,
        // Any number of sweeps is safe (row locks); one at a time is enough.
        reservedConcurrency: 1,
        timeoutSeconds: 60,
        memorySizeMb: 256,
        subnets: r.network.privateSubnets,
        securityGroup: r.appSecurityGroup,
        logKey: this.logsKey.in(ctx.role),
        logRetentionDays: config.logRetentionDays,
        environment: {
          CONFIG_PATH: parameters.path,
          // Sends only from the active site (this region's designation, read like the payment function does).
          ACTIVE_SITE_PARAMETER: this.designation.parameterName,
          POWERTOOLS_SERVICE_NAME: 'outbox-sweep',
          POWERTOOLS_METRICS_NAMESPACE: 'PaymentsDR',
          NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
          // The URL from this region's parameter like the payment function: a re-created endpoint (new activeRegion)
          // is picked up without redeploying the sweep, and the function does not reference the other region.
          ...eventsEnvironment(parameters.path),
        },
        statements: [
          {
            Sid: 'RuntimeConfiguration',
            Effect: 'Allow',
            // lambdas/shared/config.ts reads the whole path with GetParametersByPath and nothing else.
            Action: ['ssm:GetParametersByPath'],
            Resource: [parameters.arnPattern, parameters.arnPattern.replace(/\/\*$/, '')],
          },
          ...withEndpointUrl(
            [{ Sid: 'ActiveSiteDesignation', Effect: 'Allow', Action: ['ssm:GetParameter'], Resource: [this.designation.arnIn(ctx)] }],
            ctx,
            parameters.path,
          ),
          {
            Sid: 'DatabaseCredentials',
            Effect: 'Allow',
            Action: ['secretsmanager:GetSecretValue'],
            Resource: [`arn:aws:secretsmanager:${ctx.region}:${ctx.accountId}:secret:${this.database.credentials.secretName}-??????`],
          },
          { Sid: 'DecryptCredentials', Effect: 'Allow', Action: ['kms:Decrypt'], Resource: [this.databaseKey.in(ctx.role).arn] },
          publishEvents,
        ],
      });
      const schedule = new CloudwatchEventRule(this, `outbox-sweep-schedule-${ctx.role}`, {
        provider: ctx.provider,
        name: ctx.naming.name('generic', 'outbox-sweep', ctx.region),
        description: 'Sends payment events left in the outbox (lambdas/outbox-sweep)',
        scheduleExpression: `rate(${config.events.sweepIntervalMinutes} minute${config.events.sweepIntervalMinutes === 1 ? '' : 's'})`,
      });
      new CloudwatchEventTarget(this, `outbox-sweep-target-${ctx.role}`, {
        provider: ctx.provider,
        rule: schedule.name,
        targetId: 'outbox-sweep',
        arn: fn.function.arn,
      });
      new LambdaPermission(this, `outbox-sweep-permission-${ctx.role}`, {
        provider: ctx.provider,
        functionName: fn.function.functionName,
        action: 'lambda:InvokeFunction',
        principal: 'events.amazonaws.com',
        sourceArn: schedule.arn,
      });
      return fn;
    };
    this.outboxSweep = { primary: sweep(this.primary), dr: sweep(this.dr) };
    for (const r of [this.primary, this.dr]) {
      const { ctx } = r;
      const topic = this.observability.topics[ctx.region];
      const alarm = (name: string, description: string, config: Omit<ConstructorParameters<typeof CloudwatchMetricAlarm>[2], 'alarmName' | 'alarmDescription'>) =>
        new CloudwatchMetricAlarm(this, `payment-events-${name}-${ctx.role}`, {
          provider: ctx.provider,
          alarmName: ctx.naming.name('generic', name, ctx.region),
          alarmDescription: description,
          alarmActions: [topic.arn],
          okActions: [topic.arn],
          ...config,
        });
      // Events normally leave within milliseconds of their commit; five minutes of an old unsent row means the
      // endpoint or the sweep is failing. No data: the sweep is not running, which is as bad.
      alarm('outbox-backlog-age', 'Payment events waiting in the outbox for over 5 minutes, or the outbox sweep not reporting (RUNBOOK section 8)', {
        namespace: 'PaymentsDR',
        metricName: 'OutboxOldestUnsentAgeSeconds',
        dimensions: { service: 'outbox-sweep' },
        statistic: 'Maximum',
        period: 60,
        evaluationPeriods: 5,
        threshold: 300,
        comparisonOperator: 'GreaterThanThreshold',
        treatMissingData: 'breaching',
      });
      alarm('payment-events-dlq', 'Payment events in the dead-letter queue: a consumer failed or EventBridge could not deliver (RUNBOOK section 8)', {
        namespace: 'AWS/SQS',
        metricName: 'ApproximateNumberOfMessagesVisible',
        dimensions: { QueueName: this.paymentEvents.regions[ctx.role].deadLetterQueue.name },
        statistic: 'Maximum',
        period: 300,
        evaluationPeriods: 1,
        threshold: 0,
        comparisonOperator: 'GreaterThanThreshold',
        treatMissingData: 'notBreaching',
      });
    }
    // --- Fault injection for the drills (`npm run dr -- drill --inject fis`) -----------------------------------
    const healthMetric = (role: RegionRole, id: string) => ({
      id,
      metric: { namespace: 'AWS/Route53', metricName: 'HealthCheckStatus', dimensions: { HealthCheckId: this.dns.healthChecks[role].id }, period: 60, stat: 'Minimum' },
    });
    const rtoMinutes = Math.max(1, Math.ceil(config.objectives.rtoSeconds / 60));
    this.drillRtoGuard = new CloudwatchMetricAlarm(this, 'drill-rto-guard', {
      provider: usEast1.provider,
      alarmName: naming.name('generic', 'drill-rto-breach', usEast1.region),
      alarmDescription: `No region has passed its deep health check for ${rtoMinutes} min (the RTO objective): a drill has become an outage; FIS stops its experiment`,
      metricQuery: [healthMetric('primary', 'p'), healthMetric('dr', 'd'), { id: 'healthy', expression: 'MAX([p, d])', label: 'Any region healthy', returnData: true }],
      evaluationPeriods: rtoMinutes,
      threshold: 1,
      comparisonOperator: 'LessThanThreshold',
      // No data is no evidence of an outage: a drill must not stop on a metric gap.
      treatMissingData: 'notBreaching',
      alarmActions: [this.observability.topics[usEast1.region].arn],
      okActions: [this.observability.topics[usEast1.region].arn],
    });
    const faultInjection = (r: RegionStack, peer: RegionStack) =>
      new FaultInjection(this, `fault-injection-${r.ctx.role}`, {
        ctx: r.ctx,
        network: r.network,
        peerRegion: peer.ctx.region,
        stopAlarms: r.ctx.region === usEast1.region ? [this.drillRtoGuard] : [],
        logKey: this.logsKey.in(r.ctx.role),
        logRetentionDays: config.logRetentionDays,
        alertTopic: this.observability.topics[r.ctx.region],
      });
    this.faultInjection = { primary: faultInjection(this.primary, this.dr), dr: faultInjection(this.dr, this.primary) };

    // Outputs the DR CLI reads (`npm run dr`); names are its contract.
    const output = (name: string, value: string, description: string) => new TerraformOutput(this, name, { value, description });
    output('primary-region', primaryCtx.region, 'Primary region');
    output('dr-region', drCtx.region, 'DR region');
    output('global-cluster-id', this.database.globalClusterIdentifier, 'Aurora global cluster identifier');
    output('primary-cluster-arn', this.database.primaryCluster.arn, 'Aurora cluster in the primary region');
    output('dr-cluster-arn', this.database.secondaryCluster.arn, 'Aurora cluster in the DR region');
    output('primary-cluster-id', this.database.primaryCluster.clusterIdentifier, 'Aurora cluster identifier (primary region)');
    output('dr-cluster-id', this.database.secondaryCluster.clusterIdentifier, 'Aurora cluster identifier (DR region)');
    output('primary-health-check-id', this.dns.healthChecks.primary.id, 'Route 53 health check of the primary region');
    output('dr-health-check-id', this.dns.healthChecks.dr.id, 'Route 53 health check of the DR region');
    output('api-domain-name', this.apiDomainName, 'Failover DNS name of the payments API');
    output('hosted-zone-id', this.hostedZoneId, 'Route 53 hosted zone of the API name');
    if (this.createdZone) {
      new TerraformOutput(this, 'hosted-zone-name-servers', {
        value: this.createdZone.nameServers,
        description: `Name servers of the zone this stack created: add them as NS records for ${config.dns.zoneName} in the parent domain (phase 1 of the first deploy)`,
      });
    }
    output('sessions-table-name', this.sessions.tableName, 'DynamoDB global table of sessions');
    output('artifacts-bucket-primary', this.artifacts.bucketIn('primary').bucket, 'Payment artefacts bucket (primary)');
    output('artifacts-bucket-dr', this.artifacts.bucketIn('dr').bucket, 'Payment artefacts bucket (DR replica)');
    for (const r of [this.primary, this.dr]) {
      const rt = this.runtime[r.ctx.role];
      output(`payment-function-${r.ctx.role}`, rt.paymentFunction.functionName, `Payment Lambda (${r.ctx.region})`);
      output(`api-endpoint-${r.ctx.role}`, `https://${rt.api.executeApiHost}/${rt.api.stageName}`, `Regional API endpoint (${r.ctx.region})`);
      output(`${r.ctx.role}-vpc-id`, r.network.vpc.id, `VPC in ${r.ctx.region}`);
    }
    // Reserved concurrency per region, for the fresh-account quota check (README): Lambda keeps 100 of the account's
    // concurrency unreserved, so the regional quota must be at least this total + 100.
    const reserved = (fns: readonly RegionalFunction[]) => fns.reduce((n, f) => n + f.reservedConcurrency, 0);
    const rt = this.runtime;
    // The probers, and the controller in its region, reserve concurrency too.
    const extra = (role: RegionRole) => [this.pagers[role].prober, ...(this.controller && passive === role ? [this.controller.function] : [])];
    output('lambda-reserved-concurrency-primary', String(reserved([rt.primary.paymentFunction, rt.primary.healthFunction, this.rotationFunction, ...extra('primary')])), 'Reserved concurrency of the functions in the primary region');
    output('lambda-reserved-concurrency-dr', String(reserved([rt.dr.paymentFunction, rt.dr.healthFunction, ...extra('dr')])), 'Reserved concurrency of the functions in the DR region');
    output('peering-connection-id', this.peering.connection.id, 'Cross-region VPC peering connection');
    output('api-client-secret-name', this.apiClientSecret.name, 'Secret holding the API client key (both regions)');
    // The active site and the levers a DR operation moves live (CONTRACTS.md).
    output('active-region', active, 'Active site per the config (activeRegion): primary or dr');
    output('active-site-parameter-name', this.designation.parameterName, 'SSM parameter holding the active-site designation (same name in both regions)');
    output('primary-cluster-parameter-group', this.database.parameterGroups.primary.name, 'DB cluster parameter group of the primary site\'s cluster');
    output('dr-cluster-parameter-group', this.database.parameterGroups.dr.name, 'DB cluster parameter group of the DR site\'s cluster');
    output('failover-mode', config.failover.mode, 'manual or automatic (failover.mode)');
    output('control-path', controlPath(primaryCtx), 'SSM path of the control parameters (same in both regions)');
    for (const role of ['primary', 'dr'] as const) {
      output(`pager-topic-${role}`, this.pagers[role].topic.arn, `Pager topic in ${contexts[role].region} (pages when the other region fails)`);
    }
    if (this.controller) {
      output('controller-region', contexts[passive].region, 'Region of the automatic failover controller (the passive site)');
      output('controller-state-machine-arn', this.controller.stateMachineArn, 'Automatic failover state machine');
      output('kill-switch-parameter-name', this.controller.killSwitch.name, 'Automatic failover kill switch (enabled | disabled), controller region');
      output('last-run-parameter-name', this.controller.lastRun.name, 'Record of the last automatic failover run, controller region');
      output('operation-lock-parameter-name', this.controller.operationLock.name, 'Operation lock the controller honours, controller region');
    }
    // Payment events (read by src/dr-cli/events.ts; optional there, so older outputs files still work).
    output('payment-events-bus-name', this.paymentEvents.busName, 'Payment events bus (same name in both regions)');
    output('payment-events-endpoint-name', this.paymentEvents.endpoint.name, 'EventBridge global endpoint of payment events');
    output('payment-events-endpoint-region', this.paymentEvents.endpointRegion, 'Region the global endpoint lives in (the active site)');
    output('payment-events-endpoint-url', this.paymentEvents.endpoint.endpointUrl, 'URL of the global endpoint');
    for (const r of [this.primary, this.dr]) {
      const ev = this.paymentEvents.regions[r.ctx.role];
      output(`payment-events-queue-url-${r.ctx.role}`, ev.queue.url, `Payment events queue for downstream systems (${r.ctx.region})`);
      output(`payment-events-archive-${r.ctx.role}`, ev.archive.name, `Payment events archive (${r.ctx.region})`);
      output(`outbox-sweep-function-${r.ctx.role}`, this.outboxSweep[r.ctx.role].functionName, `Outbox sweep Lambda (${r.ctx.region})`);
    }
    output('environment-profile', config.profile, 'Config profile (the drill refuses a failover drill on prod without confirmation)');
    for (const role of ['primary', 'dr'] as const) {
      output(`fis-experiment-template-${role}`, this.faultInjection[role].template.id, `FIS experiment template that fails the ${role} site`);
    }
    if (this.edge) {
      // The DR CLI reads these (src/dr-cli/edge.ts): dials and endpoint health.
      const ga = this.edge.accelerator;
      output('edge-mode', 'accelerator', 'How clients reach the API: Global Accelerator in front of an ALB per region');
      output('accelerator-arn', ga.accelerator.arn, 'Global Accelerator of the payments API');
      output('accelerator-dns-name', ga.accelerator.dnsName, 'DNS name of the accelerator (the API name is its alias)');
      output('failover-record-name', failoverRecordName, 'Route 53 failover name kept for probes and drills');
      for (const r of [this.primary, this.dr]) {
        output(`endpoint-group-arn-${r.ctx.role}`, ga.endpointGroups[r.ctx.role].arn, `Accelerator endpoint group of ${r.ctx.region}`);
        output(`load-balancer-arn-${r.ctx.role}`, this.edge.loadBalancers[r.ctx.role].loadBalancer.arn, `Internal payments ALB in ${r.ctx.region}`);
      }
    }

    // Last, so it sees every resource: synth fails on any violation of the security baseline (docs/security.md).
    applyGuardrails(this, { profile: config.profile });
  }

  /** The metric dimensions of the replication out of one site's bucket. */
  private replicationWatch(from: RegionRole) {
    const direction = this.artifacts.replications[from];
    return { sourceBucket: direction.sourceBucket.bucket, destinationBucket: direction.destinationBucket.bucket, ruleId: direction.ruleId };
  }
}
