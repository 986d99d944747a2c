/**
 * The control-plane names the prober, the failover controller and the DR CLI share (CONTRACTS.md): SSM
 * parameters under `/<prefix>/<suffix>-control/` in each region, and the shape of the automatic run record.
 * Only this region's parameters are ever read by a Lambda (no cross-region call on the read path).
 */

export type Site = 'primary' | 'dr';

export const otherSite = (s: Site): Site => (s === 'primary' ? 'dr' : 'primary');

/** Parameter names under a control path such as `/pay/dev-control`. */
export function controlParameters(controlPath: string) {
  const base = controlPath.replace(/\/+$/, '');
  return {
    /** `primary` | `dr`: the active site (CONTRACTS.md). */
    activeSite: `${base}/active-site`,
    /** `enabled` | `disabled`: the automatic failover kill switch (one per region: each region has a controller). */
    autoFailover: `${base}/auto-failover`,
    /** JSON {@link OperationLock} or `none`: a DR operation or deploy in progress. */
    operationInProgress: `${base}/operation-in-progress`,
    /** JSON {@link RunRecord}: the last automatic run, rewritten at every step (history keeps the versions). */
    lastRun: `${base}/auto-failover-last-run`,
    /** JSON {@link ProberState}: the prober's streak of failed probes, so it survives a new execution environment. */
    proberState: `${base}/prober-state`,
  };
}

export const KILL_SWITCH_ENABLED = 'enabled';
export const KILL_SWITCH_DISABLED = 'disabled';

/** Written by the DR CLI and the deploy workflow while they change the platform. */
export interface OperationLock {
  readonly operation: string;
  readonly by?: string;
  readonly since: string;
  /** The lock expires by itself after this time (a crashed operation does not block failover forever). */
  readonly until: string;
}

export interface ProberState {
  /** Consecutive failed probes of the other site. */
  readonly streak: number;
  readonly lastProbeAt: string;
  /** When this streak started the controller (started once per streak). */
  readonly triggeredAt?: string;
}

export type StepStatus = 'ok' | 'failed' | 'skipped' | 'refused';

export interface StepRecord {
  readonly step: string;
  readonly status: StepStatus;
  readonly at: string;
  readonly detail?: string;
}

/** The durable record of one automatic run (plus the Step Functions execution history). */
export interface RunRecord {
  readonly runId: string;
  /** The execution ARN (history, inputs and outputs of every state). */
  readonly executionArn?: string;
  readonly from: Site;
  readonly to: Site;
  readonly startedAt: string;
  readonly outcome: 'running' | 'refused' | 'nothing-to-do' | 'completed' | 'failed';
  readonly completedAt?: string;
  /** The last Aurora replication lag seen before the failover (ms), null when unknown. */
  readonly lastReplicationLagMs?: number | null;
  readonly evidence?: unknown;
  readonly steps: readonly StepRecord[];
}
