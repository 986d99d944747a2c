// Faults against a real PostgreSQL: not the writer, a connection killed mid-transaction, a database restart.
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { createHandler } from '../../lambdas/payment-processor';
import { runMigrations } from '../../lambdas/payment-processor/migrations';
import type { ApiHandler } from '../../lambdas/shared/runtime';
import {
  awsMocks,
  getPayment,
  invoker,
  postPayment,
  secretString,
  silentObservability,
  TEST_DESIGNATION_PARAMETER,
  testConfig,
  uniqueKey,
  VALID_PAYMENT,
} from '../support/lambda';
import { startPostgres, type TestPostgres } from '../support/postgres';

let pg: TestPostgres;
const handlers: ApiHandler[] = [];

beforeAll(async () => {
  pg = await startPostgres();
}, 60_000);

afterAll(async () => {
  await Promise.all(handlers.map((h) => h.close()));
  await pg?.stop();
});

/** A migrated database, as the primary would have replicated it. */
async function migratedDatabase(prefix: string): Promise<string> {
  const db = await pg.createDatabase(prefix);
  const client = await pg.client(db);
  try {
    await runMigrations(client);
  } finally {
    await client.end();
  }
  return db;
}

function container(db: string) {
  const aws = awsMocks(secretString(pg, db));
  // The DR site, designated active: what these tests exercise is the database (the first fence) alone.
  aws.mocks.ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'dr' } });
  const handler = createHandler({
    ...aws.clients,
    ...silentObservability(),
    config: testConfig(db, { regionRole: 'dr' }),
    env: { AWS_REGION: 'us-west-2', ACTIVE_SITE_PARAMETER: TEST_DESIGNATION_PARAMETER },
    db: { ssl: false, connectionTimeoutMillis: 1000 },
  });
  handlers.push(handler);
  return invoker(handler);
}

async function count(db: string, key: string): Promise<number> {
  const rows = await pg.query<{ n: number }>('SELECT count(*)::int AS n FROM payments WHERE idempotency_key = $1', [key], db);
  return rows[0].n;
}

test('a write to a read-only secondary answers 503 NOT_WRITER with Retry-After and loses nothing; after promotion the retry succeeds', async () => {
  const db = await migratedDatabase('secondary');
  const existing = await container(db)(postPayment(VALID_PAYMENT, uniqueKey()));
  expect(existing.statusCode).toBe(201);
  // Emulate the Aurora secondary: every new session is read-only (SQLSTATE 25006 on writes).
  await pg.query(`ALTER DATABASE ${db} SET default_transaction_read_only = on`);

  const invoke = container(db);
  const key = uniqueKey();
  const res = await invoke(postPayment(VALID_PAYMENT, key));
  expect(res.statusCode).toBe(503);
  expect(res.json.error.code).toBe('NOT_WRITER');
  expect(Number(res.headers?.['Retry-After'])).toBeGreaterThan(0);
  expect(await count(db, key)).toBe(0);

  // Reads keep working in the DR region.
  const read = await invoke(getPayment(existing.json.id));
  expect(read.statusCode).toBe(200);

  // Promotion: the same container's next attempt reaches a writer (the read-only connection was dropped).
  await pg.query(`ALTER DATABASE ${db} RESET default_transaction_read_only`);
  const retry = await invoke(postPayment(VALID_PAYMENT, key));
  expect(retry.statusCode).toBe(201);
  expect(retry.json.region).toBe('us-west-2');
  expect(await count(db, key)).toBe(1);
});

test('a connection killed mid-transaction answers 503; the retry with the same key succeeds exactly once', async () => {
  const db = await migratedDatabase('killed');
  const invoke = container(db);
  expect((await invoke(postPayment(VALID_PAYMENT, uniqueKey()))).statusCode).toBe(201); // warm pool

  // Hold a lock the handler's INSERT must wait for, then terminate the waiting backend.
  const blocker = await pg.client(db);
  await blocker.query('BEGIN');
  await blocker.query('LOCK TABLE payments IN EXCLUSIVE MODE');
  const key = uniqueKey();
  const pending = invoke(postPayment(VALID_PAYMENT, key));
  let pid: number | undefined;
  for (let i = 0; i < 100 && pid === undefined; i++) {
    const rows = await blocker.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = 'payment-processor' AND wait_event_type = 'Lock'`,
      [db],
    );
    pid = rows.rows[0]?.pid;
    if (pid === undefined) await new Promise((r) => setTimeout(r, 20));
  }
  expect(pid).toBeDefined();
  await blocker.query('SELECT pg_terminate_backend($1)', [pid]);

  const res = await pending;
  expect(res.statusCode).toBe(503);
  expect(res.json.error.code).toBe('DATABASE_UNAVAILABLE');
  expect(res.headers?.['Retry-After']).toBe('1');
  await blocker.query('ROLLBACK');
  await blocker.end();
  expect(await count(db, key)).toBe(0);

  const retry = await invoke(postPayment(VALID_PAYMENT, key));
  expect(retry.statusCode).toBe(201);
  const again = await invoke(postPayment(VALID_PAYMENT, key));
  expect(again.statusCode).toBe(200);
  expect(again.json.id).toBe(retry.json.id);
  expect(await count(db, key)).toBe(1);
});

test('a database stopped and restarted is survived by the same handler: 503 while down, then the pool recovers', async () => {
  const db = await migratedDatabase('restart');
  const invoke = container(db);
  const before = await invoke(postPayment(VALID_PAYMENT, uniqueKey()));
  expect(before.statusCode).toBe(201);

  // Restart between requests: the pooled connections are dead, the next request must not notice.
  await pg.halt();
  await pg.resume();
  const afterRestart = await invoke(postPayment(VALID_PAYMENT, uniqueKey()));
  expect(afterRestart.statusCode).toBe(201);

  // A request while the database is down: a quick, retryable 503.
  await pg.halt();
  const key = uniqueKey();
  const started = Date.now();
  const down = await invoke(postPayment(VALID_PAYMENT, key));
  expect(down.statusCode).toBe(503);
  expect(down.json.error.code).toBe('DATABASE_UNAVAILABLE');
  expect(down.headers?.['Retry-After']).toBe('1');
  expect(Date.now() - started).toBeLessThan(1500);
  expect((await invoke(getPayment(before.json.id))).statusCode).toBe(503);

  await pg.resume();
  const retry = await invoke(postPayment(VALID_PAYMENT, key));
  expect(retry.statusCode).toBe(201);
  expect((await invoke(getPayment(before.json.id))).json).toEqual(before.json);
  expect(await count(db, key)).toBe(1);
}, 30_000);
