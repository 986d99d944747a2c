import { describeGlobalCluster, errorText, type GlobalClusterView } from './aws';
import { tell, type Ctx } from './context';
import { clusterSummary, describeWriter, switchComplete } from './decisions';
import { formatDuration, iso } from './format';
import { Progress } from './progress';
import type { RegionSite } from './outputs';

export interface WaitOptions {
  readonly target: RegionSite;
  /** Used in messages: "switchover" or "failover". */
  readonly operation: string;
  readonly requestedAt: number;
  readonly timeoutMs: number;
  readonly pollMs: number;
  /** The state read before the request, reported if no poll succeeds. */
  readonly before?: GlobalClusterView;
  /** Consecutive failed polls tolerated before giving up. @default 3 */
  readonly maxPollErrors?: number;
}

export type WaitResult =
  | { readonly outcome: 'completed'; readonly completedAt: number; readonly view: GlobalClusterView }
  | {
      readonly outcome: 'timeout' | 'poll-error';
      readonly lastView?: GlobalClusterView;
      readonly lastError?: string;
      /** What to tell the operator: when it was requested, what was last seen, what to run. */
      readonly message: string;
    };

/**
 * Polls DescribeGlobalClusters (in the target's region, the one that must survive) until the target writes and
 * the global cluster is available again. Never throws: a timeout or repeated poll errors come back as a result
 * saying what state the system was last seen in.
 */
export async function waitForWriter(ctx: Ctx, w: WaitOptions): Promise<WaitResult> {
  const { deps, outputs } = ctx;
  const rds = deps.aws.inRegion(w.target.region).rds;
  const progress = new Progress(deps.stderr, deps.now, `${w.operation} to ${w.target.role} (${w.target.region})`, w.timeoutMs);
  const maxErrors = w.maxPollErrors ?? 3;
  let lastView: GlobalClusterView | undefined = w.before;
  let lastError: string | undefined;
  let errors = 0;
  const stopped = (outcome: 'timeout' | 'poll-error', why: string): WaitResult => {
    const message =
      `${w.operation} requested at ${iso(w.requestedAt)}; ${why}; last observed writer: ${describeWriter(lastView, outputs)}` +
      (lastView ? ` (global cluster ${lastView.status}${lastView.failoverState?.status ? `, ${lastView.failoverState.status}` : ''})` : '') +
      `. Aurora carries on with the ${w.operation} on its own; run \`npm run dr -- status\` to see where it is.`;
    progress.done(outcome === 'timeout' ? 'timed out' : 'stopped polling');
    return { outcome, lastView, lastError, message };
  };

  for (;;) {
    try {
      lastView = await describeGlobalCluster(rds, outputs.globalClusterId);
      errors = 0;
      if (switchComplete(lastView, w.target)) {
        const completedAt = deps.now();
        progress.done(`complete: ${clusterSummary(lastView, outputs)} (${formatDuration(completedAt - w.requestedAt)})`);
        return { outcome: 'completed', completedAt, view: lastView };
      }
      progress.update(clusterSummary(lastView, outputs));
    } catch (e) {
      errors += 1;
      lastError = errorText(e);
      progress.update(`poll failed (${errors}/${maxErrors}): ${lastError}`);
      if (errors >= maxErrors) {
        return stopped('poll-error', `polling the global cluster failed ${errors} times in a row (last error: ${lastError})`);
      }
    }
    const elapsed = deps.now() - w.requestedAt;
    if (elapsed >= w.timeoutMs) {
      return stopped('timeout', `not complete after ${formatDuration(elapsed)} (--timeout ${formatDuration(w.timeoutMs)})`);
    }
    await deps.sleep(Math.min(w.pollMs, w.timeoutMs - elapsed));
  }
}

export function reportWaitFailure(ctx: Ctx, r: Exclude<WaitResult, { outcome: 'completed' }>): void {
  tell(ctx, `FAILED: ${r.message}`);
}
