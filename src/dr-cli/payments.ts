import { errorText } from './aws';
import type { HttpClient } from './deps';

/** The drill's test payments, through the public API name (so they follow DNS like real clients). */

export interface PaymentCall {
  readonly ok: boolean;
  readonly status?: number;
  /** Payment id from the response body (`id`, `paymentId` or `payment.id`). */
  readonly id?: string;
  readonly error?: string;
}

export interface PaymentApi {
  readonly http: HttpClient;
  readonly domain: string;
  /** Sent as `Authorization: Bearer <token>` (DR_DRILL_TOKEN). */
  readonly token: string;
  /** Sent as `x-api-key` when set (DR_DRILL_API_KEY): the stack's REST APIs require an API key. */
  readonly apiKey?: string;
  /** @default 10 s */
  readonly timeoutMs?: number;
}

function paymentIdOf(body: string): string | undefined {
  try {
    const j = JSON.parse(body) as Record<string, unknown>;
    const nested = j.payment as Record<string, unknown> | undefined;
    const id = j.id ?? j.paymentId ?? nested?.id;
    return typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
  } catch {
    return undefined;
  }
}

const headers = (api: PaymentApi): Record<string, string> => ({
  Authorization: `Bearer ${api.token}`,
  ...(api.apiKey ? { 'x-api-key': api.apiKey } : {}),
  Accept: 'application/json',
});

/**
 * The test payment: 1.00 USD (minor units) for merchant `drill`. The field is `reference`, as the payment handler's
 * strict schema (lambdas/payment-processor) requires; an unknown field such as `paymentReference` is rejected.
 */
export const testPaymentBody = (reference: string) => ({ amount: 100, currency: 'USD', merchantId: 'drill', reference });

const short = (body: string) => body.replace(/\s+/g, ' ').slice(0, 200);

/** POST /payments: retries of one logical payment reuse its Idempotency-Key. */
export async function createTestPayment(api: PaymentApi, idempotencyKey: string, paymentReference: string): Promise<PaymentCall> {
  try {
    const res = await api.http({
      method: 'POST',
      url: `https://${api.domain}/payments`,
      headers: { ...headers(api), 'Content-Type': 'application/json', 'Idempotency-Key': idempotencyKey },
      body: JSON.stringify(testPaymentBody(paymentReference)),
      timeoutMs: api.timeoutMs ?? 10_000,
    });
    if (res.status >= 200 && res.status < 300) {
      const id = paymentIdOf(res.body);
      return id ? { ok: true, status: res.status, id } : { ok: true, status: res.status, error: 'response has no payment id' };
    }
    return { ok: false, status: res.status, error: `HTTP ${res.status}: ${short(res.body)}` };
  } catch (e) {
    return { ok: false, error: errorText(e) };
  }
}

/** GET /payments/{id}: found (2xx), missing (404) or unknown (anything else). */
export async function readPayment(api: PaymentApi, id: string): Promise<{ found: boolean | undefined; status?: number; error?: string }> {
  try {
    const res = await api.http({
      method: 'GET',
      url: `https://${api.domain}/payments/${encodeURIComponent(id)}`,
      headers: headers(api),
      timeoutMs: api.timeoutMs ?? 10_000,
    });
    if (res.status >= 200 && res.status < 300) return { found: true, status: res.status };
    if (res.status === 404) return { found: false, status: 404 };
    return { found: undefined, status: res.status, error: `HTTP ${res.status}: ${short(res.body)}` };
  } catch (e) {
    return { found: undefined, error: errorText(e) };
  }
}
