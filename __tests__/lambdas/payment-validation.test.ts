// Request validation, routing and runtime configuration: everything decided before the database is touched.
import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import { GetParametersByPathCommand } from '@aws-sdk/client-ssm';
import { loadRuntimeConfig, PARAMETER_NAMES } from '../../lambdas/shared/config';
import { canonicalJson, createHandler, MAX_BODY_BYTES } from '../../lambdas/payment-processor';
import {
  apiEvent,
  awsMocks,
  getPayment,
  invoker,
  lambdaContext,
  postPayment,
  silentObservability,
  TEST_DESIGNATION_PARAMETER,
  testConfig,
  VALID_PAYMENT,
} from '../support/lambda';

// No database: any request that got past validation would fail to connect (nothing listens on port 9).
const aws = awsMocks(JSON.stringify({ username: 'u', password: 'p', port: 9 }));
const handler = createHandler({
  ...aws.clients,
  ...silentObservability(),
  config: testConfig('unused'),
  env: { AWS_REGION: 'us-east-1', ACTIVE_SITE_PARAMETER: TEST_DESIGNATION_PARAMETER },
  db: { ssl: false, connectionTimeoutMillis: 200 },
});
const invoke = invoker(handler);
afterAll(() => handler.close());

const payment = (overrides: Record<string, unknown>) => ({ ...VALID_PAYMENT, ...overrides });

describe('POST /payments validation', () => {
  test.each([
    ['amount is zero', payment({ amount: 0 }), 'body.amount', 'not_positive'],
    ['amount is negative', payment({ amount: -100 }), 'body.amount', 'not_positive'],
    ['amount is over 100000000 minor units', payment({ amount: 100_000_001 }), 'body.amount', 'too_large'],
    ['amount has a fraction', payment({ amount: 12.5 }), 'body.amount', 'not_integer'],
    ['amount is a string', payment({ amount: '1250' }), 'body.amount', 'invalid_type'],
    ['amount is beyond the safe integers', payment({ amount: 1e20 }), 'body.amount', 'too_large'],
    ['amount is hugely negative', payment({ amount: -1e20 }), 'body.amount', 'not_positive'],
    ['amount overflows to Infinity', '{"amount": 1e400, "currency": "EUR", "merchantId": "merchant-001", "reference": "r-1"}', 'body.amount', 'too_large'],
    ['amount is missing', { currency: 'EUR', merchantId: 'merchant-001', reference: 'r-1' }, 'body.amount', 'required'],
    ['currency is lower case', payment({ currency: 'eur' }), 'body.currency', 'unsupported_currency'],
    ['currency is not ISO 4217', payment({ currency: 'ABC' }), 'body.currency', 'unsupported_currency'],
    ['currency is a test code', payment({ currency: 'XXX' }), 'body.currency', 'unsupported_currency'],
    ['currency is too long', payment({ currency: 'EURO' }), 'body.currency', 'unsupported_currency'],
    ['merchantId is too short', payment({ merchantId: 'ab' }), 'body.merchantId', 'too_short'],
    ['merchantId is too long', payment({ merchantId: 'm'.repeat(65) }), 'body.merchantId', 'too_long'],
    ['merchantId has bad characters', payment({ merchantId: 'merchant 001!' }), 'body.merchantId', 'invalid_format'],
    ['reference is empty', payment({ reference: '' }), 'body.reference', 'too_short'],
    ['reference is too long', payment({ reference: 'r'.repeat(65) }), 'body.reference', 'too_long'],
    ['reference has control characters', payment({ reference: 'inv\n1' }), 'body.reference', 'invalid_format'],
    ['sessionId is too short', payment({ sessionId: 'abc' }), 'body.sessionId', 'too_short'],
    ['sessionId is null', payment({ sessionId: null }), 'body.sessionId', 'invalid_type'],
    ['an unknown field is present', payment({ status: 'PAID' }), 'body.status', 'unknown_field'],
    ['the body is an array', [VALID_PAYMENT], 'body', 'not_an_object'],
    ['the body is not JSON', '{"amount": 12', 'body', 'invalid_json'],
    ['the body is empty', '', 'body', 'required'],
    ['the body is over 16 KiB', JSON.stringify(payment({ reference: 'x'.repeat(MAX_BODY_BYTES) })), 'body', 'too_large'],
  ])('rejects a body where %s with 400', async (_name, body, field, reason) => {
    const res = await invoke(postPayment(body, 'key-1'));
    expect(res.statusCode).toBe(400);
    expect(res.json.error.code).toBe('VALIDATION_FAILED');
    expect(res.json.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ field, reason })]));
    // Every detail says what to fix in words, never zod's generic default.
    for (const detail of res.json.error.details) expect(detail.message).toMatch(/^(?!Invalid input$).{5,}/);
  });

  test.each([
    ['missing', undefined, 'required'],
    ['empty', '', 'required'],
    ['longer than 255 characters', 'k'.repeat(256), 'invalid_format'],
    ['not printable ASCII', 'clé-1', 'invalid_format'],
    ['only spaces', '   ', 'invalid_format'],
  ])('rejects an Idempotency-Key that is %s with 400', async (_name, key, reason) => {
    const res = await invoke(postPayment(VALID_PAYMENT, key));
    expect(res.statusCode).toBe(400);
    expect(res.json.error.details).toEqual([expect.objectContaining({ field: 'headers.Idempotency-Key', reason })]);
  });

  test('rejects two Idempotency-Key values', async () => {
    const event = postPayment(VALID_PAYMENT, 'a');
    event.multiValueHeaders['Idempotency-Key'] = ['a', 'b'];
    const res = await invoke(event);
    expect(res.json.error.details).toEqual([expect.objectContaining({ reason: 'multiple_values' })]);
  });

  test.each([
    ['1e20', 1e20, ['too_large']],
    ['-1e20', -1e20, ['not_positive']],
    ['-1.5', -1.5, ['not_integer', 'not_positive']],
    ['12.5', 12.5, ['not_integer']],
  ])('amount %s gets exactly the reasons %j', async (_name, amount, reasons) => {
    const res = await invoke(postPayment(payment({ amount }), 'key-1'));
    expect(res.json.error.details.map((d: { reason: string }) => d.reason).sort()).toEqual(reasons);
  });

  test('a wrong type is named the JSON way', async () => {
    const res = await invoke(postPayment(payment({ amount: [1] }), 'key-1'));
    expect(res.json.error.details).toEqual([{ field: 'body.amount', reason: 'invalid_type', message: 'must be a number, got array' }]);
  });

  test('reports every problem at once', async () => {
    const res = await invoke(postPayment({ amount: 0, currency: 'eur', merchantId: 'merchant-001', reference: 'r', extra: 1 }, undefined));
    expect(res.statusCode).toBe(400);
    expect(res.json.error.details.map((d: { reason: string }) => d.reason).sort()).toEqual(['not_positive', 'required', 'unknown_field', 'unsupported_currency']);
  });

  test.each([['text/plain'], ['application/x-www-form-urlencoded'], ['']])('rejects Content-Type %j with 415', async (contentType) => {
    const res = await invoke(postPayment(VALID_PAYMENT, 'key-1', { 'Content-Type': contentType }));
    expect(res.statusCode).toBe(415);
    expect(res.json.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  test('a valid request passes validation (and fails later on the unreachable database with a 503)', async () => {
    const res = await invoke(postPayment(VALID_PAYMENT, 'key-1', { 'content-type': 'application/json; charset=utf-8' }));
    expect(res.statusCode).toBe(503);
    expect(res.json.error.code).toBe('DATABASE_UNAVAILABLE');
    expect(res.headers?.['Retry-After']).toBe('1');
  });

  test('the request hash ignores key order', () => {
    expect(canonicalJson({ reference: 'r-1', amount: 5, merchantId: 'm-1', currency: 'EUR' })).toBe(
      canonicalJson({ amount: 5, currency: 'EUR', merchantId: 'm-1', reference: 'r-1' }),
    );
  });
});

describe('routing', () => {
  test.each([
    ['GET', '/payments/not-a-uuid', 400, 'VALIDATION_FAILED'],
    ['GET', '/payments/123', 400, 'VALIDATION_FAILED'],
    ['GET', '/payments', 405, 'METHOD_NOT_ALLOWED'],
    ['DELETE', '/payments/8d9c7e1c-6f3b-4b8e-9a57-2f3f0c6f8a11', 405, 'METHOD_NOT_ALLOWED'],
    ['PUT', '/payments', 405, 'METHOD_NOT_ALLOWED'],
    ['GET', '/refunds', 404, 'NOT_FOUND'],
    ['POST', '/payments/extra/segments', 404, 'NOT_FOUND'],
  ])('%s %s answers %i %s', async (method, path, status, code) => {
    const res = await invoke(apiEvent({ method, path, resource: '/{proxy+}' }));
    expect(res.statusCode).toBe(status);
    expect(res.json.error.code).toBe(code);
  });

  test('405 names the allowed methods', async () => {
    const res = await invoke(apiEvent({ method: 'GET', path: '/payments' }));
    expect(res.headers?.Allow).toBe('POST');
  });

  test('a malformed id from the resource template is a 400 on path.id', async () => {
    const res = await invoke(getPayment('x'));
    expect(res.json.error.details).toEqual([expect.objectContaining({ field: 'path.id', reason: 'invalid_format' })]);
  });
});

describe('runtime configuration from Parameter Store', () => {
  const values: Record<string, string> = {
    'region-role': 'dr',
    'db-cluster-endpoint': 'cluster.example',
    'db-reader-endpoint': 'reader.example',
    'db-name': 'payments',
    'db-secret-name': 'pay/dev/db',
    'sessions-table': 'pay-dev-sessions',
    'artifacts-bucket': 'pay-dev-artifacts-usw2',
    'global-cluster-id': 'pay-dev-global',
  };
  const params = Object.entries(values).map(([k, v]) => ({ Name: `/pay/dev/${k}`, Value: v }));

  test('reads every page under CONFIG_PATH', async () => {
    const { clients, mocks } = awsMocks('{}');
    mocks.ssm
      .on(GetParametersByPathCommand, { NextToken: undefined })
      .resolves({ Parameters: params.slice(0, 5), NextToken: 'page-2' })
      .on(GetParametersByPathCommand, { NextToken: 'page-2' })
      .resolves({ Parameters: params.slice(5) });
    const config = await loadRuntimeConfig(new SSMProvider({ awsSdkV3Client: clients.ssm }), '/pay/dev/');
    expect(config).toEqual({
      regionRole: 'dr',
      dbClusterEndpoint: 'cluster.example',
      dbReaderEndpoint: 'reader.example',
      dbName: 'payments',
      dbSecretName: 'pay/dev/db',
      sessionsTable: 'pay-dev-sessions',
      artifactsBucket: 'pay-dev-artifacts-usw2',
      globalClusterId: 'pay-dev-global',
    });
    expect(mocks.ssm.commandCalls(GetParametersByPathCommand)[0].args[0].input).toMatchObject({ Path: '/pay/dev', WithDecryption: false });
  });

  test('names every missing or invalid parameter at once', async () => {
    const { clients, mocks } = awsMocks('{}');
    const partial = params.filter((p) => !p.Name.endsWith('db-name') && !p.Name.endsWith('sessions-table'));
    partial[0] = { Name: '/pay/dev/region-role', Value: 'secondary' };
    mocks.ssm.on(GetParametersByPathCommand).resolves({ Parameters: partial });
    await expect(loadRuntimeConfig(new SSMProvider({ awsSdkV3Client: clients.ssm }), '/pay/dev')).rejects.toThrow(
      /'\/pay\/dev\/db-name' is missing.*'\/pay\/dev\/sessions-table' is missing.*'\/pay\/dev\/region-role' must be 'primary' or 'dr', got 'secondary'/,
    );
    expect(Object.keys(PARAMETER_NAMES)).toHaveLength(8);
  });

  test('a handler without config answers 503 (not 500) while Parameter Store fails, and recovers', async () => {
    const { clients, mocks } = awsMocks('{}');
    mocks.ssm.on(GetParametersByPathCommand).rejectsOnce(new Error('ThrottlingException')).resolves({ Parameters: params.filter((p) => !p.Name.endsWith('db-name')) });
    const h = createHandler({ ...clients, ...silentObservability(), env: { CONFIG_PATH: '/pay/dev/', AWS_REGION: 'us-west-2' } });
    try {
      const first = await invoker(h)(getPayment('8d9c7e1c-6f3b-4b8e-9a57-2f3f0c6f8a11'));
      expect(first.statusCode).toBe(503);
      expect(first.json.error.code).toBe('DEPENDENCY_UNAVAILABLE');
      const second = await invoker(h)(getPayment('8d9c7e1c-6f3b-4b8e-9a57-2f3f0c6f8a11'));
      expect(second.statusCode).toBe(503); // still invalid (db-name missing): retried, not cached
      expect(mocks.ssm.commandCalls(GetParametersByPathCommand)).toHaveLength(2);
    } finally {
      await h.close();
    }
  });
});

describe('the Lambda deadline', () => {
  test('a request that would outlive the function timeout is answered with a retryable 503 just before it', async () => {
    const { clients, mocks } = awsMocks('{}');
    mocks.ssm.on(GetParametersByPathCommand).callsFake(() => new Promise(() => undefined));
    const h = createHandler({ ...clients, ...silentObservability(), env: { CONFIG_PATH: '/pay/dev/', AWS_REGION: 'us-west-2' } });
    try {
      const started = Date.now();
      const res = await h(postPayment(VALID_PAYMENT, 'key-1'), { ...lambdaContext(), getRemainingTimeInMillis: () => 800 });
      expect(res.statusCode).toBe(503);
      expect(JSON.parse(res.body).error.code).toBe('DEPENDENCY_UNAVAILABLE');
      expect(res.headers?.['Retry-After']).toBe('1');
      expect(Date.now() - started).toBeLessThan(700);
    } finally {
      await h.close();
    }
  });
});
