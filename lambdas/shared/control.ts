/**
 * The control-plane values the prober, the failover controller and the DR CLI share (names: lambdas/shared/parameter-names.ts): the SSM
 * parameters under `/<prefix>/<suffix>-control/` in each region (names: parameter-names.ts), their values and
 * the shape of the automatic run record.
 * Only this region's parameters are ever read by a Lambda (no cross-region call on the read path).
 */

export type Site = 'primary' | 'dr';

export const otherSite = (s: Site): Site => (s === 'primary' ? 'dr' : 'primary');

/** Parameter names under a control path such as `/pay/dev-control` (the contract, parameter-names.ts). */
export { controlParameters } from './parameter-names';

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
