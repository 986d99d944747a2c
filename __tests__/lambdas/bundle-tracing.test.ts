// The deployed artefact, run the way Lambda runs it: the esbuild bundle alone in a task directory, Powertools
// resolved through NODE_PATH as the Powertools layer provides it (/opt/nodejs/node_modules), AWS SDK calls
// to a local HTTP endpoint, and X-Ray segments caught on a local UDP "daemon".
import { spawn } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { builtinModules } from 'node:module';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, createServer as createNetServer, type Server as NetServer, type Socket as NetSocket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PARAMETER_NAMES } from '../../lambdas/shared/config';
import { BUNDLE_EXTERNALS, bundleLambda, projectRoot } from '../../src/lambda-bundle';
import { POWERTOOLS_LAYER } from '../../src/powertools-layer';
import { apiEvent, lambdaContext } from '../support/lambda';

const ROOT = projectRoot();
const HANDLERS = ['payment-processor', 'health-check', 'secret-rotation', 'outbox-sweep', 'prober', 'failover-controller'] as const;
/** The bundle budget (README, `npm run bench`). */
const MAX_BUNDLE_BYTES = 250 * 1024;

describe('Lambda bundles and the Powertools layer', () => {
  test('every @aws-lambda-powertools package is pinned to the layer\'s version, in package.json and installed', () => {
    const { dependencies } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const pinned = Object.fromEntries(Object.entries(dependencies).filter(([name]) => name.startsWith('@aws-lambda-powertools/')));
    expect(Object.keys(pinned).sort()).toEqual(['@aws-lambda-powertools/logger', '@aws-lambda-powertools/metrics', '@aws-lambda-powertools/parameters', '@aws-lambda-powertools/tracer']);
    for (const [name, version] of Object.entries(pinned)) expect([name, version]).toEqual([name, POWERTOOLS_LAYER.packageVersion]);
    for (const name of [...Object.keys(pinned), '@aws-lambda-powertools/commons']) {
      const installed = JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
      expect([name, installed]).toEqual([name, POWERTOOLS_LAYER.packageVersion]);
    }
  });

  test.each(HANDLERS)('%s: the bundle requires only the runtime\'s AWS SDK, the layer\'s Powertools and Node built-ins', (name) => {
    const js = readFileSync(bundleLambda(name).jsPath, 'utf8');
    const required = [...new Set([...js.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]))];
    // pg-native: pg's optional native driver, required only through `pg.native`, which nothing uses.
    const external = required.filter((m) => !m.startsWith('node:') && !NODE_BUILTINS.has(m) && m !== 'pg-native');
    expect(external.length).toBeGreaterThan(0);
    for (const m of external) expect(BUNDLE_EXTERNALS.some((pattern) => m.startsWith(pattern.replace('*', '')))).toBe(true);
    expect(external.filter((m) => m.startsWith('@aws-lambda-powertools/'))).toContain('@aws-lambda-powertools/logger');
    // No copy of the X-Ray SDK or Powertools inside: they come from the layer.
    expect(js).not.toMatch(/aws-xray-sdk-core|AWSXRayDaemon|POWERTOOLS_LOGGER_LOG_EVENT/);
    expect(Buffer.byteLength(js)).toBeLessThan(MAX_BUNDLE_BYTES);
  });

  test.each(['payment-processor', 'outbox-sweep'])('%s: the SigV4a signer for the global endpoint is inside the bundle, not required from the runtime', (name) => {
    const js = readFileSync(bundleLambda(name).jsPath, 'utf8');
    expect(js).not.toMatch(/require\("@(aws-sdk|smithy)\/signature-v4a?"\)/);
    expect(js).toMatch(/AWS4-ECDSA-P256-SHA256/);
    expect(js).toMatch(/require\("@aws-sdk\/client-eventbridge"\)/);
  });
});

const NODE_BUILTINS = new Set(builtinModules);

describe('X-Ray tracing of the deployed health-check bundle', () => {
  let udp: Socket;
  let http: Server;
  let silentDb: NetServer;
  const silentSockets = new Set<NetSocket>();
  let documents: Record<string, unknown>[] = [];
  let awsCalls: string[] = [];
  let taskDir: string;
  // Per test: how the fake AWS answers and which database port the secret names.
  let ssmDelayMs = 0;
  let secretDelayMs = 0;
  let dbPort = 9;

  beforeAll(async () => {
    udp = createSocket('udp4');
    udp.on('message', (msg) => {
      // Each datagram is the X-Ray daemon protocol: a JSON header line, then one segment document.
      const [header, body] = msg.toString('utf8').split('\n');
      if (JSON.parse(header).format === 'json' && body) documents.push(JSON.parse(body));
    });
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));

    http = createServer((req, res) => {
      const target = String(req.headers['x-amz-target'] ?? '');
      awsCalls.push(target);
      res.setHeader('content-type', 'application/x-amz-json-1.1');
      if (target === 'AmazonSSM.GetParametersByPath') {
        const values: Record<string, string> = {
          regionRole: 'primary', dbClusterEndpoint: '127.0.0.1', dbReaderEndpoint: '127.0.0.1', dbName: 'payments',
          dbSecretName: 'pay/dev/db', sessionsTable: 'pay-dev-sessions', artifactsBucket: 'pay-dev-artifacts', globalClusterId: 'pay-dev-global',
        };
        const Parameters = Object.entries(PARAMETER_NAMES).map(([key, param]) => ({ Name: `/pay/dev/${param}`, Value: values[key] }));
        setTimeout(() => res.end(JSON.stringify({ Parameters })), ssmDelayMs);
      } else if (target === 'DynamoDB_20120810.GetItem') {
        res.end('{}');
      } else if (target === 'secretsmanager.GetSecretValue') {
        const secret = JSON.stringify({ Name: 'pay/dev/db', VersionId: 'v1', SecretString: JSON.stringify({ username: 'app', password: 'never-logged', port: dbPort }) });
        setTimeout(() => res.end(secret), secretDelayMs);
      } else {
        res.statusCode = 400;
        res.end(JSON.stringify({ __type: 'UnknownOperationException' }));
      }
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    // A database that accepts connections and never answers: the check outlives the invocation's budget.
    silentDb = createNetServer((socket) => {
      silentSockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => silentSockets.delete(socket));
      socket.resume(); // read and drop: never answer
    });
    await new Promise<void>((resolve) => silentDb.listen(0, '127.0.0.1', resolve));

    // The task directory holds the bundle only: nothing resolves from the repository's node_modules except
    // through NODE_PATH, the way the layer's /opt/nodejs/node_modules is found in Lambda. Each trace id is one
    // invocation of the same container (Lambda sets _X_AMZN_TRACE_ID per invocation); the process lingers so
    // that work left running by an invocation can finish (and must not send anything more).
    taskDir = mkdtempSync(join(tmpdir(), 'lambda-task-'));
    copyFileSync(bundleLambda('health-check').jsPath, join(taskDir, 'index.js'));
    writeFileSync(
      join(taskDir, 'invoke.js'),
      `const { handler } = require('./index.js');
       (async () => {
         for (const traceId of process.env.TEST_TRACE_IDS.split(',')) {
           process.env._X_AMZN_TRACE_ID = 'Root=' + traceId + ';Parent=53995c3f42cd8ad8;Sampled=1';
           const r = await handler(JSON.parse(process.env.TEST_EVENT), { ...JSON.parse(process.env.TEST_CONTEXT), getRemainingTimeInMillis: () => 3000 });
           console.log('RESULT ' + JSON.stringify(r));
         }
         setTimeout(() => process.exit(0), Number(process.env.TEST_LINGER_MS));
       })().catch((e) => { console.error(e); process.exit(1); });`,
    );
  });

  beforeEach(() => {
    documents = [];
    awsCalls = [];
    ssmDelayMs = 0;
    secretDelayMs = 0;
  });

  afterAll(async () => {
    udp?.close();
    // Keep-alive and never-answered connections would hold close() open.
    http?.closeAllConnections();
    await new Promise((resolve) => http?.close(resolve));
    for (const socket of silentSockets) socket.destroy();
    await new Promise((resolve) => silentDb?.close(resolve));
    if (taskDir) rmSync(taskDir, { recursive: true, force: true });
  });

  function invoke(traceIds: string[], lingerMs: number) {
    return run(join(taskDir, 'invoke.js'), {
      NODE_PATH: join(ROOT, 'node_modules'),
      PATH: process.env.PATH ?? '',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      LAMBDA_TASK_ROOT: taskDir,
      _HANDLER: 'index.handler',
      AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${(udp.address() as AddressInfo).port}`,
      AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'example-secret',
      AWS_ENDPOINT_URL: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
      CONFIG_PATH: '/pay/dev/',
      POWERTOOLS_SERVICE_NAME: 'health-check',
      POWERTOOLS_METRICS_NAMESPACE: 'Payments',
      TEST_EVENT: JSON.stringify(apiEvent({ method: 'GET', path: '/health' })),
      TEST_CONTEXT: JSON.stringify(lambdaContext('pay-dev-use1-health-check')),
      TEST_TRACE_IDS: traceIds.join(','),
      TEST_LINGER_MS: String(lingerMs),
    });
  }

  const results = (stdout: string) => stdout.split('\n').filter((l) => l.startsWith('RESULT ')).map((l) => JSON.parse(l.slice('RESULT '.length)));
  // Children: either embedded in their parent or streamed on their own with the parent's id.
  const childrenOf = (doc: Record<string, unknown>) => [
    ...((doc.subsegments as Record<string, unknown>[]) ?? []),
    ...documents.filter((d) => d.parent_id === doc.id),
  ];

  test('a 503 answer leaves a handler subsegment annotated and flagged, with AWS SDK and PostgreSQL subsegments under it', async () => {
    ssmDelayMs = 0;
    dbPort = 9; // nothing listens: the database check fails fast (and must show as a fault)
    const traceId = '1-6740a1b2-0123456789abcdef01234567';
    const { stdout, stderr, code } = await invoke([traceId], 200);
    expect(code).toBe(0);
    const [result] = results(stdout);
    expect(result.statusCode).toBe(503);
    expect(JSON.parse(result.body).checks.dynamodb.status).toBe('pass');
    expect(awsCalls).toEqual(expect.arrayContaining(['AmazonSSM.GetParametersByPath', 'secretsmanager.GetSecretValue', 'DynamoDB_20120810.GetItem']));
    expect(stdout + stderr).not.toContain('never-logged');

    await waitFor(() => documents.some((d) => d.name === '## index.handler'));
    const [handlerSeg] = documents.filter((d) => d.name === '## index.handler');
    expect(handlerSeg).toMatchObject({
      trace_id: traceId,
      parent_id: '53995c3f42cd8ad8',
      type: 'subsegment',
      fault: true,
      annotations: { ColdStart: true, Service: 'health-check', statusCode: 503 },
    });
    const children = childrenOf(handlerSeg);
    // The probes run in parallel, each under the handler; the secret is read while connecting to PostgreSQL.
    expect(children.map((c) => c.name).sort()).toEqual(['DynamoDB', 'SSM', 'postgres']);
    expect(children.find((c) => c.name === 'DynamoDB')).toMatchObject({ namespace: 'aws', aws: { operation: 'GetItem', table_name: 'pay-dev-sessions' } });
    expect(children.find((c) => c.name === 'SSM')).toMatchObject({ namespace: 'aws', aws: { operation: 'GetParametersByPath' } });
    const postgres = children.find((c) => c.name === 'postgres')!;
    expect(postgres).toMatchObject({ namespace: 'remote', fault: true, annotations: { operation: 'query' } });
    expect(childrenOf(postgres).map((c) => c.name)).toEqual(['SecretsManager']);
    expect(JSON.stringify(documents)).not.toContain('never-logged');
  });

  test('work still running when the budget answers is sent as abandoned with its own invocation, never under the next one', async () => {
    ssmDelayMs = 700; // the database check starts late and its 1 s connect timeout outlives the 1.5 s budget
    dbPort = (silentDb.address() as AddressInfo).port;
    const first = '1-6740a1b2-aaaaaaaaaaaaaaaaaaaaaaaa';
    const second = '1-6740a1b3-bbbbbbbbbbbbbbbbbbbbbbbb';
    const { stdout, code } = await invoke([first, second], 1500);
    expect(code).toBe(0);
    expect(results(stdout).map((r) => r.statusCode)).toEqual([503, 503]);

    const handlers = documents.filter((d) => d.name === '## index.handler');
    expect(handlers.map((h) => h.trace_id).sort()).toEqual([first, second]);
    // The first invocation (configuration loaded late) answered while its database check was still connecting:
    // that check finished during the second invocation, yet it is sent once, with the first, as abandoned.
    const firstHandler = handlers.find((h) => h.trace_id === first)!;
    expect(childrenOf(firstHandler).filter((c) => c.name === 'postgres')).toEqual([
      expect.objectContaining({ annotations: expect.objectContaining({ abandoned: true, operation: 'query' }) }),
    ]);
    for (const h of handlers) {
      expect(h).toMatchObject({ fault: true, annotations: { statusCode: 503 } });
      // Every streamed child of an invocation carries that invocation's trace id.
      for (const d of documents.filter((doc) => doc.parent_id === h.id)) expect(d.trace_id).toBe(h.trace_id);
    }
    // Nothing was sent twice (a late close of abandoned work would re-send it).
    const ids = documents.map((d) => d.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  // Why closeAbandoned (lambdas/shared/observability.ts) also turns the closed child's `close` into a no-op: the AWS
  // SDK's X-Ray middleware closes its subsegment when the call settles, without asking whether it is closed, and
  // the X-Ray SDK's close is not idempotent (a second one streams the subsegment again).
  test('an AWS SDK call still running when the budget answers (no abort in Powertools\' provider) closes late and is sent once, as abandoned', async () => {
    // The secret arrives 2 s after it was asked for: past the 1.5 s budget, before the 3 s read timeout.
    secretDelayMs = 2000;
    dbPort = (silentDb.address() as AddressInfo).port;
    const first = '1-6740a1b4-cccccccccccccccccccccccc';
    const second = '1-6740a1b5-dddddddddddddddddddddddd';
    const { stdout, code } = await invoke([first, second], 2500);
    expect(code).toBe(0);
    expect(results(stdout).map((r) => r.statusCode)).toEqual([503, 503]);

    const handlers = documents.filter((d) => d.name === '## index.handler');
    expect(handlers.map((h) => h.trace_id).sort()).toEqual([first, second]);
    // The first invocation asked for the secret; the second waited on the same read (the pool's credentials).
    const [postgres] = childrenOf(handlers.find((h) => h.trace_id === first)!).filter((c) => c.name === 'postgres');
    expect(postgres).toMatchObject({ annotations: expect.objectContaining({ abandoned: true }) });
    expect(awsCalls.filter((c) => c === 'secretsmanager.GetSecretValue')).toHaveLength(1);
    // The read settled during the second invocation: its late close sent nothing more (without the no-op close,
    // the same subsegment is sent a second time).
    expect(childrenOf(postgres)).toEqual([expect.objectContaining({ name: 'SecretsManager', trace_id: first, annotations: { abandoned: true } })]);
    const ids = documents.map((d) => d.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

function run(script: string, env: NodeJS.ProcessEnv): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script], { env, cwd: join(script, '..') });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout, stderr, code }));
  });
}

async function waitFor(predicate: () => boolean, timeoutMs = 2000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!predicate() && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
}
