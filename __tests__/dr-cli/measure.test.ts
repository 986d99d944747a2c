import { measureRto } from '../../src/dr-cli/measure';
import { timeline, TrafficLoop, type Attempt } from '../../src/dr-cli/traffic';

const T0 = Date.UTC(2025, 0, 15, 12, 0, 0);
let seq = 0;
const a = (sentAt: number, doneAt: number, outcome: Attempt['outcome'], region?: string): Attempt => ({
  seq: ++seq,
  idempotencyKey: `k-${seq}`,
  sentAt: T0 + sentAt,
  doneAt: T0 + doneAt,
  outcome,
  ...(region ? { region } : {}),
});

describe('client-side RTO', () => {
  test('from the fault to the first acknowledgement by the new writer sent after the first failure', () => {
    const r = measureRto(
      [a(0, 100, 'ok', 'us-east-1'), a(900, 1_000, 'http5xx'), a(1_900, 2_100, 'connection'), a(3_000, 3_200, 'ok', 'us-west-2'), a(4_000, 4_100, 'ok', 'us-west-2')],
      T0 + 500,
      'us-west-2',
    );
    expect(r).toMatchObject({ verdict: 'recovered', rtoMs: 2_700, failuresAfterFault: 2, recoveryPayment: { idempotencyKey: 'k-4', region: 'us-west-2' } });
  });

  test('a late answer from the old writer is not recovery', () => {
    const r = measureRto([a(900, 1_000, 'http5xx'), a(950, 2_000, 'ok', 'us-east-1'), a(2_500, 2_600, 'ok', 'us-west-2')], T0, 'us-west-2');
    expect(r.rtoMs).toBe(2_600);
  });

  test('a request sent before the first failure and answered after it is not recovery', () => {
    const r = measureRto([a(100, 3_000, 'ok'), a(500, 600, 'connection'), a(1_000, 1_200, 'ok')], T0, 'us-west-2');
    expect(r.rtoMs).toBe(1_200);
  });

  test('no failure after the fault: no client-visible outage, RTO 0; failures but no recovery: not recovered', () => {
    expect(measureRto([a(0, 100, 'ok'), a(1_000, 1_100, 'ok')], T0 + 500)).toMatchObject({ verdict: 'no-outage', rtoMs: 0 });
    expect(measureRto([a(1_000, 1_100, 'http5xx')], T0 + 500)).toMatchObject({ verdict: 'not-recovered', failuresAfterFault: 1 });
    expect(measureRto([a(1_000, 1_100, 'http5xx')], T0 + 500).rtoMs).toBeUndefined();
  });
});

describe('traffic loop', () => {
  test('bounded: at most maxInFlight waiting, the rest counted as skipped; stops by itself', async () => {
    let now = T0;
    const pending: Array<() => void> = [];
    const loop = new TrafficLoop({
      http: () => new Promise((resolve) => pending.push(() => resolve({ status: 201, body: '{"id":"x","region":"us-east-1"}' }))),
      domain: 'api.example.com',
      apiKey: 'k',
      ratePerSecond: 10,
      durationMs: 2_000,
      maxInFlight: 3,
      requestTimeoutMs: 1_000,
      keyPrefix: 'drill-t',
      now: () => now,
      sleep: async (ms) => {
        now += ms;
        await Promise.resolve();
      },
    });
    const done = loop.start();
    // Let the loop run its 2 s with every request hanging, then answer them.
    while (now < T0 + 2_000) await new Promise((r) => setImmediate(r));
    pending.forEach((p) => p());
    const result = await done;
    expect(result.attempts).toHaveLength(3);
    expect(result.skipped).toBe(17);
    expect(result.attempts.map((x) => x.idempotencyKey)).toEqual(['drill-t-1', 'drill-t-2', 'drill-t-3']);
    const tl = timeline(result, [{ at: T0 + 1_500, what: 'fault' }]);
    expect(tl.map((s) => s.events ?? [])).toEqual([[], ['fault']]);
  });

  test('rejects a rate outside (0, 1000] per second', () => {
    const base = { http: async () => ({ status: 200, body: '' }), domain: 'd', apiKey: 'k', durationMs: 1, maxInFlight: 1, requestTimeoutMs: 1, keyPrefix: 'p', now: () => 0, sleep: async () => undefined };
    expect(() => new TrafficLoop({ ...base, ratePerSecond: 0 })).toThrow(/traffic rate 0\/s must be in \(0, 1000\]/);
  });
});
