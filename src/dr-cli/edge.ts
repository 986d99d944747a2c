import {
  DescribeEndpointGroupCommand,
  UpdateEndpointGroupCommand,
  type GlobalAcceleratorClient,
} from '@aws-sdk/client-global-accelerator';
import { withDeadline } from './deps';
import { errorText, isUnreachable } from './aws';
import type { Ctx } from './context';
import type { Role, StackOutputs } from './outputs';

/**
 * The static-IP edge in the DR CLI (config `edge.mode: "accelerator"`): the traffic dials and endpoint health of
 * the accelerator's endpoint groups, for `status`, and moving the dials to the active site at the end of
 * `switchover` and `failover` (and of a failback, which is a switchover back).
 *
 * The Global Accelerator API is served from us-west-2 only (GA Developer Guide: "you must specify the US West
 * (Oregon) Region to create, update, or otherwise work with accelerators"). When us-west-2 is the impaired region
 * the dials cannot change, and the operation does not fail for it: its essential steps (the Aurora promotion and
 * the designation of the active site) do not touch Global Accelerator, and traffic still moves because Global
 * Accelerator ignores the dials when the dialed group has no healthy endpoint ("How failover works for unhealthy
 * endpoints"): the old site's ALB reports unhealthy once it is no longer the active site, the promoted site's
 * reports healthy, so traffic reaches the promoted site with the dials unchanged. The command says so and prints
 * the exact command to set the dials once us-west-2 answers again.
 */

export const GA_API_REGION = 'us-west-2';

export type EndpointHealth = 'HEALTHY' | 'UNHEALTHY' | 'INITIAL' | 'UNKNOWN';

export interface EdgeGroupView {
  readonly role: Role;
  readonly region: string;
  readonly arn: string;
  readonly trafficDial: number;
  readonly endpoints: readonly { readonly id: string; readonly health: EndpointHealth; readonly reason?: string; readonly weight?: number }[];
}

/** Per endpoint group: its view, or the error (`unreachable` when the API gave no answer within the deadline). */
export type EdgeStatus = Record<Role, EdgeGroupView | { readonly error: string; readonly unreachable?: boolean }>;

export interface DialChange {
  readonly role: Role;
  readonly from?: number;
  readonly to: number;
  /** `set`: changed now; `unchanged`: already there; `failed`: the call failed (see `error`). */
  readonly outcome: 'set' | 'unchanged' | 'failed';
  readonly error?: string;
}

export interface EdgeDialResult {
  /** Every dial is where it should be. */
  readonly ok: boolean;
  readonly active: Role;
  readonly changes: readonly DialChange[];
  /** What the operator reads: done, or why not, what still moves traffic, and the command to finish it. */
  readonly message: string;
}

function client(ctx: Ctx): GlobalAcceleratorClient {
  const c = ctx.deps.aws.globalAccelerator;
  if (!c) throw new Error('no Global Accelerator client configured');
  return c;
}

const ROLES: readonly Role[] = ['primary', 'dr'];

/** The dial each site should have: 100 on the active one, 0 on the other (as the stack sets them from `activeRegion`). */
export function targetDials(active: Role): Record<Role, number> {
  return { primary: active === 'primary' ? 100 : 0, dr: active === 'dr' ? 100 : 0 };
}

async function describeGroup(ctx: Ctx, role: Role, arn: string): Promise<EdgeGroupView> {
  const out = await client(ctx).send(new DescribeEndpointGroupCommand({ EndpointGroupArn: arn }));
  const g = out.EndpointGroup;
  if (!g) throw new Error(`endpoint group ${arn} not found`);
  return {
    role,
    region: g.EndpointGroupRegion ?? ctx.outputs[role].region,
    arn,
    trafficDial: g.TrafficDialPercentage ?? 100,
    endpoints: (g.EndpointDescriptions ?? []).map((e) => ({
      id: e.EndpointId ?? '?',
      health: (e.HealthState as EndpointHealth | undefined) ?? 'UNKNOWN',
      ...(e.HealthReason ? { reason: e.HealthReason } : {}),
      ...(e.Weight !== undefined ? { weight: e.Weight } : {}),
    })),
  };
}

/** The dials and endpoint health of both endpoint groups; each group fails on its own. */
export async function edgeStatus(ctx: Ctx, deadlineMs?: number): Promise<EdgeStatus | undefined> {
  const edge = ctx.outputs.edge;
  if (!edge) return undefined;
  const read = async (role: Role) => {
    try {
      const view = describeGroup(ctx, role, edge.endpointGroupArns[role]);
      return await (deadlineMs === undefined ? view : withDeadline(view, deadlineMs, `DescribeEndpointGroup (${GA_API_REGION})`));
    } catch (e) {
      return { error: `Global Accelerator API (${GA_API_REGION}): ${errorText(e)}`, ...(isUnreachable(e) ? { unreachable: true } : {}) };
    }
  };
  const [primary, dr] = await Promise.all([read('primary'), read('dr')]);
  return { primary, dr };
}

function failedGroup(g: EdgeStatus[Role]): g is { readonly error: string } {
  return 'error' in g;
}

/** Status table rows: one per site, its dial and its endpoints' health. */
export function edgeRows(status: EdgeStatus | undefined, o: StackOutputs): string[][] {
  if (!status) return [];
  return ROLES.map((role) => {
    const g: EdgeStatus[Role] = status[role];
    if (failedGroup(g)) return ['edge dial', o[role].region, 'unreachable' in g && g.unreachable ? 'UNREACHABLE' : 'ERROR', g.error];
    const health = g.endpoints.map((e) => `${e.health}${e.reason ? ` (${e.reason})` : ''}`).join(', ') || 'no endpoint';
    return ['edge dial', g.region, `${g.trafficDial}%`, `${role} endpoint group: ALB ${health}`];
  });
}

/** Errors for the status summary. */
export function edgeErrors(status: EdgeStatus | undefined): string[] {
  if (!status) return [];
  return ROLES.flatMap((role) => (failedGroup(status[role]) ? [`edge ${role}: ${(status[role] as { error: string }).error}`] : []));
}

/** Which site the dials send traffic to, and a warning when that is not the writer. */
export function edgeSummary(status: EdgeStatus | undefined, writer: Role | 'unknown'): string[] {
  if (!status || ROLES.some((r) => failedGroup(status[r]))) return [];
  const dials = status as Record<Role, EdgeGroupView>;
  const dialed = ROLES.filter((r) => dials[r].trafficDial > 0);
  const lines = [`Edge dials: primary ${dials.primary.trafficDial}%, dr ${dials.dr.trafficDial}%.`];
  if (writer !== 'unknown' && !(dialed.length === 1 && dialed[0] === writer)) {
    lines.push(
      `WARNING: the accelerator's dials do not point at the writer (${writer}); health-based failover still avoids an unhealthy site, but set them: npm run dr -- switchover/failover end by setting them, or ${dialCommand(writer, dials[writer].arn, 100)}`,
    );
  }
  return lines;
}

function dialCommand(role: Role, arn: string, dial: number): string {
  return `aws globalaccelerator update-endpoint-group --region ${GA_API_REGION} --endpoint-group-arn ${arn} --traffic-dial-percentage ${dial}  # ${role}`;
}

/**
 * Sets the dials for `active`: the new active group up to 100 first, then the other down to 0, so no moment has
 * both groups dialed to 0. Idempotent: a group already at its dial is not updated. Never throws: a failure is
 * reported with what still moves traffic and the commands that finish the job.
 */
export async function setTrafficDials(ctx: Ctx, active: Role): Promise<EdgeDialResult | undefined> {
  const edge = ctx.outputs.edge;
  if (!edge) return undefined;
  const target = targetDials(active);
  const order: Role[] = [active, active === 'primary' ? 'dr' : 'primary'];
  const changes: DialChange[] = [];
  for (const role of order) {
    const arn = edge.endpointGroupArns[role];
    let from: number | undefined;
    try {
      from = (await describeGroup(ctx, role, arn)).trafficDial;
      if (from === target[role]) {
        changes.push({ role, from, to: target[role], outcome: 'unchanged' });
        continue;
      }
      await client(ctx).send(new UpdateEndpointGroupCommand({ EndpointGroupArn: arn, TrafficDialPercentage: target[role] }));
      changes.push({ role, from, to: target[role], outcome: 'set' });
    } catch (e) {
      changes.push({ role, ...(from !== undefined ? { from } : {}), to: target[role], outcome: 'failed', error: errorText(e) });
    }
  }
  const failed = changes.filter((c) => c.outcome === 'failed');
  const described = changes.map((c) => `${c.role} ${c.outcome === 'unchanged' ? `${c.to}% (already)` : c.outcome === 'set' ? `${c.from ?? '?'}% → ${c.to}%` : `NOT SET (${c.error})`}`).join(', ');
  if (failed.length === 0) {
    return { ok: true, active, changes, message: `edge: traffic dials follow ${active} (${described})` };
  }
  const message = [
    `edge: the traffic dials could not all be set (${described}). The Global Accelerator API is served from ${GA_API_REGION} only.`,
    `This does not undo the operation: traffic reaches ${active} by Global Accelerator's health-based failover, which ignores the dials while the other site's endpoint is unhealthy (it answers /health with 503 once it is not the active site).`,
    'Set the dials once the API answers again:',
    ...failed.map((c) => `  ${dialCommand(c.role, edge.endpointGroupArns[c.role], c.to)}`),
  ].join('\n');
  return { ok: false, active, changes, message };
}
