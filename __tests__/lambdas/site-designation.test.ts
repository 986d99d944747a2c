// The passive site's second fence: the active-site designation read from the region's own Parameter Store,
// against a real PostgreSQL (so the database fence is real too) and a mocked SSM.
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { createHandler as createHealth } from '../../lambdas/health-check';
import { createHandler as createPayments } from '../../lambdas/payment-processor';
import { runMigrations } from '../../lambdas/payment-processor/migrations';
import { DESIGNATION_CACHE_MS } from '../../lambdas/shared/designation';
import type { ApiHandler } from '../../lambdas/shared/runtime';
import {
  apiEvent,
  awsMocks,
  getPayment,
  invoker,
  localDeps,
  postPayment,
  secretString,
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

async function migrated(prefix: string, readOnly = false): Promise<string> {
  const db = await pg.createDatabase(prefix);
  const client = await pg.client(db);
  try {
    await runMigrations(client);
  } finally {
    await client.end();
  }
  // An Aurora secondary: every new session is read-only.
  if (readOnly) await pg.query(`ALTER DATABASE ${db} SET default_transaction_read_only = on`);
  return db;
}

interface Site {
  readonly role?: 'primary' | 'dr';
  /** What this region's designation parameter holds. */
  readonly designation?: string | Error;
  readonly now?: () => Date;
  readonly env?: Record<string, string>;
}

function setup(db: string, site: Site = {}) {
  const aws = awsMocks(secretString(pg, db));
  const value = site.designation ?? 'primary';
  if (value instanceof Error) aws.mocks.ssm.on(GetParameterCommand).rejects(value);
  else aws.mocks.ssm.on(GetParameterCommand).resolves({ Parameter: { Name: TEST_DESIGNATION_PARAMETER, Value: value } });
  const deps = {
    ...localDeps(aws, db),
    config: testConfig(db, { regionRole: site.role ?? 'primary' }),
    ...(site.now ? { now: site.now } : {}),
    ...(site.env ? { env: site.env } : {}),
  };
  const payments = createPayments(deps);
  const health = createHealth(deps);
  handlers.push(payments, health);
  return { mocks: aws.mocks, pay: invoker(payments), health: invoker(health) };
}

async function rows(db: string): Promise<number> {
  return (await pg.query<{ n: number }>('SELECT count(*)::int AS n FROM payments', [], db))[0].n;
}

describe('payment writes: two independent fences on the passive site', () => {
  test.each([
    // [case, database read-only, designation, status, code]
    ['active site: writable and designated', false, 'primary', 201, undefined],
    ['writable database but the designation names the other site (an old writer Aurora has not fenced yet)', false, 'dr', 503, 'NOT_ACTIVE_SITE'],
    ['designated but the database is a read-only secondary', true, 'primary', 503, 'NOT_WRITER'],
    ['both fences closed', true, 'dr', 503, 'NOT_ACTIVE_SITE'],
  ] as const)('%s', async (_name, readOnly, designation, status, code) => {
    const db = await migrated('fence', readOnly);
    const { pay } = setup(db, { designation });
    const res = await pay(postPayment(VALID_PAYMENT, uniqueKey()));
    expect(res.statusCode).toBe(status);
    if (code) {
      expect(res.json.error.code).toBe(code);
      expect(Number(res.headers?.['Retry-After'])).toBeGreaterThan(0);
      expect(await rows(db)).toBe(0);
    } else {
      expect(await rows(db)).toBe(1);
    }
  });

  test('the DR site takes writes once its own region designates it (failover), with no call to the other region', async () => {
    const db = await migrated('dr_active');
    const { pay, mocks } = setup(db, { role: 'dr', designation: 'dr' });
    const res = await pay(postPayment(VALID_PAYMENT, uniqueKey()));
    expect(res.statusCode).toBe(201);
    const reads = mocks.ssm.commandCalls(GetParameterCommand);
    expect(reads.map((c) => c.args[0].input.Name)).toEqual([TEST_DESIGNATION_PARAMETER]);
  });

  test('fails closed: an unreadable designation refuses the write with a retryable 503', async () => {
    const db = await migrated('unreadable');
    const { pay } = setup(db, { designation: Object.assign(new Error('throttled'), { name: 'ThrottlingException' }) });
    const res = await pay(postPayment(VALID_PAYMENT, uniqueKey()));
    expect(res.statusCode).toBe(503);
    expect(res.json.error.code).toBe('DEPENDENCY_UNAVAILABLE');
    expect(await rows(db)).toBe(0);
  });

  test.each([
    ['not a site', 'secondary'],
    ['empty', ''],
  ])('fails closed: a designation value that is %s refuses the write', async (_name, value) => {
    const db = await migrated('bad_value');
    const { pay } = setup(db, { designation: value });
    const res = await pay(postPayment(VALID_PAYMENT, uniqueKey()));
    expect(res.statusCode).toBe(503);
    expect(await rows(db)).toBe(0);
  });

  test('fails closed: a function deployed without ACTIVE_SITE_PARAMETER refuses writes', async () => {
    const db = await migrated('no_env');
    const { pay, mocks } = setup(db, { env: { AWS_REGION: 'us-east-1' } });
    const res = await pay(postPayment(VALID_PAYMENT, uniqueKey()));
    expect(res.statusCode).toBe(503);
    expect(mocks.ssm.commandCalls(GetParameterCommand)).toHaveLength(0);
  });

  test('reads are still served by the passive site (only writes are fenced)', async () => {
    const db = await migrated('reads');
    const active = setup(db);
    const created = await active.pay(postPayment(VALID_PAYMENT, uniqueKey()));
    expect(created.statusCode).toBe(201);
    const passive = setup(db, { designation: 'dr' });
    const read = await passive.pay(getPayment(created.json.id));
    expect(read.statusCode).toBe(200);
  });
});

describe('the designation is cached for at most 5 seconds', () => {
  test('a flip is honoured once the cache ages out, and not read more than once per 5 s meanwhile', async () => {
    const db = await migrated('cache');
    let now = Date.parse('2026-11-27T00:00:00Z');
    const { pay, mocks } = setup(db, { now: () => new Date(now) });
    expect((await pay(postPayment(VALID_PAYMENT, uniqueKey()))).statusCode).toBe(201);
    // The DR CLI designates the other site.
    mocks.ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'dr' } });
    now += DESIGNATION_CACHE_MS - 1;
    expect((await pay(postPayment(VALID_PAYMENT, uniqueKey()))).statusCode).toBe(201);
    expect(mocks.ssm.commandCalls(GetParameterCommand)).toHaveLength(1);
    now += 1;
    const refused = await pay(postPayment(VALID_PAYMENT, uniqueKey()));
    expect(refused.statusCode).toBe(503);
    expect(refused.json.error.code).toBe('NOT_ACTIVE_SITE');
    expect(mocks.ssm.commandCalls(GetParameterCommand)).toHaveLength(2);
  });
});

// Why lambdas/shared/designation.ts keeps its own 5 s cache instead of Powertools' getParameter({ maxAge: 5 }):
// Powertools' cache ages a value from when it was stored (after the answer), so a read that took 3 s would be
// trusted until 8 s after it was asked for, and a flip made meanwhile would reach the container late.
describe('the 5 s bound counts from when the designation was asked for', () => {
  test('a slow read is trusted until 5 s after it started, not 5 s after its answer', async () => {
    const db = await migrated('slow_read');
    let now = Date.parse('2026-11-27T00:00:00Z');
    const { pay, mocks } = setup(db, { now: () => new Date(now) });
    mocks.ssm.on(GetParameterCommand).callsFake(async () => {
      now += 3000; // the answer takes 3 s
      return { Parameter: { Value: 'primary' } };
    });
    expect((await pay(postPayment(VALID_PAYMENT, uniqueKey()))).statusCode).toBe(201);
    // The DR CLI designates the other site; 5 s after the first read started (2 s after its answer):
    mocks.ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'dr' } });
    now += DESIGNATION_CACHE_MS - 3000;
    const refused = await pay(postPayment(VALID_PAYMENT, uniqueKey()));
    expect(refused.json.error?.code).toBe('NOT_ACTIVE_SITE');
    expect(mocks.ssm.commandCalls(GetParameterCommand)).toHaveLength(2);
  });
});

describe('/health: healthy for traffic only when designated and writable', () => {
  test.each([
    // [case, database read-only, designation, status]
    ['designated and writable', false, 'primary', 200],
    ['writable but not designated (a passive site whose database became writable)', false, 'dr', 503],
    ['designated but read-only', true, 'primary', 503],
  ] as const)('%s', async (_name, readOnly, designation, status) => {
    const db = await migrated('health', readOnly);
    const { health } = setup(db, { designation });
    const res = await health(apiEvent({ method: 'GET', path: '/health' }));
    expect(res.statusCode).toBe(status);
    expect(res.json).toMatchObject({ role: 'primary', activeSite: designation, writer: !readOnly });
    expect(res.json.checks.designation.status).toBe(designation === 'primary' ? 'pass' : 'fail');
  });

  test('an unreadable designation is a failed check, not a 500', async () => {
    const db = await migrated('health_unreadable');
    const { health } = setup(db, { designation: new Error('endpoint down') });
    const res = await health(apiEvent({ method: 'GET', path: '/health' }));
    expect(res.statusCode).toBe(503);
    expect(res.json).toMatchObject({ activeSite: 'unknown', checks: { designation: { status: 'fail' }, database: { status: 'pass' } } });
  });
});

describe('/health/active: "I am designated active", whatever the database says', () => {
  test.each([
    // [case, site, designation, database read-only, status]
    ['the passive DR site before a failover', 'dr', 'primary', true, 503],
    ['the DR site after the CLI designated it (its database may still be read-only)', 'dr', 'dr', true, 200],
    ['the old primary, still designated in its own region and writable: claims active', 'primary', 'primary', false, 200],
    ['the old primary once its designation names DR', 'primary', 'dr', false, 503],
  ] as const)('%s', async (_name, role, designation, readOnly, status) => {
    const db = await migrated('claim', readOnly);
    const { health } = setup(db, { role, designation });
    const res = await health(apiEvent({ method: 'GET', path: '/health/active' }));
    expect(res.statusCode).toBe(status);
    expect(res.json).toMatchObject({ site: role, activeSite: designation, designated: status === 200 });
  });

  test('an unreadable designation does not claim active', async () => {
    const db = await migrated('claim_unreadable');
    const { health } = setup(db, { designation: new Error('endpoint down') });
    const res = await health(apiEvent({ method: 'GET', path: '/health/active' }));
    expect(res.statusCode).toBe(503);
    expect(res.json.designated).toBe(false);
  });
});
