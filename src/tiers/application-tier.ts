import { Construct } from 'constructs';
import { configParameterValues } from '../../lambdas/shared/parameter-names';
import { Tier } from '../composition';
import { PlatformConfig } from '../config';
import { ActiveSiteDesignation } from '../constructs/active-site-designation';
import { MultiRegionKey } from '../constructs/multi-region-key';
import { RegionalApi } from '../constructs/regional-api';
import { RegionalFunction } from '../constructs/regional-function';
import { RuntimeParameters } from '../constructs/runtime-parameters';
import { ApiEdge } from './api-edge';
import { DataTier } from './data-tier';
import { LambdaBundles } from './lambda-bundles';
import { PaymentEventsAccess } from './payment-events-access';
import { Site } from './site';

export interface ApplicationTierProps {
  /** The site this tier serves (its region context, network and application security group). */
  readonly site: Site;
  readonly data: DataTier;
  readonly keys: { readonly logs: MultiRegionKey; readonly database: MultiRegionKey; readonly storage: MultiRegionKey };
  readonly designation: ActiveSiteDesignation;
  readonly edge: ApiEdge;
  readonly events: PaymentEventsAccess;
  readonly bundles: LambdaBundles;
  readonly config: Pick<PlatformConfig, 'api' | 'edge' | 'failover' | 'logRetentionDays'>;
}

/**
 * A site's application: its runtime parameters, the payment and health functions and the regional API. The same for
 * either site: the role is the site's, and everything it reads is this region's (the secret replica, the key replica,
 * the table replica, the bucket). A tier: the resources keep their stack-level addresses (`runtime-<role>`,
 * `payment-fn-<role>`, `health-fn-<role>`, `api-<role>`).
 */
export class ApplicationTier extends Tier {
  public readonly parameters: RuntimeParameters;
  public readonly paymentFunction: RegionalFunction;
  public readonly healthFunction: RegionalFunction;
  public readonly api: RegionalApi;

  constructor(scope: Construct, id: string, props: ApplicationTierProps) {
    super(scope, id);
    const { site, data, keys, designation, edge, events, config } = props;
    const { ctx } = site;
    const { database, sessions, artifacts } = data;
    const accelerator = config.edge.mode === 'accelerator';
    const automatic = config.failover.mode === 'automatic';
    const cluster = database.clusters[ctx.role];
    this.parameters = new RuntimeParameters(this, `runtime-${ctx.role}`, {
      ctx,
      // By RuntimeConfig field: the parameter names are the contract's (lambdas/shared/parameter-names.ts).
      values: configParameterValues({
        regionRole: ctx.role,
        dbClusterEndpoint: cluster.endpoint,
        dbReaderEndpoint: cluster.readerEndpoint,
        dbName: database.databaseName,
        dbSecretName: database.credentials.secretName,
        globalClusterId: database.globalClusterIdentifier,
        sessionsTable: sessions.tableName,
        artifactsBucket: artifacts.buckets[ctx.role].bucket,
        // Behind the ALB the payment handler verifies x-api-key itself, against this region's replica.
        ...(accelerator ? { apiKeySecretName: edge.clientSecret.name } : {}),
        // The payment handler verifies the controller's synthetic probes with it (automatic mode only).
        ...(automatic ? { probeKeySecretName: edge.probeKeySecretName } : {}),
      }),
    });
    const parameters = this.parameters;
    // Everything below is this region's: the secret replica, the key replica, the table replica, the bucket, and only
    // this region's copy of the designation (no cross-region read).
    const readConfig = [parameters.grantRead(), ...database.credentials.grantRead(ctx.role), designation.grantRead(ctx.role)];
    const environment = (service: string) => ({
      CONFIG_PATH: parameters.path,
      // This region's active-site designation (read, never written, by the function; cached <= 5 s).
      ACTIVE_SITE_PARAMETER: designation.parameterName,
      POWERTOOLS_SERVICE_NAME: service,
      POWERTOOLS_METRICS_NAMESPACE: 'PaymentsDR',
      NODE_OPTIONS: '--enable-source-maps',
      // Trust the RDS CA bundle the Lambda runtime ships, for TLS to Aurora.
      NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
    });
    const common = {
      ctx,
      subnets: site.network.privateSubnets,
      securityGroup: site.appSecurityGroup,
      logKey: keys.logs.keys[ctx.role],
      logRetentionDays: config.logRetentionDays,
    };
    this.paymentFunction = new RegionalFunction(this, `payment-fn-${ctx.role}`, {
      ...common,
      purpose: 'payment-processor',
      code: props.bundles.code('payment-processor'),
      reservedConcurrency: config.api.paymentConcurrency,
      // Passive readiness: initialized environments on both sites, so the first payments after a failover
      // meet no cold start (counted in the DR report).
      provisionedConcurrency: config.api.paymentProvisionedConcurrency,
      timeoutSeconds: 10,
      environment: { ...environment('payment-processor'), ...events.environment(parameters.path) },
      statements: [
        ...events.withEndpointUrl(readConfig, ctx, parameters.path),
        events.publishStatement,
        // The handler only ever updates a session item (UpdateItem with ADD): no PutItem, no GetItem.
        sessions.grant(ctx.role, 'Sessions', ['dynamodb:UpdateItem']),
        ...artifacts.grantPutObjects(ctx.role, { sid: 'AuditObjects', keyPrefix: 'audit/' }),
        // The client key, read from this region's replica (encrypted with the database key, already decryptable).
        ...(accelerator ? [edge.grantReadClientKey(ctx)] : []),
        // The synthetic-probe key, read from this region's replica (same key as the client key).
        ...(automatic ? [edge.grantReadProbeKey(ctx)] : []),
      ],
    });
    this.healthFunction = new RegionalFunction(this, `health-fn-${ctx.role}`, {
      ...common,
      purpose: 'health-check',
      code: props.bundles.code('health-check'),
      reservedConcurrency: config.api.healthConcurrency,
      // Route 53 waits 2 s for an answer; the handler's own budget is shorter.
      timeoutSeconds: 3,
      memorySizeMb: 256,
      environment: environment('health-check'),
      statements: [
        ...readConfig,
        // The probe is one GetItem (lambdas/health-check); no DescribeTable.
        sessions.grant(ctx.role, 'SessionsReachable', ['dynamodb:GetItem']),
      ],
    });
    this.api = new RegionalApi(this, `api-${ctx.role}`, {
      ctx,
      paymentFunction: this.paymentFunction.invokeTarget,
      healthFunction: this.healthFunction.function,
      apiKeyValue: edge.clientKey.result,
      domainName: edge.domainName,
      certificate: edge.certificates[ctx.role],
      validationRecord: edge.validationRecord,
      logKey: keys.logs.keys[ctx.role],
      logRetentionDays: config.logRetentionDays,
      throttleRateLimit: config.api.throttleRateLimit,
      throttleBurstLimit: config.api.throttleBurstLimit,
      wafRateLimit: config.api.wafRateLimit,
    });
  }
}
