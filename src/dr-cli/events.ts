import { DescribeEndpointCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { errorText, latestMetrics, type HealthCheckView, type MetricQuery, type MetricSample } from './aws';
import type { Ctx } from './context';
import { DEFAULT_CALL_LIMITS, withDeadline } from './deps';
import { formatDuration } from './format';
import type { Role } from './outputs';
import type { StackOutputName } from '../contracts/stack-outputs';

/**
 * The payment-event path in `status` (issue #19): the EventBridge global endpoint (state, replication, where it
 * routes now) and the outbox backlog each region's sweep reports (metrics `OutboxUnsent` and
 * `OutboxOldestUnsentAgeSeconds`, namespace PaymentsDR, published every sweep from that region's view of the
 * database). Its outputs are optional: an outputs file of a stack without payment events shows no event rows.
 */

type Checked<T> = T | { readonly error: string };
const failed = (c: unknown): c is { readonly error: string } => typeof c === 'object' && c !== null && 'error' in c;

/** The stack outputs this section reads (src/contracts/stack-outputs.ts). */
export interface EventsOutputs {
  readonly busName: string;
  readonly endpointName: string;
  /** Where the endpoint lives: the active site at deploy time, the endpoint's primary. */
  readonly endpointRegion: string;
}

export interface EndpointView {
  readonly name: string;
  readonly region: string;
  readonly state: string;
  readonly stateReason?: string;
  readonly replication: string;
  /** The region the endpoint fails over to. */
  readonly secondaryRegion?: string;
}

export interface EventsStatus {
  readonly endpoint: Checked<EndpointView>;
  /** Where PutEvents go now: the endpoint's region while its health check passes, else the secondary. */
  readonly routesTo: { readonly region: string | 'unknown'; readonly basis: string };
  readonly backlog: Record<Role, Checked<{ readonly region: string; readonly unsent: MetricSample | null; readonly oldestAge: MetricSample | null }>>;
}

const NAMES = {
  busName: 'payment-events-bus-name',
  endpointName: 'payment-events-endpoint-name',
  endpointRegion: 'payment-events-endpoint-region',
} as const satisfies Record<string, StackOutputName>;

/** Finds our outputs in either outputs-file format (flat `terraform output -json`, or nested by stack). */
export function readEventsOutputs(json: unknown): EventsOutputs | undefined {
  const found: Record<string, unknown> = {};
  const wanted = Object.values(NAMES) as string[];
  const walk = (v: unknown, depth: number) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v) || depth > 5) return;
    for (const [k, raw] of Object.entries(v)) {
      if (wanted.includes(k) && !(k in found)) {
        found[k] = typeof raw === 'object' && raw !== null && 'value' in raw ? (raw as { value: unknown }).value : raw;
      } else walk(raw, depth + 1);
    }
  };
  walk(json, 0);
  const values = Object.fromEntries(Object.entries(NAMES).map(([field, name]) => [field, found[name]]));
  return Object.values(values).every((v) => typeof v === 'string' && v !== '') ? (values as unknown as EventsOutputs) : undefined;
}

const clients = new Map<string, EventBridgeClient>();
/** A client per region with the limits of the other DR CLI clients (deps.ts AwsCallLimits): a failed region fails fast. */
function eventBridgeIn(region: string): EventBridgeClient {
  let c = clients.get(region);
  if (!c) {
    const l = DEFAULT_CALL_LIMITS;
    c = new EventBridgeClient({
      region,
      maxAttempts: l.maxAttempts,
      requestHandler: { connectionTimeout: l.connectionTimeoutMs, requestTimeout: l.requestTimeoutMs, throwOnRequestTimeout: true },
    });
    clients.set(region, c);
  }
  return c;
}

export async function describeEndpoint(eb: EventBridgeClient, name: string, region: string): Promise<EndpointView> {
  const out = await eb.send(new DescribeEndpointCommand({ Name: name }));
  return {
    name,
    region,
    state: out.State ?? 'unknown',
    stateReason: out.StateReason,
    replication: out.ReplicationConfig?.State ?? 'unknown',
    secondaryRegion: out.RoutingConfig?.FailoverConfig?.Secondary?.Route,
  };
}

const backlogQueries: MetricQuery[] = [
  { id: 'outboxunsent', namespace: 'PaymentsDR', metric: 'OutboxUnsent', dimensions: { service: 'outbox-sweep' }, stat: 'Maximum' },
  { id: 'outboxage', namespace: 'PaymentsDR', metric: 'OutboxOldestUnsentAgeSeconds', dimensions: { service: 'outbox-sweep' }, stat: 'Maximum' },
];

/**
 * Reads the event path; undefined when the outputs have no payment events. `healthChecks` are the ones `status`
 * already read (by role), so the endpoint's routing costs no extra Route 53 call.
 */
export async function gatherEvents(
  ctx: Ctx,
  healthChecks: Record<Role, Checked<HealthCheckView>>,
  /** Each call answers within this, or its section says so (the status budget). */
  deadlineMs: number = DEFAULT_CALL_LIMITS.callDeadlineMs,
  eventbridge: (region: string) => EventBridgeClient = eventBridgeIn,
): Promise<EventsStatus | undefined> {
  let ev: EventsOutputs | undefined;
  try {
    ev = readEventsOutputs(JSON.parse(ctx.deps.readFile(ctx.outputs.source)));
  } catch {
    ev = undefined;
  }
  if (!ev) return undefined;
  const o = ctx.outputs;
  const sites = [o.primary, o.dr];
  const now = ctx.deps.now();
  const check = async <T>(f: () => Promise<T>): Promise<Checked<T>> => {
    try {
      return await withDeadline(f(), Math.min(deadlineMs, DEFAULT_CALL_LIMITS.callDeadlineMs), 'no answer');
    } catch (e) {
      return { error: errorText(e) };
    }
  };
  const [endpoint, ...backlogs] = await Promise.all([
    check(() => describeEndpoint(eventbridge(ev.endpointRegion), ev.endpointName, ev.endpointRegion)),
    ...sites.map((s) =>
      check(async () => {
        const m = await latestMetrics(ctx.deps.aws.inRegion(s.region).cloudwatch, backlogQueries, now);
        return { region: s.region, unsent: m.outboxunsent, oldestAge: m.outboxage };
      }),
    ),
  ]);

  const active = sites.find((s) => s.region === ev.endpointRegion);
  const passive = sites.find((s) => s.region !== ev.endpointRegion);
  const hc = active ? healthChecks[active.role] : undefined;
  const routesTo =
    !active || !passive || !hc || failed(hc)
      ? { region: 'unknown', basis: `health check of ${ev.endpointRegion} unreadable` }
      : hc.healthy
        ? { region: active.region, basis: `${active.role} health check healthy` }
        : { region: passive.region, basis: `${active.role} health check unhealthy: failed over` };
  // Inferred from the active site's own /health check; the endpoint follows the PRIMARY record's calculated check,
  // which also turns unhealthy when the passive site claims active (a failover): then this says "healthy" only if
  // the old site's check passes again, and the designation rows of `status` show the claim.
  return { endpoint, routesTo, backlog: { primary: backlogs[0], dr: backlogs[1] } };
}

/** Table rows for `status` (COMPONENT, REGION, STATE, DETAIL). */
export function eventsRows(s: EventsStatus): string[][] {
  const rows: string[][] = [];
  const e = s.endpoint;
  if (failed(e)) rows.push(['event endpoint', '-', 'ERROR', `${e.error}; routes to ${s.routesTo.region} (${s.routesTo.basis})`]);
  else {
    const reason = e.stateReason ? ` (${e.stateReason})` : '';
    rows.push([
      'event endpoint',
      e.region,
      e.state,
      `${e.name}${reason}: replication ${e.replication}, secondary ${e.secondaryRegion ?? '?'}, routes to ${s.routesTo.region} (${s.routesTo.basis})`,
    ]);
  }
  for (const role of ['primary', 'dr'] as const) {
    const b = s.backlog[role];
    if (failed(b)) {
      rows.push(['event outbox', '-', 'ERROR', b.error]);
      continue;
    }
    const state = b.unsent === null ? 'no data' : `${b.unsent.value} unsent`;
    const age = b.oldestAge === null ? '' : `oldest unsent ${formatDuration(b.oldestAge.value * 1000)}`;
    rows.push(['event outbox', b.region, state, b.unsent === null ? 'no OutboxUnsent datapoint in 15 min (sweep not running?)' : `${age} at ${b.unsent.at}`]);
  }
  return rows;
}

export function eventsErrors(s: EventsStatus | undefined): string[] {
  if (!s) return [];
  const errs: string[] = [];
  if (failed(s.endpoint)) errs.push(`event endpoint: ${s.endpoint.error}`);
  for (const role of ['primary', 'dr'] as const) {
    const b = s.backlog[role];
    if (failed(b)) errs.push(`event outbox ${role}: ${b.error}`);
  }
  return errs;
}
