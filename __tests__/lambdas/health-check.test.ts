// The deep health check against a real PostgreSQL: healthy, not the writer, and dependencies that hang.
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetParametersByPathCommand } from '@aws-sdk/client-ssm';
import { createServer, type Server, type Socket } from 'node:net';
import { createHandler, type HealthCheckDeps, PROBE_SESSION_ID } from '../../lambdas/health-check';
import type { ApiHandler } from '../../lambdas/shared/runtime';
import { apiEvent, awsMocks, invoker, localDeps, secretString, TEST_REGION, testConfig } from '../support/lambda';
import { freePort, startPostgres, type TestPostgres } from '../support/postgres';

/** Route 53 gives a health check 2 seconds; the handler's budget is 1.5 s. */
const ROUTE53_TIMEOUT_MS = 2000;

let pg: TestPostgres;
let database: string;
const handlers: ApiHandler[] = [];

beforeAll(async () => {
  pg = await startPostgres();
  database = await pg.createDatabase('health');
}, 60_000);

afterAll(async () => {
  await Promise.all(handlers.map((h) => h.close()));
  await pg?.stop();
});

function healthCheck(overrides: Partial<HealthCheckDeps> = {}, secret = secretString(pg, database)) {
  const aws = awsMocks(secret);
  const handler = createHandler({
    ...localDeps(aws, database),
    ...overrides,
  });
  handlers.push(handler);
  const invoke = invoker(handler);
  return {
    mocks: aws.mocks,
    async check() {
      const started = Date.now();
      const res = await invoke(apiEvent({ method: 'GET', path: '/health' }));
      return { ...res, elapsedMs: Date.now() - started };
    },
    invoke,
  };
}

test('healthy: 200 with region, role and every dependency passing', async () => {
  const { check, mocks } = healthCheck();
  const res = await check();
  expect(res.statusCode).toBe(200);
  expect(res.json).toMatchObject({
    status: 'pass',
    region: TEST_REGION,
    role: 'primary',
    writer: true,
    checks: { database: { status: 'pass' }, dynamodb: { status: 'pass' } },
  });
  expect(mocks.dynamodb.commandCalls(GetItemCommand)[0].args[0].input).toMatchObject({
    TableName: 'pay-dev-sessions',
    Key: { sessionId: { S: PROBE_SESSION_ID } },
  });
  expect(res.headers?.['Cache-Control']).toBe('no-store');
});

test('a read-only database (DR before promotion) is unhealthy: 503, not the writer', async () => {
  const db = await pg.createDatabase('secondary');
  await pg.query(`ALTER DATABASE ${db} SET default_transaction_read_only = on`);
  const { check } = healthCheck({ config: testConfig(db, { regionRole: 'dr' }) }, secretString(pg, db));
  const res = await check();
  expect(res.statusCode).toBe(503);
  expect(res.json).toMatchObject({
    status: 'fail',
    role: 'dr',
    writer: false,
    checks: { database: { status: 'fail', detail: 'read-only (not the writer)' }, dynamodb: { status: 'pass' } },
  });
});

test('DynamoDB that never answers: 503 within the budget, the database still reported', async () => {
  const { check, mocks } = healthCheck();
  mocks.dynamodb.on(GetItemCommand).callsFake(() => new Promise(() => undefined));
  const res = await check();
  expect(res.statusCode).toBe(503);
  expect(res.json.checks).toMatchObject({ database: { status: 'pass' }, dynamodb: { status: 'fail', detail: 'timeout' } });
  expect(res.elapsedMs).toBeLessThan(ROUTE53_TIMEOUT_MS);
  expect(res.elapsedMs).toBeGreaterThanOrEqual(1400);
});

test('DynamoDB errors (e.g. access denied) are a failed check, not a 500', async () => {
  const { check, mocks } = healthCheck();
  mocks.dynamodb.on(GetItemCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));
  const res = await check();
  expect(res.statusCode).toBe(503);
  expect(res.json.checks.dynamodb).toMatchObject({ status: 'fail', detail: 'AccessDeniedException' });
});

describe('a database that accepts connections and never answers (blocked connection)', () => {
  let blackhole: Server;
  const sockets: Socket[] = [];
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    blackhole = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => blackhole.listen(port, '127.0.0.1', r));
  });
  afterAll(async () => {
    sockets.forEach((s) => s.destroy());
    await new Promise((r) => blackhole.close(r));
  });

  test('503 within the budget with the database check timed out', async () => {
    const { check } = healthCheck({}, secretString({ ...pg, port }, database));
    const res = await check();
    expect(res.statusCode).toBe(503);
    expect(res.json.checks).toMatchObject({ database: { status: 'fail', detail: 'timeout' }, dynamodb: { status: 'pass' } });
    expect(res.elapsedMs).toBeLessThan(ROUTE53_TIMEOUT_MS);
  });
});

test('a database that refuses connections is a quick 503', async () => {
  const { check } = healthCheck({}, secretString({ ...pg, port: await freePort() }, database));
  const res = await check();
  expect(res.statusCode).toBe(503);
  expect(res.json.checks.database).toMatchObject({ status: 'fail', detail: 'unreachable' });
  expect(res.elapsedMs).toBeLessThan(1000);
});

test('Parameter Store that never answers at cold start: 503 within the budget, role unknown', async () => {
  const { check, mocks } = healthCheck({ budgetMs: 500, config: undefined, env: { AWS_REGION: TEST_REGION, CONFIG_PATH: '/pay/dev/' } });
  mocks.ssm.on(GetParametersByPathCommand).callsFake(() => new Promise(() => undefined));
  const res = await check();
  expect(res.statusCode).toBe(503);
  expect(res.json).toMatchObject({ status: 'fail', role: 'unknown', writer: false, checks: { config: { status: 'fail', detail: 'timeout' } } });
  expect(res.elapsedMs).toBeLessThan(1000);
});

test('a shorter budget is honoured', async () => {
  const { check, mocks } = healthCheck({ budgetMs: 300 });
  mocks.dynamodb.on(GetItemCommand).callsFake(() => new Promise(() => undefined));
  const res = await check();
  expect(res.statusCode).toBe(503);
  expect(res.elapsedMs).toBeLessThan(800);
});

test.each([
  ['POST', '/health', 405],
  ['GET', '/healthz', 404],
])('%s %s answers %i', async (method, path, status) => {
  const { invoke } = healthCheck();
  const res = await invoke(apiEvent({ method, path }));
  expect(res.statusCode).toBe(status);
});
