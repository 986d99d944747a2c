/**
 * The stack outputs contract (src/contracts/stack-outputs.ts) ties the stack, which writes the outputs, to the DR CLI,
 * which reads them: the stack writes exactly the names the contract expects for its shape, literal values are of the
 * contract's kind, and the DR CLI reads only contract names and accepts a value of the contract's kind for each.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tier } from '../src/composition';
import { OutputKind, STACK_OUTPUTS, StackOutputName, expectedOutputs } from '../src/contracts/stack-outputs';
import { EDGE_OUTPUT_SCHEMA, OUTPUT_SCHEMA } from '../src/dr-cli/outputs';
import { automaticOutputs, stateMachineArnIn } from '../src/dr-cli/auto';
import { readEventsOutputs } from '../src/dr-cli/events';
import { Json, synthDrStack } from './support/synth';

const prodConfig = JSON.parse(readFileSync(join(__dirname, '..', 'config', 'prod.json'), 'utf8'));

const shapes = [
  { label: 'dev (creates its zone; manual failover; DNS edge)', overrides: {}, shape: { createdZone: true, automaticFailover: false, acceleratorEdge: false } },
  { label: 'prod (existing zone; automatic failover; DNS edge)', overrides: prodConfig, shape: { createdZone: false, automaticFailover: true, acceleratorEdge: false } },
  {
    label: 'dev with the accelerator edge and automatic failover',
    overrides: { edge: { mode: 'accelerator' }, failover: { mode: 'automatic' } },
    shape: { createdZone: true, automaticFailover: true, acceleratorEdge: true },
  },
] as const;

/** What a literal value of each kind looks like (a value with a Terraform reference is checked where it has a literal prefix). */
const LITERAL: Record<OutputKind, RegExp> = {
  region: /^[a-z]{2}(-[a-z]+)+-\d+$/,
  'site-role': /^(primary|dr)$/,
  profile: /^(dev|prod)$/,
  'failover-mode': /^(manual|automatic)$/,
  'edge-mode': /^accelerator$/,
  'rds-cluster-arn': /^arn:aws[a-z-]*:rds:[a-z0-9-]+:\d{12}:cluster:.+$/,
  'sns-topic-arn': /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:.+$/,
  'state-machine-arn': /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:.+$/,
  'accelerator-arn': /^arn:aws[a-z-]*:globalaccelerator::\d{12}:accelerator\/.+$/,
  'endpoint-group-arn': /^arn:aws[a-z-]*:globalaccelerator::\d{12}:accelerator\/.+\/listener\/.+\/endpoint-group\/.+$/,
  'load-balancer-arn': /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:loadbalancer\/.+$/,
  'https-url': /^https:\/\/[^/\s]+/,
  'dns-name': /^[a-z0-9-]+(\.[a-z0-9-]+)+$/,
  'ssm-parameter-name': /^\/[A-Za-z0-9_.\-/]*[A-Za-z0-9_.-]$/,
  'ssm-path': /^\/[A-Za-z0-9_.\-/]*[A-Za-z0-9_.-]$/,
  count: /^\d+$/,
  name: /^\S+$/,
  id: /^\S+$/,
  'name-servers': /^$/, // only ever a reference (the created zone's name_servers)
};

/** A realistic value of each kind, as `terraform output -json` would give it. */
const SAMPLE: Record<OutputKind, unknown> = {
  region: 'us-west-2',
  'site-role': 'dr',
  profile: 'prod',
  'failover-mode': 'automatic',
  'edge-mode': 'accelerator',
  'rds-cluster-arn': 'arn:aws:rds:us-west-2:123456789012:cluster:pay-prod-usw2-aurora',
  'sns-topic-arn': 'arn:aws:sns:us-west-2:123456789012:pay-prod-usw2-pager',
  'state-machine-arn': 'arn:aws:states:us-west-2:123456789012:stateMachine:pay-prod-usw2-failover',
  'accelerator-arn': 'arn:aws:globalaccelerator::123456789012:accelerator/1234abcd-abcd-1234-abcd-1234abcdefgh',
  'endpoint-group-arn': 'arn:aws:globalaccelerator::123456789012:accelerator/1234abcd/listener/0123abcd/endpoint-group/098765zyxwvu',
  'load-balancer-arn': 'arn:aws:elasticloadbalancing:us-west-2:123456789012:loadbalancer/app/pay-prod-usw2-api/50dc6c495c0c9188',
  'https-url': 'https://a1b2c3d4e5.execute-api.us-west-2.amazonaws.com/v1',
  'dns-name': 'api.payments.example.com',
  'ssm-parameter-name': '/pay/prod-control/active-site',
  'ssm-path': '/pay/prod-control',
  count: '215',
  name: 'pay-prod-usw2-payment-processor',
  id: 'abc-0123456789',
  'name-servers': ['ns-1.awsdns-01.org'],
};

const REFERENCE = /\$\{[^}]*\}/;

describe.each(shapes)('$label', ({ overrides, shape }) => {
  let outputs: Record<string, Json>;
  let stack: ReturnType<typeof synthDrStack>['stack'];
  let resources: Array<[string, string, Json]>;
  beforeAll(() => {
    const s = synthDrStack(overrides as Record<string, unknown>);
    outputs = s.synth.json.output;
    stack = s.stack;
    resources = s.synth.all();
    expect(stack.createdZone !== undefined).toBe(shape.createdZone);
    expect(stack.controller !== undefined).toBe(shape.automaticFailover);
    expect(stack.edge !== undefined).toBe(shape.acceleratorEdge);
  });

  test('the stack writes every output the contract expects for its shape, and no other', () => {
    expect(Object.keys(outputs).sort()).toEqual(expectedOutputs(shape).sort());
  });

  test('every output is directly in the stack, so `cdktf output` files stay flat', () => {
    for (const name of Object.keys(outputs)) expect(stack.node.tryFindChild(name)).toBeDefined();
  });

  test('each literal value is of the contract\'s kind', () => {
    const checked: string[] = [];
    for (const [name, body] of Object.entries(outputs)) {
      const kind = STACK_OUTPUTS[name as StackOutputName].kind;
      const value = body.value;
      if (typeof value !== 'string') continue;
      const literal = value.split(REFERENCE)[0];
      if (literal === value || (kind === 'https-url' && literal.length > 0)) {
        expect([name, literal === value ? value : `${literal}…`]).toEqual([name, expect.stringMatching(LITERAL[kind])]);
        checked.push(name);
      }
    }
    // The literals include the site roles, regions, profile, modes, counts and the API URLs.
    expect(checked).toEqual(expect.arrayContaining(['primary-region', 'active-region', 'environment-profile', 'failover-mode', 'lambda-reserved-concurrency-dr', 'api-endpoint-primary', 'api-domain-name']));
  });

  // Registered for the automatic shapes only (the manual one has no controller).
  if (shape.automaticFailover) test("the DR CLI finds each region's controller from the armed one's ARN (src/dr-cli/auto.ts stateMachineArnIn)", () => {
    const armed = outputs['controller-state-machine-arn'].value as string;
    const controllerRegion = outputs['controller-region'].value as string;
    const regions = [outputs['primary-region'].value as string, outputs['dr-region'].value as string];
    const derived = regions.map((r) => stateMachineArnIn(armed, controllerRegion, r)?.split(':stateMachine:')[1]);
    const synthesized = resources.filter(([type]) => type === 'aws_sfn_state_machine').map(([, , body]) => body.name as string);
    expect(derived.sort()).toEqual(synthesized.sort());
    expect(synthesized).toHaveLength(2);
  });

  test('tiers stay out of every Terraform address (src/composition.ts)', () => {
    const tierIds = stack.node.findAll().filter((c) => Tier.isTier(c)).map((c) => c.node.id);
    expect(tierIds).toEqual(expect.arrayContaining(['site-primary', 'data', 'api-edge', 'application-dr', 'traffic', 'drills']));
    const leaking = resources.filter(([, id]) => tierIds.some((t) => id.startsWith(`${t.replace(/[^A-Za-z0-9_-]/g, '')}_`)));
    expect(leaking.map(([type, id]) => `${type}.${id}`)).toEqual([]);
    // Addresses deployed stacks hold (issue 17: nothing moved when the stack became tiers).
    const addresses = new Set(resources.map(([type, id]) => `${type}.${id}`));
    for (const address of ['aws_secretsmanager_secret.api-client-secret', 'aws_lambda_permission.rotation-permission', 'aws_secretsmanager_secret_rotation.rotation', 'aws_security_group.app-sg-primary', 'aws_acm_certificate.api-certificate-dr', 'aws_cloudwatch_metric_alarm.drill-rto-guard']) {
      expect(addresses).toContain(address);
    }
  });
});

describe('the DR CLI reads the contract', () => {
  const cliSchemas = { ...OUTPUT_SCHEMA.shape, ...EDGE_OUTPUT_SCHEMA.shape };

  test('every name the DR CLI validates is a contract name, and it accepts a value of the contract\'s kind', () => {
    for (const [name, schema] of Object.entries(cliSchemas)) {
      expect(STACK_OUTPUTS).toHaveProperty([name]);
      const kind = STACK_OUTPUTS[name as StackOutputName].kind;
      expect([name, kind, schema.safeParse(SAMPLE[kind]).success]).toEqual([name, kind, true]);
    }
  });

  test('a value of another kind is refused where the kind is checked', () => {
    expect(OUTPUT_SCHEMA.shape['primary-cluster-arn'].safeParse(SAMPLE['sns-topic-arn']).success).toBe(false);
    expect(OUTPUT_SCHEMA.shape['active-region'].safeParse(SAMPLE.region).success).toBe(false);
  });

  test('the optional readers (automatic failover, payment events) find their outputs under contract names', () => {
    const file = Object.fromEntries(
      (Object.keys(STACK_OUTPUTS) as StackOutputName[]).map((name) => [name, { value: SAMPLE[STACK_OUTPUTS[name].kind] }]),
    );
    expect(automaticOutputs(file)).toEqual({
      mode: 'automatic',
      controllerRegion: SAMPLE.region,
      stateMachineArn: SAMPLE['state-machine-arn'],
      killSwitchParameter: SAMPLE['ssm-parameter-name'],
      lastRunParameter: SAMPLE['ssm-parameter-name'],
      operationLockParameter: SAMPLE['ssm-parameter-name'],
    });
    expect(readEventsOutputs(file)).toEqual({ busName: SAMPLE.name, endpointName: SAMPLE.name, endpointRegion: SAMPLE.region });
  });
});
