// The transactional outbox of payment events against a real PostgreSQL: atomic with the payment, publishing
// failures invisible to the client, the sweep sending leftovers exactly once, no duplicate under concurrency or
// restarts. EventBridge is mocked per client instance (aws-sdk-client-mock).
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { EventBridgeClient, PutEventsCommand, type PutEventsCommandInput, type PutEventsCommandOutput } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bundleLambda } from '../../src/lambda-bundle';
import { createHandler } from '../../lambdas/payment-processor';
import { runMigrations } from '../../lambdas/payment-processor/migrations';
import { PAYMENT_ACCEPTED, paymentAcceptedEvent } from '../../lambdas/payment-processor/outbox';
import { createHandler as createSweep, type SweepHandler } from '../../lambdas/outbox-sweep';
import { eventIdFor } from '../../lambdas/shared/outbox';
import type { ApiHandler } from '../../lambdas/shared/runtime';
import { awsMocks, invoker, lambdaContext, postPayment, secretString, silentObservability, TEST_DESIGNATION_PARAMETER, TEST_REGION, testConfig, uniqueKey, VALID_PAYMENT } from '../support/lambda';
import { startPostgres, type TestPostgres } from '../support/postgres';

const ENDPOINT_ID = 'abcde.xyz';
const EVENTS_ENV = {
  AWS_REGION: TEST_REGION,
  // The payment handler writes only where its site is designated active (awsMocks answers 'primary').
  ACTIVE_SITE_PARAMETER: TEST_DESIGNATION_PARAMETER,
  PAYMENT_EVENTS_BUS_NAME: 'pay-dev-payments',
  PAYMENT_EVENTS_ENDPOINT_URL: `https://${ENDPOINT_ID}.endpoint.events.amazonaws.com`,
  PAYMENT_EVENTS_SOURCE: 'pay-dev.payments',
};

let pg: TestPostgres;
const closers: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  pg = await startPostgres();
}, 60_000);

afterAll(async () => {
  await Promise.all(closers.map((h) => h.close()));
  await pg?.stop();
});

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

/** An EventBridge client whose PutEvents succeeds (or runs `impl`), recording every entry sent. */
function eventBridge(impl?: (input: PutEventsCommandInput) => Promise<PutEventsCommandOutput> | PutEventsCommandOutput) {
  const client = new EventBridgeClient({ region: TEST_REGION });
  const mock = mockClient(client);
  const sent: PutEventsCommandInput[] = [];
  let n = 0;
  mock.on(PutEventsCommand).callsFake(async (input: PutEventsCommandInput) => {
    sent.push(input);
    if (impl) return impl(input);
    return { FailedEntryCount: 0, Entries: (input.Entries ?? []).map(() => ({ EventId: `eb-${++n}` })) } as PutEventsCommandOutput;
  });
  const entries = () => sent.flatMap((s) => s.Entries ?? []);
  return { client, mock, sent, entries, eventIds: () => entries().map((e) => JSON.parse(e.Detail ?? '{}').eventId as string) };
}

// 5 s to connect: the embedded PostgreSQL answers in milliseconds on a quiet machine; under the full suite on 2 cores one
// run answered 503 where 201 was expected, most likely this 1 s deadline (not reproduced alone). No test here is about it.
function paymentContainer(db: string, eventbridge: EventBridgeClient, connectionTimeoutMillis = 5000) {
  const aws = awsMocks(secretString(pg, db));
  const handler: ApiHandler = createHandler({
    ...aws.clients,
    ...silentObservability(),
    eventbridge,
    config: testConfig(db),
    env: EVENTS_ENV,
    db: { ssl: false, connectionTimeoutMillis },
  });
  closers.push(handler);
  return invoker(handler);
}

function sweepContainer(db: string, eventbridge: EventBridgeClient, extra: { env?: Record<string, string>; activeSite?: 'primary' | 'dr' } = {}): SweepHandler {
  const aws = awsMocks(secretString(pg, db));
  if (extra.activeSite) {
    aws.mocks.ssm.on(GetParameterCommand, { Name: TEST_DESIGNATION_PARAMETER }).resolves({ Parameter: { Name: TEST_DESIGNATION_PARAMETER, Value: extra.activeSite } });
  }
  const sweep = createSweep({
    ssm: aws.clients.ssm,
    secretsManager: aws.clients.secretsManager,
    ...silentObservability(),
    eventbridge,
    config: testConfig(db),
    env: { ...EVENTS_ENV, ...extra.env },
    db: { ssl: false, connectionTimeoutMillis: 5000 },
  });
  closers.push(sweep);
  return sweep;
}

interface OutboxRow {
  event_id: string;
  payment_id: string;
  event_type: string;
  detail: any;
  attempts: number;
  sent_at: Date | null;
  last_error: string | null;
  bus_event_id: string | null;
  due_in_seconds: number;
}

async function outbox(db: string): Promise<OutboxRow[]> {
  return pg.query<OutboxRow>(
    `SELECT event_id, payment_id, event_type, detail, attempts, sent_at, last_error, bus_event_id,
            extract(epoch FROM next_attempt_at - now())::float8 AS due_in_seconds
       FROM payment_outbox ORDER BY created_at`,
    [],
    db,
  );
}

const count = async (db: string, sql: string, values: unknown[] = []) => (await pg.query<{ n: number }>(sql, values, db))[0].n;

/** "Time passes": every unsent row is due now. */
const makeDue = (db: string) => pg.query('UPDATE payment_outbox SET next_attempt_at = now() WHERE sent_at IS NULL', [], db);

describe('payment and event commit together', () => {
  test('an accepted payment has exactly one outbox row, sent right after the commit through the global endpoint', async () => {
    const db = await migratedDatabase('outbox_ok');
    const eb = eventBridge();
    const res = await paymentContainer(db, eb.client)(postPayment(VALID_PAYMENT, uniqueKey()));
    expect(res.statusCode).toBe(201);

    const rows = await outbox(db);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ payment_id: res.json.id, event_type: 'payment.accepted', attempts: 1, bus_event_id: 'eb-1', last_error: null });
    expect(rows[0].sent_at).toBeInstanceOf(Date);
    // The stable id: derived from the payment id, the same for every publisher and retry.
    expect(rows[0].event_id).toBe(eventIdFor(PAYMENT_ACCEPTED, res.json.id));
    expect(rows[0].detail).toEqual(paymentAcceptedEvent(res.json).detail);

    expect(eb.sent).toHaveLength(1);
    expect(eb.sent[0]).toMatchObject({ EndpointId: ENDPOINT_ID });
    const [entry] = eb.entries();
    expect(entry).toMatchObject({ EventBusName: 'pay-dev-payments', Source: 'pay-dev.payments', DetailType: 'payment.accepted' });
    expect(JSON.parse(entry.Detail ?? '')).toMatchObject({ eventId: rows[0].event_id, schemaVersion: 1, payment: res.json });
  });

  test('a connection killed between the payment insert and the outbox insert leaves neither; the retry writes both once', async () => {
    const db = await migratedDatabase('outbox_kill');
    const eb = eventBridge();
    const invoke = paymentContainer(db, eb.client);
    expect((await invoke(postPayment(VALID_PAYMENT, uniqueKey()))).statusCode).toBe(201); // migrated, pool warm

    // The outbox insert must wait for this lock: the payment row is already inserted in that transaction.
    const blocker = await pg.client(db);
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE payment_outbox IN EXCLUSIVE MODE');
    const key = uniqueKey();
    const pending = invoke(postPayment(VALID_PAYMENT, key));
    let pid: number | undefined;
    for (let i = 0; i < 100 && pid === undefined; i++) {
      // From a connection of its own: inside the blocker's transaction pg_stat_activity is a stale snapshot.
      const rows = await pg.query<{ pid: number; query: string }>(
        `SELECT pid, query FROM pg_stat_activity WHERE datname = $1 AND application_name = 'payment-processor' AND wait_event_type = 'Lock'`,
        [db],
      );
      pid = rows[0]?.pid;
      if (pid !== undefined) expect(rows[0].query).toMatch(/INSERT INTO payment_outbox/);
      else await new Promise((r) => setTimeout(r, 20));
    }
    expect(pid).toBeDefined();
    await blocker.query('SELECT pg_terminate_backend($1)', [pid]);
    const res = await pending;
    await blocker.query('ROLLBACK');
    await blocker.end();

    expect(res.statusCode).toBe(503);
    expect(await count(db, 'SELECT count(*)::int AS n FROM payments WHERE idempotency_key = $1', [key])).toBe(0);
    expect(await count(db, 'SELECT count(*)::int AS n FROM payment_outbox o JOIN payments p ON p.id = o.payment_id WHERE p.idempotency_key = $1', [key])).toBe(0);

    const retry = await invoke(postPayment(VALID_PAYMENT, key));
    expect(retry.statusCode).toBe(201);
    expect(await count(db, 'SELECT count(*)::int AS n FROM payment_outbox WHERE payment_id = $1', [retry.json.id])).toBe(1);
    // Every payment has its event row, and no event row lacks its payment.
    expect(await count(db, 'SELECT count(*)::int AS n FROM payments p LEFT JOIN payment_outbox o ON o.payment_id = p.id WHERE o.event_id IS NULL')).toBe(0);
  });
  test('the payment function reads the endpoint URL from Parameter Store (no Terraform cycle), cached for a minute', async () => {
    const db = await migratedDatabase('outbox_param');
    const eb = eventBridge();
    const aws = awsMocks(secretString(pg, db));
    aws.mocks.ssm.on(GetParameterCommand, { Name: '/pay/dev/payment-events-endpoint-url' }).resolves({ Parameter: { Value: EVENTS_ENV.PAYMENT_EVENTS_ENDPOINT_URL } });
    const env: Record<string, string> = { ...EVENTS_ENV };
    delete env.PAYMENT_EVENTS_ENDPOINT_URL;
    const handler = createHandler({
      ...aws.clients,
      ...silentObservability(),
      eventbridge: eb.client,
      config: testConfig(db),
      env: { ...env, PAYMENT_EVENTS_ENDPOINT_PARAMETER: '/pay/dev/payment-events-endpoint-url' },
      db: { ssl: false },
    });
    closers.push(handler);
    for (let i = 0; i < 3; i++) expect((await invoker(handler)(postPayment({ ...VALID_PAYMENT, reference: `INV-${i}` }, uniqueKey()))).statusCode).toBe(201);
    expect(eb.sent.map((s) => s.EndpointId)).toEqual([ENDPOINT_ID, ENDPOINT_ID, ENDPOINT_ID]);
    const endpointReads = aws.mocks.ssm.commandCalls(GetParameterCommand).filter((c) => c.args[0].input.Name === '/pay/dev/payment-events-endpoint-url');
    expect(endpointReads).toHaveLength(1);
  });
});

describe('publishing failures', () => {
  test.each([
    ['PutEvents throws', () => Promise.reject(Object.assign(new Error('endpoint unavailable'), { name: 'ServiceUnavailable' }))],
    ['PutEvents rejects the entry', () => ({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }] }) as PutEventsCommandOutput],
    ['PutEvents hangs past the send timeout', () => new Promise<PutEventsCommandOutput>(() => undefined)],
  ])('%s: the payment answer is unchanged, the row stays unsent with a later retry, the sweep sends it exactly once', async (_name, impl) => {
    const db = await migratedDatabase('outbox_fail');
    const failing = eventBridge(impl);
    const key = uniqueKey();
    const started = Date.now();
    const res = await paymentContainer(db, failing.client)(postPayment(VALID_PAYMENT, key));
    expect(res.statusCode).toBe(201);
    expect(Date.now() - started).toBeLessThan(4000); // bounded by the 1.5 s send timeout
    expect(res.json).toMatchObject({ ...VALID_PAYMENT, status: 'ACCEPTED' });
    expect(res.headers?.['Retry-After']).toBeUndefined();

    let [row] = await outbox(db);
    expect(row).toMatchObject({ payment_id: res.json.id, attempts: 1, sent_at: null, bus_event_id: null });
    expect(row.last_error).toMatch(/ServiceUnavailable|InternalFailure|Timeout/);
    expect(row.due_in_seconds).toBeGreaterThan(3); // backoff: the first retry waits 5 s

    // A sweep before the row is due leaves it alone.
    const eb = eventBridge();
    const sweep = sweepContainer(db, eb.client);
    expect(await sweep({}, lambdaContext('outbox-sweep'))).toMatchObject({ mode: 'active', backlog: { unsent: 1 }, published: { claimed: 0 } });
    expect(eb.sent).toHaveLength(0);

    await makeDue(db);
    expect(await sweep({}, lambdaContext('outbox-sweep'))).toMatchObject({ mode: 'active', published: { claimed: 1, sent: 1, failed: 0 } });
    [row] = await outbox(db);
    expect(row).toMatchObject({ attempts: 2, last_error: null, bus_event_id: 'eb-1' });
    expect(row.sent_at).toBeInstanceOf(Date);
    expect(eb.eventIds()).toEqual([eventIdFor(PAYMENT_ACCEPTED, res.json.id)]);

    // Later sweeps, and the client's replay of the payment, send nothing more.
    await sweep({}, lambdaContext('outbox-sweep'));
    const replay = await paymentContainer(db, eb.client)(postPayment(VALID_PAYMENT, key));
    expect(replay.statusCode).toBe(200);
    expect(eb.sent).toHaveLength(1);
  });

  test('failed attempts back off exponentially and are never dropped', async () => {
    const db = await migratedDatabase('outbox_backoff');
    const failing = eventBridge(() => Promise.reject(new Error('down')));
    await paymentContainer(db, failing.client)(postPayment(VALID_PAYMENT, uniqueKey()));
    const sweep = sweepContainer(db, failing.client);
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      await makeDue(db);
      await sweep({}, lambdaContext('outbox-sweep'));
      delays.push(Math.round((await outbox(db))[0].due_in_seconds));
    }
    expect(delays).toEqual([10, 20, 40, 80, 160, 300, 300, 300]);
    expect((await outbox(db))[0]).toMatchObject({ attempts: 9, sent_at: null });
  });
});

describe('exactly one event', () => {
  test('50 concurrent requests for the same payment produce one outbox row and one published event', async () => {
    const db = await migratedDatabase('outbox_dupes');
    const eb = eventBridge();
    const invoke = paymentContainer(db, eb.client);
    await invoke(postPayment(VALID_PAYMENT, uniqueKey())); // migrated, pool warm
    eb.sent.length = 0;

    const key = uniqueKey('dup');
    // Several containers, as Lambda would run them: each has its own pool and publisher. Ten requests share a pool
    // of three: a generous wait for a connection, so a loaded test machine does not turn them into 503s.
    const containers = Array.from({ length: 5 }, () => paymentContainer(db, eb.client, 15_000));
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => containers[i % 5](postPayment(VALID_PAYMENT, key))));
    expect(results.map((r) => r.statusCode).sort((a, b) => a - b)).toEqual([...Array(49).fill(200), 201]);
    const id = results[0].json.id;
    expect(new Set(results.map((r) => r.json.id))).toEqual(new Set([id]));

    expect(await count(db, 'SELECT count(*)::int AS n FROM payment_outbox WHERE payment_id = $1', [id])).toBe(1);
    expect(eb.eventIds()).toEqual([eventIdFor(PAYMENT_ACCEPTED, id)]);
  }, 30_000);

  test('concurrent sweeps send each of 25 leftover rows exactly once', async () => {
    const db = await migratedDatabase('outbox_sweeps');
    const down = eventBridge(() => Promise.reject(new Error('down')));
    const invoke = paymentContainer(db, down.client);
    for (let i = 0; i < 25; i++) expect((await invoke(postPayment({ ...VALID_PAYMENT, reference: `INV-${i}` }, uniqueKey()))).statusCode).toBe(201);
    await makeDue(db);

    const eb = eventBridge(async (input) => {
      await new Promise((r) => setTimeout(r, 20)); // slow enough for the sweeps to overlap
      return { FailedEntryCount: 0, Entries: (input.Entries ?? []).map((_, i) => ({ EventId: `eb-${Math.random()}-${i}` })) } as PutEventsCommandOutput;
    });
    const sweeps = Array.from({ length: 5 }, () => sweepContainer(db, eb.client));
    const results = await Promise.all(sweeps.map((s) => s({}, lambdaContext('outbox-sweep'))));
    // A sweep that found everything claimed by the others stops early; the leftovers go to the next run.
    await sweeps[0]({}, lambdaContext('outbox-sweep'));

    const ids = eb.eventIds();
    expect(ids).toHaveLength(25);
    expect(new Set(ids).size).toBe(25);
    expect(results.reduce((a, r) => a + (r.published?.sent ?? 0), 0)).toBeGreaterThan(0);
    expect(await count(db, 'SELECT count(*)::int AS n FROM payment_outbox WHERE sent_at IS NULL')).toBe(0);
  }, 30_000);

  test('a restarted publisher sends nothing already committed as sent', async () => {
    const db = await migratedDatabase('outbox_restart');
    const eb = eventBridge();
    const invoke = paymentContainer(db, eb.client);
    for (let i = 0; i < 3; i++) await invoke(postPayment({ ...VALID_PAYMENT, reference: `INV-${i}` }, uniqueKey()));
    expect(eb.sent).toHaveLength(3);

    await pg.query('UPDATE payment_outbox SET next_attempt_at = now()', [], db); // sent rows due again: must not matter
    for (let restart = 0; restart < 3; restart++) {
      const fresh = sweepContainer(db, eb.client); // a new container: new pool, new publisher
      expect(await fresh({}, lambdaContext('outbox-sweep'))).toMatchObject({ backlog: { unsent: 0 }, published: { sent: 0 } });
    }
    expect(eb.sent).toHaveLength(3);
  });

  test('a publisher that dies after PutEvents but before its commit: the resend carries the same event id, never a new one', async () => {
    const db = await migratedDatabase('outbox_crash');
    const down = eventBridge(() => Promise.reject(new Error('down')));
    const res = await paymentContainer(db, down.client)(postPayment(VALID_PAYMENT, uniqueKey()));
    await makeDue(db);

    // PutEvents succeeds, then the sweep's database session dies before it can mark the row sent.
    const crashing = eventBridge(async (input) => {
      await pg.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'outbox-sweep'`, [db]);
      return { FailedEntryCount: 0, Entries: (input.Entries ?? []).map(() => ({ EventId: 'eb-lost-ack' })) } as PutEventsCommandOutput;
    });
    await expect(sweepContainer(db, crashing.client)({}, lambdaContext('outbox-sweep'))).rejects.toThrow();
    expect((await outbox(db))[0]).toMatchObject({ sent_at: null, attempts: 1 }); // the payment's own failed attempt only

    const eb = eventBridge();
    expect(await sweepContainer(db, eb.client)({}, lambdaContext('outbox-sweep'))).toMatchObject({ published: { sent: 1 } });
    const eventId = eventIdFor(PAYMENT_ACCEPTED, res.json.id);
    expect([...crashing.eventIds(), ...eb.eventIds()]).toEqual([eventId, eventId]);
    expect((await outbox(db))[0]).toMatchObject({ event_id: eventId, attempts: 2, bus_event_id: 'eb-1' });
  });
});

describe('sweep', () => {
  test('on a read-only secondary it reports the backlog and sends nothing', async () => {
    const db = await migratedDatabase('outbox_standby');
    const down = eventBridge(() => Promise.reject(new Error('down')));
    await paymentContainer(db, down.client)(postPayment(VALID_PAYMENT, uniqueKey()));
    await makeDue(db);
    await pg.query(`ALTER DATABASE ${db} SET default_transaction_read_only = on`);

    const eb = eventBridge();
    const result = await sweepContainer(db, eb.client)({}, lambdaContext('outbox-sweep'));
    expect(result).toMatchObject({ mode: 'standby', backlog: { unsent: 1, maxAttempts: 1 } });
    expect(result.backlog?.oldestAgeSeconds).toBeGreaterThanOrEqual(0);
    expect(eb.sent).toHaveLength(0);
  });

  test('in a site not designated active (an old writer not fenced yet) it reports the backlog and sends nothing', async () => {
    const db = await migratedDatabase('outbox_notactive');
    const down = eventBridge(() => Promise.reject(new Error('down')));
    await paymentContainer(db, down.client)(postPayment(VALID_PAYMENT, uniqueKey()));
    await makeDue(db);
    const eb = eventBridge();
    // This function's site is primary (testConfig); the designation names dr.
    expect(await sweepContainer(db, eb.client, { activeSite: 'dr' })({}, lambdaContext('outbox-sweep'))).toMatchObject({ mode: 'standby', backlog: { unsent: 1 } });
    expect(eb.sent).toHaveLength(0);
    expect((await outbox(db))[0]).toMatchObject({ sent_at: null, attempts: 1 });
  });

  test('before the payment processor migrated, there is nothing to do', async () => {
    const db = await pg.createDatabase('outbox_none');
    const eb = eventBridge();
    expect(await sweepContainer(db, eb.client)({}, lambdaContext('outbox-sweep'))).toEqual({ mode: 'no-outbox' });
  });

  test('without the events environment the payment path still writes the row and answers; the sweep fails loudly', async () => {
    const db = await migratedDatabase('outbox_noenv');
    const eb = eventBridge();
    const aws = awsMocks(secretString(pg, db));
    const handler = createHandler({ ...aws.clients, ...silentObservability(), eventbridge: eb.client, config: testConfig(db), env: { AWS_REGION: TEST_REGION, ACTIVE_SITE_PARAMETER: TEST_DESIGNATION_PARAMETER }, db: { ssl: false } });
    closers.push(handler);
    expect((await invoker(handler)(postPayment(VALID_PAYMENT, uniqueKey()))).statusCode).toBe(201);
    expect(await outbox(db)).toHaveLength(1);
    expect(eb.sent).toHaveLength(0);

    const sweep = sweepContainer(db, eb.client, { env: { PAYMENT_EVENTS_ENDPOINT_URL: '' } });
    await expect(sweep({}, lambdaContext('outbox-sweep'))).rejects.toThrow(/PAYMENT_EVENTS_ENDPOINT_URL/);
  });
});

describe('the deployed bundle', () => {
  test('the bundled sweep signs PutEvents with its bundled SigV4a signer through the SDK client the runtime provides', async () => {
    const db = await migratedDatabase('outbox_bundle');
    const down = eventBridge(() => Promise.reject(new Error('down')));
    const res = await paymentContainer(db, down.client)(postPayment(VALID_PAYMENT, uniqueKey()));
    await makeDue(db);

    const requests: Array<{ host?: string; headers: Record<string, unknown>; body: string }> = [];
    const server = createServer((req, out) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        requests.push({ host: req.headers.host, headers: req.headers, body });
        out.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        out.end(JSON.stringify({ FailedEntryCount: 0, Entries: [{ EventId: 'eb-bundle' }] }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const saved = { ...process.env };
    // The SDK's own configuration: a custom endpoint (with EndpointId the rules still demand SigV4a) and credentials.
    process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const bundle = require(bundleLambda('outbox-sweep').jsPath) as { createHandler: typeof createSweep };
      const aws = awsMocks(secretString(pg, db));
      const sweep = bundle.createHandler({
        secretsManager: aws.clients.secretsManager,
        ssm: aws.clients.ssm, // the designation ('primary', as this site)
        ...silentObservability(),
        config: testConfig(db),
        env: EVENTS_ENV,
        db: { ssl: false },
      });
      closers.push(sweep);
      expect(await sweep({}, lambdaContext('outbox-sweep'))).toMatchObject({ mode: 'active', published: { sent: 1 } });
    } finally {
      process.env = saved;
      await new Promise((r) => server.close(r));
    }
    expect(requests).toHaveLength(1);
    const [r] = requests;
    expect(r.headers['x-amz-region-set']).toBe('*');
    expect(String(r.headers.authorization)).toMatch(/^AWS4-ECDSA-P256-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/events\/aws4_request, /);
    expect(JSON.parse(r.body)).toMatchObject({ EndpointId: ENDPOINT_ID, Entries: [{ EventBusName: 'pay-dev-payments', DetailType: 'payment.accepted' }] });
    expect(JSON.parse(JSON.parse(r.body).Entries[0].Detail).eventId).toBe(eventIdFor(PAYMENT_ACCEPTED, res.json.id));
    expect((await outbox(db))[0]).toMatchObject({ bus_event_id: 'eb-bundle' });
  });
});
