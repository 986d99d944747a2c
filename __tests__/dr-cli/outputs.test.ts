import { loadOutputs, OutputsError, outputsPath, parseOutputs } from '../../src/dr-cli/outputs';
import { OUTPUT_VALUES, terraformOutputs, World } from '../support/dr-cli-world';

const parse = (json: unknown, stack?: string) => parseOutputs(json, 'outputs.json', stack);
const problem = (json: unknown, stack?: string): string => {
  try {
    parse(json, stack);
  } catch (e) {
    expect(e).toBeInstanceOf(OutputsError);
    return (e as Error).message;
  }
  throw new Error('expected the outputs to be rejected');
};
const without = (...names: string[]) => Object.fromEntries(Object.entries(OUTPUT_VALUES).filter(([k]) => !names.includes(k)));

describe('stack outputs', () => {
  test('reads `terraform output -json` ({ name: { value } })', () => {
    const o = parse(terraformOutputs());
    expect(o.globalClusterId).toBe('pay-dev-aurora-global');
    expect(o.primary).toEqual({
      role: 'primary',
      region: 'us-east-1',
      clusterArn: OUTPUT_VALUES['primary-cluster-arn'],
      clusterId: 'pay-dev-use1-aurora',
      healthCheckId: 'hc-primary-1111',
      bucket: 'pay-dev-artifacts-use1',
      paymentFunction: 'pay-dev-use1-payment-processor',
      apiEndpoint: 'https://abc123.execute-api.us-east-1.amazonaws.com/prod',
      clusterParameterGroup: 'pay-dev-use1-aurora-pg16',
      accountId: '123456789012',
    });
    expect(o.activeRegion).toBe('primary');
    expect(o.activeSiteParameter).toBe('/pay/dev-control/active-site');
    expect(o.dr.region).toBe('us-west-2');
  });

  test('reads cdktf --outputs-file ({ stack: { name: value } })', () => {
    expect(parse({ 'payments-dr-dev': OUTPUT_VALUES }).dr.clusterId).toBe('pay-dev-usw2-aurora');
  });

  test('outputs nested by construct path inside the stack are found too', () => {
    const { 'hosted-zone-id': zone, ...rest } = OUTPUT_VALUES;
    expect(parse({ 'payments-dr-dev': { ...rest, dns: { 'hosted-zone-id': zone } } }).hostedZoneId).toBe('Z0123456789ABC');
  });

  test('several stacks need --stack', () => {
    const json = { 'payments-dr-dev': OUTPUT_VALUES, 'payments-dr-prod': { ...OUTPUT_VALUES, 'global-cluster-id': 'pay-prod-global' } };
    expect(problem(json)).toMatch(/holds several stacks \(payments-dr-dev, payments-dr-prod\); choose one with --stack <name>/);
    expect(parse(json, 'payments-dr-prod').globalClusterId).toBe('pay-prod-global');
    expect(problem(json, 'payments-dr-test')).toMatch(/has no stack "payments-dr-test"; it has: payments-dr-dev, payments-dr-prod/);
  });

  test.each([
    [['dr-cluster-arn'], /missing output\(s\): dr-cluster-arn$/m],
    [['api-domain-name', 'hosted-zone-id', 'payment-function-dr'], /missing output\(s\): api-domain-name, hosted-zone-id, payment-function-dr$/m],
  ])('names every missing output: %j', (names, message) => {
    expect(problem(terraformOutputs(without(...names)))).toMatch(message);
  });

  test('an empty file names all of them', () => {
    const m = problem({});
    expect(m).toMatch(/^The stack outputs in outputs\.json are incomplete or invalid:/);
    expect(m).toMatch(/missing output\(s\): primary-region, dr-region, global-cluster-id, .*api-endpoint-dr, active-region, active-site-parameter-name, primary-cluster-parameter-group, dr-cluster-parameter-group$/m);
  });

  test.each([
    ['primary-region', 'us-east', /primary-region: "us-east" is not an AWS region name/],
    ['dr-cluster-arn', 'pay-dev-usw2-aurora', /dr-cluster-arn: "pay-dev-usw2-aurora" is not an RDS cluster ARN/],
    ['api-endpoint-dr', 'http://x', /api-endpoint-dr: "http:\/\/x" is not an https:\/\/ URL/],
  ])('rejects an invalid %s', (name, value, message) => {
    expect(problem(terraformOutputs({ ...OUTPUT_VALUES, [name]: value }))).toMatch(message);
  });

  test('rejects the same region twice', () => {
    expect(problem({ ...OUTPUT_VALUES, 'dr-region': 'us-east-1' })).toMatch(/name the same region twice \(us-east-1\)/);
  });

  test('normalizes a trailing dot, a /hostedzone/ prefix and a trailing slash', () => {
    const o = parse({ ...OUTPUT_VALUES, 'api-domain-name': 'api.example.com.', 'hosted-zone-id': '/hostedzone/Z1', 'api-endpoint-dr': 'https://x.example/prod/' });
    expect([o.apiDomainName, o.hostedZoneId, o.dr.apiEndpoint]).toEqual(['api.example.com', 'Z1', 'https://x.example/prod']);
  });

  test('the path is --outputs, then DR_OUTPUTS_FILE, then cdktf.out/outputs.json', () => {
    expect(outputsPath('o.json', { DR_OUTPUTS_FILE: '/e.json' }, '/repo')).toBe('/repo/o.json');
    expect(outputsPath(undefined, { DR_OUTPUTS_FILE: '/e.json' }, '/repo')).toBe('/e.json');
    expect(outputsPath(undefined, {}, '/repo')).toBe('/repo/cdktf.out/outputs.json');
  });

  test('an unreadable or malformed file says how to create one', () => {
    const read = (text?: string) => (p: string) => {
      if (text === undefined) throw new Error(`ENOENT: no such file or directory, open '${p}'`);
      return text;
    };
    expect(() => loadOutputs('/x/outputs.json', read())).toThrow(/Cannot read the stack outputs file \/x\/outputs\.json: ENOENT.*\n.*cdktf output --outputs-file/);
    expect(() => loadOutputs('/x/outputs.json', read('{ nope'))).toThrow(/is not valid JSON/);
  });

  test('the CLI exits 2 with the message when outputs are missing', async () => {
    const world = new World();
    world.files.set('/work/mine.json', JSON.stringify(terraformOutputs(without('dr-health-check-id'))));
    const r = await world.run('status', '--outputs', 'mine.json');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/The stack outputs in \/work\/mine\.json are incomplete or invalid:\n  - missing output\(s\): dr-health-check-id/);
    world.env.DR_OUTPUTS_FILE = '/nowhere.json';
    expect((await world.run('status')).code).toBe(2);
    expect(world.stderr.text).toMatch(/Cannot read the stack outputs file \/nowhere\.json/);
    world.restore();
  });
});
