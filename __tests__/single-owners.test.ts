/**
 * Rules stated once and asked everywhere: the construct and the config (or the guardrail) give the same answer,
 * because they call the same code. Each case would fail if one side went back to a rule of its own.
 */
import { AssetType, TerraformAsset } from 'cdktf';
import { join } from 'node:path';
import { ROUTE53_METRICS_RULE, route53MetricsSite } from '../src/aws-regions';
import { ConfigError } from '../src/config';
import { RegionalFunction } from '../src/constructs/regional-function';
import { AURORA_DEFAULTS, API_DEFAULTS } from '../src/defaults';
import { secretLike } from '../src/guardrails/app-rules';
import { fixtureStack, testConfig } from './support/synth';

describe('the secret-name rule: RegionalFunction refuses exactly what the LAMBDA-ENV-SECRETS guardrail refuses', () => {
  const cases: Array<[string, string]> = [
    ['DB_PASSWORD', 'x'],
    ['GITHUB_TOKEN', 'x'],
    ['API_KEY', 'x'],
    // Locators of a secret, not secrets: the guardrail allows them, and so must the construct (it refused
    // API_KEY_SECRET_NAME before the rule had one owner).
    ['API_KEY_SECRET_NAME', 'pay-dev-api-client-key'],
    ['DB_SECRET_ARN', 'arn'],
    ['ACTIVE_SITE_PARAMETER', '/pay/dev-control/active-site'],
    // A secret by its value, whatever the name.
    ['UPSTREAM', 'postgres://user:hunter2@db.example.com/payments'],
  ];
  const { stack, primary } = fixtureStack();
  const code = new TerraformAsset(stack, 'code', { path: join(__dirname, '..', 'package.json'), type: AssetType.FILE });
  let n = 0;
  const build = (environment: Record<string, string>) =>
    new RegionalFunction(stack, `fn-${++n}`, {
      ctx: primary,
      purpose: `fn${n}`,
      code,
      reservedConcurrency: 1,
      logKey: { arn: 'arn:aws:kms:us-east-1:123456789012:key/k', keyId: 'k' },
      logRetentionDays: 30,
      statements: [],
      environment,
    });

  test.each(cases)('%s=%s', (name, value) => {
    const why = secretLike(name, value);
    if (why) {
      expect(() => build({ [name]: value })).toThrow(`environment variable ${name} looks like a plaintext secret (${why})`);
    } else {
      expect(() => build({ [name]: value })).not.toThrow();
    }
  });

  test('both answers occur among the cases (the table can fail either way)', () => {
    const answers = new Set(cases.map(([name, value]) => secretLike(name, value) === undefined));
    expect(answers).toEqual(new Set([true, false]));
  });
});

describe('the us-east-1 rule: config and the stack ask route53MetricsSite', () => {
  test('the site in us-east-1, or none', () => {
    expect(route53MetricsSite({ primary: 'us-east-1', dr: 'us-west-2' })).toBe('primary');
    expect(route53MetricsSite({ primary: 'us-west-2', dr: 'us-east-1' })).toBe('dr');
    expect(route53MetricsSite({ primary: 'eu-west-1', dr: 'us-west-2' })).toBeUndefined();
  });

  test('config refuses a pair without us-east-1 with the rule\'s words', () => {
    const regions = {
      primary: { region: 'eu-west-1', availabilityZones: ['eu-west-1a', 'eu-west-1b'], vpcCidr: '10.0.0.0/16' },
      dr: { region: 'us-west-2', availabilityZones: ['us-west-2a', 'us-west-2b'], vpcCidr: '10.1.0.0/16' },
    };
    expect(() => testConfig({ regions })).toThrow(ConfigError);
    expect(() => testConfig({ regions })).toThrow(` has neither region in us-east-1; ${ROUTE53_METRICS_RULE}`);
  });
});

describe('defaults stated once: the dev config gets the constructs\' defaults', () => {
  test('Aurora and API', () => {
    const dev = testConfig();
    expect(dev.database).toMatchObject({
      engineVersion: AURORA_DEFAULTS.engineVersion,
      minCapacity: AURORA_DEFAULTS.minCapacity,
      maxCapacity: AURORA_DEFAULTS.maxCapacity,
      drInstances: AURORA_DEFAULTS.drInstanceCount,
      backupRetentionDays: AURORA_DEFAULTS.backupRetentionDays,
      slowQueryMs: AURORA_DEFAULTS.slowQueryMs,
    });
    expect(dev.api).toMatchObject(API_DEFAULTS);
  });

  test('the engine-version rule: config and construct refuse a pre-13 major alike', () => {
    expect(() => testConfig({ database: { engineVersion: '12.22' } })).toThrow(/database\.engineVersion: .*must be an aurora-postgresql version 13\.x or later like "16\.6"/);
  });
});
