// The Parameter Store names contract (lambdas/shared/parameter-names.ts) against the synthesized stacks: every name
// a Lambda reads exists in its own region, and every parameter the stack writes under the Lambdas' paths is named by
// the contract. Names come from the functions' environment as synthesized, never from the contract alone.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CONFIG_PARAMETERS,
  configPath,
  CONTROL_PARAMETERS,
  CONTROL_PARAMETERS_READ,
  controlParameters,
  controlPath,
  OPTIONAL_CONFIG_PARAMETERS,
  PAYMENT_EVENTS_ENDPOINT_PARAMETER,
} from '../lambdas/shared/parameter-names';
import { type Json, type Synth, synthDrStack } from './support/synth';

const PROD = { profile: 'prod', environmentSuffix: 'prod' };
const ACCELERATOR = { edge: { mode: 'accelerator' } };
const stacks = {
  dev: synthDrStack(),
  prod: synthDrStack(PROD),
  'prod, accelerator': synthDrStack({ ...PROD, ...ACCELERATOR }),
  // A controller (and a prober that may start it) in each region, reading the control parameters of its own region.
  'prod, automatic failover': synthDrStack({ ...PROD, failover: { mode: 'automatic' } }),
};

/** The services built on lambdas/shared/runtime.ts: they read the configuration and the designation. */
const CONFIG_READERS = ['payment-processor', 'health-check', 'outbox-sweep'];

interface FunctionReads {
  readonly fn: string;
  readonly service: string;
  readonly provider: string;
  readonly names: string[];
}

/** What each function reads from Parameter Store, from its synthesized environment and the contract. */
function readsOf(synth: Synth): FunctionReads[] {
  return synth.list('aws_lambda_function').map((fn: Json) => {
    const env: Record<string, string> = fn.environment?.variables ?? {};
    const service = env.POWERTOOLS_SERVICE_NAME;
    const names: string[] = [];
    if (env.CONFIG_PATH) names.push(...Object.values(CONFIG_PARAMETERS).map((n) => `${env.CONFIG_PATH}${n}`));
    if (env.ACTIVE_SITE_PARAMETER) names.push(env.ACTIVE_SITE_PARAMETER);
    if (env.PAYMENT_EVENTS_ENDPOINT_PARAMETER) names.push(env.PAYMENT_EVENTS_ENDPOINT_PARAMETER);
    if (env.CONTROL_PATH) {
      const control = controlParameters(env.CONTROL_PATH);
      names.push(...(CONTROL_PARAMETERS_READ[service] ?? []).map((k) => control[k]));
    }
    return { fn: fn.function_name, service, provider: fn.provider, names };
  });
}

const parametersIn = (synth: Synth, provider: string): string[] =>
  synth.list('aws_ssm_parameter').filter((p) => p.provider === provider).map((p) => p.name);

describe.each(Object.entries(stacks))('%s', (_name, { stack, synth }) => {
  const naming = { prefix: stack.config.namePrefix, suffix: stack.config.environmentSuffix };
  const reads = readsOf(synth);

  test('every function built on the shared runtime is given the contract\'s configuration path and designation', () => {
    const readers = reads.filter((r) => CONFIG_READERS.includes(r.service));
    expect(new Set(readers.map((r) => r.service))).toEqual(new Set(CONFIG_READERS));
    for (const r of readers) {
      const env = synth.list('aws_lambda_function').find((f) => f.function_name === r.fn)!.environment.variables;
      expect([r.fn, env.CONFIG_PATH, env.ACTIVE_SITE_PARAMETER]).toEqual([r.fn, configPath(naming), controlParameters(controlPath(naming)).activeSite]);
      if (env.PAYMENT_EVENTS_ENDPOINT_PARAMETER) expect(env.PAYMENT_EVENTS_ENDPOINT_PARAMETER).toBe(`${configPath(naming)}${PAYMENT_EVENTS_ENDPOINT_PARAMETER}`);
    }
  });

  test('every control-path reader has the contract\'s control path and a declared list of what it reads', () => {
    const controlReaders = synth.list('aws_lambda_function').filter((f) => f.environment?.variables?.CONTROL_PATH);
    expect(controlReaders.length).toBeGreaterThanOrEqual(2); // a prober per region at least
    for (const f of controlReaders) {
      const env = f.environment.variables;
      expect([f.function_name, env.CONTROL_PATH]).toEqual([f.function_name, controlPath(naming)]);
      expect(CONTROL_PARAMETERS_READ[env.POWERTOOLS_SERVICE_NAME]).toBeDefined();
    }
  });

  test('every name a function reads exists in the synthesized stack, in that function\'s region', () => {
    const missing = reads.flatMap((r) => r.names.filter((n) => !parametersIn(synth, r.provider).includes(n)).map((n) => `${r.fn} (${r.provider}): ${n}`));
    expect(missing).toEqual([]);
    expect(reads.flatMap((r) => r.names).length).toBeGreaterThan(20);
  });

  test('every parameter the stack writes under the configuration or control path is named by the contract', () => {
    const config = configPath(naming);
    const control = controlPath(naming);
    const contract = new Set([
      ...[...Object.values(CONFIG_PARAMETERS), ...Object.values(OPTIONAL_CONFIG_PARAMETERS), PAYMENT_EVENTS_ENDPOINT_PARAMETER].map((n) => `${config}${n}`),
      ...Object.values(controlParameters(control)),
    ]);
    const written: string[] = synth.list('aws_ssm_parameter').map((p) => p.name);
    const underPaths = written.filter((n) => n.startsWith(config) || n.startsWith(`${control}/`));
    expect(underPaths.filter((n) => !contract.has(n))).toEqual([]);
    // And nothing a Lambda reads is written elsewhere.
    expect(written.filter((n) => !underPaths.includes(n))).toEqual([]);
  });

  test('the optional client-key name is written, in both regions, exactly when the edge is the accelerator', () => {
    const name = `${configPath(naming)}${OPTIONAL_CONFIG_PARAMETERS.apiKeySecretName}`;
    const expected = stack.config.edge.mode === 'accelerator' ? ['aws.dr', 'aws.primary'] : [];
    expect(synth.list('aws_ssm_parameter').filter((p) => p.name === name).map((p) => p.provider).sort()).toEqual(expected);
  });
});

describe.each(Object.entries(stacks))('%s: the synthetic-probe key', (_name, { stack, synth }) => {
  test('its name is written, in both regions, exactly in automatic failover mode', () => {
    const name = `${configPath({ prefix: stack.config.namePrefix, suffix: stack.config.environmentSuffix })}${OPTIONAL_CONFIG_PARAMETERS.probeKeySecretName}`;
    const expected = stack.config.failover.mode === 'automatic' ? ['aws.dr', 'aws.primary'] : [];
    expect(synth.list('aws_ssm_parameter').filter((p) => p.name === name).map((p) => p.provider).sort()).toEqual(expected);
  });
});

test('the contract imports nothing (constructs may import it: eslint.config.mjs, layering.test.ts)', () => {
  const source = readFileSync(join(__dirname, '..', 'lambdas', 'shared', 'parameter-names.ts'), 'utf8');
  expect(source).not.toMatch(/^\s*(import|export .* from)\b/m);
  expect(Object.keys(CONTROL_PARAMETERS_READ).every((service) => CONTROL_PARAMETERS_READ[service].every((k) => k in CONTROL_PARAMETERS))).toBe(true);
});
