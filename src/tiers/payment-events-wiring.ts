import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SsmParameter } from '@cdktf/provider-aws/lib/ssm-parameter';
import { Construct } from 'constructs';
import { Tier } from '../composition';
import { PlatformConfig } from '../config';
import { ActiveSiteDesignation } from '../constructs/active-site-designation';
import { FailoverDns } from '../constructs/failover-dns';
import { MultiRegionKey } from '../constructs/multi-region-key';
import { PaymentEvents } from '../constructs/payment-events';
import { RegionalFunction } from '../constructs/regional-function';
import { RegionRole } from '../region';
import { ApplicationTier } from './application-tier';
import { DataTier } from './data-tier';
import { LambdaBundles } from './lambda-bundles';
import { ENDPOINT_URL_PARAMETER, PaymentEventsAccess } from './payment-events-access';
import { Site } from './site';

export interface PaymentEventsWiringProps {
  readonly sites: Record<RegionRole, Site>;
  readonly applications: Record<RegionRole, ApplicationTier>;
  readonly data: DataTier;
  readonly dns: FailoverDns;
  readonly designation: ActiveSiteDesignation;
  readonly access: PaymentEventsAccess;
  readonly keys: { readonly logs: MultiRegionKey; readonly database: MultiRegionKey; readonly events: MultiRegionKey };
  readonly bundles: LambdaBundles;
  /** The alert topic of each region (DrObservability's, keyed by region name). */
  readonly alertTopics: Readonly<Record<string, SnsTopic>>;
  readonly config: Pick<PlatformConfig, 'activeRegion' | 'events' | 'logRetentionDays'>;
}

/**
 * Payment events (issue #19): the buses, global endpoint, queues and archives (PaymentEvents), and in each site the
 * outbox sweep with its schedule, the endpoint URL parameter the publishers read, and the alarms on the outbox and
 * the dead-letter queue. A tier: the resources keep their stack-level addresses.
 */
export class PaymentEventsWiring extends Tier {
  public readonly paymentEvents: PaymentEvents;
  /** The scheduled outbox sweep in each region (sends events not sent right after their commit). */
  public readonly outboxSweep: Record<RegionRole, RegionalFunction>;

  constructor(scope: Construct, id: string, props: PaymentEventsWiringProps) {
    super(scope, id);
    const { sites, config } = props;
    // The endpoint follows the check of the PRIMARY DNS record (FailoverDns.activeCheck, CALCULATED: the active
    // site's deep /health AND the passive site not claiming active): the publisher's region, no subscriber metrics,
    // and events go where payments go, also after a failover while the old region answers again.
    this.paymentEvents = new PaymentEvents(this, 'payment-events', {
      primary: sites.primary.ctx,
      dr: sites.dr.ctx,
      activeRole: config.activeRegion,
      activeHealthCheck: props.dns.activeCheck,
      key: props.keys.events,
      archiveRetentionDays: config.events.archiveRetentionDays,
      queueRetentionSeconds: config.events.queueRetentionSeconds,
      maxReceiveCount: config.events.maxReceiveCount,
    });
    this.outboxSweep = { primary: this.sweep(sites.primary, props), dr: this.sweep(sites.dr, props) };
    for (const site of [sites.primary, sites.dr]) this.alarms(site, props);
  }

  private sweep(site: Site, props: PaymentEventsWiringProps): RegionalFunction {
    const { ctx } = site;
    const { designation, access, config } = props;
    const parameters = props.applications[ctx.role].parameters;
    new SsmParameter(this, `payment-events-endpoint-url-${ctx.role}`, {
      provider: ctx.provider,
      name: `${parameters.path}${ENDPOINT_URL_PARAMETER}`,
      type: 'String',
      value: this.paymentEvents.endpoint.endpointUrl,
      description: 'URL of the payment events global endpoint (the payment Lambda derives the EndpointId); managed by cdktf',
    });
    const fn = new RegionalFunction(this, `outbox-sweep-fn-${ctx.role}`, {
      ctx,
      purpose: 'outbox-sweep',
      code: props.bundles.code('outbox-sweep'),
      // Any number of sweeps is safe (row locks); one at a time is enough.
      reservedConcurrency: 1,
      timeoutSeconds: 60,
      memorySizeMb: 256,
      subnets: site.network.privateSubnets,
      securityGroup: site.appSecurityGroup,
      logKey: props.keys.logs.keys[ctx.role],
      logRetentionDays: config.logRetentionDays,
      environment: {
        CONFIG_PATH: parameters.path,
        // Sends only from the active site (this region's designation, read like the payment function does).
        ACTIVE_SITE_PARAMETER: designation.parameterName,
        POWERTOOLS_SERVICE_NAME: 'outbox-sweep',
        POWERTOOLS_METRICS_NAMESPACE: 'PaymentsDR',
        NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
        // The URL from this region's parameter like the payment function: a re-created endpoint (new activeRegion)
        // is picked up without redeploying the sweep, and the function does not reference the other region.
        ...access.environment(parameters.path),
      },
      statements: [
        parameters.grantRead(),
        ...access.withEndpointUrl([designation.grantRead(ctx.role)], ctx, parameters.path),
        ...props.data.database.credentials.grantRead(ctx.role),
        access.publishStatement,
      ],
    });
    const sweepIntervalMinutes = config.events.sweepIntervalMinutes;
    const schedule = new CloudwatchEventRule(this, `outbox-sweep-schedule-${ctx.role}`, {
      provider: ctx.provider,
      name: ctx.naming.name('generic', 'outbox-sweep', ctx.region),
      description: 'Sends payment events left in the outbox (lambdas/outbox-sweep)',
      scheduleExpression: `rate(${sweepIntervalMinutes} minute${sweepIntervalMinutes === 1 ? '' : 's'})`,
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
  }

  private alarms(site: Site, props: PaymentEventsWiringProps): void {
    const { ctx } = site;
    const topic = props.alertTopics[ctx.region];
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
}
