import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { Construct } from 'constructs';
import { Tier } from '../composition';
import { PlatformConfig } from '../config';
import { FailoverDns } from '../constructs/failover-dns';
import { FaultInjection } from '../constructs/fault-injection';
import { MultiRegionKey } from '../constructs/multi-region-key';
import { RegionContext, RegionRole } from '../region';
import { Site } from './site';

export interface DrillsProps {
  readonly sites: Record<RegionRole, Site>;
  readonly dns: FailoverDns;
  /** The site in us-east-1, where Route 53 health metrics live. */
  readonly route53MetricsCtx: RegionContext;
  /** The alert topic of each region (DrObservability's, keyed by region name). */
  readonly alertTopics: Readonly<Record<string, SnsTopic>>;
  readonly logsKey: MultiRegionKey;
  readonly config: Pick<PlatformConfig, 'objectives' | 'logRetentionDays'>;
}

/**
 * Fault injection for the drills (`npm run dr -- drill --inject fis`): an FIS experiment template that fails each
 * site, and the guard that stops a drill which has become an outage. A tier: the resources keep their stack-level
 * addresses (`drill-rto-guard`, `fault-injection-<role>`).
 */
export class Drills extends Tier {
  /** FIS experiment templates that fail each site (the drill injects on the active one). */
  public readonly faultInjection: Record<RegionRole, FaultInjection>;
  /**
   * Drill guard (us-east-1, where Route 53 health metrics live): no region has passed its health check for longer
   * than the RTO objective, so the drill has become an outage. A stop condition of the template of the site in
   * us-east-1; for the other site's template the drill CLI enforces the same bound (--rto-timeout).
   */
  public readonly rtoGuard: CloudwatchMetricAlarm;

  constructor(scope: Construct, id: string, props: DrillsProps) {
    super(scope, id);
    const { sites, config, alertTopics } = props;
    const usEast1 = props.route53MetricsCtx;
    const healthMetric = (role: RegionRole, id: string) => ({
      id,
      metric: { namespace: 'AWS/Route53', metricName: 'HealthCheckStatus', dimensions: { HealthCheckId: props.dns.healthChecks[role].id }, period: 60, stat: 'Minimum' },
    });
    const rtoMinutes = Math.max(1, Math.ceil(config.objectives.rtoSeconds / 60));
    this.rtoGuard = new CloudwatchMetricAlarm(this, 'drill-rto-guard', {
      provider: usEast1.provider,
      alarmName: usEast1.naming.name('generic', 'drill-rto-breach', usEast1.region),
      alarmDescription: `No region has passed its deep health check for ${rtoMinutes} min (the RTO objective): a drill has become an outage; FIS stops its experiment`,
      metricQuery: [healthMetric('primary', 'p'), healthMetric('dr', 'd'), { id: 'healthy', expression: 'MAX([p, d])', label: 'Any region healthy', returnData: true }],
      evaluationPeriods: rtoMinutes,
      threshold: 1,
      comparisonOperator: 'LessThanThreshold',
      // No data is no evidence of an outage: a drill must not stop on a metric gap.
      treatMissingData: 'notBreaching',
      alarmActions: [alertTopics[usEast1.region].arn],
      okActions: [alertTopics[usEast1.region].arn],
    });
    const faultInjection = (r: Site, peer: Site) =>
      new FaultInjection(this, `fault-injection-${r.ctx.role}`, {
        ctx: r.ctx,
        network: r.network,
        peerRegion: peer.ctx.region,
        stopAlarms: r.ctx.region === usEast1.region ? [this.rtoGuard] : [],
        logKey: props.logsKey.keys[r.ctx.role],
        logRetentionDays: config.logRetentionDays,
        alertTopic: alertTopics[r.ctx.region],
      });
    this.faultInjection = { primary: faultInjection(sites.primary, sites.dr), dr: faultInjection(sites.dr, sites.primary) };
  }
}
