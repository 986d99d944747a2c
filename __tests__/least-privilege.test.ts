import { readFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { RegionalFunction } from '../src/constructs/regional-function';
import { Json, policyOf, synthDrStack } from './support/synth';

/**
 * Least privilege, measured: each Lambda role grants exactly the AWS calls its code makes. The calls are read from
 * the handler's source (every `new XxxCommand(` of an `@aws-sdk/client-*` import, following relative imports), so
 * a grant the code no longer uses, or a call without a grant, fails here.
 */

const LAMBDAS = resolve(__dirname, '..', 'lambdas');

/** IAM service prefix of each AWS SDK v3 client package the handlers use. */
const IAM_PREFIX: Record<string, string> = {
  '@aws-sdk/client-dynamodb': 'dynamodb',
  '@aws-sdk/client-eventbridge': 'events',
  '@aws-sdk/client-s3': 's3',
  '@aws-sdk/client-secrets-manager': 'secretsmanager',
  '@aws-sdk/client-ssm': 'ssm',
};

/**
 * Powertools' Parameters providers (lambdas/shared: config, secrets, runtime, outbox) send the calls for the code:
 * each provider method, called on a receiver named as the code names them, is the call it makes (Powertools
 * 2.35.0: `SSMProvider.get` GetParameter, `getMultiple` GetParametersByPath with its paginator, `SecretsProvider.get`
 * GetSecretValue).
 */
const POWERTOOLS_PROVIDERS: Record<string, { readonly module: string; readonly calls: ReadonlyArray<[RegExp, string]> }> = {
  SSMProvider: {
    module: '@aws-lambda-powertools/parameters/ssm',
    calls: [
      [/\bprovider\.get\(/, 'ssm:GetParameter'],
      [/\.getMultiple\(/, 'ssm:GetParametersByPath'],
    ],
  },
  SecretsProvider: { module: '@aws-lambda-powertools/parameters/secrets', calls: [[/\b(provider|secrets\(\))\.get\(/, 'secretsmanager:GetSecretValue']] },
};

/**
 * KMS calls a service makes with the caller's permissions for an API call on encrypted data:
 * - GetSecretValue decrypts the secret value: kms:Decrypt (Secrets Manager User Guide, security-encryption).
 * - PutSecretValue encrypts a new version: kms:GenerateDataKey; replication to the DR replica re-encrypts it with
 *   the replica's key with the caller's permissions (Secrets Manager, "Troubleshoot replication").
 * - PutObject to an SSE-KMS bucket: kms:GenerateDataKey (S3 User Guide, UsingKMSEncryption, "Permissions").
 */
const KMS_FOR: Record<string, readonly string[]> = {
  'secretsmanager:GetSecretValue': ['kms:Decrypt'],
  'secretsmanager:PutSecretValue': ['kms:GenerateDataKey', 'kms:Encrypt', 'kms:Decrypt'],
  's3:PutObject': ['kms:GenerateDataKey'],
};

/** Statements every function has for its runtime (logs, VPC interfaces, X-Ray), not for its code's calls. */
const RUNTIME_SIDS = new Set(['OwnLogGroup', 'VpcNetworkInterfaces', 'XRayTraces']);

/** The AWS API calls (`service:Action`) the code reachable from `entry` sends, following relative imports. */
function callsOf(entry: string): Set<string> {
  const seen = new Set<string>();
  const calls = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    // import { A, B as C, type D } from '<module>'
    for (const m of text.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*'([^']+)'/g)) {
      const [, names, from] = m;
      if (from.startsWith('.')) {
        const base = resolve(dirname(file), from);
        const target = [`${base}.ts`, join(base, 'index.ts')].find((f) => existsSync(f));
        if (!target) throw new Error(`${file}: cannot resolve ${from}`);
        visit(target);
        continue;
      }
      for (const [provider, { module, calls: providerCalls }] of Object.entries(POWERTOOLS_PROVIDERS)) {
        if (from !== module || !new RegExp(`\\b${provider}\\b`).test(names)) continue;
        for (const [pattern, call] of providerCalls) if (pattern.test(text)) calls.add(call);
      }
      const prefix = IAM_PREFIX[from];
      if (!prefix) continue;
      for (const raw of names.split(',')) {
        const name = raw.trim().replace(/^type\s+/, '').split(/\s+as\s+/)[0];
        const command = /^(\w+)Command$/.exec(name);
        // Imported and constructed: `new XxxCommand(`.
        if (command && new RegExp(`new\\s+${name}\\s*\\(`).test(text)) calls.add(`${prefix}:${command[1]}`);
      }
    }
    // A relative import without braces would hide calls; the handlers do not use one.
    if (/import\s+\*\s+as\s+\w+\s+from\s+'\.\//.test(text)) throw new Error(`${file}: namespace import of local code; extend callsOf`);
  };
  visit(entry);
  return calls;
}

function grantsOf(fn: RegionalFunction, synth: ReturnType<typeof synthDrStack>['synth']): Json[] {
  return policyOf(synth.bodyOf(fn.policy).policy).Statement.filter((s) => !RUNTIME_SIDS.has(s.Sid));
}

describe('least privilege, measured against the Lambda code', () => {
  const { stack, synth } = synthDrStack();
  const functions: Array<[string, RegionalFunction, string]> = [
    ...(['primary', 'dr'] as const).flatMap((role): Array<[string, RegionalFunction, string]> => [
      [`payment ${role}`, stack.runtime[role].paymentFunction, 'payment-processor'],
      [`health ${role}`, stack.runtime[role].healthFunction, 'health-check'],
      [`outbox sweep ${role}`, stack.outboxSweep[role], 'outbox-sweep'],
    ]),
    ['rotation', stack.rotationFunction, 'secret-rotation'],
  ];

  test('the call scanner finds the calls of each handler', () => {
    expect([...callsOf(join(LAMBDAS, 'health-check', 'index.ts'))].sort()).toEqual([
      'dynamodb:GetItem',
      'secretsmanager:GetSecretValue',
      // The active-site designation (issue 13), read by the shared runtime.
      'ssm:GetParameter',
      'ssm:GetParametersByPath',
    ]);
  });

  test.each(functions)('%s: the role grants exactly the AWS calls its code makes (KMS only as those calls need)', (_name, fn, handler) => {
    const calls = callsOf(join(LAMBDAS, handler, 'index.ts'));
    const granted = grantsOf(fn, synth).flatMap((s) => [s.Action].flat() as string[]);
    const service = granted.filter((a) => !a.startsWith('kms:'));
    expect(new Set(service)).toEqual(calls);
    expect(service).toHaveLength(calls.size); // no action granted twice
    const kmsNeeded = new Set([...calls].flatMap((c) => KMS_FOR[c] ?? []));
    for (const a of granted.filter((g) => g.startsWith('kms:'))) expect(kmsNeeded).toContain(a);
  });

  test.each(functions)('%s: the function waits for its role\'s policy and its log group', (_name, fn) => {
    expect(synth.bodyOf(fn.function).depends_on).toEqual(expect.arrayContaining([synth.address(fn.policy), synth.address(fn.logGroup)]));
  });
});

describe('the quota check of a fresh account has the reserved totals', () => {
  test('outputs the reserved concurrency of each region (Lambda keeps 100 unreserved on top)', () => {
    const { stack, synth } = synthDrStack();
    // payment, health, rotation (primary), the prober of each region (2)
    expect(synth.json.output['lambda-reserved-concurrency-primary'].value).toBe(String(50 + 5 + 1 + 2));
    expect(synth.json.output['lambda-reserved-concurrency-dr'].value).toBe(String(50 + 5 + 2));
    expect(stack.rotationFunction.reservedConcurrency).toBe(1);
  });
});

