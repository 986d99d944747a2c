import { CloudwatchMetricAlarm, CloudwatchMetricAlarmConfig } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { Route53HealthCheck } from '@cdktf/provider-aws/lib/route53-health-check';
import { Route53Record } from '@cdktf/provider-aws/lib/route53-record';
import { SchedulerSchedule } from '@cdktf/provider-aws/lib/scheduler-schedule';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import { SsmParameter } from '@cdktf/provider-aws/lib/ssm-parameter';
import { TerraformAsset } from 'cdktf';
import { Construct } from 'constructs';
import { policyDocument, serviceTrustPolicy } from '../iam';
import { PerRegion, RegionContext, RegionRole } from '../region';
import { RegionalKey, STATES_CONTEXT_KEY } from './multi-region-key';
import { RegionalFunction } from './regional-function';
import { ssmParameterArn } from '../arn';
import { CONTROL_PARAMETERS, controlParameters, controlPath as controlPathOf } from '../../lambdas/shared/parameter-names';

/** A pager subscription beyond e-mail (config `alerts.subscriptions`). */
export interface PagerSubscription {
  readonly protocol: 'https' | 'sms';
  readonly endpoint: string;
}

/** The prober's namespace and metric names (lambdas/prober publishes them). */
export const PROBER_METRICS = { namespace: 'PaymentsDR/Prober', peerUp: 'PeerUp', ownSiteUp: 'OwnSiteUp', peerRoute53Healthy: 'PeerRoute53Healthy' } as const;

/**
 * The control path shared by the designation, the prober and the controller: `/<prefix>/<suffix>-control` (the
 * names contract, lambdas/shared/parameter-names.ts).
 */
export function controlPath(ctx: Pick<RegionContext, 'naming'>): string {
  return controlPathOf(ctx.naming);
}

export interface HealthStatusRecordsProps {
  /** Route 53 is global; its records are managed through this region's provider. */
  readonly ctx: RegionContext;
  readonly hostedZoneId: string;
  readonly zoneName: string;
  /** Each site's deep /health check. */
  readonly healthChecks: PerRegion<Route53HealthCheck>;
  /** TTL of the status answers. @default 5 */
  readonly ttlSeconds?: number;
}

/**
 * Route 53's own view of each site, readable through DNS (its data plane, so from any region, without calling the
 * Route 53 API that is served from us-east-1): `_status-<site>.<zone>` is a failover TXT record whose PRIMARY
 * answers "healthy" and carries the site's health check, and whose SECONDARY answers "unhealthy". Route 53 answers
 * the SECONDARY exactly when its checkers (in several regions: healthy needs more than 18% of them) find the
 * site unhealthy.
 */
export class HealthStatusRecords extends Construct {
  /** Fully qualified status record name per site. */
  public readonly names: PerRegion<string>;
  public readonly records: Route53Record[] = [];
  public readonly ttlSeconds: number;

  constructor(scope: Construct, id: string, props: HealthStatusRecordsProps) {
    super(scope, id);
    this.ttlSeconds = props.ttlSeconds ?? 5;
    const name = (role: RegionRole) => `_status-${role}.${props.zoneName}`;
    this.names = { primary: name('primary'), dr: name('dr') };
    for (const role of ['primary', 'dr'] as const) {
      for (const [type, value] of [
        ['PRIMARY', 'healthy'],
        ['SECONDARY', 'unhealthy'],
      ] as const) {
        this.records.push(
          new Route53Record(this, `${role}-${type.toLowerCase()}`, {
            provider: props.ctx.provider,
            zoneId: props.hostedZoneId,
            name: this.names[role],
            type: 'TXT',
            ttl: this.ttlSeconds,
            records: [value],
            setIdentifier: `${role}-${value}`,
            failoverRoutingPolicy: { type },
            ...(type === 'PRIMARY' ? { healthCheckId: props.healthChecks[role].id } : {}),
          }),
        );
      }
    }
  }
}

export interface RegionalPagerProps {
  /** The region this pager lives in (and pages from). */
  readonly ctx: RegionContext;
  /** The other site's region: the one this pager's prober watches. */
  readonly peer: RegionContext;
  /** Encrypts the topic and the prober's logs (its policy lets CloudWatch alarms and SNS use it). */
  readonly key: RegionalKey;
  readonly emails: readonly string[];
  /** HTTPS endpoints (an incident tool) and SMS numbers. @default none */
  readonly subscriptions?: readonly PagerSubscription[];
  readonly logRetentionDays: number;
  /** The prober bundle (lambdas/prober). */
  readonly proberCode: TerraformAsset;
  /** The other site's public regional /health URL (its execute-api endpoint, not the failover name). */
  readonly peerHealthUrl: string;
  /** This site's public regional /health URL. */
  readonly ownHealthUrl: string;
  /** The other site's Route 53 status record (HealthStatusRecords). */
  readonly peerStatusRecord: string;
  /** The active-site designation parameter's ARN in this region (the prober reads it). */
  readonly designationArn: string;
  /** Seconds between probes. @default 10 */
  readonly probeIntervalSeconds?: number;
  /** @default 3 */
  readonly probeTimeoutSeconds?: number;
  /** Consecutive failed probes before the other site counts as down (and pages). @default 3 */
  readonly failureThreshold?: number;
  /**
   * The controller this prober may start (automatic mode): the state machine of this region, which fails over to
   * this region's site. Every region has one; the prober starts it only while its own site is passive. @default none
   */
  readonly stateMachineArn?: string;
  /** The key that encrypts that state machine (StartExecution encrypts the input with it). Required with stateMachineArn. */
  readonly stateMachineKey?: RegionalKey;
}

/**
 * A pager that survives the region it watches, one per region:
 * - an SNS topic (our key) with e-mail, HTTPS and SMS subscriptions;
 * - the prober (lambdas/prober), outside any VPC so it depends on nothing of this region but Lambda, invoked
 *   every minute by EventBridge Scheduler (a rule's finest rate is one minute as well) and probing every
 *   `probeIntervalSeconds` inside the invocation;
 * - high-resolution alarms in this region on its metrics: the other site down, this site not ready, the prober
 *   silent. So a failure of either region pages from the other.
 */
export class RegionalPager extends Construct {
  public readonly topic: SnsTopic;
  public readonly prober: RegionalFunction;
  public readonly schedule: SchedulerSchedule;
  public readonly alarms: Record<'peerDown' | 'ownSiteNotReady' | 'proberSilent', CloudwatchMetricAlarm>;
  /** The prober's streak of failed probes, kept across execution environments. */
  public readonly proberState: SsmParameter;

  constructor(scope: Construct, id: string, props: RegionalPagerProps) {
    super(scope, id);
    const { ctx, peer } = props;
    const provider = ctx.provider;
    const interval = props.probeIntervalSeconds ?? 10;
    const timeout = props.probeTimeoutSeconds ?? 3;
    const threshold = props.failureThreshold ?? 3;
    if (ctx.region === peer.region) throw new Error(`RegionalPager: peer must be the other region, got ${peer.region} for both`);
    if (!Number.isInteger(interval) || interval < 5 || interval > 30) {
      throw new Error(`RegionalPager: probeIntervalSeconds must be 5-30 (the other site is probed at least every 30 s), got ${interval}`);
    }
    if (timeout >= interval) throw new Error(`RegionalPager: probeTimeoutSeconds (${timeout}) must be below probeIntervalSeconds (${interval})`);
    if ((props.stateMachineArn === undefined) !== (props.stateMachineKey === undefined)) {
      throw new Error('RegionalPager: give both stateMachineArn and stateMachineKey (automatic mode) or neither (manual mode)');
    }
    if (props.emails.length === 0 && (props.subscriptions ?? []).length === 0) {
      throw new Error('RegionalPager: needs at least one e-mail or subscription: a pager without a recipient is silent');
    }

    this.topic = new SnsTopic(this, 'topic', {
      provider,
      name: ctx.naming.name('generic', 'pager', ctx.region),
      kmsMasterKeyId: props.key.arn,
    });
    const subscribe = (sid: string, protocol: string, endpoint: string) =>
      new SnsTopicSubscription(this, sid, { provider, topicArn: this.topic.arn, protocol, endpoint });
    props.emails.forEach((e, i) => subscribe(`email-${i}`, 'email', e));
    (props.subscriptions ?? []).forEach((s, i) => subscribe(`${s.protocol}-${i}`, s.protocol, s.endpoint));

    const path = controlPath(ctx);
    const names = controlParameters(path);
    this.proberState = new SsmParameter(this, CONTROL_PARAMETERS.proberState, {
      provider,
      name: names.proberState,
      type: 'String',
      value: JSON.stringify({ streak: 0, lastProbeAt: '1970-01-01T00:00:00.000Z' }),
      description: `Streak of failed probes of ${peer.region} by the ${ctx.region} prober (written by the prober)`,
      lifecycle: { ignoreChanges: ['value'] },
    });

    const parameterArn = (name: string) => ssmParameterArn(ctx, name);
    this.prober = new RegionalFunction(this, 'prober', {
      ctx,
      purpose: 'prober',
      code: props.proberCode,
      // One scheduled minute per invocation; two may overlap briefly when a schedule fires late.
      reservedConcurrency: 2,
      timeoutSeconds: 70,
      memorySizeMb: 256,
      logKey: props.key,
      logRetentionDays: props.logRetentionDays,
      environment: {
        POWERTOOLS_SERVICE_NAME: 'prober',
        SITE: ctx.role,
        PEER_REGION: peer.region,
        PEER_HEALTH_URL: props.peerHealthUrl,
        OWN_HEALTH_URL: props.ownHealthUrl,
        PEER_STATUS_RECORD: props.peerStatusRecord,
        CONTROL_PATH: path,
        PROBE_INTERVAL_MS: String(interval * 1000),
        PROBE_TIMEOUT_MS: String(timeout * 1000),
        FAILURE_THRESHOLD: String(threshold),
        RUN_FOR_MS: '55000',
        ...(props.stateMachineArn ? { STATE_MACHINE_ARN: props.stateMachineArn } : {}),
      },
      statements: [
        { Sid: 'ReadDesignation', Effect: 'Allow', Action: ['ssm:GetParameter'], Resource: [props.designationArn] },
        { Sid: 'ProberState', Effect: 'Allow', Action: ['ssm:GetParameter', 'ssm:PutParameter'], Resource: [parameterArn(names.proberState)] },
        {
          // PutMetricData has no resource-level permissions; the namespace condition scopes it.
          Sid: 'ProberMetrics',
          Effect: 'Allow',
          Action: ['cloudwatch:PutMetricData'],
          Resource: '*',
          Condition: { StringEquals: { 'cloudwatch:namespace': PROBER_METRICS.namespace } },
        },
        ...(props.stateMachineArn && props.stateMachineKey
          ? [
              { Sid: 'StartController', Effect: 'Allow' as const, Action: ['states:StartExecution'], Resource: [props.stateMachineArn] },
              {
                // StartExecution encrypts the input with the state machine's customer managed key, with the caller's
                // permissions (the Step Functions team in aws/aws-cdk#30959), only under its encryption context.
                Sid: 'StartControllerEncrypted',
                Effect: 'Allow' as const,
                Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
                Resource: [props.stateMachineKey.arn],
                Condition: { StringEquals: { [STATES_CONTEXT_KEY]: props.stateMachineArn } },
              },
            ]
          : []),
      ],
    });

    const schedulerRole = new IamRole(this, 'scheduler-role', {
      provider,
      name: ctx.naming.name('iamRole', 'prober-schedule', ctx.region),
      description: `EventBridge Scheduler invokes the prober in ${ctx.region}`,
      assumeRolePolicy: serviceTrustPolicy('scheduler.amazonaws.com', ctx.accountId),
    });
    new IamRolePolicy(this, 'scheduler-policy', {
      provider,
      role: schedulerRole.id,
      name: 'invoke-prober',
      policy: policyDocument([{ Sid: 'InvokeProber', Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: [this.prober.function.arn] }]),
    });
    this.schedule = new SchedulerSchedule(this, 'schedule', {
      provider,
      name: ctx.naming.name('generic', 'prober', ctx.region),
      description: `Probe ${peer.region} and this site every ${interval} s (one invocation per minute)`,
      // A schedule's (and a rule's) finest rate is one minute: the prober loops inside the invocation.
      scheduleExpression: 'rate(1 minute)',
      flexibleTimeWindow: { mode: 'OFF' },
      target: {
        arn: this.prober.function.arn,
        roleArn: schedulerRole.arn,
        // A late retry would overlap the next minute's invocation; the next minute probes anyway.
        retryPolicy: { maximumRetryAttempts: 0 },
      },
    });

    const alarm = (name: string, config: Omit<CloudwatchMetricAlarmConfig, 'alarmName' | 'alarmActions' | 'okActions'>) =>
      new CloudwatchMetricAlarm(this, name, {
        provider,
        alarmName: ctx.naming.name('generic', name, ctx.region),
        alarmActions: [this.topic.arn],
        okActions: [this.topic.arn],
        ...config,
      });
    // High-resolution alarms (10-second periods) are evaluated every 10 seconds (CloudWatch User Guide,
    // AlarmThatSendsEmail).
    /** `threshold` consecutive failed probes (an up-metric of 0) in 10-second periods. */
    const consecutiveProbeFailures = (name: string, probe: Pick<CloudwatchMetricAlarmConfig, 'alarmDescription' | 'metricName' | 'dimensions'>) =>
      alarm(name, {
        ...probe,
        namespace: PROBER_METRICS.namespace,
        statistic: 'Maximum',
        period: 10,
        evaluationPeriods: threshold,
        datapointsToAlarm: threshold,
        threshold: 1,
        comparisonOperator: 'LessThanThreshold',
        // A silent prober is its own alarm (prober-silent); missing data never fakes a region failure.
        treatMissingData: 'notBreaching',
      });
    this.alarms = {
      peerDown: consecutiveProbeFailures('peer-site-down', {
        alarmDescription: `The ${peer.role} site (${peer.region}) failed ${threshold} consecutive probes from ${ctx.region}: it cannot serve its role. Paged from the surviving region (RUNBOOK.md)`,
        metricName: PROBER_METRICS.peerUp,
        dimensions: { PeerRegion: peer.region },
      }),
      ownSiteNotReady: consecutiveProbeFailures('own-site-not-ready', {
        alarmDescription: `This site (${ctx.role}, ${ctx.region}) failed ${threshold} consecutive readiness probes: it could not take over (or serve) now`,
        metricName: PROBER_METRICS.ownSiteUp,
        dimensions: { Region: ctx.region },
      }),
      proberSilent: alarm('prober-silent', {
        alarmDescription: `The ${ctx.region} prober published nothing for 3 minutes: ${peer.region} is not watched from here`,
        namespace: PROBER_METRICS.namespace,
        metricName: PROBER_METRICS.peerUp,
        dimensions: { PeerRegion: peer.region },
        statistic: 'SampleCount',
        period: 60,
        evaluationPeriods: 3,
        threshold: 1,
        comparisonOperator: 'LessThanThreshold',
        treatMissingData: 'breaching',
      }),
    };
  }
}
