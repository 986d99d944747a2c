/**
 * A simulated Terraform state (format version 4) of a stack as deployed, built offline with the harness
 * (scripts/terraform-harness.ts) and checked by Terraform itself:
 *
 * 1. `terraform plan` of the stack from no state, then `terraform show -json` of it: every resource instance with
 *    the values its plan knows.
 * 2. Each value known only after apply is filled: where the configuration computes it from other resources
 *    (`"${aws_vpc.x.id}"`, templates, `jsonencode(…)`), by evaluating that expression against the simulated values
 *    (scripts/upgrade/expressions.ts), so the id a resource gets is the id its dependants see; otherwise with a
 *    deterministic, type-correct placeholder from the provider schema (scripts/upgrade/placeholders.ts).
 * 3. The stack is planned against that state. Every change it still plans is copied back (its known `after`
 *    values; unknown ones keep the simulated value) and it is planned again, until a plan says "No changes".
 *    A stack that does not converge is an error, with each residual diff: a simulator bug or a perpetual diff in
 *    the stack, to be fixed where it is, never filtered.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Diagnostic, TfJson, Workdir, diagnosticsOf, harnessTempDir, jsonMessages, prepareWorkdir, providerSchemas, terraformAsync } from '../terraform-harness';
import { combineStates, sharedOf, splitPlan, splitRun } from './combined';
import { Unsupported, evaluateConfigValue, hasInterpolation, index } from './expressions';
import { PlaceholderContext, asRead, computedRule, hash, normalizeConfigured, placeholderFor } from './placeholders';
import { Schemas, ValueType, childType, convert, impliedCtyType, toCtyJson } from './schema';

export type Json = Record<string, any>;
type Step = string | number;

export interface PlannedChange {
  /** Address in the plan (the new one for a move). */
  readonly address: string;
  readonly type: string;
  readonly action: string;
  readonly reason?: string;
  /** For a move: the address in the state. */
  readonly previousAddress?: string;
}

/** One `terraform plan -json` against a state, from its machine-readable messages. */
export interface PlanRun {
  readonly ok: boolean;
  readonly diagnostics: Diagnostic[];
  readonly changes: PlannedChange[];
  readonly summary: { add: number; change: number; remove: number; import: number };
  /** Output name → action (`noop`, `create`, `update`, `delete`). */
  readonly outputs: Record<string, string>;
  /** No resource and no output changes: terraform's "No changes. Your infrastructure matches the configuration." */
  readonly noChanges: boolean;
  readonly seconds: number;
  /** The saved plan (`-out`), for `terraform show -json`. */
  readonly planFile: string;
  readonly stderr: string;
}

export class SimulationError extends Error {}

/** Plans the working directory's configuration against its terraform.tfstate (if any), offline. */
export async function planRun(dir: string, planFile: string): Promise<PlanRun> {
  const started = Date.now();
  const r = await terraformAsync(dir, ['plan', '-json', '-input=false', '-lock=false', '-refresh=false', `-out=${planFile}`]);
  const messages = jsonMessages(r.stdout);
  const changes: PlannedChange[] = messages
    .filter((m) => m.type === 'planned_change' || m.type === 'resource_drift')
    .filter((m) => m.type === 'planned_change')
    .map((m) => ({
      address: m.change.resource.addr as string,
      type: m.change.resource.resource_type as string,
      action: m.change.action as string,
      reason: m.change.reason as string | undefined,
      previousAddress: m.change.previous_resource?.addr as string | undefined,
    }));
  const summaryMessage = messages.find((m) => m.type === 'change_summary');
  const summary = { add: 0, change: 0, remove: 0, import: 0, ...(summaryMessage?.changes ?? {}) };
  const outputs: Record<string, string> = {};
  for (const [name, o] of Object.entries<any>(messages.find((m) => m.type === 'outputs')?.outputs ?? {})) outputs[name] = o.action ?? 'noop';
  const ok = r.status === 0;
  const noChanges =
    ok &&
    summary.add + summary.change + summary.remove + summary.import === 0 &&
    changes.every((c) => c.action === 'noop' || c.action === 'read') &&
    Object.values(outputs).every((a) => a === 'noop');
  return {
    ok,
    diagnostics: diagnosticsOf(r.stdout),
    changes,
    summary,
    outputs,
    noChanges,
    seconds: (Date.now() - started) / 1000,
    planFile,
    stderr: r.stderr,
  };
}

/** One diagnostic, with the resource it is about (terraform's snippet context, e.g. `resource "aws_x" "y"`). */
export function describeDiagnostic(d: Diagnostic & { snippet?: { context?: string } }): string {
  const where = d.snippet?.context ? ` [${d.snippet.context.replace(/^resource "([^"]+)" "([^"]+)"$/, '$1.$2').replace(/^resource\./, '')}]` : '';
  return `  ${d.severity}${where}: ${d.summary}${d.detail ? ` — ${d.detail}` : ''}`;
}

/** `terraform show -json <planFile>`. */
export async function showPlan(dir: string, planFile: string): Promise<Json> {
  const r = await terraformAsync(dir, ['show', '-json', planFile]);
  if (r.status !== 0) throw new SimulationError(`terraform show -json ${planFile} failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** A provider configuration of the stack: its region and account, for ARNs and names. */
interface ProviderInfo {
  readonly region: string;
  readonly account: string;
}

interface Instance {
  readonly address: string;
  /** `module.x.` prefix or ''. */
  readonly module: string;
  readonly type: string;
  readonly name: string;
  readonly indexKey?: number | string;
  readonly providerName: string;
  readonly providerKey: string;
  readonly schema: { readonly version: number; readonly type: ValueType & { kind: 'object' } };
  /** The plan's known values (`after`, unknown ones absent). */
  after: Json;
  /** `after_unknown`. */
  unknown: Json;
  /** `after_sensitive`. */
  sensitive: unknown;
  /** Filled values, one top-level attribute at a time (lazily, so references resolve in any order). */
  values: Map<string, unknown>;
  /** Previous simulated values (when folding a later plan back), used for what the plan does not know. */
  prior?: Json;
}

/** The paths of `true` leaves in a plan's `after_sensitive` structure, in the state's path format. */
function sensitivePaths(s: unknown, path: Step[] = [], out: Step[][] = []): Step[][] {
  if (s === true) out.push(path);
  else if (Array.isArray(s)) s.forEach((x, i) => sensitivePaths(x, [...path, i], out));
  else if (s && typeof s === 'object') for (const [k, v] of Object.entries(s)) sensitivePaths(v, [...path, k], out);
  return out;
}

function statePath(path: Step[]): Json[] {
  return path.map((step) =>
    typeof step === 'number' ? { type: 'index', value: { value: step, type: 'number' } } : { type: 'get_attr', value: step },
  );
}

function containsUnknown(u: unknown): boolean {
  if (u === true) return true;
  if (Array.isArray(u)) return u.some(containsUnknown);
  if (u && typeof u === 'object') return Object.values(u).some(containsUnknown);
  return false;
}

/** The configuration value at one more step: an attribute, or an element (a block written as one object is element 0). */
function rawStep(raw: unknown, step: Step): unknown {
  if (raw === undefined || raw === null) return undefined;
  if (typeof step === 'number') {
    if (Array.isArray(raw)) return raw[step];
    return step === 0 && typeof raw === 'object' ? raw : undefined;
  }
  if (Array.isArray(raw)) return raw.length === 1 ? rawStep(raw[0], step) : undefined;
  return typeof raw === 'object' ? (raw as Json)[step] : undefined;
}

/**
 * The configuration element of each set member: the one whose literal values agree with it most. Each element
 * is taken by one member at most: two members that differ only in computed values (two stop conditions naming
 * two alarms) take two elements, not the first one twice (which would collapse the set to one member).
 */
function matchingElements(raw: unknown[], members: unknown[]): unknown[] {
  const taken = new Set<number>();
  return members.map((member) => {
    if (!member || typeof member !== 'object') return undefined;
    let best = -1;
    let bestScore = 0;
    raw.forEach((candidate, i) => {
      if (taken.has(i) || !candidate || typeof candidate !== 'object') return;
      let score = 0;
      for (const [k, v] of Object.entries(candidate as Json)) {
        if (hasInterpolation(v)) continue;
        if (JSON.stringify(v) === JSON.stringify((member as Json)[k])) score++;
      }
      if (score > bestScore) {
        best = i;
        bestScore = score;
      }
    });
    // Nothing literal to compare (every value is computed): a lone element left is the one.
    if (best < 0) {
      const left = raw.map((_, i) => i).filter((i) => !taken.has(i));
      if (raw.length === 1 || left.length === 1) best = left[0] ?? -1;
    }
    if (best < 0) return undefined;
    taken.add(best);
    return raw[best];
  });
}

function isPrimitive(t: ValueType | undefined): boolean {
  return t !== undefined && (t.kind === 'string' || t.kind === 'number' || t.kind === 'bool');
}

export interface SimulatedStateStats {
  /** Unknown values computed from the configuration's expressions. */
  evaluated: number;
  /** Unknown values filled with a placeholder (no expression, or one the evaluator does not support). */
  placeholders: number;
  /** Expressions the evaluator could not handle (left to the next plan pass): `address.path: why`. */
  unsupported: string[];
}

/**
 * The simulated state of one configuration (`config`: the harness's hermetic main.tf.json), built from a plan
 * and refined by later plans against it.
 */
export class SimulatedState {
  private readonly instances = new Map<string, Instance>();
  private readonly byResource = new Map<string, Instance[]>();
  private readonly providers = new Map<string, ProviderInfo>();
  private outputs: Record<string, { value: unknown; type: unknown; sensitive: boolean }> = {};
  private readonly inProgress = new Set<string>();
  readonly stats: SimulatedStateStats = { evaluated: 0, placeholders: 0, unsupported: [] };
  private serial = 1;

  constructor(
    private readonly config: TfJson & Json,
    private readonly schemas: Schemas,
    private readonly terraformVersion: string,
  ) {
    for (const p of config.provider?.aws ?? []) {
      const alias = (p.alias as string | undefined) ?? '';
      const account = Array.isArray(p.allowed_account_ids) ? String(p.allowed_account_ids[0] ?? '') : '';
      this.providers.set(alias ? `aws.${alias}` : 'aws', { region: String(p.region ?? ''), account: account || '123456789012' });
    }
  }

  /** Step 1 and 2: the instances of a plan from no state, with every unknown filled. */
  static fromCreatePlan(plan: Json, config: TfJson & Json, schemas: Schemas): SimulatedState {
    const sim = new SimulatedState(config, schemas, plan.terraform_version);
    const keys = providerKeys(plan);
    for (const rc of plan.resource_changes ?? []) {
      if (rc.mode !== 'managed') continue;
      const actions: string[] = rc.change.actions;
      if (!actions.includes('create')) throw new SimulationError(`${rc.address}: a plan from no state must create it, not ${actions.join('+')}`);
      sim.add(rc, keys.get(baseAddress(rc)) ?? 'aws');
    }
    sim.fillAll();
    sim.outputsFromPlan(plan, true);
    return sim;
  }

  /**
   * The state once a plan of another configuration (`config`, e.g. the same stack with `activeRegion: "dr"`)
   * against `previous` is applied: deleted instances leave, created ones are filled as from a create plan, and
   * an instance kept (no-op, update, move) takes the plan's known values and, for what the plan only knows after
   * apply, the new configuration's expression, else its value in `previous`, else a placeholder. The result is
   * checked like any simulated state: the configuration planned against it must plan no changes (`converge`).
   */
  static afterPlan(plan: Json, config: TfJson & Json, schemas: Schemas, previous: SimulatedState): SimulatedState {
    const sim = new SimulatedState(config, schemas, plan.terraform_version);
    sim.serial = previous.serial + 1;
    const keys = providerKeys(plan);
    for (const rc of plan.resource_changes ?? []) {
      if (rc.mode !== 'managed') continue;
      const actions: string[] = rc.change.actions;
      const kept = actions.includes('no-op') || actions.includes('update');
      if (!kept && !actions.includes('create')) continue; // delete, forget: gone once applied
      sim.add(rc, keys.get(baseAddress(rc)) ?? 'aws');
      // A replacement is a new object: only what the plan or the configuration says, no prior values.
      const before = kept ? previous.instances.get(rc.previous_address ?? rc.address) : undefined;
      if (before) sim.instances.get(rc.address)!.prior = previous.valuesOf(before);
    }
    sim.fillAll();
    sim.outputsFromPlan(plan, true);
    return sim;
  }

  /** `SimulatedState.afterPlan` from this state: the state once `plan` (of `config`, against this state) is applied. */
  afterPlanOf(plan: Json, config: TfJson & Json): SimulatedState {
    return SimulatedState.afterPlan(plan, config, this.schemas, this);
  }

  private add(rc: Json, providerKey: string): void {
    const inst: Instance = {
      address: rc.address,
      module: rc.module_address ? `${rc.module_address}.` : '',
      type: rc.type,
      name: rc.name,
      indexKey: rc.index,
      providerName: rc.provider_name,
      providerKey,
      schema: this.schemas.resource(rc.provider_name, rc.type),
      after: rc.change.after ?? {},
      unknown: rc.change.after_unknown ?? {},
      sensitive: rc.change.after_sensitive ?? {},
      values: new Map(),
    };
    this.instances.set(inst.address, inst);
    const base = `${inst.module}${inst.type}.${inst.name}`;
    const list = this.byResource.get(base) ?? [];
    list.push(inst);
    this.byResource.set(base, list);
  }

  private provider(inst: Instance): ProviderInfo {
    const alias = inst.providerKey.replace(/^.*:/, '');
    return this.providers.get(alias) ?? { region: '', account: this.providers.values().next().value?.account ?? '123456789012' };
  }

  private fillAll(): void {
    for (const inst of this.instances.values()) {
      for (const attr of Object.keys(inst.schema.type.attrs)) this.attribute(inst, attr);
    }
  }

  /** The filled value of one top-level attribute (memoized; cycles are reported as unsupported). */
  private attribute(inst: Instance, attr: string): unknown {
    if (inst.values.has(attr)) return inst.values.get(attr);
    const key = `${inst.address}.${attr}`;
    if (this.inProgress.has(key)) throw new Unsupported(`cycle through ${key}`);
    this.inProgress.add(key);
    try {
      const raw = inst.module ? undefined : rawStep(this.config.resource?.[inst.type]?.[inst.name], attr);
      const value = asRead(inst.type, attr, this.fill(inst, inst.after[attr], inst.unknown[attr], inst.schema.type.attrs[attr], raw, [attr], inst.prior?.[attr]));
      inst.values.set(attr, value);
      return value;
    } finally {
      this.inProgress.delete(key);
    }
  }

  private context(inst: Instance, path: Step[]): PlaceholderContext {
    const p = this.provider(inst);
    const known: Json = { ...inst.after };
    // Names derived from other computed attributes (ids that are ARNs) see the filled values.
    return {
      address: inst.address,
      type: inst.type,
      path,
      region: p.region,
      account: p.account,
      known: new Proxy(known, {
        get: (target, prop: string) => {
          if (prop in target && target[prop] !== null && target[prop] !== undefined) return target[prop];
          if (inst.unknown[prop] === true && path[0] !== prop && typeof prop === 'string' && prop in inst.schema.type.attrs) {
            try {
              return this.attribute(inst, prop);
            } catch {
              return undefined;
            }
          }
          return target[prop];
        },
      }),
    };
  }

  /**
   * One value: known values as planned; unknown ones from the configuration's expression (when it has one the
   * evaluator supports), else the prior simulated value (when refining), else a placeholder.
   */
  private fill(inst: Instance, after: unknown, unknown: unknown, t: ValueType | undefined, raw: unknown, path: Step[], prior: unknown): unknown {
    if (path.length === 1 && containsUnknown(unknown)) {
      const rule = computedRule(inst.type, String(path[0]));
      if (rule && raw === undefined) {
        this.stats.placeholders++;
        return rule(this.context(inst, path));
      }
    }
    if (unknown === true) return this.unknownValue(inst, t, raw, path, prior);
    if (Array.isArray(unknown)) {
      // A set with unknown members cannot be matched to its configuration element by element: take it whole.
      if (t?.kind === 'set' && containsUnknown(unknown) && (isPrimitive(t.elem) || prior !== undefined)) {
        return this.unknownValue(inst, t, raw, path, prior);
      }
      const list = Array.isArray(after) ? after : [];
      const n = Math.max(list.length, unknown.length);
      // Set members are in terraform's order, not the configuration's: find each one's configuration element.
      const setElements = t?.kind === 'set' && Array.isArray(raw) ? matchingElements(raw, list) : undefined;
      const rawOf = (i: number) => (setElements ? setElements[i] : rawStep(raw, i));
      return Array.from({ length: n }, (_, i) =>
        this.fill(inst, list[i], unknown[i], childType(t, i), rawOf(i), [...path, i], Array.isArray(prior) ? prior[i] : undefined),
      );
    }
    if (unknown && typeof unknown === 'object') {
      if (after === null || after === undefined) {
        if (!containsUnknown(unknown)) return after ?? null;
      }
      const o = (after ?? {}) as Json;
      const keys = new Set([...Object.keys(o), ...Object.keys(unknown)]);
      if (t?.kind === 'object') for (const k of Object.keys(t.attrs)) keys.add(k);
      const out: Json = {};
      for (const k of keys) {
        out[k] = this.fill(inst, o[k], (unknown as Json)[k], childType(t, k), rawStep(raw, k), [...path, k], prior && typeof prior === 'object' ? (prior as Json)[k] : undefined);
      }
      return out;
    }
    return after === undefined ? null : after;
  }

  private unknownValue(inst: Instance, t: ValueType | undefined, raw: unknown, path: Step[], prior: unknown): unknown {
    if (raw !== undefined && hasInterpolation(raw)) {
      try {
        let v = convert(
          evaluateConfigValue(raw, (root, steps) => this.reference(root, steps)),
          t,
        );
        if (path.length === 1) v = normalizeConfigured(inst.type, String(path[0]), v);
        this.stats.evaluated++;
        return v;
      } catch (e) {
        if (!(e instanceof Unsupported) && !(e instanceof Error && /cannot convert/.test(e.message))) throw e;
        this.stats.unsupported.push(`${inst.address}.${path.join('.')}: ${(e as Error).message}`);
      }
    }
    if (prior !== undefined && prior !== null) return prior;
    this.stats.placeholders++;
    return placeholderFor(t, this.context(inst, path));
  }

  /** Resolves a reference of the configuration (`aws_vpc.x.id`) against the simulated values. */
  private reference(root: string, steps: ReadonlyArray<Step>): unknown {
    if (['var', 'local', 'data', 'module', 'each', 'count', 'path', 'self', 'terraform'].includes(root)) {
      throw new Unsupported(`reference to ${root}.*`);
    }
    const [name, ...rest] = steps;
    const instances = this.byResource.get(`${root}.${name}`);
    if (!instances) throw new Unsupported(`no resource ${root}.${name}`);
    const body = this.config.resource?.[root]?.[String(name)] as Json | undefined;
    let inst: Instance | undefined;
    let remaining = rest;
    if (body && ('count' in body || 'for_each' in body)) {
      if (rest.length === 0) throw new Unsupported(`all instances of ${root}.${name}`);
      inst = instances.find((i) => String(i.indexKey) === String(rest[0]));
      remaining = rest.slice(1);
    } else inst = instances[0];
    if (!inst) throw new Unsupported(`no instance ${root}.${name}[${rest[0]}]`);
    if (remaining.length === 0) throw new Unsupported(`whole resource ${inst.address}`);
    const [attr, ...more] = remaining;
    if (!(String(attr) in inst.schema.type.attrs)) throw new Unsupported(`${inst.type} has no attribute ${attr}`);
    let v = this.attribute(inst, String(attr));
    for (const step of more) v = index(v, step);
    return v;
  }

  /** Output values: planned ones where known; else the output's expression, else a placeholder string. */
  private outputsFromPlan(plan: Json, evaluate: boolean): void {
    const planned: Json = plan.planned_values?.outputs ?? {};
    const configured: Json = (this.config as Json).output ?? {};
    const next: typeof this.outputs = {};
    for (const [name, o] of Object.entries<Json>(planned)) {
      const sensitive = Boolean(o.sensitive);
      if ('value' in o) {
        next[name] = { value: o.value, type: o.type ?? impliedCtyType(o.value), sensitive };
        continue;
      }
      let value: unknown = this.outputs[name]?.value;
      if (evaluate && configured[name] && hasInterpolation(configured[name].value)) {
        try {
          value = evaluateConfigValue(configured[name].value, (root, steps) => this.reference(root, steps));
          this.stats.evaluated++;
        } catch (e) {
          if (!(e instanceof Unsupported)) throw e;
          this.stats.unsupported.push(`output.${name}: ${e.message}`);
        }
      }
      if (value === undefined) {
        this.stats.placeholders++;
        value = `sim-${hash('output', name).slice(0, 16)}`;
      }
      next[name] = { value, type: this.outputs[name]?.type ?? this.referenceType(configured[name]?.value) ?? impliedCtyType(value), sensitive };
    }
    this.outputs = next;
  }

  /**
   * The type of an output that is one whole attribute (`"${aws_route53_zone.z.name_servers}"`): the attribute's
   * schema type (a list stays a list; inferred from the value it would be a tuple, and terraform plans an update).
   */
  private referenceType(raw: unknown): unknown {
    const m = typeof raw === 'string' ? /^\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z0-9_]+)\}$/.exec(raw) : null;
    const inst = m ? this.byResource.get(`${m[1]}.${m[2]}`)?.[0] : undefined;
    const t = inst?.schema.type.attrs[m![3]];
    return t ? toCtyJson(t) : undefined;
  }

  /**
   * Step 3: a plan against this state (its `terraform show -json`) is copied back: each changed instance takes
   * the plan's known `after` values; what the plan does not know keeps the simulated value.
   */
  foldBack(plan: Json): number {
    let changed = 0;
    for (const rc of plan.resource_changes ?? []) {
      if (rc.mode !== 'managed') continue;
      const actions: string[] = rc.change.actions;
      if (actions.length === 1 && actions[0] === 'no-op') continue;
      const inst = this.instances.get(rc.address);
      if (!inst) throw new SimulationError(`${rc.address} is planned (${actions.join('+')}) but is not in the simulated state`);
      if (!actions.includes('create') && !actions.includes('update')) {
        throw new SimulationError(`${rc.address}: the stack planned against its own state must not ${actions.join('+')} it`);
      }
      changed++;
      inst.prior = this.valuesOf(inst);
      inst.after = rc.change.after ?? {};
      inst.unknown = rc.change.after_unknown ?? {};
      inst.sensitive = rc.change.after_sensitive ?? {};
      inst.values = new Map();
    }
    for (const inst of this.instances.values()) {
      if (inst.values.size === 0) for (const attr of Object.keys(inst.schema.type.attrs)) this.attributeFromPrior(inst, attr);
    }
    this.outputsFromPlan(plan, false);
    this.serial++;
    return changed;
  }

  /** Refill from the plan's after; unknown values keep the prior simulated value (no expression evaluation). */
  private attributeFromPrior(inst: Instance, attr: string): void {
    const value = this.fill(inst, inst.after[attr], inst.unknown[attr], inst.schema.type.attrs[attr], undefined, [attr], inst.prior?.[attr]);
    inst.values.set(attr, value);
  }

  private valuesOf(inst: Instance): Json {
    return Object.fromEntries(Object.keys(inst.schema.type.attrs).map((a) => [a, inst.values.has(a) ? inst.values.get(a) : this.attribute(inst, a)]));
  }

  /** Addresses of every resource instance in the state. */
  addresses(): string[] {
    return [...this.instances.keys()];
  }

  /** The simulated values of one instance (attribute → value), e.g. to compare a destroyed and a created one. */
  instanceValues(address: string): Json | undefined {
    const inst = this.instances.get(address);
    return inst ? this.valuesOf(inst) : undefined;
  }

  /** The state file (format version 4) terraform reads. */
  toJSON(): Json {
    const resources = new Map<string, Json>();
    for (const inst of this.instances.values()) {
      const key = `${inst.module}${inst.type}.${inst.name}`;
      let r = resources.get(key);
      if (!r) {
        const alias = inst.providerKey.replace(/^.*:/, '').split('.')[1];
        r = {
          ...(inst.module ? { module: inst.module.replace(/\.$/, '') } : {}),
          mode: 'managed',
          type: inst.type,
          name: inst.name,
          ...(inst.indexKey === undefined ? {} : { each: typeof inst.indexKey === 'number' ? 'list' : 'map' }),
          provider: `provider[${JSON.stringify(inst.providerName)}]${alias ? `.${alias}` : ''}`,
          instances: [],
        };
        resources.set(key, r);
      }
      const attributes: Json = {};
      for (const [attr, t] of Object.entries(inst.schema.type.attrs)) {
        const v = this.valuesOf(inst)[attr];
        attributes[attr] = t.kind === 'dynamic' && v !== null && v !== undefined ? { value: v, type: impliedCtyType(v) } : (v ?? null);
      }
      r.instances.push({
        ...(inst.indexKey === undefined ? {} : { index_key: inst.indexKey }),
        schema_version: inst.schema.version,
        attributes,
        sensitive_attributes: this.stateSensitivePaths(inst),
      });
    }
    return {
      version: 4,
      terraform_version: this.terraformVersion,
      serial: this.serial,
      lineage: uuidFrom(hash('lineage', JSON.stringify([...this.instances.keys()]))),
      outputs: Object.fromEntries(
        Object.entries(this.outputs).map(([name, o]) => [name, { value: o.value, type: o.type, ...(o.sensitive ? { sensitive: true } : {}) }]),
      ),
      resources: [...resources.values()],
      check_results: null,
    };
  }

  /**
   * The sensitive paths terraform keeps in state: the plan's, schema-sensitive attributes included (terraform
   * 1.11 compares them with the planned value's marks and plans an update when they differ).
   */
  private stateSensitivePaths(inst: Instance): Json[][] {
    return sensitivePaths(inst.sensitive).map(statePath);
  }

  write(dir: string): void {
    writeFileSync(join(dir, 'terraform.tfstate'), JSON.stringify(this.toJSON()));
  }
}

function uuidFrom(h: string): string {
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** `type.name` (with module prefix) of a resource change, without the instance key. */
function baseAddress(rc: Json): string {
  return `${rc.module_address ? `${rc.module_address}.` : ''}${rc.type}.${rc.name}`;
}

/** Resource address → provider configuration key (`aws.primary`), from the plan's configuration section. */
function providerKeys(plan: Json): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (module: Json | undefined, prefix: string) => {
    for (const r of module?.resources ?? []) if (r.mode === 'managed') out.set(`${prefix}${r.address}`, r.provider_config_key);
    for (const [name, call] of Object.entries<Json>(module?.module_calls ?? {})) walk(call.module, `${prefix}module.${name}.`);
  };
  walk(plan.configuration?.root_module, '');
  return out;
}

export interface PassReport {
  readonly pass: number;
  /** Resource instances the plan still changed (0 on the last pass). */
  readonly changed: number;
  readonly actions: Record<string, number>;
  readonly seconds: number;
}

export interface Simulation {
  readonly workdir: Workdir;
  readonly state: SimulatedState;
  /** The plan from no state: its diagnostics are the stack's validation result (absent with `createPlanFile`). */
  readonly createRun?: PlanRun;
  /** The plans against the simulated state; the last one planned no changes. */
  readonly passes: PassReport[];
  /** The last plan against the state (no changes). */
  readonly finalRun: PlanRun;
  /** With `combined`: the companion configuration's plan against the final state (its addresses restored). */
  readonly companionRun?: PlanRun;
  readonly seconds: number;
}

export interface SimulateOptions {
  /** Plans against the state before giving up. @default 6 */
  readonly maxPasses?: number;
  readonly log?: (line: string) => void;
  /** An initialized harness working directory of `stack` (e.g. shared with a test's plan). */
  readonly workdir?: Workdir;
  /** A plan of `stack` from no state already saved in `workdir` (`-out`), used instead of planning again. */
  readonly createPlanFile?: string;
  /**
   * Called with each state about to be planned against, so a caller can plan another configuration against the
   * same state at the same time (plan-upgrade plans the to-version while the from-version is verified).
   */
  readonly onState?: (state: Json, pass: number) => void;
  /**
   * Check the state in this working directory instead, whose configuration is `stack`'s combined with a
   * companion configuration (combined.ts): each pass also plans the companion against the same state, in the
   * same terraform process. The companion's part of the last pass is `Simulation.companionRun`.
   */
  readonly combined?: Workdir;
}

/** Residual diffs of a plan that should have planned no changes, one line per changed attribute. */
export function describeResidual(plan: Json, limit = 40): string[] {
  const lines: string[] = [];
  for (const rc of plan.resource_changes ?? []) {
    const actions: string[] = rc.change.actions;
    if (actions.length === 1 && (actions[0] === 'no-op' || actions[0] === 'read')) continue;
    const diffs = diffPaths(rc.change.before, rc.change.after, rc.change.after_unknown);
    const forced = (rc.change.replace_paths ?? []).map((p: Step[]) => p.join('.'));
    lines.push(`${rc.address}: ${actions.join('+')}${forced.length ? ` (forced by ${forced.join(', ')})` : ''}: ${diffs.slice(0, 8).join('; ') || 'marks only'}`);
  }
  for (const [name, oc] of Object.entries<Json>(plan.output_changes ?? {})) {
    if (oc.actions?.[0] !== 'no-op') lines.push(`output ${name}: ${oc.actions.join('+')} ${JSON.stringify(oc.before)} → ${oc.after_unknown ? '(known after apply)' : JSON.stringify(oc.after)}`);
  }
  return lines.length > limit ? [...lines.slice(0, limit), `… and ${lines.length - limit} more`] : lines;
}

/** `path: before → after` for each leaf that differs (unknown after: `(known after apply)`). */
export function diffPaths(before: unknown, after: unknown, unknown: unknown, path = ''): string[] {
  if (unknown === true) return [`${path || '(all)'}: ${short(before)} → (known after apply)`];
  if (Array.isArray(before) || Array.isArray(after) || Array.isArray(unknown)) {
    const b = Array.isArray(before) ? before : [];
    const a = Array.isArray(after) ? after : [];
    const u = Array.isArray(unknown) ? unknown : [];
    if (!containsUnknown(u) && JSON.stringify(b) === JSON.stringify(a)) return [];
    if (b.length !== a.length && !containsUnknown(u)) return [`${path}: ${short(before)} → ${short(after)}`];
    const n = Math.max(b.length, a.length, u.length);
    return Array.from({ length: n }, (_, i) => diffPaths(b[i], a[i], u[i], `${path}[${i}]`)).flat();
  }
  const isObj = (v: unknown) => v !== null && typeof v === 'object';
  if (isObj(before) || isObj(after) || isObj(unknown)) {
    const b = (isObj(before) ? before : {}) as Json;
    const a = (isObj(after) ? after : {}) as Json;
    const u = (isObj(unknown) ? unknown : {}) as Json;
    if ((before === null) !== (after === null) && !containsUnknown(u)) return [`${path}: ${short(before)} → ${short(after)}`];
    const keys = new Set([...Object.keys(b), ...Object.keys(a), ...Object.keys(u)]);
    return [...keys].flatMap((k) => diffPaths(b[k], a[k], u[k], path ? `${path}.${k}` : k));
  }
  const norm = (v: unknown) => (v === undefined ? null : v);
  return JSON.stringify(norm(before)) === JSON.stringify(norm(after)) ? [] : [`${path}: ${short(before)} → ${short(after)}`];
}

function short(v: unknown): string {
  const s = JSON.stringify(v) ?? 'null';
  return s.length > 80 ? `${s.slice(0, 77)}…` : s;
}

/** Counts of planned changes per action, e.g. `{ update: 3, replace: 1 }`. */
function actionCounts(run: PlanRun): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of run.changes) if (c.action !== 'noop' && c.action !== 'read') out[c.action] = (out[c.action] ?? 0) + 1;
  return out;
}

/**
 * Builds the simulated state of `stack` and plans it against itself until terraform plans no changes. Throws a
 * SimulationError with the residual diffs when it does not converge, or with the diagnostics when the stack does
 * not plan.
 */
export async function simulate(stack: TfJson, options: SimulateOptions = {}): Promise<Simulation> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const maxPasses = options.maxPasses ?? 6;
  const workdir = options.workdir ?? prepareWorkdir(stack, harnessTempDir('plan-upgrade-from-'));
  const [createRun, rawSchemas] = await Promise.all([
    options.createPlanFile ? undefined : planRun(workdir.dir, 'create.tfplan'),
    providerSchemas(workdir.dir),
  ]);
  if (createRun && !createRun.ok) {
    throw new SimulationError(
      `terraform plan of the stack failed:\n${createRun.diagnostics.map(describeDiagnostic).join('\n') || createRun.stderr}`,
    );
  }
  if (createRun) log(`plan from no state: ${createRun.summary.add} to create (${createRun.seconds.toFixed(1)} s)`);
  const createPlan = await showPlan(workdir.dir, createRun?.planFile ?? options.createPlanFile!);
  const state = SimulatedState.fromCreatePlan(createPlan, workdir.config, new Schemas(rawSchemas));
  log(
    `simulated state: ${state.addresses().length} instances; ${state.stats.evaluated} values from the configuration's expressions, ` +
      `${state.stats.placeholders} placeholders${state.stats.unsupported.length ? `, ${state.stats.unsupported.length} expressions left to terraform` : ''}`,
  );
  const converged = await converge(state, options.combined ?? workdir, { ...options, maxPasses });
  return { workdir, state, createRun, ...converged, seconds: (Date.now() - started) / 1000 };
}

/**
 * Step 3 on its own: plans the working directory's configuration against `state` and folds each change back
 * until terraform plans no changes (`state` is refined in place). Throws a SimulationError with the residual
 * diffs when it does not converge in `maxPasses` plans, or with the diagnostics when the plan fails.
 */
export async function converge(
  state: SimulatedState,
  workdir: Workdir,
  options: Pick<SimulateOptions, 'maxPasses' | 'log' | 'onState' | 'combined'> = {},
): Promise<{ passes: PassReport[]; finalRun: PlanRun; companionRun?: PlanRun }> {
  const log = options.log ?? (() => undefined);
  const maxPasses = options.maxPasses ?? 6;
  const passes: PassReport[] = [];
  // With a combined configuration (`combined`), `workdir` holds it, the state gets the companion's copy, and each
  // run and plan is split into the two it stands for.
  const combined = Boolean(options.combined);
  const shared = sharedOf(workdir.config as Json);
  for (let pass = 1; pass <= maxPasses; pass++) {
    const json = state.toJSON();
    writeFileSync(join(workdir.dir, 'terraform.tfstate'), JSON.stringify(combined ? combineStates(json, shared) : json));
    options.onState?.(json, pass);
    const both = await planRun(workdir.dir, `pass-${pass}.tfplan`);
    const parts = combined ? splitRun(both, shared) : undefined;
    const run = parts ? parts.primary : both;
    if (!run.ok) {
      throw new SimulationError(
        `terraform plan against the simulated state failed (pass ${pass}):\n${run.diagnostics.map(describeDiagnostic).join('\n') || run.stderr}\n` +
          'With every value known (as deployed), the configuration no longer validates: a plan from no state cannot see this ' +
          '(the values are unknown there), but the apply that creates the referenced resources, and every plan after it, would fail the same way.',
      );
    }
    const report: PassReport = { pass, changed: run.changes.filter((c) => c.action !== 'noop' && c.action !== 'read').length, actions: actionCounts(run), seconds: run.seconds };
    passes.push(report);
    log(`pass ${pass}: ${run.noChanges ? 'no changes' : JSON.stringify(report.actions) + (Object.values(run.outputs).some((a) => a !== 'noop') ? ' + outputs' : '')} (${run.seconds.toFixed(1)} s)`);
    if (run.noChanges) return { passes, finalRun: run, companionRun: parts?.companion };
    const shown = await showPlan(workdir.dir, run.planFile);
    const plan = combined ? splitPlan(shown, shared).primary : shown;
    if (pass === maxPasses) {
      throw new SimulationError(
        `the simulated state did not converge in ${maxPasses} plans; residual diffs of the stack against its own simulated state ` +
          `(a simulator bug or a perpetual diff in the stack):\n${describeResidual(plan).map((l) => `  ${l}`).join('\n')}`,
      );
    }
    state.foldBack(plan);
  }
  throw new SimulationError('unreachable');
}
