/**
 * Provider schemas (`terraform providers schema -json`) as value types, so a simulated state can hold a
 * type-correct value wherever a plan only knows "(known after apply)".
 */

/** A Terraform value type: attributes and nested blocks alike. */
export type ValueType =
  | { readonly kind: 'string' | 'number' | 'bool' | 'dynamic' }
  | { readonly kind: 'list' | 'set' | 'map'; readonly elem: ValueType }
  | { readonly kind: 'object'; readonly attrs: Readonly<Record<string, ValueType>>; readonly sensitive?: ReadonlySet<string> }
  | { readonly kind: 'tuple'; readonly elems: readonly ValueType[] };

export interface ResourceSchema {
  readonly version: number;
  readonly type: ValueType & { kind: 'object' };
}

const DYNAMIC: ValueType = { kind: 'dynamic' };

/** A cty type as terraform prints it in JSON (`"string"`, `["list","string"]`, `["object",{…}]`). */
export function fromCtyJson(t: unknown): ValueType {
  if (t === 'string' || t === 'number' || t === 'bool' || t === 'dynamic') return { kind: t };
  if (Array.isArray(t)) {
    const [kind, arg] = t as [string, unknown];
    if (kind === 'list' || kind === 'set' || kind === 'map') return { kind, elem: fromCtyJson(arg) };
    if (kind === 'object') {
      return { kind: 'object', attrs: Object.fromEntries(Object.entries(arg as Record<string, unknown>).map(([k, v]) => [k, fromCtyJson(v)])) };
    }
    if (kind === 'tuple') return { kind: 'tuple', elems: (arg as unknown[]).map(fromCtyJson) };
  }
  return DYNAMIC;
}

function nestedAttributeType(nested: any): ValueType {
  const object = blockType({ attributes: nested.attributes });
  switch (nested.nesting_mode) {
    case 'list':
      return { kind: 'list', elem: object };
    case 'set':
      return { kind: 'set', elem: object };
    case 'map':
      return { kind: 'map', elem: object };
    default:
      return object;
  }
}

/** A schema block (attributes and nested block types) as an object type. */
function blockType(block: any): ValueType & { kind: 'object' } {
  const attrs: Record<string, ValueType> = {};
  const sensitive = new Set<string>();
  for (const [name, a] of Object.entries<any>(block.attributes ?? {})) {
    attrs[name] = a.nested_type ? nestedAttributeType(a.nested_type) : fromCtyJson(a.type);
    if (a.sensitive) sensitive.add(name);
  }
  for (const [name, b] of Object.entries<any>(block.block_types ?? {})) {
    const inner = blockType(b.block);
    attrs[name] =
      b.nesting_mode === 'list'
        ? { kind: 'list', elem: inner }
        : b.nesting_mode === 'set'
          ? { kind: 'set', elem: inner }
          : b.nesting_mode === 'map'
            ? { kind: 'map', elem: inner }
            : inner;
  }
  return { kind: 'object', attrs, sensitive };
}

export class Schemas {
  private readonly cache = new Map<string, ResourceSchema>();

  /** `raw` is the parsed output of `terraform providers schema -json`. */
  constructor(private readonly raw: any) {}

  /** The schema of a managed resource type of provider `providerName` (e.g. `registry.terraform.io/hashicorp/aws`). */
  resource(providerName: string, type: string): ResourceSchema {
    const key = `${providerName} ${type}`;
    let found = this.cache.get(key);
    if (!found) {
      const s = this.raw.provider_schemas?.[providerName]?.resource_schemas?.[type];
      if (!s) throw new Error(`no schema for ${type} in ${providerName}`);
      found = { version: s.version ?? 0, type: blockType(s.block) };
      this.cache.set(key, found);
    }
    return found;
  }
}

/** The type one step into `t`: an attribute name of an object, or any index of a collection. */
export function childType(t: ValueType | undefined, step: string | number): ValueType | undefined {
  if (!t) return undefined;
  switch (t.kind) {
    case 'object':
      return typeof step === 'string' ? t.attrs[step] : undefined;
    case 'list':
    case 'set':
    case 'map':
      return t.elem;
    case 'tuple':
      return typeof step === 'number' ? t.elems[step] : undefined;
    default:
      return undefined;
  }
}

/** A value type as terraform prints a cty type in JSON (state outputs carry it). */
export function toCtyJson(t: ValueType): unknown {
  switch (t.kind) {
    case 'list':
    case 'set':
    case 'map':
      return [t.kind, toCtyJson(t.elem)];
    case 'object':
      return ['object', Object.fromEntries(Object.entries(t.attrs).map(([k, v]) => [k, toCtyJson(v)]))];
    case 'tuple':
      return ['tuple', t.elems.map(toCtyJson)];
    default:
      return t.kind;
  }
}

/** The cty type of a JSON value as terraform infers it (objects and tuples), for dynamic attributes and outputs. */
export function impliedCtyType(v: unknown): unknown {
  if (v === null || v === undefined) return 'dynamic';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return ['tuple', v.map(impliedCtyType)];
  return ['object', Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, impliedCtyType(x)]))];
}

/**
 * Converts an evaluated configuration value to `t` the way terraform does for resource arguments (numbers and
 * bools from strings and back, collections element by element, missing object attributes null).
 */
export function convert(v: unknown, t: ValueType | undefined): unknown {
  if (v === null || v === undefined || !t) return v ?? null;
  switch (t.kind) {
    case 'string':
      if (typeof v === 'string') return v;
      if (typeof v === 'number' || typeof v === 'boolean') return String(v);
      throw new Error(`cannot convert ${JSON.stringify(v)} to string`);
    case 'number':
      if (typeof v === 'number') return v;
      if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
      throw new Error(`cannot convert ${JSON.stringify(v)} to number`);
    case 'bool':
      if (typeof v === 'boolean') return v;
      if (v === 'true' || v === 'false') return v === 'true';
      throw new Error(`cannot convert ${JSON.stringify(v)} to bool`);
    case 'list':
    case 'set': {
      // JSON syntax lets a nested block be written as one object instead of a list of one.
      const list = !Array.isArray(v) && typeof v === 'object' && t.elem.kind === 'object' ? [v] : v;
      if (!Array.isArray(list)) throw new Error(`cannot convert ${JSON.stringify(v)} to a ${t.kind}`);
      const items = list.map((x) => convert(x, t.elem));
      if (t.kind === 'list') return items;
      const seen = new Set<string>();
      return items.filter((x) => {
        const k = JSON.stringify(x);
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
      });
    }
    case 'map':
      if (typeof v !== 'object' || Array.isArray(v)) throw new Error(`cannot convert ${JSON.stringify(v)} to a map`);
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, convert(x, t.elem)]));
    case 'object': {
      // A block written as one object in JSON syntax is a one-element list of it elsewhere; here it is the object.
      const o = Array.isArray(v) && v.length === 1 ? v[0] : v;
      if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new Error(`cannot convert ${JSON.stringify(v)} to an object`);
      return Object.fromEntries(Object.entries(t.attrs).map(([k, at]) => [k, convert((o as Record<string, unknown>)[k], at)]));
    }
    case 'tuple':
      if (!Array.isArray(v)) throw new Error(`cannot convert ${JSON.stringify(v)} to a tuple`);
      return v.map((x, i) => convert(x, t.elems[i]));
    default:
      return v;
  }
}
