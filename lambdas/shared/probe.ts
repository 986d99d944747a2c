/**
 * Synthetic probe payments: the automatic failover controller proves that the new active site takes writes through
 * the public name (API Gateway or the ALB, the payment function, its fences, the new Aurora writer) without moving
 * money.
 *
 * A probe is an ordinary `POST /payments` plus the header `X-Synthetic-Probe: <token>`, where the token is
 * HMAC-SHA256 with the probe key (a secret only the controllers and the payment functions may read) over a
 * versioned message binding it to the request's Idempotency-Key and the sha256 of its exact body. The payment
 * function checks the token itself (constant time), so a normal client, which holds only the API key, cannot mark a
 * payment synthetic; a captured token replays only the same request, which the idempotency key turns into a replay
 * of the same synthetic row. The probe key never travels: only the HMAC does.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const SYNTHETIC_PROBE_HEADER = 'X-Synthetic-Probe';
/** The merchant id the controller's probes use (the flag, not the merchant, is what excludes them). */
export const PROBE_MERCHANT_ID = 'dr-probe';
const MESSAGE_VERSION = 'payments-synthetic-probe/v1';

function message(idempotencyKey: string, body: string): string {
  return `${MESSAGE_VERSION}\n${idempotencyKey}\n${createHash('sha256').update(body, 'utf8').digest('hex')}`;
}

/** The token for one request (hex). */
export function probeToken(probeKey: string, idempotencyKey: string, body: string): string {
  return createHmac('sha256', probeKey).update(message(idempotencyKey, body), 'utf8').digest('hex');
}

/** Whether `token` is the probe token of this request under `probeKey`; constant time, false on any malformed input. */
export function verifyProbeToken(probeKey: string, idempotencyKey: string, body: string, token: string): boolean {
  if (probeKey === '' || !/^[0-9a-f]{64}$/.test(token)) return false;
  const expected = Buffer.from(probeToken(probeKey, idempotencyKey, body), 'hex');
  return timingSafeEqual(expected, Buffer.from(token, 'hex'));
}
