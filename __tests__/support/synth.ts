import { DefaultTokenResolver, StringConcat, TerraformResource, Testing, TerraformStack, Tokenization } from 'cdktf';
import { DEFAULT_CONFIG, PlatformConfig, mergeConfig, resolveConfig } from '../../src/config';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { DrStack } from '../../src/dr-stack';
import { stackName } from '../../src/stack-identity';
import { Naming } from '../../src/naming';
import { RegionContext } from '../../src/region';

/** A placeholder hosted zone id for tests (the format Route 53 uses). */
export const TEST_ZONE_ID = 'Z0123456789ABCDEFGHIJ';

/**
 * Resolved config: the embedded defaults with `overrides` merged over them. The prod profile requires an existing
 * delegated zone (config validation), so prod overrides that do not name one get TEST_ZONE_ID.
 */
export function testConfig(overrides: Record<string, unknown> = {}): PlatformConfig {
  const merged = mergeConfig(DEFAULT_CONFIG, overrides) as { profile?: string; dns: { hostedZoneId: string | null } };
  const zone = merged.profile === 'prod' && merged.dns.hostedZoneId === null ? { dns: { hostedZoneId: TEST_ZONE_ID } } : {};
  return resolveConfig(mergeConfig(merged, zone), 'test');
}

export type Json = Record<string, any>;

/** The synthesized JSON of a stack, with small queries that read like specifications. */
export class Synth {
  readonly json: Json;

  constructor(public readonly stack: TerraformStack) {
    this.json = JSON.parse(Testing.synth(stack));
  }

  /** Resources of `type`, keyed by logical id. */
  resources(type: string): Record<string, Json> {
    return this.json.resource?.[type] ?? {};
  }

  list(type: string): Json[] {
    return Object.values(this.resources(type));
  }

  count(type: string): number {
    return this.list(type).length;
  }

  /** Every resource as [type, logical id, body]. */
  all(): Array<[string, string, Json]> {
    return Object.entries(this.json.resource ?? {}).flatMap(([type, byId]) =>
      Object.entries(byId as Record<string, Json>).map(([id, body]) => [type, id, body] as [string, string, Json]),
    );
  }

  /** The resolved token of a construct attribute, e.g. `${aws_vpc.network-primary_vpc_1234.id}`. */
  ref(value: unknown): string {
    return Tokenization.resolve(value, {
      scope: this.stack,
      preparing: false,
      resolver: new DefaultTokenResolver(new StringConcat()),
    }) as string;
  }

  /** The synthesized body of a construct's resource (found through the construct, never a hashed id). */
  bodyOf(resource: TerraformResource): Json {
    const found = this.resources(resource.terraformResourceType)[this.stack.getLogicalId(resource)];
    if (!found) throw new Error(`no synthesized ${resource.terraformResourceType} for ${resource.node.path}`);
    return found;
  }

  /** How cdktf renders a resource in `depends_on`: `<type>.<logical id>`. */
  address(resource: TerraformResource): string {
    return `${resource.terraformResourceType}.${this.stack.getLogicalId(resource)}`;
  }

  /** Resources of `type` whose `provider` is `aws.<alias>`. */
  inRegion(type: string, alias: 'primary' | 'dr'): Json[] {
    return this.list(type).filter((r) => r.provider === `aws.${alias}`);
  }
}

export function synthDrStack(overrides: Record<string, unknown> = {}): { stack: DrStack; synth: Synth } {
  const config = testConfig(overrides);
  const app = Testing.app();
  const stack = new DrStack(app, stackName(config), { config });
  return { stack, synth: new Synth(stack) };
}

/** Parses an IAM/KMS policy document that may have been serialized with JSON.stringify. */
export function policyOf(text: string): { Statement: Json[] } {
  return JSON.parse(text);
}

/**
 * A bare stack with the two aliased providers and region contexts from the default config, for testing one
 * construct in isolation: `const { stack, primary, dr, config } = fixtureStack();`
 */
export function fixtureStack(overrides: Record<string, unknown> = {}) {
  const config = testConfig(overrides);
  const app = Testing.app();
  const stack = new TerraformStack(app, 'fixture');
  const naming = new Naming(config.namePrefix, config.environmentSuffix, config.accountId);
  const ctx = (role: 'primary' | 'dr'): RegionContext => ({
    provider: new AwsProvider(stack, `aws-${role}`, { alias: role, region: config.regions[role].region }),
    region: config.regions[role].region,
    role,
    availabilityZones: config.regions[role].availabilityZones,
    accountId: config.accountId,
    naming,
  });
  return { app, stack, config, primary: ctx('primary'), dr: ctx('dr') };
}
