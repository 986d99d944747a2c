// The deployed artefact, run the way Lambda runs it: the esbuild bundle alone in a task directory, Powertools
// resolved through NODE_PATH as the Powertools layer provides it (/opt/nodejs/node_modules), AWS SDK calls
// to a local HTTP endpoint, and X-Ray segments caught on a local UDP "daemon".
import { spawn } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { builtinModules } from 'node:module';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PARAMETER_NAMES } from '../../lambdas/shared/config';
import { BUNDLE_EXTERNALS, bundleLambda, projectRoot } from '../../src/lambda-bundle';
import { POWERTOOLS_LAYER, pinnedPowertoolsVersions } from '../../src/powertools-layer';
import { apiEvent, lambdaContext } from '../support/lambda';

const ROOT = projectRoot();
const HANDLERS = ['payment-processor', 'health-check', 'secret-rotation'] as const;

describe('Lambda bundles and the Powertools layer', () => {
  test('every @aws-lambda-powertools package is pinned to the layer\'s version, in package.json and installed', () => {
    const pinned = pinnedPowertoolsVersions(ROOT);
    expect(Object.keys(pinned).sort()).toEqual(['@aws-lambda-powertools/logger', '@aws-lambda-powertools/metrics', '@aws-lambda-powertools/tracer']);
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
  });
});

const NODE_BUILTINS = new Set(builtinModules);

describe('X-Ray tracing of the deployed health-check bundle', () => {
  let udp: Socket;
  let http: Server;
  const documents: Record<string, unknown>[] = [];
  const awsCalls: string[] = [];
  let taskDir: string;

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
        res.end(JSON.stringify({ Parameters }));
      } else if (target === 'DynamoDB_20120810.GetItem') {
        res.end('{}');
      } else if (target === 'secretsmanager.GetSecretValue') {
        // Port 9: nothing listens, so the database check fails (and must show as a fault in the trace).
        res.end(JSON.stringify({ Name: 'pay/dev/db', VersionId: 'v1', SecretString: JSON.stringify({ username: 'app', password: 'never-logged', port: 9 }) }));
      } else {
        res.statusCode = 400;
        res.end(JSON.stringify({ __type: 'UnknownOperationException' }));
      }
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));

    // The task directory holds the bundle only: nothing resolves from the repository's node_modules except
    // through NODE_PATH, the way the layer's /opt/nodejs/node_modules is found in Lambda.
    taskDir = mkdtempSync(join(tmpdir(), 'lambda-task-'));
    copyFileSync(bundleLambda('health-check').jsPath, join(taskDir, 'index.js'));
    writeFileSync(
      join(taskDir, 'invoke.js'),
      `const { handler } = require('./index.js');
       handler(JSON.parse(process.env.TEST_EVENT), { ...JSON.parse(process.env.TEST_CONTEXT), getRemainingTimeInMillis: () => 3000 })
         .then((r) => { console.log('RESULT ' + JSON.stringify(r)); setTimeout(() => process.exit(0), 200); })
         .catch((e) => { console.error(e); process.exit(1); });`,
    );
  });

  afterAll(async () => {
    udp?.close();
    await new Promise((resolve) => http?.close(resolve));
    if (taskDir) rmSync(taskDir, { recursive: true, force: true });
  });

  test('a 503 answer leaves a handler subsegment annotated and flagged, with AWS SDK and PostgreSQL subsegments under it', async () => {
    const traceId = '1-6740a1b2-0123456789abcdef01234567';
    const { stdout, code } = await run(join(taskDir, 'invoke.js'), {
      NODE_PATH: join(ROOT, 'node_modules'),
      PATH: process.env.PATH ?? '',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      LAMBDA_TASK_ROOT: taskDir,
      _HANDLER: 'index.handler',
      _X_AMZN_TRACE_ID: `Root=${traceId};Parent=53995c3f42cd8ad8;Sampled=1`,
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
    });
    expect(code).toBe(0);
    const result = JSON.parse(stdout.split('\n').find((l) => l.startsWith('RESULT '))!.slice('RESULT '.length));
    expect(result.statusCode).toBe(503);
    expect(JSON.parse(result.body).checks.dynamodb.status).toBe('pass');
    expect(awsCalls).toEqual(expect.arrayContaining(['AmazonSSM.GetParametersByPath', 'secretsmanager.GetSecretValue', 'DynamoDB_20120810.GetItem']));
    expect(stdout).not.toContain('never-logged');

    await waitFor(() => documents.some((d) => d.name === '## index.handler'));
    const byName = (name: string) => documents.filter((d) => d.name === name);
    const [handlerSeg] = byName('## index.handler');
    expect(handlerSeg).toMatchObject({
      trace_id: traceId,
      parent_id: '53995c3f42cd8ad8',
      type: 'subsegment',
      fault: true,
      annotations: { ColdStart: true, Service: 'health-check', statusCode: 503 },
    });
    // Children: either embedded in their parent or streamed on their own with the parent's id.
    const childrenOf = (doc: Record<string, unknown>) => [
      ...((doc.subsegments as Record<string, unknown>[]) ?? []),
      ...documents.filter((d) => d.parent_id === doc.id),
    ];
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
