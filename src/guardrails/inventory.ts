import { TerraformResource, TerraformStack } from 'cdktf';

/** Synthesized (snake_case, tokens resolved) Terraform JSON. */
export type Json = Record<string, any>;

/** One resource as it will be written to cdk.tf.json, and the construct that declares it. */
export interface SynthResource {
  /** Terraform resource type, e.g. `aws_s3_bucket`. */
  readonly type: string;
  /** Logical id (the Terraform resource name). */
  readonly name: string;
  /** Terraform address: `<type>.<logical id>`. */
  readonly address: string;
  /** Construct path, e.g. `payments-dr-dev/artifacts/primary-bucket`. */
  readonly path: string;
  /** The resolved body without the `//` metadata: exactly the attributes Terraform will see. */
  readonly body: Json;
  /** Provider configuration key: `aws.<alias>`, or `aws` for the default provider. */
  readonly provider: string;
  /** The declaring construct (undefined only for resources written by a raw stack override). */
  readonly construct?: TerraformResource;
}

/** A whole-value Terraform reference `${<type>.<name>.<attribute>}` to a managed resource. */
export interface Reference {
  readonly type: string;
  readonly name: string;
  readonly attribute: string;
}

const REFERENCE = /^\$\{([a-z][a-z0-9_]*)\.([A-Za-z0-9_-]+)\.([a-z0-9_]+)\}$/;

/** The resource a value refers to when the value is exactly one reference (`data.` sources and expressions are not). */
export function parseReference(value: unknown): Reference | undefined {
  if (typeof value !== 'string') return undefined;
  const m = REFERENCE.exec(value);
  if (!m || m[1] === 'data' || m[1] === 'var' || m[1] === 'local' || m[1] === 'module') return undefined;
  return { type: m[1], name: m[2], attribute: m[3] };
}

/** A value that contains a Terraform expression (a reference or a function call): not known at synth. */
export function isExpression(value: unknown): boolean {
  return typeof value === 'string' && value.includes('${');
}

/** Nested blocks are synthesized as an object (single block) or an array of objects: always an array here. */
export function blocks(value: unknown): Json[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).filter((v): v is Json => typeof v === 'object' && v !== null);
}

/** A list attribute (or a single value) as an array. */
export function list(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** `true` as written by cdktf (a boolean), or the string "true". Unresolved expressions are not true. */
export function isTrue(value: unknown): boolean {
  return value === true || value === 'true';
}

export function isBlank(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

/**
 * Every managed resource of a stack, read from the stack's own `toTerraform()`.
 *
 * Why this source: `TerraformStack.toTerraform()` is the exact document `cdktf synth` writes (cdk.tf.json): it
 * merges each resource's attributes, meta-arguments and `addOverride` escape hatches (resource- and stack-level),
 * converts keys to snake_case and resolves every token, so a reference to a key reads
 * `${aws_kms_key.<logical id>.arn}`. Checking the bindings' camelCase config instead would miss overrides and see
 * opaque tokens. Each body carries `//.metadata.path`, which maps it back to its construct (for waivers and
 * error messages). Calling it has no side effects for a single stack; it costs one extra resolve per synth.
 */
export class Inventory {
  public readonly resources: readonly SynthResource[];
  /** The whole synthesized document (providers, resources, ...). */
  public readonly document: Json;
  private readonly byAddress = new Map<string, SynthResource>();
  private readonly regions = new Map<string, string>();

  static of(stack: TerraformStack): Inventory {
    return new Inventory(stack);
  }

  private constructor(stack: TerraformStack) {
    this.document = stack.toTerraform() as Json;
    const constructs = new Map<string, TerraformResource>();
    for (const c of stack.node.findAll()) {
      if (TerraformResource.isTerraformResource(c)) constructs.set(c.node.path, c);
    }
    const resources: SynthResource[] = [];
    for (const [type, byName] of Object.entries((this.document.resource ?? {}) as Record<string, Record<string, Json>>)) {
      for (const [name, raw] of Object.entries(byName)) {
        const { '//': meta, ...body } = raw;
        const path: string = meta?.metadata?.path ?? `${stack.node.path}/${name}`;
        const resource: SynthResource = {
          type,
          name,
          address: `${type}.${name}`,
          path,
          body,
          provider: typeof body.provider === 'string' ? body.provider : type.split('_')[0],
          construct: constructs.get(path),
        };
        resources.push(resource);
        this.byAddress.set(resource.address, resource);
      }
    }
    this.resources = resources;
    for (const [name, configs] of Object.entries((this.document.provider ?? {}) as Record<string, Json[]>)) {
      for (const config of list(configs) as Json[]) {
        const key = config.alias ? `${name}.${config.alias}` : name;
        if (typeof config.region === 'string' && !isExpression(config.region)) this.regions.set(key, config.region);
      }
    }
  }

  ofType(...types: readonly string[]): SynthResource[] {
    return this.resources.filter((r) => types.includes(r.type));
  }

  get(address: string): SynthResource | undefined {
    return this.byAddress.get(address);
  }

  /** The resource of this stack that `value` references as a whole (`${type.name.attr}`), if of one of `types`. */
  referenced(value: unknown, types?: readonly string[]): SynthResource | undefined {
    const ref = parseReference(value);
    if (!ref || (types && !types.includes(ref.type))) return undefined;
    return this.byAddress.get(`${ref.type}.${ref.name}`);
  }

  /** Whether `value` is a reference to `target` (any attribute, or one of `attributes`). */
  refersTo(value: unknown, target: SynthResource, attributes?: readonly string[]): boolean {
    const ref = parseReference(value);
    return !!ref && ref.type === target.type && ref.name === target.name && (!attributes || attributes.includes(ref.attribute));
  }

  /** Resources of `type` whose `attribute` references `target`. */
  referencing(type: string, attribute: string, target: SynthResource, attributes?: readonly string[]): SynthResource[] {
    return this.ofType(type).filter((r) => this.refersTo(r.body[attribute], target, attributes));
  }

  /** The region of a resource's provider, when it is a literal in the provider configuration. */
  regionOf(resource: SynthResource): string | undefined {
    return this.regions.get(resource.provider);
  }
}
