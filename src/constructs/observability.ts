import { CloudwatchDashboard } from '@cdktf/provider-aws/lib/cloudwatch-dashboard';
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { CloudwatchMetricAlarm, CloudwatchMetricAlarmConfig } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { Route53HealthCheck } from '@cdktf/provider-aws/lib/route53-health-check';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicPolicy } from '@cdktf/provider-aws/lib/sns-topic-policy';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import { Construct } from 'constructs';
import { accountRootArn, backupVaultArn } from '../arn';
import { PolicyStatement, fromOwnAlarms, fromOwnRules, policyDocument } from '../iam';
import { PerRegion, RegionContext, RegionRole, otherRole } from '../region';
import { MultiRegionKey } from './multi-region-key';
import { ROUTE53_METRICS_REGION, ROUTE53_METRICS_RULE, route53MetricsSite } from '../aws-regions';
import type { PagerSubscription } from './regional-pager';

/** One direction of S3 replication (the `SourceBucket`, `DestinationBucket`, `RuleId` metric dimensions). */
export interface S3ReplicationWatch {
  readonly sourceBucket: string;
  readonly destinationBucket: string;
  readonly ruleId: string;
}

/** What the alarms watch in one region. */
export interface RegionWatch {
  readonly ctx: RegionContext;
  /** REST API name and stage (API Gateway metric dimensions). */
  readonly apiName: string;
  readonly apiStage: string;
  /** Lambda function names of this region. */
  readonly functionNames: readonly string[];
  /**
   * The payment routes (`Method` and `Resource` dimensions of API Gateway's per-method metrics, published when the
   * stage has detailed metrics on). The API alarms watch these, not the whole stage: the stage's `/health` answers
   * 503 to the Route 53 checkers for as long as the region is passive, by design.
   */
  readonly paymentRoutes: ReadonlyArray<{ readonly method: string; readonly resource: string }>;
}

export interface DrObservabilityProps {
  readonly primary: RegionWatch;
  readonly dr: RegionWatch;
  /**
   * The us-east-1 context: Route 53 publishes health-check metrics only there, so their alarms (and the topic
   * those alarms notify) must live there (`route53MetricsSite`, src/aws-regions.ts). When given, it must be the
   * context of the site in us-east-1. @default the primary or DR context, whichever is in us-east-1
   */
  readonly route53MetricsCtx?: RegionContext;
  /** Encrypts the topics (its policy must allow `sns` and `cloudwatch`). */
  readonly key: MultiRegionKey;
  readonly emails: readonly string[];
  /**
   * Subscriptions beyond e-mail (an incident tool's HTTPS endpoint, SMS), the same as the regional pagers': the
   * Route 53 health alarms and the RPO/replication alarms page through these topics too, not only by e-mail.
   * @default none
   */
  readonly subscriptions?: readonly PagerSubscription[];
  readonly healthChecks: PerRegion<Route53HealthCheck>;
  /** The active site (`config.activeRegion`): its cluster is the writer, the other one the secondary. */
  readonly activeRole: RegionRole;
  /**
   * Each site's cluster identifier. AuroraGlobalDBRPOLag is published only for a secondary cluster, in its
   * region: the lag alarm exists in both regions and treats missing data as breaching only on the passive site.
   */
  readonly clusterIdentifiers: PerRegion<string>;
  /** Alarm when the replication lag exceeds this many milliseconds (derived from the RPO objective). */
  readonly rpoLagThresholdMs: number;
  readonly sessionsTableName: string;
  /** DynamoDB replication latency alarm threshold, ms. @default 5000 */
  readonly dynamoReplicationLatencyThresholdMs?: number;
  /** S3 replication rules, keyed by the site of the source bucket (two-way replication: one per direction). */
  readonly replication: PerRegion<S3ReplicationWatch>;
  /** API Gateway 5xx rate (fraction of requests) that alarms. @default 0.05 */
  readonly api5xxRateThreshold?: number;
  /** API Gateway p99 latency that alarms, ms. @default 2000 */
  readonly apiLatencyP99ThresholdMs?: number;
  /**
   * The name of the vault the backup plan writes to, in the active site's region (a plain string: the other
   * region's rule names it without a cross-region reference); its failed backup and copy jobs notify the topics.
   */
  readonly backupVaultName: string;
}

/** Backup job states that mean a recovery point was not made (AWS Backup API, BackupJob State). */
export const BACKUP_JOB_FAILURE_STATES = ['FAILED', 'ABORTED', 'EXPIRED'] as const;
/** Copy job states that mean the DR vault did not get a complete copy (AWS Backup API, CopyJob State). */
export const COPY_JOB_FAILURE_STATES = ['FAILED', 'PARTIAL'] as const;

/**
 * SNS topics (encrypted with our key, e-mail subscriptions) and the alarms that watch the DR posture: Aurora
 * global replication lag, Route 53 health checks (in us-east-1), API Gateway 5xx rate and latency per region,
 * Lambda errors and throttles per function, DynamoDB and S3 replication, and AWS Backup job failures. Every
 * alarm notifies the topic of its own region. One dashboard per region shows both regions side by side.
 */
export class DrObservability extends Construct {
  public readonly topics: Record<string, SnsTopic> = {};
  public readonly alarms: CloudwatchMetricAlarm[] = [];
  public readonly dashboards: CloudwatchDashboard[] = [];
  /** EventBridge rules that notify the topics (AWS Backup job failures), with their region. */
  public readonly eventRules: Array<{ readonly ctx: RegionContext; readonly rule: CloudwatchEventRule }> = [];

  constructor(scope: Construct, id: string, props: DrObservabilityProps) {
    super(scope, id);
    const metricsSite = route53MetricsSite({ primary: props.primary.ctx.region, dr: props.dr.ctx.region });
    if (metricsSite === undefined) {
      throw new Error(`DrObservability: neither ${props.primary.ctx.region} nor ${props.dr.ctx.region} is ${ROUTE53_METRICS_REGION}; ${ROUTE53_METRICS_RULE}`);
    }
    if (props.route53MetricsCtx && props.route53MetricsCtx.region !== ROUTE53_METRICS_REGION) {
      throw new Error(
        `DrObservability: route53MetricsCtx must be in ${ROUTE53_METRICS_REGION} (where Route 53 publishes metrics), got ${props.route53MetricsCtx.region}; omit it to use the ${metricsSite} context`,
      );
    }
    const route53Ctx = props.route53MetricsCtx ?? props[metricsSite].ctx;
    if (props.emails.length === 0) throw new Error('DrObservability: emails must list at least one recipient');
    const { primary, dr } = props;

    for (const ctx of [primary.ctx, dr.ctx, route53Ctx]) this.topicFor(ctx, props);

    const watches: PerRegion<RegionWatch> = { primary, dr };
    const active = props.activeRole;
    const passive = otherRole(active);

    // --- Aurora global database replication: AuroraGlobalDBRPOLag exists only for the secondary cluster, in its
    // region. The alarm exists in both regions, each on its own cluster, so it follows the secondary in either
    // role: on the passive site no data means replication is not reporting (breaching); on the active site the
    // metric is absent by design (not breaching), so no alarm is in ALARM by design in either role. ---
    for (const role of [active, passive]) {
      const { ctx } = watches[role];
      const secondary = role === passive;
      this.alarm(ctx, props, 'aurora-rpo-lag', {
        alarmDescription: secondary
          ? `Aurora global replication lag of the secondary cluster (${ctx.region}) above ${props.rpoLagThresholdMs} ms: the RPO objective is at risk`
          : `Aurora global replication lag of this site's cluster (${ctx.region}); it is the writer while activeRegion is '${active}', and the metric exists only while it is a secondary`,
        namespace: 'AWS/RDS',
        metricName: 'AuroraGlobalDBRPOLag',
        dimensions: { DBClusterIdentifier: props.clusterIdentifiers[role] },
        statistic: 'Maximum',
        period: 60,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        threshold: props.rpoLagThresholdMs,
        comparisonOperator: 'GreaterThanThreshold',
        treatMissingData: secondary ? 'breaching' : 'notBreaching',
      });
    }

    // --- Route 53 health checks: metrics exist only in us-east-1 ---
    const healthMetric = (role: RegionRole, metricId: string) => ({
      id: metricId,
      metric: {
        namespace: 'AWS/Route53',
        metricName: 'HealthCheckStatus',
        dimensions: { HealthCheckId: props.healthChecks[role].id },
        period: 60,
        stat: 'Minimum',
      },
    });
    this.alarm(route53Ctx, props, 'active-site-unhealthy', {
      alarmDescription: `The active site (${active}, ${watches[active].ctx.region}) fails its deep health check: decide on failover (RUNBOOK.md)`,
      namespace: 'AWS/Route53',
      metricName: 'HealthCheckStatus',
      dimensions: { HealthCheckId: props.healthChecks[active].id },
      statistic: 'Minimum',
      period: 60,
      evaluationPeriods: 2,
      threshold: 1,
      comparisonOperator: 'LessThanThreshold',
      treatMissingData: 'breaching',
    });
    // The passive site's check is unhealthy by design (not designated, read-only database), so alarming on it
    // alone would page all the time; what matters is that no site can take payments.
    this.alarm(route53Ctx, props, 'no-region-healthy', {
      alarmDescription: 'Neither region passes its deep health check: no region can take payments',
      metricQuery: [
        healthMetric('primary', 'p'),
        healthMetric('dr', 'd'),
        { id: 'healthy', expression: 'MAX([p, d])', label: 'Any region healthy', returnData: true },
      ],
      evaluationPeriods: 2,
      threshold: 1,
      comparisonOperator: 'LessThanThreshold',
      treatMissingData: 'breaching',
    });

    for (const watch of [primary, dr]) {
      const { ctx } = watch;
      if (watch.paymentRoutes.length === 0) throw new Error(`DrObservability: paymentRoutes of ${ctx.region} is empty; list the payment methods and resources`);
      // Per-method series (ApiName, Method, Resource, Stage): the stage-wide series would count the /health 503s
      // a passive region answers to the Route 53 checkers, and stay in ALARM on a healthy platform.
      const routeMetric = (metricName: string, i: number, route: { method: string; resource: string }) => ({
        id: `${metricName === 'Count' ? 'c' : 'e'}${i}`,
        metric: {
          namespace: 'AWS/ApiGateway',
          metricName,
          dimensions: { ApiName: watch.apiName, Method: route.method, Resource: route.resource, Stage: watch.apiStage },
          period: 60,
          stat: 'Sum',
        },
      });
      const errors = watch.paymentRoutes.map((r, i) => routeMetric('5XXError', i, r));
      const counts = watch.paymentRoutes.map((r, i) => routeMetric('Count', i, r));
      const sum = (q: Array<{ id: string }>) => q.map((m) => `FILL(${m.id}, 0)`).join(' + ');
      this.alarm(ctx, props, 'api-5xx-rate', {
        alarmDescription: `Payments API in ${ctx.region}: more than ${(props.api5xxRateThreshold ?? 0.05) * 100}% of payment requests answer 5xx`,
        metricQuery: [
          ...errors,
          ...counts,
          // No payment requests: no data point (not breaching), rather than a division by zero.
          { id: 'rate', expression: `(${sum(errors)}) / (${sum(counts)})`, label: '5xx rate of the payment routes', returnData: true },
        ],
        evaluationPeriods: 5,
        datapointsToAlarm: 3,
        threshold: props.api5xxRateThreshold ?? 0.05,
        comparisonOperator: 'GreaterThanThreshold',
        treatMissingData: 'notBreaching',
      });
      const [write] = watch.paymentRoutes;
      this.alarm(ctx, props, 'api-latency-p99', {
        alarmDescription: `Payments API in ${ctx.region}: p99 latency of ${write.method} ${write.resource} above ${props.apiLatencyP99ThresholdMs ?? 2000} ms`,
        namespace: 'AWS/ApiGateway',
        metricName: 'Latency',
        dimensions: { ApiName: watch.apiName, Method: write.method, Resource: write.resource, Stage: watch.apiStage },
        extendedStatistic: 'p99',
        period: 60,
        evaluationPeriods: 5,
        datapointsToAlarm: 3,
        threshold: props.apiLatencyP99ThresholdMs ?? 2000,
        comparisonOperator: 'GreaterThanThreshold',
        treatMissingData: 'notBreaching',
      });
      for (const fn of watch.functionNames) {
        const short = fn.split('-').slice(-2).join('-');
        for (const metricName of ['Errors', 'Throttles']) {
          this.alarm(ctx, props, `${short}-${metricName.toLowerCase()}`, {
            alarmDescription: `Lambda ${fn}: ${metricName.toLowerCase()} in the last minutes`,
            namespace: 'AWS/Lambda',
            metricName,
            dimensions: { FunctionName: fn },
            statistic: 'Sum',
            period: 60,
            evaluationPeriods: 3,
            datapointsToAlarm: 2,
            threshold: 0,
            comparisonOperator: 'GreaterThanThreshold',
            treatMissingData: 'notBreaching',
          });
        }
      }
    }

    // Every regional alarm below exists in both regions: each watches what its region sends to the other.
    for (const role of ['primary', 'dr'] as const) {
      const { ctx } = watches[role];
      this.replicationAlarms(ctx, watches[otherRole(role)].ctx, props, props.replication[role]);
    }

    // --- AWS Backup: failed backup and copy jobs, as EventBridge events ---
    // AWS Backup sends "Backup Job State Change" and "Copy Job State Change" events to EventBridge (AWS Backup
    // Developer Guide, eventbridge); unlike its CloudWatch job metrics they need no guess about which dimension set
    // is published, and they name the job. Filtered to this stack's vault, so another environment's jobs in the same
    // account do not page this one. The plan runs in the active site's region (backup jobs there); copy jobs are
    // watched in both regions (the copy lands in the other one).
    const activeCtx = watches[active].ctx;
    const vaultArn = backupVaultArn(activeCtx, props.backupVaultName);
    const pattern = (detailType: string, detail: Record<string, unknown>) =>
      JSON.stringify({ source: ['aws.backup'], 'detail-type': [detailType], detail });
    this.eventRule(activeCtx, props, 'backup-job-failed', `AWS Backup jobs into ${props.backupVaultName} that ${BACKUP_JOB_FAILURE_STATES.join('/')}`, pattern('Backup Job State Change', {
      state: [...BACKUP_JOB_FAILURE_STATES],
      backupVaultName: [props.backupVaultName],
    }));
    for (const ctx of [primary.ctx, dr.ctx]) {
      this.eventRule(ctx, props, 'backup-copy-failed', `Copies of ${props.backupVaultName} recovery points to the other site's vault that ${COPY_JOB_FAILURE_STATES.join('/')}`, pattern('Copy Job State Change', {
        state: [...COPY_JOB_FAILURE_STATES],
        sourceBackupVaultArn: [vaultArn],
      }));
    }
    for (const ctx of [primary.ctx, dr.ctx, route53Ctx]) this.topicPolicy(ctx, props);

    for (const watch of [primary, dr]) this.dashboard(watch.ctx, props);
  }

  /**
   * Notifies the topic of `ctx`'s region of every event matching `pattern` (an EventBridge rule in that region):
   * for what publishes no CloudWatch metric, such as Secrets Manager replication and rotation failures.
   */
  notifyOnEvents(ctx: RegionContext, props: DrObservabilityProps, name: string, description: string, pattern: Record<string, unknown>): CloudwatchEventRule {
    this.topicPolicy(ctx, props);
    return this.eventRule(ctx, props, name, description, JSON.stringify(pattern));
  }

  /** DynamoDB and S3 replication from `ctx` to `peer` (both metrics are published in the source region). */
  private replicationAlarms(ctx: RegionContext, peer: RegionContext, props: DrObservabilityProps, replication: S3ReplicationWatch) {
    // --- DynamoDB global table: latency of replication into the peer region ---
    this.alarm(ctx, props, 'dynamodb-replication-latency', {
      alarmDescription: `Sessions table replication from ${ctx.region} to ${peer.region} is slow`,
      namespace: 'AWS/DynamoDB',
      metricName: 'ReplicationLatency',
      dimensions: { TableName: props.sessionsTableName, ReceivingRegion: peer.region },
      statistic: 'Average',
      period: 60,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      threshold: props.dynamoReplicationLatencyThresholdMs ?? 5000,
      comparisonOperator: 'GreaterThanThreshold',
      treatMissingData: 'notBreaching',
    });

    // --- S3 replication (RTC metrics) ---
    const s3Dims = {
      SourceBucket: replication.sourceBucket,
      DestinationBucket: replication.destinationBucket,
      RuleId: replication.ruleId,
    };
    this.alarm(ctx, props, 's3-replication-failed', {
      alarmDescription: `Objects failed to replicate from ${ctx.region} to the ${peer.region} bucket`,
      namespace: 'AWS/S3',
      metricName: 'OperationsFailedReplication',
      dimensions: s3Dims,
      statistic: 'Sum',
      period: 300,
      evaluationPeriods: 1,
      threshold: 0,
      comparisonOperator: 'GreaterThanThreshold',
      treatMissingData: 'notBreaching',
    });
    this.alarm(ctx, props, 's3-replication-latency', {
      alarmDescription: `S3 replication from ${ctx.region} to ${peer.region} is above the 15-minute Replication Time Control threshold`,
      namespace: 'AWS/S3',
      metricName: 'ReplicationLatency',
      dimensions: s3Dims,
      statistic: 'Maximum',
      period: 300,
      evaluationPeriods: 1,
      threshold: 900,
      comparisonOperator: 'GreaterThanThreshold',
      treatMissingData: 'notBreaching',
    });

  }

  private topicFor(ctx: RegionContext, props: DrObservabilityProps): SnsTopic {
    const existing = this.topics[ctx.region];
    if (existing) return existing;
    const topic = new SnsTopic(this, `alerts-${ctx.region}`, {
      provider: ctx.provider,
      name: ctx.naming.name('generic', 'dr-alerts', ctx.region),
      // The region's copy of the logs/messaging key: its policy lets CloudWatch alarms publish.
      kmsMasterKeyId: this.keyArnIn(ctx, props),
    });
    props.emails.forEach((email, i) => {
      new SnsTopicSubscription(this, `alerts-${ctx.region}-email-${i}`, {
        provider: ctx.provider,
        topicArn: topic.arn,
        protocol: 'email',
        endpoint: email,
      });
    });
    (props.subscriptions ?? []).forEach((sub, i) => {
      new SnsTopicSubscription(this, `alerts-${ctx.region}-${sub.protocol}-${i}`, {
        provider: ctx.provider,
        topicArn: topic.arn,
        protocol: sub.protocol,
        endpoint: sub.endpoint,
      });
    });
    this.topics[ctx.region] = topic;
    return topic;
  }

  private eventRule(ctx: RegionContext, props: DrObservabilityProps, name: string, description: string, eventPattern: string) {
    const rule = new CloudwatchEventRule(this, `${ctx.role}-${ctx.region}-${name}`, {
      provider: ctx.provider,
      name: ctx.naming.name('generic', name, ctx.region),
      description,
      eventPattern,
    });
    new CloudwatchEventTarget(this, `${ctx.role}-${ctx.region}-${name}-target`, {
      provider: ctx.provider,
      rule: rule.name,
      arn: this.topicFor(ctx, props).arn,
    });
    this.eventRules.push({ ctx, rule });
    return rule;
  }

  /**
   * The topic's policy. A topic policy replaces SNS's default one, so it restates what the default allowed this
   * account, then lets CloudWatch alarms and EventBridge rules of this account and the topic's region publish (SNS
   * Developer Guide, sns-access-policy-use-cases; EventBridge User Guide,
   * "Amazon SNS permissions").
   */
  private topicPolicy(ctx: RegionContext, props: DrObservabilityProps): void {
    const topic = this.topicFor(ctx, props);
    if (this.topicPolicies.has(ctx.region)) return;
    this.topicPolicies.add(ctx.region);
    const statements: PolicyStatement[] = [
      {
        Sid: 'OwnerAccount',
        Effect: 'Allow',
        Principal: { AWS: accountRootArn(ctx.accountId) },
        Action: ['sns:GetTopicAttributes', 'sns:SetTopicAttributes', 'sns:AddPermission', 'sns:RemovePermission', 'sns:DeleteTopic', 'sns:Subscribe', 'sns:ListSubscriptionsByTopic', 'sns:Publish'],
        Resource: topic.arn,
      },
      {
        Sid: 'CloudWatchAlarms',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: topic.arn,
        Condition: fromOwnAlarms(ctx),
      },
      {
        // Rules of this account and region (not only this construct's): other constructs may route events here, and
        // creating a rule target already takes events:PutTargets in this account.
        Sid: 'EventBridgeRules',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: topic.arn,
        Condition: fromOwnRules(ctx),
      },
    ];
    new SnsTopicPolicy(this, `alerts-${ctx.region}-policy`, { provider: ctx.provider, arn: topic.arn, policy: policyDocument(statements) });
  }

  private readonly topicPolicies = new Set<string>();

  private keyArnIn(ctx: RegionContext, props: DrObservabilityProps): string {
    if (ctx.region === props.primary.ctx.region) return props.key.keys.primary.arn;
    if (ctx.region === props.dr.ctx.region) return props.key.keys.dr.arn;
    // Unreachable after the constructor's check: an SNS AWS managed key would not let CloudWatch publish.
    throw new Error(`DrObservability: no key of ours in ${ctx.region}; ${ROUTE53_METRICS_RULE}`);
  }

  private alarm(ctx: RegionContext, props: DrObservabilityProps, name: string, config: Omit<CloudwatchMetricAlarmConfig, 'alarmName'>) {
    const topic = this.topicFor(ctx, props);
    const alarm = new CloudwatchMetricAlarm(this, `${ctx.role}-${ctx.region}-${name}`, {
      provider: ctx.provider,
      alarmName: ctx.naming.name('generic', name, ctx.region),
      alarmActions: [topic.arn],
      okActions: [topic.arn],
      ...config,
    });
    this.alarms.push(alarm);
    return alarm;
  }

  private dashboard(ctx: RegionContext, props: DrObservabilityProps) {
    const regions = [props.primary, props.dr];
    const widget = (title: string, x: number, y: number, region: string, metrics: unknown[][], stat = 'Sum') => ({
      type: 'metric',
      x,
      y,
      width: 12,
      height: 6,
      properties: { title, region, stat, period: 60, view: 'timeSeries', metrics },
    });
    const widgets: unknown[] = [];
    regions.forEach((watch, column) => {
      const x = column * 12;
      const r = watch.ctx.region;
      const label = `${watch.ctx.role} (${r})`;
      widgets.push(
        { type: 'text', x, y: 0, width: 12, height: 1, properties: { markdown: `## ${label}` } },
        widget(`API requests / 5xx — ${label}`, x, 1, r, [
          ['AWS/ApiGateway', 'Count', 'ApiName', watch.apiName, 'Stage', watch.apiStage],
          ['AWS/ApiGateway', '5XXError', 'ApiName', watch.apiName, 'Stage', watch.apiStage],
        ]),
        widget(`API latency p99 — ${label}`, x, 7, r, [['AWS/ApiGateway', 'Latency', 'ApiName', watch.apiName, 'Stage', watch.apiStage, { stat: 'p99' }]]),
        widget(
          `Lambda errors and throttles — ${label}`,
          x,
          13,
          r,
          watch.functionNames.flatMap((fn) => [
            ['AWS/Lambda', 'Errors', 'FunctionName', fn],
            ['AWS/Lambda', 'Throttles', 'FunctionName', fn],
          ]),
        ),
        widget(`Route 53 health — ${label}`, x, 19, ROUTE53_METRICS_REGION, [['AWS/Route53', 'HealthCheckStatus', 'HealthCheckId', props.healthChecks[watch.ctx.role].id]], 'Minimum'),
      );
    });
    const passive = otherRole(props.activeRole);
    const passiveCtx = props[passive].ctx;
    const activeCtx = props[props.activeRole].ctx;
    const replication = props.replication[props.activeRole];
    widgets.push(
      widget(`Aurora global replication lag (ms) — secondary in ${passiveCtx.region}`, 0, 25, passiveCtx.region, [
        ['AWS/RDS', 'AuroraGlobalDBRPOLag', 'DBClusterIdentifier', props.clusterIdentifiers[passive]],
      ], 'Maximum'),
      widget(`S3 replication latency (s) and DynamoDB replication latency (ms) — from the active site ${activeCtx.region}`, 12, 25, activeCtx.region, [
        ['AWS/S3', 'ReplicationLatency', 'SourceBucket', replication.sourceBucket, 'DestinationBucket', replication.destinationBucket, 'RuleId', replication.ruleId],
        ['AWS/DynamoDB', 'ReplicationLatency', 'TableName', props.sessionsTableName, 'ReceivingRegion', passiveCtx.region],
      ], 'Maximum'),
    );
    this.dashboards.push(
      new CloudwatchDashboard(this, `dashboard-${ctx.role}`, {
        provider: ctx.provider,
        dashboardName: ctx.naming.name('generic', 'dr-overview', ctx.region),
        dashboardBody: JSON.stringify({ widgets }),
      }),
    );
  }
}
