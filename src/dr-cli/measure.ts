import { errorText } from './aws';
import type { HttpClient } from './deps';
import type { Attempt } from './traffic';

/**
 * What the drill measures from the client's side: RTO from the fault to the first payment acknowledged through
 * the public name after the outage, and RPO as the acknowledged payments the new writer no longer has.
 */

export interface RtoResult {
  readonly verdict: 'recovered' | 'no-outage' | 'not-recovered';
  /** The fault: FIS injection start, or the promotion command when nothing was injected. */
  readonly faultAt: string;
  /** First failed payment (answer or error) at or after the fault. */
  readonly firstFailureAt?: string;
  /** Answer of the first 2xx, sent after the first failure, from the new writer's region. */
  readonly recoveredAt?: string;
  readonly rtoMs?: number;
  readonly recoveryPayment?: { readonly idempotencyKey: string; readonly paymentId?: string; readonly region?: string };
  /** Last failed payment after the fault: later than `recoveredAt` means the service flapped after it came back. */
  readonly lastFailureAt?: string;
  readonly failuresAfterFault: number;
}

/**
 * RTO from the client's side. The outage starts with the first failure answered at or after `faultAt`; recovery is
 * the first acknowledged payment *sent* after that failure was sent, accepted by `targetRegion` when the answer
 * names a region (so a late answer from the old writer is not taken for recovery).
 */
export function measureRto(attempts: readonly Attempt[], faultAt: number, targetRegion?: string): RtoResult {
  const iso = (ms: number) => new Date(ms).toISOString();
  const failures = attempts.filter((a) => a.outcome !== 'ok' && a.doneAt >= faultAt).sort((a, b) => a.doneAt - b.doneAt);
  if (failures.length === 0) {
    return { verdict: 'no-outage', faultAt: iso(faultAt), rtoMs: 0, failuresAfterFault: 0 };
  }
  const first = failures[0];
  const last = failures[failures.length - 1];
  const recovery = attempts
    .filter((a) => a.outcome === 'ok' && a.sentAt >= first.sentAt && a.doneAt >= first.doneAt)
    .filter((a) => !targetRegion || a.region === undefined || a.region === targetRegion)
    .sort((a, b) => a.doneAt - b.doneAt)[0];
  const common = { faultAt: iso(faultAt), firstFailureAt: iso(first.doneAt), lastFailureAt: iso(last.doneAt), failuresAfterFault: failures.length };
  if (!recovery) return { verdict: 'not-recovered', ...common };
  return {
    verdict: 'recovered',
    ...common,
    recoveredAt: iso(recovery.doneAt),
    rtoMs: recovery.doneAt - faultAt,
    recoveryPayment: {
      idempotencyKey: recovery.idempotencyKey,
      ...(recovery.paymentId ? { paymentId: recovery.paymentId } : {}),
      ...(recovery.region ? { region: recovery.region } : {}),
    },
  };
}

export interface LostPayment {
  readonly idempotencyKey: string;
  readonly paymentId?: string;
  readonly acknowledgedAt: string;
  readonly acceptedBy?: string;
  readonly detail: string;
}

export interface RpoResult {
  readonly acknowledged: number;
  readonly checked: number;
  readonly found: number;
  /** Acknowledged (2xx) and missing from the new writer (404): written, confirmed to the client, lost. */
  readonly missing: readonly LostPayment[];
  /** Found under the id, but holding another idempotency key than the one that created it. */
  readonly mismatched: readonly LostPayment[];
  /** Could not be read (no 2xx or 404 after the retries). */
  readonly unknown: readonly LostPayment[];
  /** Acknowledged without a payment id in the answer: not checkable. */
  readonly withoutId: number;
  /** Acknowledgement time of the oldest and newest payment missing: the client-side loss window. */
  readonly lossWindow?: { readonly from: string; readonly to: string };
}

export interface VerifyOptions {
  readonly http: HttpClient;
  readonly domain: string;
  readonly apiKey: string;
  readonly requestTimeoutMs: number;
  /** Reads in flight at most. @default 8 */
  readonly concurrency?: number;
  /** Reads of one payment before it counts as unknown. @default 3 */
  readonly tries?: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly retryDelayMs?: number;
}

/**
 * RPO from the client's side: every acknowledged payment is read back through the public name (GET
 * /payments/{id}, answered by the new writer's region) and matched to the idempotency key that created it (the
 * drill sends the key as the payment's reference). GET is read-only: re-sending a POST with the key would
 * re-create a lost payment and hide the loss.
 */
export async function verifyAcknowledged(attempts: readonly Attempt[], o: VerifyOptions): Promise<RpoResult> {
  const acked = attempts.filter((a) => a.outcome === 'ok');
  const checkable = acked.filter((a) => a.paymentId);
  const missing: LostPayment[] = [];
  const mismatched: LostPayment[] = [];
  const unknown: LostPayment[] = [];
  let found = 0;
  const lost = (a: Attempt, detail: string): LostPayment => ({
    idempotencyKey: a.idempotencyKey,
    ...(a.paymentId ? { paymentId: a.paymentId } : {}),
    acknowledgedAt: new Date(a.doneAt).toISOString(),
    ...(a.region ? { acceptedBy: a.region } : {}),
    detail,
  });

  const readOne = async (a: Attempt): Promise<void> => {
    let last = '';
    for (let i = 0; i < (o.tries ?? 3); i++) {
      if (i > 0) await o.sleep(o.retryDelayMs ?? 1000);
      try {
        const res = await o.http({
          method: 'GET',
          url: `https://${o.domain}/payments/${encodeURIComponent(a.paymentId!)}`,
          headers: { 'x-api-key': o.apiKey, Accept: 'application/json' },
          timeoutMs: o.requestTimeoutMs,
        });
        if (res.status === 404) {
          missing.push(lost(a, 'HTTP 404 from the new writer'));
          return;
        }
        if (res.status >= 200 && res.status < 300) {
          let reference: unknown;
          try {
            reference = (JSON.parse(res.body) as Record<string, unknown>).reference;
          } catch {
            reference = undefined;
          }
          if (reference === a.idempotencyKey) found += 1;
          else mismatched.push(lost(a, `found, but its reference is ${JSON.stringify(reference)}, not the idempotency key`));
          return;
        }
        last = `HTTP ${res.status}`;
      } catch (e) {
        last = errorText(e);
      }
    }
    unknown.push(lost(a, `not readable after ${o.tries ?? 3} tries (${last})`));
  };

  // A small worker pool: bounded reads in flight whatever the number of payments.
  let next = 0;
  const worker = async () => {
    while (next < checkable.length) await readOne(checkable[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(o.concurrency ?? 8, Math.max(1, checkable.length)) }, worker));

  const byAck = (x: LostPayment, y: LostPayment) => x.acknowledgedAt.localeCompare(y.acknowledgedAt);
  missing.sort(byAck);
  mismatched.sort(byAck);
  unknown.sort(byAck);
  return {
    acknowledged: acked.length,
    checked: checkable.length,
    found,
    missing,
    mismatched,
    unknown,
    withoutId: acked.length - checkable.length,
    ...(missing.length ? { lossWindow: { from: missing[0].acknowledgedAt, to: missing[missing.length - 1].acknowledgedAt } } : {}),
  };
}
