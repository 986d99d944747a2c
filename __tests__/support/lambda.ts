/**
 * Test doubles for the Lambda handlers: API Gateway events, a Lambda context, silent Powertools, and the
 * AWS clients mocked per instance with aws-sdk-client-mock.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { ALBEvent, ALBResult, APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import type { RuntimeConfig } from '../../lambdas/shared/config';
import type { TestPostgres } from './postgres';

export const TEST_REGION = 'us-east-1';
/** The active-site designation parameter the handlers are given in tests (the stack's name for dev). */
export const TEST_DESIGNATION_PARAMETER = '/pay/dev-control/active-site';

/** Quiet Powertools (set TEST_LOG_LEVEL=DEBUG to see the handlers' logs). */
export function silentObservability(): { logger: Logger; metrics: Metrics } {
  process.env.POWERTOOLS_METRICS_DISABLED = process.env.TEST_LOG_LEVEL ? 'false' : 'true';
  const level = (process.env.TEST_LOG_LEVEL ?? 'SILENT') as 'SILENT';
  return {
    logger: new Logger({ serviceName: 'test', logLevel: level }),
    metrics: new Metrics({ serviceName: 'test', namespace: 'Test' }),
  };
}

export function testConfig(database: string, overrides: Partial<RuntimeConfig> = {}): RuntimeConfig {
  return {
    regionRole: 'primary',
    dbClusterEndpoint: '127.0.0.1',
    dbReaderEndpoint: '127.0.0.1',
    dbName: database,
    dbSecretName: 'pay/dev/db',
    sessionsTable: 'pay-dev-sessions',
    artifactsBucket: 'pay-dev-artifacts-use1',
    globalClusterId: 'pay-dev-global',
    ...overrides,
  };
}

/** The secret as the stack writes it; `host` points elsewhere on purpose: the handler must use the config. */
export function secretString(pg: Pick<TestPostgres, 'user' | 'password' | 'port'>, database: string, password = pg.password): string {
  return JSON.stringify({ username: pg.user, password, host: 'secret-host.invalid', port: pg.port, dbname: database, engine: 'postgres' });
}

/** Every AWS client a handler uses, each mocked on its own instance, with success defaults. */
export function awsMocks(secret: string) {
  const ssm = new SSMClient({ region: TEST_REGION });
  const secretsManager = new SecretsManagerClient({ region: TEST_REGION });
  const dynamodb = new DynamoDBClient({ region: TEST_REGION });
  const s3 = new S3Client({ region: TEST_REGION });
  const mocks = {
    ssm: mockClient(ssm),
    secretsManager: mockClient(secretsManager),
    dynamodb: mockClient(dynamodb),
    s3: mockClient(s3),
  };
  mocks.secretsManager.on(GetSecretValueCommand).resolves({ SecretString: secret });
  // This site (the test config's role, 'primary') is the designated active site unless a test says otherwise.
  mocks.ssm.on(GetParameterCommand, { Name: TEST_DESIGNATION_PARAMETER }).resolves({ Parameter: { Name: TEST_DESIGNATION_PARAMETER, Value: 'primary' } });
  mocks.dynamodb.on(UpdateItemCommand).resolves({});
  mocks.dynamodb.on(GetItemCommand).resolves({});
  mocks.s3.on(PutObjectCommand).resolves({});
  return { clients: { ssm, secretsManager, dynamodb, s3 }, mocks };
}

/**
 * The dependencies of a handler running against the local PostgreSQL: the mocked AWS clients, quiet
 * observability, the test configuration and no TLS. Spread it into `createHandler` and add what differs.
 */
export function localDeps(aws: ReturnType<typeof awsMocks>, database: string) {
  return {
    ...aws.clients,
    ...silentObservability(),
    config: testConfig(database),
    env: { AWS_REGION: TEST_REGION, ACTIVE_SITE_PARAMETER: TEST_DESIGNATION_PARAMETER },
    db: { ssl: false as const },
  };
}

export function lambdaContext(name = 'test-function'): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${TEST_REGION}:123456789012:function:${name}`,
    memoryLimitInMB: '512',
    awsRequestId: `req-${Math.random().toString(16).slice(2)}`,
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'stream',
    getRemainingTimeInMillis: () => 10_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export interface EventOptions {
  readonly method: string;
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | object;
  readonly resource?: string;
  readonly pathParameters?: Record<string, string>;
  readonly base64?: boolean;
}

export function apiEvent(o: EventOptions): APIGatewayProxyEvent {
  const headers = o.headers ?? {};
  let body = o.body === undefined ? null : typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
  if (body !== null && o.base64) body = Buffer.from(body, 'utf8').toString('base64');
  return {
    httpMethod: o.method,
    path: o.path,
    resource: o.resource ?? o.path,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    body,
    isBase64Encoded: o.base64 ?? false,
    pathParameters: o.pathParameters ?? null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    requestContext: { requestId: `api-${Math.random().toString(16).slice(2)}` } as APIGatewayProxyEvent['requestContext'],
  };
}

export const VALID_PAYMENT = { amount: 1250, currency: 'EUR', merchantId: 'merchant-001', reference: 'INV-2024-0001' } as const;

export function postPayment(body: string | object, idempotencyKey: string | undefined, headers: Record<string, string> = {}): APIGatewayProxyEvent {
  return apiEvent({
    method: 'POST',
    path: '/payments',
    headers: {
      'Content-Type': 'application/json',
      ...(idempotencyKey === undefined ? {} : { 'Idempotency-Key': idempotencyKey }),
      ...headers,
    },
    body,
  });
}

export function getPayment(id: string): APIGatewayProxyEvent {
  return apiEvent({ method: 'GET', path: `/payments/${id}`, resource: '/payments/{id}', pathParameters: { id } });
}

export type Invoke = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult & { json: any }>;

/** Calls a handler and parses its JSON body. */
export function invoker(handler: (e: APIGatewayProxyEvent, c: Context) => Promise<APIGatewayProxyResult>): Invoke {
  return async (event) => {
    const result = await handler(event, lambdaContext());
    return { ...result, json: result.body ? JSON.parse(result.body) : undefined };
  };
}

export function uniqueKey(prefix = 'key'): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

/** The client-key secret as the stack names it, and the value the tests put in it. */
export const API_KEY_SECRET_NAME = 'pay-dev-api-client-key';
export const CLIENT_KEY = 'k3y-0f-the-payments-client-1234567890abc';

/** An ALB target-group event (multi-value headers on, as the stack configures its target groups, unless told). */
export function albEvent(o: EventOptions & { readonly multiValue?: boolean; readonly query?: Record<string, string> }): ALBEvent {
  const headers = { 'x-amzn-trace-id': `Root=1-${Math.random().toString(16).slice(2)}`, ...(o.headers ?? {}) };
  let body = o.body === undefined ? null : typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
  if (body !== null && o.base64) body = Buffer.from(body, 'utf8').toString('base64');
  const multiValue = o.multiValue ?? true;
  return {
    requestContext: { elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/pay-dev-use1-payments/0123456789abcdef' } },
    httpMethod: o.method,
    path: o.path,
    ...(multiValue
      ? {
          multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), [v]])),
          multiValueQueryStringParameters: Object.fromEntries(Object.entries(o.query ?? {}).map(([k, v]) => [k, [v]])),
        }
      : { headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])), queryStringParameters: o.query ?? {} }),
    body,
    isBase64Encoded: o.base64 ?? false,
  };
}

export type AlbInvoke = (event: ALBEvent) => Promise<ALBResult & { json: any }>;

/** Calls a handler with an ALB event and parses its JSON body. */
export function albInvoker(handler: (e: ALBEvent, c: Context) => Promise<ALBResult>): AlbInvoke {
  return async (event) => {
    const result = await handler(event, lambdaContext());
    return { ...result, json: result.body ? JSON.parse(result.body) : undefined };
  };
}
