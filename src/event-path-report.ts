/**
 * The payment-event path in the DR report (dr-report.json `eventPath`, a section of dr-report.md): how long
 * events may be delayed by a regional failure, why none of a committed payment is lost, and how replay closes gaps.
 *
 * Not part of the payment RTO/RPO verdicts: the outbox decouples taking payments from publishing their events.
 */

/** What the EventBridge user guide states for global endpoints (eb-global-endpoints, "Recovery Time & Recovery Point Objectives"). */
export const EVENTBRIDGE_GLOBAL_ENDPOINT_TYPICAL_SECONDS = 360;
export const EVENTBRIDGE_GLOBAL_ENDPOINT_MAX_SECONDS = 420;
export const EVENTBRIDGE_RTO_RPO_QUOTE =
  'With global endpoints, if you follow our prescriptive guidance for alarm configuration, you can expect the RTO and RPO to be 360 seconds with a maximum of 420 seconds.';

export interface EventPathDesign {
  readonly healthCheckIntervalSeconds: number;
  readonly healthCheckFailureThreshold: number;
  /** The payment RPO (`rds.global_db_rpo`): an outbox row is lost only with its payment. */
  readonly auroraGlobalDbRpoSeconds: number;
  readonly sweepIntervalMinutes: number;
  readonly archiveRetentionDays: number;
  readonly queueRetentionSeconds: number;
}

export interface EventPathBound {
  readonly component: string;
  readonly mechanism: string;
  readonly boundSeconds: number;
  /** `delay`: events arrive later; `loss`: events of payments that no longer exist after a failover. */
  readonly kind: 'event delivery RTO' | 'event RPO' | 'delay';
  readonly guaranteed: boolean;
  /** Why a bound is not guaranteed, shown next to it: `AWS stated`, `typical`. */
  readonly qualifier?: string;
  readonly source: string;
}

export interface EventPathSection {
  readonly design: EventPathDesign;
  readonly bounds: readonly EventPathBound[];
  readonly notes: readonly string[];
}

export function eventPathSection(design: EventPathDesign): EventPathSection {
  const detection = design.healthCheckIntervalSeconds * (design.healthCheckFailureThreshold + 1);
  return {
    design,
    bounds: [
      {
        component: 'Global endpoint failover (routing)',
        mechanism: `EventBridge global endpoint: routes PutEvents to the passive region once the active site's Route 53 check (the PRIMARY DNS record's calculated check on the deep /health, ${design.healthCheckIntervalSeconds} s × ${design.healthCheckFailureThreshold}, detection ≈ ${detection} s) is unhealthy`,
        boundSeconds: EVENTBRIDGE_GLOBAL_ENDPOINT_MAX_SECONDS,
        kind: 'event delivery RTO',
        guaranteed: false,
        qualifier: 'AWS stated',
        source: `EventBridge user guide, eb-global-endpoints: "${EVENTBRIDGE_RTO_RPO_QUOTE}" (typical ${EVENTBRIDGE_GLOBAL_ENDPOINT_TYPICAL_SECONDS} s; our health check detects faster than the prescribed 5-minute alarm, the AWS figure stays the stated bound)`,
      },
      {
        component: 'Events stranded in the failed region',
        mechanism:
          'Events accepted by the failed region\'s bus but not yet replicated stay there until it recovers (replication is asynchronous); the other region\'s archive lacks them, the failed region\'s archive has them once it is back',
        boundSeconds: EVENTBRIDGE_GLOBAL_ENDPOINT_MAX_SECONDS,
        kind: 'event RPO',
        guaranteed: false,
        qualifier: 'AWS stated',
        source: `EventBridge user guide, eb-global-endpoints (RPO ${EVENTBRIDGE_GLOBAL_ENDPOINT_TYPICAL_SECONDS} s, at most ${EVENTBRIDGE_GLOBAL_ENDPOINT_MAX_SECONDS} s); closed by re-driving the outbox window (RUNBOOK "Replaying payment events")`,
      },
      {
        component: 'Transactional outbox',
        mechanism: `The event row commits with its payment; a failed or skipped send is retried by the sweep every ${design.sweepIntervalMinutes} min with backoff (5 s doubling to 300 s), forever. Events of committed payments are delayed, never lost; an event is lost only together with its payment, within the payment RPO`,
        boundSeconds: design.auroraGlobalDbRpoSeconds,
        kind: 'event RPO',
        guaranteed: true,
        source: 'lambdas/shared/outbox.ts; Aurora rds.global_db_rpo (the payment RPO)',
      },
      {
        component: 'Outbox retry delay',
        mechanism: `Once the endpoint answers again, a failed row is due within the 300 s backoff cap and sent by the next sweep (every ${design.sweepIntervalMinutes * 60} s); a sweep sends for at most 40 s, so a backlog larger than that takes further runs`,
        boundSeconds: 300 + design.sweepIntervalMinutes * 60,
        kind: 'delay',
        guaranteed: false,
        qualifier: 'typical',
        source: 'lambdas/shared/outbox.ts (retryDelaySeconds), events.sweepIntervalMinutes',
      },
    ],
    notes: [
      'Every event carries a stable id in detail.eventId (derived from the payment id). EventBridge assigns a new top-level id per PutEvents, per replica and per replay: consumers deduplicate on detail.eventId.',
      'With replication enabled every event reaches both buses, so each region\'s queue receives every event: a consumer reads one region\'s queue (or both, deduplicating).',
      'A payment published from the old region within the last rds.global_db_rpo seconds before an unplanned failover may be lost from the database while its event was delivered: reconcile detail.eventId against payments after a failover (RUNBOOK).',
      `Replay: each bus has an archive kept ${design.archiveRetentionDays} days; StartReplay re-delivers a time window to the bus's rules. Gaps the surviving archive cannot cover (events stranded in the failed region) are closed by re-driving the outbox rows sent in the window (same event ids).`,
      `Consumer queues keep messages ${design.queueRetentionSeconds} s; failed receives move to the DLQ, failed deliveries go to the DLQ after EventBridge's 24 h of retries.`,
    ],
  };
}

export function renderEventPathMarkdown(section: EventPathSection): string[] {
  return [
    '## Payment events',
    '',
    'The outbox decouples payments from their events: these bounds delay events, they do not affect the payment RTO/RPO above.',
    '',
    '| component | mechanism | bound | kind | source |',
    '|---|---|---|---|---|',
    ...section.bounds.map(
      (b) => `| ${b.component} | ${b.mechanism} | ${b.boundSeconds} s${b.guaranteed ? '' : ` (${b.qualifier ?? 'not guaranteed'})`} | ${b.kind} | ${b.source} |`,
    ),
    '',
    ...section.notes.map((n) => `- ${n}`),
    '',
  ];
}
