import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, DEFAULT_CONFIG, loadConfig, mergeConfig, repeatedKeys, resolveConfig } from '../src/config';

const configFile = (name: string) => join(__dirname, '..', 'config', name);
const readJson = (name: string) => JSON.parse(readFileSync(configFile(name), 'utf8'));

function problemsOf(overrides: Record<string, unknown>): string[] {
  try {
    resolveConfig(mergeConfig(DEFAULT_CONFIG, overrides));
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return [...(e as ConfigError).problems];
  }
  throw new Error('expected the config to be rejected');
}

const withPrimary = (patch: Record<string, unknown>) => ({ regions: { primary: patch } });
const withDr = (patch: Record<string, unknown>) => ({ regions: { dr: patch } });

describe('defaults and committed config files', () => {
  test('the embedded default is a complete dev environment', () => {
    const c = loadConfig({});
    expect(c.profile).toBe('dev');
    expect(c.regions.primary.region).toBe('us-east-1');
    expect(c.regions.dr.region).toBe('us-west-2');
    expect(c.regions.primary.availabilityZones).toHaveLength(3);
    expect(c.regions.dr.availabilityZones).toHaveLength(3);
    expect(c.network.natGateways).toBe('single');
    expect(c.protection).toEqual({
      deletionProtection: false,
      preventDestroy: false,
      finalSnapshot: false,
      forceDestroyBuckets: true,
      kmsDeletionWindowDays: 7,
      secretRecoveryWindowDays: 0,
    });
  });

  test('config/dev.json spells out exactly the embedded defaults', () => {
    expect(loadConfig({ DR_CONFIG: configFile('dev.json') })).toEqual(loadConfig({}));
  });

  test.each(['dev.json', 'prod.json'])('config/%s spells out every setting, profile-derived ones included', (file) => {
    const json = readJson(file);
    expect(json.network.natGateways).toBeDefined();
    expect(json.logRetentionDays).toBeDefined();
    // every key of the defaults is present
    const keys = (o: object, p = ''): string[] =>
      Object.entries(o).flatMap(([k, v]) => (v && typeof v === 'object' && !Array.isArray(v) ? keys(v, `${p}${k}.`) : [`${p}${k}`]));
    expect(keys(json)).toEqual(expect.arrayContaining(keys(DEFAULT_CONFIG)));
  });

  test('each environment gets its own API name by default; prod.json names the public one', () => {
    expect(loadConfig({}).dns.apiRecordName).toBe('api-dev');
    expect(loadConfig({ DR_CONFIG: configFile('dev.json'), ENVIRONMENT_SUFFIX: 'pr123' }).dns.apiRecordName).toBe('api-pr123');
    const prod = loadConfig({ DR_CONFIG: configFile('prod.json') });
    expect(prod.dns.apiRecordName).toBe('api');
    expect(prod.dns.hostedZoneId).toMatch(/^Z/);
  });

  test('config/prod.json is the prod profile and protects data', () => {
    const c = loadConfig({ DR_CONFIG: configFile('prod.json') });
    expect(c.profile).toBe('prod');
    expect(c.network.natGateways).toBe('one-per-az');
    expect(c.protection).toEqual({
      deletionProtection: true,
      preventDestroy: true,
      finalSnapshot: true,
      forceDestroyBuckets: false,
      kmsDeletionWindowDays: 30,
      secretRecoveryWindowDays: 30,
    });
  });

  test('the profile is never guessed from the suffix', () => {
    const c = resolveConfig(mergeConfig(DEFAULT_CONFIG, { environmentSuffix: 'prod' }));
    expect(c.profile).toBe('dev');
    expect(c.protection.deletionProtection).toBe(false);
  });

  test('prod profile defaults NAT per zone and a year of logs when the file omits them', () => {
    const c = resolveConfig(mergeConfig(DEFAULT_CONFIG, { profile: 'prod', dns: { hostedZoneId: 'Z0123456789ABCDEFGHIJ' } }));
    expect(c.network.natGateways).toBe('one-per-az');
    expect(c.logRetentionDays).toBe(365);
  });
});

describe('overrides', () => {
  test('CI variables override suffix and state bucket', () => {
    const c = loadConfig({
      ENVIRONMENT_SUFFIX: 'pr42',
      TERRAFORM_STATE_BUCKET: 'ci-state-bucket',
      TERRAFORM_STATE_BUCKET_REGION: 'eu-west-1',
    });
    expect(c.environmentSuffix).toBe('pr42');
    expect(c.stateBackend).toEqual({ bucket: 'ci-state-bucket', region: 'eu-west-1', keyPrefix: 'payments-dr', kmsKeyArn: null });
  });

  test('CI variables win over the DR_CONFIG file', () => {
    const c = loadConfig({ DR_CONFIG: configFile('prod.json'), ENVIRONMENT_SUFFIX: 'prod2' });
    expect(c.environmentSuffix).toBe('prod2');
    expect(c.profile).toBe('prod');
  });

  test('a DR_CONFIG file merges over the defaults; arrays replace', () => {
    expect(mergeConfig({ a: { b: 1, c: [1, 2] } }, { a: { c: [3] } })).toEqual({ a: { b: 1, c: [3] } });
  });

  test('an environment variable is validated like the file', () => {
    expect(() => loadConfig({ ENVIRONMENT_SUFFIX: 'Bad_Suffix' })).toThrow(/environmentSuffix: "Bad_Suffix"/);
  });

  test.each([
    ['a missing file', '/nonexistent/config.json', /DR_CONFIG: cannot read "\/nonexistent\/config.json"/],
    ['not JSON', __filename, /is not valid JSON/],
  ])('DR_CONFIG pointing at %s fails with a clear message', (_what, path, message) => {
    expect(() => loadConfig({ DR_CONFIG: path })).toThrow(message);
  });

  test('a key written twice in one object is refused, naming it and its line (JSON.parse would keep the last one silently)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'config-'));
    const path = join(dir, 'twice.json');
    writeFileSync(path, '{\n  "activeRegion": "dr",\n  "profile": "dev",\n  "activeRegion": "primary"\n}\n');
    expect(() => loadConfig({ DR_CONFIG: path })).toThrow(/repeats the key "activeRegion" \(line 4\).*keep one/);
    // Nested objects too; the same name in different objects is fine.
    expect(repeatedKeys('{"a": {"x": 1, "x": 2}, "b": {"x": 3}}')).toEqual(['"x" (line 1)']);
    expect(repeatedKeys('{"a": {"x": 1}, "b": {"x": 3}}')).toEqual([]);
  });

  test.each(['dev.json', 'prod.json'])('config/%s repeats no key', (name) => {
    expect(repeatedKeys(readFileSync(configFile(name), 'utf8'))).toEqual([]);
  });
});

describe('bad config is rejected with the field, the value and the fix', () => {
  test.each<[string, Record<string, unknown>, RegExp]>([
    ['same region twice', withDr({ region: 'us-east-1', availabilityZones: ['us-east-1a', 'us-east-1b'] }), /regions\.dr\.region: "us-east-1" is the same as regions\.primary\.region; .*"us-west-2"/],
    ['unknown region', withDr({ region: 'us-moon-1' }), /regions\.dr\.region: "us-moon-1" is not an AWS region this stack supports; use one of: us-east-1/],
    ['AZ not in its region', withPrimary({ availabilityZones: ['us-east-1a', 'us-west-2b'] }), /regions\.primary\.availabilityZones\.1: "us-west-2b" is not an availability zone of us-east-1; use names like "us-east-1a"/],
    ['fewer than 2 AZs', withPrimary({ availabilityZones: ['us-east-1a'] }), /regions\.primary\.availabilityZones: \["us-east-1a"\] needs at least 2 availability zones/],
    ['the same AZ twice', withPrimary({ availabilityZones: ['us-east-1a', 'us-east-1a'] }), /availabilityZones\.1: "us-east-1a" is listed twice/],
    ['invalid CIDR', withPrimary({ vpcCidr: '10.0.0.300/16' }), /regions\.primary\.vpcCidr: "10.0.0.300\/16" has an octet above 255/],
    ['CIDR that is not a network address', withPrimary({ vpcCidr: '10.0.0.1/16' }), /"10.0.0.1\/16" has host bits set; the network address is 10.0.0.0\/16/],
    ['CIDR prefix out of VPC range', withPrimary({ vpcCidr: '10.0.0.0/8' }), /"10.0.0.0\/8" must have a prefix length between \/16 and \/28/],
    ['overlapping CIDRs', withDr({ vpcCidr: '10.0.128.0/17' }), /regions\.dr\.vpcCidr: "10.0.128.0\/17" overlaps regions\.primary\.vpcCidr "10.0.0.0\/16"/],
    ['CIDR too small for the subnets', withPrimary({ vpcCidr: '10.0.0.0/20' }), /regions\.primary\.vpcCidr: "10.0.0.0\/20" is too small for 9 subnets of \/20 .*it holds 1/],
    ['suffix too long for S3/RDS names', { environmentSuffix: 'abcdefghijklmnop' }, /environmentSuffix: "abcdefghijklmnop" is longer than 12 characters/],
    ['suffix with upper case', { environmentSuffix: 'Dev' }, /environmentSuffix: "Dev" must be lowercase letters, digits and single hyphens/],
    ['suffix with underscore', { environmentSuffix: 'dev_1' }, /environmentSuffix: "dev_1" must be lowercase/],
    ['suffix ending with a hyphen', { environmentSuffix: 'dev-' }, /environmentSuffix: "dev-" must be/],
    ['suffix with a double hyphen', { environmentSuffix: 'dev--1' }, /environmentSuffix: "dev--1" must be/],
    ['suffix starting with a digit', { environmentSuffix: '1dev' }, /environmentSuffix: "1dev" must be/],
    ['malformed account id', { accountId: '12345' }, /accountId: "12345" must be a 12-digit AWS account id/],
    ['account id as a number', { accountId: 123456789012 }, /accountId: 123456789012 Expected string, received number/],
    ['malformed e-mail', { alerts: { emails: ['oncall-at-example.com'] } }, /alerts\.emails\.0: "oncall-at-example.com" is not an e-mail address/],
    ['no e-mail', { alerts: { emails: [] } }, /alerts\.emails: \[\] needs at least one address/],
    [
      'DR region without the pinned Powertools layer',
      withDr({ region: 'me-south-1', availabilityZones: ['me-south-1a', 'me-south-1b'] }),
      /regions\.dr\.region: "me-south-1" cannot host the Lambda functions: the Powertools Lambda layer 50 .* is not published in me-south-1/,
    ],
    ['unknown top-level key', { enviromentSuffix: 'dev' }, /unknown key\(s\) "enviromentSuffix": remove or fix the spelling/],
    ['unknown nested key', withPrimary({ vpcCIDR: '10.0.0.0/16' }), /regions\.primary: unknown key\(s\) "vpcCIDR"/],
    ['unknown profile', { profile: 'staging' }, /profile: "staging" is not a valid profile; use one of: dev, prod/],
    ['bad NAT mode', { network: { natGateways: 'two' } }, /network\.natGateways: "two" is not a valid NAT gateway mode; use one of: single, one-per-az/],
    ['bad log retention', { logRetentionDays: 31 }, /logRetentionDays: 31 is not a valid CloudWatch Logs retention; use one of: 1, 3/],
    ['bad hosted zone id', { dns: { hostedZoneId: 'zone-1' } }, /dns\.hostedZoneId: "zone-1" must be a Route 53 hosted zone id/],
    [
      'prod without an existing delegated zone',
      { profile: 'prod' },
      /dns\.hostedZoneId: null creates the zone inside the stack; prod needs an existing public zone for "payments\.example\.com" already delegated from its parent domain/,
    ],
    [
      'a dev API name another environment could claim',
      { dns: { apiRecordName: 'api' } },
      /dns\.apiRecordName: "api" does not contain the environment suffix "dev": another environment in the same zone and account could claim the same API name/,
    ],
    ['state key that is not a KMS key ARN', { stateBackend: { kmsKeyArn: 'alias/state' } }, /stateBackend\.kmsKeyArn: "alias\/state" must be a KMS key ARN/],
    ['bad state bucket', { stateBackend: { bucket: 'Bad_Bucket' } }, /stateBackend\.bucket: "Bad_Bucket" is not a valid S3 bucket name/],
    [
      'neither region in us-east-1',
      { regions: { primary: { region: 'eu-west-1', availabilityZones: ['eu-west-1a', 'eu-west-1b'] }, dr: { region: 'eu-central-1', availabilityZones: ['eu-central-1a', 'eu-central-1b'] } } },
      /regions: .* has neither region in us-east-1; Route 53 publishes health-check metrics only in us-east-1/,
    ],
    ['Serverless v2 below 0.5 ACU', { database: { minCapacity: 0 } }, /database\.minCapacity: 0 must be at least 0.5 ACU: a global database never auto-pauses/],
    ['max capacity below min', { database: { minCapacity: 4, maxCapacity: 2 } }, /database\.maxCapacity: 2 is below database\.minCapacity \(4\)/],
    ['engine version without Serverless v2 global support', { database: { engineVersion: '12.9' } }, /database\.engineVersion: "12.9" must be an aurora-postgresql version 13.x or later/],
    ['prod with one primary instance', { profile: 'prod', database: { primaryInstances: 1 } }, /database\.primaryInstances: 1 must be at least 2 in the prod profile/],
    ['health-check interval Route 53 does not offer', { dns: { healthCheckIntervalSeconds: 15 } }, /dns\.healthCheckIntervalSeconds: 15 is not a valid Route 53 health check interval; use one of: 10, 30/],
    ['failure threshold above 10', { dns: { healthCheckFailureThreshold: 11 } }, /dns\.healthCheckFailureThreshold: 11 Number must be less than or equal to 10/],
    ['WAF rate limit below the AWS minimum', { api: { wafRateLimit: 5 } }, /api\.wafRateLimit: 5 Number must be greater than or equal to 10/],
    ['backup schedule that is not an expression', { backup: { schedule: 'daily' } }, /backup\.schedule: "daily" must be a schedule expression/],
  ])('%s', (_name, overrides, message) => {
    const problems = problemsOf(overrides);
    expect(problems.join('\n')).toMatch(message);
  });

  test('every problem is listed at once, cross-field ones included', () => {
    const problems = problemsOf({
      environmentSuffix: 'Bad_Suffix',
      accountId: 'x',
      alerts: { emails: ['nope'] },
      regions: { dr: { region: 'us-east-1', availabilityZones: ['us-east-1a', 'us-east-1b'], vpcCidr: '10.0.0.0/16' } },
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^environmentSuffix:/),
        expect.stringMatching(/^accountId:/),
        expect.stringMatching(/^alerts\.emails\.0:/),
        expect.stringMatching(/^regions\.dr\.region: "us-east-1" is the same/),
        expect.stringMatching(/^regions\.dr\.vpcCidr: "10.0.0.0\/16" overlaps/),
      ]),
    );
  });

  test('the error message counts and lists the problems', () => {
    expect(() => resolveConfig(mergeConfig(DEFAULT_CONFIG, { accountId: '1', profile: 'x' }), 'my.json')).toThrow(
      /^Invalid configuration \(my.json\), 2 problem\(s\):\n  - /,
    );
  });
});
