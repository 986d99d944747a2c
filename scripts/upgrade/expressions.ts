/**
 * Evaluates the expressions cdktf writes into `cdk.tf.json` (`"${aws_vpc.x.id}"`, `"arn:…:${aws_s3_bucket.b.arn}/*"`,
 * `"${jsonencode({"host" = aws_rds_cluster.c.endpoint})}"`, `"${tolist(aws_acm_certificate.c.domain_validation_options).0.resource_record_name}"`)
 * against the values of a simulated state: references, literals, object and tuple constructors, string templates
 * and a handful of functions.
 *
 * This only saves plan passes: anything outside that subset throws `Unsupported`, the simulator leaves a
 * placeholder there, and the next `terraform plan` against the state computes the real value, which is copied
 * back. Terraform stays the judge of every value.
 */
import { createHash } from 'node:crypto';

export class Unsupported extends Error {}

/** Resolves `root.step.step…` (e.g. `aws_vpc`, [`network_vpc_1A2B`, `id`]). */
export type ReferenceResolver = (root: string, steps: ReadonlyArray<string | number>) => unknown;

/** Evaluates a JSON value from `cdk.tf.json`: strings are templates, arrays and objects element by element. */
export function evaluateConfigValue(raw: unknown, resolve: ReferenceResolver): unknown {
  if (typeof raw === 'string') return evaluateTemplate(raw, resolve);
  if (Array.isArray(raw)) return raw.map((v) => evaluateConfigValue(v, resolve));
  if (raw && typeof raw === 'object') {
    return Object.fromEntries(Object.entries(raw as Record<string, unknown>).map(([k, v]) => [k, evaluateConfigValue(v, resolve)]));
  }
  return raw;
}

/** True when the JSON value holds an interpolation (`${…}`) anywhere. */
export function hasInterpolation(raw: unknown): boolean {
  if (typeof raw === 'string') return /(^|[^$])\$\{/.test(raw) || /(^|[^%])%\{/.test(raw);
  if (Array.isArray(raw)) return raw.some(hasInterpolation);
  if (raw && typeof raw === 'object') return Object.values(raw).some(hasInterpolation);
  return false;
}

/** Every `type.name` a JSON value refers to (for ordering and for errors). */
export function referencedAddresses(raw: unknown): string[] {
  const found = new Set<string>();
  const walk = (v: unknown) => {
    if (typeof v === 'string') {
      for (const m of v.matchAll(/\b([a-z][a-z0-9]*_[a-z0-9_]+)\.([A-Za-z_][A-Za-z0-9_-]*)/g)) found.add(`${m[1]}.${m[2]}`);
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(raw);
  return [...found];
}

export function evaluateTemplate(text: string, resolve: ReferenceResolver): unknown {
  const p = new Parser(text, resolve);
  return p.template(undefined);
}

/** Go's encoding/json string escaping (HTML-safe), which terraform's jsonencode uses. */
function goJsonString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** terraform's jsonencode: object keys sorted (cty objects and maps iterate in key order), no whitespace. */
export function jsonencode(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return goJsonString(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Unsupported('jsonencode of a non-finite number');
    return String(v);
  }
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(jsonencode).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${goJsonString(k)}:${jsonencode(o[k])}`)
    .join(',')}}`;
}

function str(v: unknown, fn: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new Unsupported(`${fn}: not a string`);
}

const digest = (alg: string, v: unknown, fn: string) => createHash(alg).update(str(v, fn), 'utf8');

const FUNCTIONS: Record<string, (...args: unknown[]) => unknown> = {
  tolist: (v) => v,
  toset: (v) => (Array.isArray(v) ? [...new Map(v.map((x) => [JSON.stringify(x), x])).values()] : v),
  tomap: (v) => v,
  tostring: (v) => (v === null ? null : str(v, 'tostring')),
  tonumber: (v) => (v === null ? null : Number(v)),
  jsonencode: (v) => jsonencode(v),
  jsondecode: (v) => JSON.parse(str(v, 'jsondecode')),
  sha1: (v) => digest('sha1', v, 'sha1').digest('hex'),
  sha256: (v) => digest('sha256', v, 'sha256').digest('hex'),
  md5: (v) => digest('md5', v, 'md5').digest('hex'),
  base64sha256: (v) => digest('sha256', v, 'base64sha256').digest('base64'),
  base64encode: (v) => Buffer.from(str(v, 'base64encode'), 'utf8').toString('base64'),
  lower: (v) => str(v, 'lower').toLowerCase(),
  upper: (v) => str(v, 'upper').toUpperCase(),
  join: (sep, ...lists) => lists.flatMap((l) => (Array.isArray(l) ? l : [])).map((x) => str(x, 'join')).join(str(sep, 'join')),
  concat: (...lists) => lists.flatMap((l) => (Array.isArray(l) ? l : [])),
  merge: (...maps) => Object.assign({}, ...maps.filter((m) => m && typeof m === 'object')),
  length: (v) => (Array.isArray(v) ? v.length : typeof v === 'string' ? [...v].length : Object.keys(v as object).length),
  element: (list, i) => {
    if (!Array.isArray(list) || list.length === 0) throw new Unsupported('element: empty or not a list');
    return list[Number(i) % list.length];
  },
  lookup: (map, key, ...dflt) => {
    const m = map as Record<string, unknown>;
    const k = str(key, 'lookup');
    if (m && k in m) return m[k];
    if (dflt.length > 0) return dflt[0];
    throw new Unsupported(`lookup: no key ${k}`);
  },
};

const IDENT = /[A-Za-z_][A-Za-z0-9_-]*/y;

class Parser {
  private i = 0;

  constructor(
    private readonly s: string,
    private readonly resolve: ReferenceResolver,
  ) {}

  /**
   * A template up to `end` (a closing quote inside an expression) or the end of the text. A template that is one
   * interpolation and nothing else yields the value itself, not its string form (HCL's rule).
   */
  template(end: string | undefined): unknown {
    const parts: unknown[] = [];
    let literal = '';
    const { s } = this;
    while (this.i < s.length) {
      const c = s[this.i];
      if (end !== undefined && c === end) break;
      if (end !== undefined && c === '\\') {
        literal += this.escape();
        continue;
      }
      if (s.startsWith('$${', this.i)) {
        literal += '${';
        this.i += 3;
      } else if (s.startsWith('%%{', this.i)) {
        literal += '%{';
        this.i += 3;
      } else if (s.startsWith('%{', this.i)) {
        throw new Unsupported('template directives (%{…})');
      } else if (s.startsWith('${', this.i)) {
        if (literal) parts.push(literal);
        literal = '';
        this.i += 2;
        this.skipStrip();
        parts.push({ value: this.expr() });
        this.ws();
        if (s[this.i] === '~') this.i++;
        this.expect('}');
      } else {
        literal += c;
        this.i++;
      }
    }
    if (literal) parts.push(literal);
    if (parts.length === 1 && typeof parts[0] === 'object') return (parts[0] as { value: unknown }).value;
    return parts.map((p) => (typeof p === 'string' ? p : str((p as { value: unknown }).value, 'template'))).join('');
  }

  private skipStrip() {
    if (this.s[this.i] === '~') this.i++;
  }

  private escape(): string {
    const next = this.s[this.i + 1];
    this.i += 2;
    switch (next) {
      case 'n':
        return '\n';
      case 't':
        return '\t';
      case 'r':
        return '\r';
      case '"':
        return '"';
      case '\\':
        return '\\';
      case 'u': {
        const hex = this.s.slice(this.i, this.i + 4);
        this.i += 4;
        return String.fromCharCode(parseInt(hex, 16));
      }
      default:
        throw new Unsupported(`escape \\${next}`);
    }
  }

  private ws() {
    while (this.i < this.s.length && /\s/.test(this.s[this.i])) this.i++;
  }

  private expect(c: string) {
    this.ws();
    if (this.s[this.i] !== c) throw new Unsupported(`expected "${c}" at ${this.i} in ${this.s.slice(0, 120)}`);
    this.i++;
  }

  private ident(): string {
    IDENT.lastIndex = this.i;
    const m = IDENT.exec(this.s);
    if (!m) throw new Unsupported(`expected a name at ${this.i}`);
    this.i += m[0].length;
    return m[0];
  }

  expr(): unknown {
    this.ws();
    const value = this.postfix();
    this.ws();
    const c = this.s[this.i];
    if (c !== undefined && '+-*/%<>!&|?'.includes(c)) throw new Unsupported(`operator "${c}"`);
    if (c === '=' && this.s[this.i + 1] === '=') throw new Unsupported('operator "=="');
    return value;
  }

  /** A primary followed by `.attr`, `.0` and `[expr]` steps; a reference is resolved once all steps are read. */
  private postfix(): unknown {
    const c = this.s[this.i];
    if (c !== undefined && /[A-Za-z_]/.test(c)) {
      const name = this.ident();
      this.ws();
      if (this.s[this.i] === '(') return this.steps(this.call(name));
      if (name === 'true') return true;
      if (name === 'false') return false;
      if (name === 'null') return null;
      const steps = this.referenceSteps();
      return this.resolve(name, steps);
    }
    return this.steps(this.primary());
  }

  private referenceSteps(): Array<string | number> {
    const steps: Array<string | number> = [];
    for (;;) {
      const c = this.s[this.i];
      if (c === '.') {
        this.i++;
        if (this.s[this.i] === '*') throw new Unsupported('splat expressions');
        if (/[0-9]/.test(this.s[this.i] ?? '')) steps.push(this.integer());
        else steps.push(this.ident());
      } else if (c === '[') {
        this.i++;
        const key = this.expr();
        this.expect(']');
        if (key === '*') throw new Unsupported('splat expressions');
        steps.push(typeof key === 'number' ? key : str(key, 'index'));
      } else return steps;
    }
  }

  private steps(value: unknown): unknown {
    let v = value;
    for (const step of this.referenceSteps()) v = index(v, step);
    return v;
  }

  private integer(): number {
    const start = this.i;
    while (/[0-9]/.test(this.s[this.i] ?? '')) this.i++;
    return Number(this.s.slice(start, this.i));
  }

  private call(name: string): unknown {
    const fn = FUNCTIONS[name];
    if (!fn) throw new Unsupported(`function ${name}()`);
    this.i++; // (
    const args: unknown[] = [];
    this.ws();
    while (this.s[this.i] !== ')') {
      args.push(this.expr());
      this.ws();
      if (this.s.startsWith('...', this.i)) throw new Unsupported('argument expansion (...)');
      if (this.s[this.i] === ',') this.i++;
      else if (this.s[this.i] !== ')') throw new Unsupported(`expected "," or ")" in ${name}()`);
      this.ws();
    }
    this.i++;
    return fn(...args);
  }

  private primary(): unknown {
    const c = this.s[this.i];
    if (c === '"') {
      this.i++;
      const v = this.template('"');
      this.expect('"');
      return v;
    }
    if (c === '-' || /[0-9]/.test(c ?? '')) {
      const m = /-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
      m.lastIndex = this.i;
      const found = m.exec(this.s);
      if (!found) throw new Unsupported('number');
      this.i += found[0].length;
      return Number(found[0]);
    }
    if (c === '(') {
      this.i++;
      const v = this.expr();
      this.expect(')');
      return v;
    }
    if (c === '[') {
      this.i++;
      const items: unknown[] = [];
      this.ws();
      while (this.s[this.i] !== ']') {
        if (this.s[this.i] === undefined) throw new Unsupported('unterminated tuple');
        items.push(this.expr());
        this.ws();
        if (this.s[this.i] === ',') this.i++;
        this.ws();
      }
      this.i++;
      return items;
    }
    if (c === '{') {
      this.i++;
      const o: Record<string, unknown> = {};
      this.ws();
      while (this.s[this.i] !== '}') {
        if (this.s[this.i] === undefined) throw new Unsupported('unterminated object');
        let key: string;
        if (this.s[this.i] === '"') {
          this.i++;
          key = str(this.template('"'), 'object key');
          this.expect('"');
        } else if (this.s[this.i] === '(') {
          this.i++;
          key = str(this.expr(), 'object key');
          this.expect(')');
        } else key = this.ident();
        this.ws();
        if (this.s[this.i] !== '=' && this.s[this.i] !== ':') throw new Unsupported('object key without = or :');
        this.i++;
        o[key] = this.expr();
        this.ws();
        if (this.s[this.i] === ',') this.i++;
        this.ws();
      }
      this.i++;
      return o;
    }
    throw new Unsupported(`unexpected "${c}"`);
  }
}

/** One traversal step into a value: an attribute, a list index or a map key. */
export function index(v: unknown, step: string | number): unknown {
  if (v === null || v === undefined) throw new Unsupported(`step ${step} into null`);
  if (Array.isArray(v)) {
    const i = typeof step === 'number' ? step : Number(step);
    if (!Number.isInteger(i) || i < 0 || i >= v.length) throw new Unsupported(`index ${step} out of range`);
    return v[i];
  }
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (!(String(step) in o)) throw new Unsupported(`no attribute ${step}`);
    return o[String(step)];
  }
  throw new Unsupported(`step ${step} into a ${typeof v}`);
}
