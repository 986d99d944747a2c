import { errorText } from './aws';
import type { HttpClient } from './deps';

/**
 * The drill's continuous traffic: a bounded load loop of test payments through the public API name, as a client
 * sees it. Every payment has its own idempotency key (recorded with its outcome), the loop sends at a fixed rate
 * with a cap on requests in flight, samples the client's DNS answer once a second, and stops by itself after its
 * duration (or when `stop()` is called).
 */

export type Outcome = 'ok' | 'http4xx' | 'http5xx' | 'connection';

/** One test payment, as the client saw it. */
export interface Attempt {
  readonly seq: number;
  readonly idempotencyKey: string;
  /** Client clock (ms since the epoch) when the request was sent and when the answer (or the error) came. */
  readonly sentAt: number;
  readonly doneAt: number;
  readonly outcome: Outcome;
  readonly status?: number;
  /** Payment id and accepting region from a 2xx body. */
  readonly paymentId?: string;
  readonly region?: string;
  readonly error?: string;
}

export interface DnsSample {
  readonly at: number;
  /** What the client's resolver answered (CNAME target or addresses), or the error. */
  readonly answer: string;
}

export interface TrafficOptions {
  readonly http: HttpClient;
  /** The public API name (no scheme). */
  readonly domain: string;
  readonly apiKey: string;
  /** Payments per second. */
  readonly ratePerSecond: number;
  readonly durationMs: number;
  /** Requests in flight at most; a tick that finds the cap reached is counted as skipped. */
  readonly maxInFlight: number;
  /** Per-request timeout. */
  readonly requestTimeoutMs: number;
  /** Prefix of every idempotency key (and payment reference): `<prefix>-<seq>`. */
  readonly keyPrefix: string;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** The client's resolver for the API name; sampled once a second. */
  readonly resolve?: (name: string) => Promise<string[]>;
}

export interface TrafficResult {
  readonly startedAt: number;
  readonly stoppedAt: number;
  readonly attempts: readonly Attempt[];
  readonly dns: readonly DnsSample[];
  /** Ticks not sent because `maxInFlight` requests were still waiting. */
  readonly skipped: number;
  readonly stoppedEarly: boolean;
}

/**
 * The test payment: 1.00 USD (minor units) for merchant `drill`, with the idempotency key as its reference, so a
 * payment found later (GET /payments/{id}, or in the database) can be matched to the key that created it.
 */
export const drillPaymentBody = (key: string) => ({ amount: 100, currency: 'USD', merchantId: 'drill', reference: key });

function parseAck(body: string): { id?: string; region?: string; reference?: string } {
  try {
    const j = JSON.parse(body) as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    return { id: str(j.id), region: str(j.region), reference: str(j.reference) };
  } catch {
    return {};
  }
}

export function classify(status: number | undefined): Outcome {
  if (status === undefined) return 'connection';
  if (status >= 200 && status < 300) return 'ok';
  return status >= 500 ? 'http5xx' : 'http4xx';
}

export class TrafficLoop {
  private readonly attempts: Attempt[] = [];
  private readonly dns: DnsSample[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;
  private skipped = 0;
  private seq = 0;
  private done: Promise<TrafficResult> | undefined;

  constructor(private readonly o: TrafficOptions) {
    if (!(o.ratePerSecond > 0) || o.ratePerSecond > 1000) throw new Error(`traffic rate ${o.ratePerSecond}/s must be in (0, 1000]`);
    if (!(o.maxInFlight >= 1)) throw new Error(`maxInFlight ${o.maxInFlight} must be at least 1`);
  }

  /** Starts the loop; the promise settles once the duration is over (or `stop()`) and every request has ended. */
  start(): Promise<TrafficResult> {
    this.done ??= this.run();
    return this.done;
  }

  /** Ends the loop early (abort, or a failed drill); requests in flight still finish. */
  stop(): void {
    this.stopped = true;
  }

  /** The attempts so far (a snapshot), for decisions while the loop runs. */
  get sofar(): readonly Attempt[] {
    return [...this.attempts];
  }

  private async run(): Promise<TrafficResult> {
    const { o } = this;
    const startedAt = o.now();
    const end = startedAt + o.durationMs;
    const interval = 1000 / o.ratePerSecond;
    let nextSend = startedAt;
    let nextDns = startedAt;
    const dnsTasks: Promise<void>[] = [];
    while (!this.stopped && o.now() < end) {
      const now = o.now();
      if (o.resolve && now >= nextDns) {
        dnsTasks.push(this.sampleDns(now));
        nextDns += 1000;
      }
      // Catch up on missed ticks without bursting more than the in-flight cap allows.
      while (nextSend <= now && nextSend < end) {
        if (this.inFlight.size >= o.maxInFlight) this.skipped += 1;
        else this.send();
        nextSend += interval;
      }
      const wake = Math.min(nextSend, o.resolve ? nextDns : Infinity, end) - o.now();
      await o.sleep(Math.max(1, Math.min(wake, 250)));
    }
    await Promise.all([...this.inFlight, ...dnsTasks]);
    return {
      startedAt,
      stoppedAt: o.now(),
      attempts: [...this.attempts].sort((a, b) => a.seq - b.seq),
      dns: [...this.dns].sort((a, b) => a.at - b.at),
      skipped: this.skipped,
      stoppedEarly: this.stopped,
    };
  }

  private async sampleDns(at: number): Promise<void> {
    try {
      const answer = await this.o.resolve!(this.o.domain);
      this.dns.push({ at, answer: answer.join(' ') || '(no records)' });
    } catch (e) {
      this.dns.push({ at, answer: `error: ${errorText(e)}` });
    }
  }

  private send(): void {
    const { o } = this;
    const seq = ++this.seq;
    const key = `${o.keyPrefix}-${seq}`;
    const sentAt = o.now();
    const task = (async () => {
      let attempt: Attempt;
      try {
        const res = await o.http({
          method: 'POST',
          url: `https://${o.domain}/payments`,
          headers: {
            'x-api-key': o.apiKey,
            'Content-Type': 'application/json',
            Accept: 'application/json',
            'Idempotency-Key': key,
          },
          body: JSON.stringify(drillPaymentBody(key)),
          timeoutMs: o.requestTimeoutMs,
        });
        const outcome = classify(res.status);
        const ack = outcome === 'ok' ? parseAck(res.body) : {};
        attempt = {
          seq,
          idempotencyKey: key,
          sentAt,
          doneAt: o.now(),
          outcome,
          status: res.status,
          ...(ack.id ? { paymentId: ack.id } : {}),
          ...(ack.region ? { region: ack.region } : {}),
          ...(outcome === 'ok' ? {} : { error: res.body.replace(/\s+/g, ' ').slice(0, 160) }),
        };
      } catch (e) {
        attempt = { seq, idempotencyKey: key, sentAt, doneAt: o.now(), outcome: 'connection', error: errorText(e) };
      }
      this.attempts.push(attempt);
    })();
    this.inFlight.add(task);
    void task.finally(() => this.inFlight.delete(task));
  }
}

/** One second of the client-side timeline. */
export interface TimelineSecond {
  /** Seconds since the traffic started. */
  readonly t: number;
  readonly at: string;
  readonly ok: number;
  readonly http5xx: number;
  readonly http4xx: number;
  readonly connection: number;
  /** The last DNS answer sampled in this second (or carried over). */
  readonly dns?: string;
  /** Drill events in this second (fault, promotion, recovery…). */
  readonly events?: readonly string[];
}

/** Buckets attempts by the second their answer came back, with the DNS answer and the drill's events. */
export function timeline(result: TrafficResult, events: ReadonlyArray<{ at: number; what: string }> = []): TimelineSecond[] {
  const seconds = Math.max(1, Math.ceil((result.stoppedAt - result.startedAt) / 1000));
  const rows = Array.from({ length: seconds }, (_, t) => ({ t, ok: 0, http5xx: 0, http4xx: 0, connection: 0, dns: undefined as string | undefined, events: [] as string[] }));
  const slot = (at: number) => Math.min(seconds - 1, Math.max(0, Math.floor((at - result.startedAt) / 1000)));
  for (const a of result.attempts) rows[slot(a.doneAt)][a.outcome] += 1;
  for (const d of result.dns) rows[slot(d.at)].dns = d.answer;
  for (const e of events) rows[slot(e.at)].events.push(e.what);
  let lastDns: string | undefined;
  return rows.map((r) => {
    lastDns = r.dns ?? lastDns;
    return {
      t: r.t,
      at: new Date(result.startedAt + r.t * 1000).toISOString(),
      ok: r.ok,
      http5xx: r.http5xx,
      http4xx: r.http4xx,
      connection: r.connection,
      ...(lastDns ? { dns: lastDns } : {}),
      ...(r.events.length ? { events: r.events } : {}),
    };
  });
}
