/**
 * Address-transparent tiers (src/composition.ts): a resource in a tier keeps the Terraform address it would have
 * without the tier, ids outside tiers are exactly cdktf's, and two elements that would share an address throw.
 */
import { SsmParameter } from '@cdktf/provider-aws/lib/ssm-parameter';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { TerraformOutput, TerraformStack, Testing } from 'cdktf';
import { Construct } from 'constructs';
import { ComposedStack, Tier } from '../src/composition';

class Group extends Construct {}
class Transparent extends Tier {}

const parameter = (scope: Construct, id: string) => new SsmParameter(scope, id, { name: `/x/${id}`, type: 'String', value: id });

/** The same tree under both stack classes, with or without tiers in between: the logical ids of the leaves. */
function ids(StackClass: typeof TerraformStack, tiers: boolean): string[] {
  const app = Testing.app();
  const stack = new StackClass(app, 'stack');
  new AwsProvider(stack, 'aws', { region: 'us-east-1' });
  const wrap = (scope: Construct, id: string) => (tiers ? new Transparent(scope, id) : scope);
  const top = parameter(wrap(stack, 'tier-a'), 'top');
  const group = new Group(wrap(stack, 'tier-b'), 'group');
  const nested = parameter(wrap(group, 'tier-c'), 'nested');
  const deep = parameter(wrap(wrap(group, 'tier-d'), 'tier-e'), 'deep');
  const output = new TerraformOutput(wrap(stack, 'tier-f'), 'out', { value: 'x' });
  return [top, nested, deep, output].map((e) => stack.getLogicalId(e));
}

describe('ComposedStack', () => {
  test('without tiers, every logical id is exactly cdktf\'s (TerraformStack)', () => {
    expect(ids(ComposedStack, false)).toEqual(ids(TerraformStack, false));
  });

  test('a tier adds nothing to the ids of what it holds, at any depth', () => {
    const plain = ids(TerraformStack, false);
    expect(ids(ComposedStack, true)).toEqual(plain);
    // Sanity: the ids do carry the non-tier scopes (group) and are cdktf-hashed, and a plain stack would not hide tiers.
    expect(plain[0]).toBe('top');
    expect(plain[1]).toMatch(/^group_nested_[0-9A-F]{8}$/);
    expect(ids(TerraformStack, true)[0]).toMatch(/^tier-a_top_[0-9A-F]{8}$/);
  });

  test('the synthesized JSON keys resources and outputs by those ids', () => {
    const app = Testing.app();
    const stack = new ComposedStack(app, 'stack');
    new AwsProvider(stack, 'aws', { region: 'us-east-1' });
    parameter(new Transparent(stack, 'tier'), 'p');
    new TerraformOutput(new Transparent(stack, 'outputs'), 'o', { value: 'x' });
    const json = JSON.parse(Testing.synth(stack));
    expect(Object.keys(json.resource.aws_ssm_parameter)).toEqual(['p']);
    expect(Object.keys(json.output)).toEqual(['o']);
  });

  test('two elements that would share an address throw, naming both construct paths', () => {
    const stack = new ComposedStack(Testing.app(), 'stack');
    new AwsProvider(stack, 'aws', { region: 'us-east-1' });
    parameter(stack, 'same');
    parameter(new Transparent(stack, 'tier'), 'same');
    expect(() => Testing.synth(stack)).toThrow(/logical id "same" is allocated to both stack\/same and stack\/tier\/same/);
  });

  test('Tier.isTier recognises tiers only', () => {
    const stack = new TerraformStack(Testing.app(), 'stack');
    expect(Tier.isTier(new Transparent(stack, 't'))).toBe(true);
    expect(Tier.isTier(new Group(stack, 'g'))).toBe(false);
    expect(Tier.isTier(undefined)).toBe(false);
  });
});
