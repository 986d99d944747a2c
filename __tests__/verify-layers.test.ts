// The credentialed check of the Powertools layer pin (run in the PR workflow with the read-only plan role).
import { GetLayerVersionByArnCommand, type GetLayerVersionByArnCommandOutput, LambdaClient } from '@aws-sdk/client-lambda';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mockClient } from 'aws-sdk-client-mock';
import { layersOf, verifyLayers } from '../scripts/verify-layers';
import { projectRoot } from '../src/lambda-bundle';
import { POWERTOOLS_LAYER } from '../src/powertools-layer';
import { synthDrStack } from './support/synth';

const { synth } = synthDrStack();
const lambda = mockClient(LambdaClient);
afterEach(() => lambda.reset());
const client = () => new LambdaClient({ region: 'us-east-1' });
const published: GetLayerVersionByArnCommandOutput = {
  $metadata: {},
  Description: `Powertools for AWS Lambda (TypeScript) version ${POWERTOOLS_LAYER.packageVersion}`,
  CompatibleArchitectures: ['arm64', 'x86_64'],
  CompatibleRuntimes: ['nodejs22.x', 'nodejs24.x'],
};

test('finds the Powertools layer of each region and the functions using it', () => {
  const uses = layersOf(synth.json);
  expect(uses.map((u) => u.region).sort()).toEqual(['us-east-1', 'us-west-2']);
  // Primary: payment, health, outbox sweep, rotation, prober; DR: payment, health, outbox sweep, prober.
  expect(uses.map((u) => u.functions.length).sort()).toEqual([4, 5]);
  for (const u of uses) expect(u.arn).toBe(`arn:aws:lambda:${u.region}:094274105915:layer:AWSLambdaPowertoolsTypeScriptV2:${POWERTOOLS_LAYER.layerVersion}`);
});

test('passes when every layer describes the pinned Powertools version', async () => {
  lambda.on(GetLayerVersionByArnCommand).resolves(published);
  expect(await verifyLayers(layersOf(synth.json), client)).toEqual([]);
  expect(lambda.commandCalls(GetLayerVersionByArnCommand).map((c) => c.args[0].input.Arn).sort()).toEqual(layersOf(synth.json).map((u) => u.arn).sort());
});

test('names the layer, what it is and the fix when the number points at another version', async () => {
  lambda.on(GetLayerVersionByArnCommand).resolves({ ...published, Description: 'Powertools for AWS Lambda (TypeScript) version 2.34.0' });
  const problems = await verifyLayers(layersOf(synth.json), client);
  expect(problems).toHaveLength(2);
  expect(problems[0]).toMatch(/AWSLambdaPowertoolsTypeScriptV2:50 \(used by aws_lambda_function\..*\) is "Powertools .* version 2\.34\.0", expected Powertools 2\.35\.0: fix POWERTOOLS_LAYER\.layerVersion/);
});

test('refuses a layer not built for arm64 / nodejs22.x', async () => {
  lambda.on(GetLayerVersionByArnCommand).resolves({ ...published, CompatibleArchitectures: ['x86_64'] });
  expect((await verifyLayers(layersOf(synth.json), client))[0]).toMatch(/is not built for arm64/);
});

test('a layer that cannot be read is a failure with the reason, not a pass', async () => {
  lambda.on(GetLayerVersionByArnCommand).rejects(Object.assign(new Error('User is not authorized to perform: lambda:GetLayerVersion'), { name: 'AccessDeniedException' }));
  const problems = await verifyLayers(layersOf(synth.json), client);
  expect(problems).toHaveLength(2);
  expect(problems[0]).toMatch(/cannot be read: AccessDeniedException: User is not authorized/);
});

test('the CLI exits 2 on bad usage and 1 when the layers cannot be read (no credentials here)', () => {
  const root = projectRoot();
  const usage = spawnSync(process.execPath, [join(root, 'scripts', 'run.js'), 'scripts/verify-layers.ts'], { cwd: root, encoding: 'utf8' });
  expect(usage.status).toBe(2);
  expect(usage.stderr).toMatch(/usage: npm run verify:layers -- <path to cdk.tf.json>/);

  const dir = mkdtempSync(join(tmpdir(), 'verify-layers-'));
  try {
    const file = join(dir, 'cdk.tf.json');
    writeFileSync(file, JSON.stringify(synth.json));
    const env = { PATH: process.env.PATH ?? '', AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'x', AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_MAX_ATTEMPTS: '1' };
    const r = spawnSync(process.execPath, [join(root, 'scripts', 'run.js'), 'scripts/verify-layers.ts', file], { cwd: root, encoding: 'utf8', env });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^FAIL arn:aws:lambda:us-east-1:094274105915:layer:AWSLambdaPowertoolsTypeScriptV2:50$/m);
    expect(r.stderr).toMatch(/cannot be read/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
