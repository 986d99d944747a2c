import { CloudwatchEventArchive } from '@cdktf/provider-aws/lib/cloudwatch-event-archive';
import { CloudwatchEventBus } from '@cdktf/provider-aws/lib/cloudwatch-event-bus';
import { CloudwatchEventEndpoint } from '@cdktf/provider-aws/lib/cloudwatch-event-endpoint';
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { Route53HealthCheck } from '@cdktf/provider-aws/lib/route53-health-check';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { SqsQueuePolicy } from '@cdktf/provider-aws/lib/sqs-queue-policy';
import { Token } from 'cdktf';
import { Construct } from 'constructs';
import { PolicyStatement, policyDocument, serviceTrustPolicy } from '../iam';
import { PerRegion, RegionContext, RegionRole } from '../region';
import { MultiRegionKey } from './multi-region-key';
import { eventBusArn, eventRuleArn, iamRoleArn } from '../arn';

/** The one event type the payment service publishes today (lambdas/payment-processor/outbox.ts). */
export const PAYMENT_ACCEPTED = 'payment.accepted';

/** `primary` and `dr`: a bus, queue and archive in each site's region. */
export interface PaymentEventsProps extends PerRegion<RegionContext> {
  /**
   * The active site (config `activeRegion`): the endpoint's primary Region, whose health check drives the failover.
   * @default 'primary'
   */
  readonly activeRole?: RegionRole;
  /**
   * Route 53 health check of the active site, the **publisher's** region (in the stack: the CALCULATED check of the
   * PRIMARY DNS record, built on the site's deep `/health`: database writer, designation). It must not include
   * subscriber metrics (EventBridge user guide, eb-global-endpoints).
   */
  readonly activeHealthCheck: Route53HealthCheck;
  /** Encrypts the consumer queues and their dead-letter queues (needs the `sqs` and `events` key users). */
  readonly key: MultiRegionKey;
  /** Days each bus's archive keeps events (1-3650). */
  readonly archiveRetentionDays: number;
  /** Seconds a message stays in a consumer queue (60-1209600). */
  readonly queueRetentionSeconds: number;
  /** Receives before a message moves to the dead-letter queue (1-1000). */
  readonly maxReceiveCount: number;
}

/** The names publishers need before the construct exists (the payment function is created first). */
export function paymentEventNames(naming: RegionContext['naming']): { readonly busName: string; readonly source: string } {
  return { busName: naming.name('generic', 'payments'), source: `${naming.prefix}-${naming.suffix}.payments` };
}

/** What one region holds. */
export interface RegionalEvents {
  readonly bus: CloudwatchEventBus;
  readonly archive: CloudwatchEventArchive;
  readonly rule: CloudwatchEventRule;
  /** The queue a downstream system (ledger, notifications, fraud) reads. */
  readonly queue: SqsQueue;
  /** Messages that failed `maxReceiveCount` times, and events EventBridge could not deliver. */
  readonly deadLetterQueue: SqsQueue;
}

/**
 * Payment events that survive a regional failure: a bus of the same name in both regions, an EventBridge **global
 * endpoint** with failover routing on the active site's health check and **event replication** enabled (AWS's
 * recommendation, and needed to fail back automatically), a least-privilege replication role, and per region an
 * archive (replay after an incident) and a rule delivering `payment.accepted` to an encrypted SQS queue with a DLQ.
 *
 * With replication on, every event reaches both buses, so each region's queue receives every event: a consumer
 * reads its own region's queue and deduplicates on `detail.eventId` (EventBridge assigns a new `id` per
 * PutEvents and per replica).
 */
export class PaymentEvents extends Construct {
  /** Identical in both regions (a global endpoint requires it). */
  public readonly busName: string;
  /** `source` of every payment event. */
  public readonly source: string;
  public readonly regions: PerRegion<RegionalEvents>;
  /** Each region's bus ARN, built from the name (the publishers' grant; no cross-region reference). */
  public readonly busArns: PerRegion<string>;
  public readonly endpoint: CloudwatchEventEndpoint;
  /** The region the endpoint lives in and routes to while healthy (the active site). */
  public readonly endpointRegion: string;
  public readonly replicationRole: IamRole;

  constructor(scope: Construct, id: string, props: PaymentEventsProps) {
    super(scope, id);
    const check = (name: string, value: number, min: number, max: number, unit: string) => {
      if (!Token.isUnresolved(value) && (!Number.isInteger(value) || value < min || value > max)) {
        throw new Error(`PaymentEvents: ${name} must be a whole number of ${unit} from ${min} to ${max}, got ${value}`);
      }
    };
    check('archiveRetentionDays', props.archiveRetentionDays, 1, 3650, 'days');
    check('queueRetentionSeconds', props.queueRetentionSeconds, 60, 1_209_600, 'seconds (SQS limits)');
    check('maxReceiveCount', props.maxReceiveCount, 1, 1000, 'receives');
    const ctxs: PerRegion<RegionContext> = { primary: props.primary, dr: props.dr };
    const activeRole = props.activeRole ?? 'primary';
    const passiveRole: RegionRole = activeRole === 'primary' ? 'dr' : 'primary';
    const naming = props.primary.naming;
    ({ busName: this.busName, source: this.source } = paymentEventNames(naming));
    const account = props.primary.accountId;
    const busArn = (ctx: RegionContext) => eventBusArn(ctx, this.busName);
    this.busArns = { primary: busArn(props.primary), dr: busArn(props.dr) };

    const regional = (ctx: RegionContext): RegionalEvents => {
      const provider = ctx.provider;
      const bus = new CloudwatchEventBus(this, `${ctx.role}-bus`, { provider, name: this.busName });
      // Archives every event on the bus (ours and the replicas from the other region): a replay re-delivers them
      // to the bus's rules. Archives are encrypted with an AWS owned key (provider 5.100 has no key argument).
      const archive = new CloudwatchEventArchive(this, `${ctx.role}-archive`, {
        provider,
        name: naming.name('generic', 'payments', ctx.region),
        eventSourceArn: bus.arn,
        retentionDays: props.archiveRetentionDays,
        description: `Every payment event on ${this.busName} in ${ctx.region}, kept ${props.archiveRetentionDays} days for replay`,
      });
      const key = props.key.keys[ctx.role];
      const deadLetterQueue = new SqsQueue(this, `${ctx.role}-dlq`, {
        provider,
        name: naming.name('generic', 'payment-events-dlq', ctx.region),
        kmsMasterKeyId: key.arn,
        // The longest SQS allows: a dead letter waits for a person.
        messageRetentionSeconds: 1_209_600,
      });
      const queue = new SqsQueue(this, `${ctx.role}-queue`, {
        provider,
        name: naming.name('generic', 'payment-events', ctx.region),
        kmsMasterKeyId: key.arn,
        messageRetentionSeconds: props.queueRetentionSeconds,
        redrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetterQueue.arn, maxReceiveCount: props.maxReceiveCount }),
      });
      const rule = new CloudwatchEventRule(this, `${ctx.role}-rule`, {
        provider,
        name: naming.name('generic', 'payment-accepted-to-queue'),
        description: `${PAYMENT_ACCEPTED} events to the downstream queue in ${ctx.region}`,
        eventBusName: bus.name,
        eventPattern: JSON.stringify({ source: [this.source], 'detail-type': [PAYMENT_ACCEPTED] }),
      });
      new CloudwatchEventTarget(this, `${ctx.role}-target`, {
        provider,
        rule: rule.name,
        eventBusName: bus.name,
        targetId: 'payment-events-queue',
        arn: queue.arn,
        // EventBridge retries a failed delivery for up to 24 h, then puts the event in the DLQ.
        retryPolicy: { maximumEventAgeInSeconds: 86_400, maximumRetryAttempts: 185 },
        deadLetterConfig: { arn: deadLetterQueue.arn },
      });
      // Only this rule may send, to the queue and (failed deliveries) to the DLQ.
      const fromRule = (q: SqsQueue, sid: string) =>
        new SqsQueuePolicy(this, `${ctx.role}-${sid}-policy`, {
          provider,
          queueUrl: q.url,
          policy: policyDocument([
            {
              Sid: 'PaymentEventsRule',
              Effect: 'Allow',
              Principal: { Service: 'events.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Resource: q.arn,
              Condition: { ArnEquals: { 'aws:SourceArn': rule.arn } },
            },
          ]),
        });
      fromRule(queue, 'queue');
      fromRule(deadLetterQueue, 'dlq');
      return { bus, archive, rule, queue, deadLetterQueue };
    };
    this.regions = { primary: regional(props.primary), dr: regional(props.dr) };

    // Replication: EventBridge creates managed rules named GlobalEndpointManagedRule-* on each bus that forward
    // every event to the other region's bus with this role. Exactly those rules, the two buses, and passing itself
    // to EventBridge for their targets (the permissions of the role the EventBridge console creates for a global
    // endpoint, scoped to our account, regions and bus).
    const roleName = naming.name('iamRole', 'events-replication');
    const roleArn = iamRoleArn(account, roleName);
    this.replicationRole = new IamRole(this, 'replication-role', {
      provider: props.primary.provider,
      name: roleName,
      description: `Event replication of the ${this.busName} global endpoint`,
      assumeRolePolicy: serviceTrustPolicy('events.amazonaws.com', account),
    });
    const both = [props.primary, props.dr];
    const replication: PolicyStatement[] = [
      {
        Sid: 'ManagedReplicationRules',
        Effect: 'Allow',
        Action: ['events:PutRule', 'events:DeleteRule', 'events:PutTargets', 'events:RemoveTargets'],
        Resource: both.map((c) => eventRuleArn(c, `${this.busName}/GlobalEndpointManagedRule-*`)),
      },
      { Sid: 'ReplicateToBuses', Effect: 'Allow', Action: 'events:PutEvents', Resource: both.map(busArn) },
      {
        Sid: 'PassSelfToEventBridge',
        Effect: 'Allow',
        Action: 'iam:PassRole',
        Resource: roleArn,
        Condition: { StringEquals: { 'iam:PassedToService': 'events.amazonaws.com' } },
      },
    ];
    new IamRolePolicy(this, 'replication-policy', {
      provider: props.primary.provider,
      role: this.replicationRole.id,
      name: 'least-privilege',
      policy: policyDocument(replication),
    });

    const active = ctxs[activeRole];
    const passive = ctxs[passiveRole];
    this.endpointRegion = active.region;
    // The id names the region: a new activeRegion then destroys the endpoint in the old region (with the provider
    // Terraform recorded) and creates it in the new one. Under one id, only the provider would change, and Terraform
    // would look for the endpoint in the new region, not find it, and leave the old one behind.
    this.endpoint = new CloudwatchEventEndpoint(this, `endpoint-in-${activeRole}`, {
      provider: active.provider,
      name: this.busName,
      description: `Payment events: ${active.region} (active site) while its health check passes, else ${passive.region}`,
      eventBus: [{ eventBusArn: this.regions[activeRole].bus.arn }, { eventBusArn: this.regions[passiveRole].bus.arn }],
      replicationConfig: { state: 'ENABLED' },
      roleArn: this.replicationRole.arn,
      routingConfig: {
        failoverConfig: {
          primary: { healthCheck: props.activeHealthCheck.arn },
          secondary: { route: passive.region },
        },
      },
    });
  }

  /**
   * What a publisher's role needs: PutEvents on the bus of either region (the global endpoint routes to one of
   * them). The ARNs are built from the bus name, so a function of one region does not reference the other region's
   * bus resource.
   */
  grantPublish(): PolicyStatement {
    return PaymentEvents.grantPublishFor(this.busArns);
  }

  /**
   * The same grant before the construct exists (the publishers are created before the endpoint, which follows a
   * health check of their API): the buses' ARNs from the sites and the naming alone.
   */
  static grantPublishFor(sites: PerRegion<RegionContext> | PerRegion<string>): PolicyStatement {
    const arnOf = (site: RegionContext | string) => (typeof site === 'string' ? site : eventBusArn(site, paymentEventNames(site.naming).busName));
    return { Sid: 'PublishPaymentEvents', Effect: 'Allow', Action: 'events:PutEvents', Resource: [arnOf(sites.primary), arnOf(sites.dr)] };
  }
}
