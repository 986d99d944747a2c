/**
 * Two configurations planned against one simulated state in one terraform process, to pay terraform's fixed
 * cost per plan (loading the provider schema, starting the provider instances of the validate and plan walks:
 * ~3-4 s of CPU for hashicorp/aws) once instead of twice: the check of a state (its own configuration planned
 * against it must plan no changes) and a plan of another configuration against the same state (a role swap).
 *
 * The companion configuration's resources and outputs are renamed `<prefix><name>` (every reference and address
 * in it rewritten), and the state gets a renamed copy of each of its resources: the two halves share the provider
 * configurations (they must be identical) and nothing else, so each half plans exactly as it would alone
 * (terraform plans a resource from its configuration, its prior state, the values it references and its
 * provider configuration; resource names reach none of them). The plan is split back into two, with the
 * companion's addresses restored; diagnostics belong to the one run and are reported with both halves.
 *
 * Shared resources: a resource both configurations declare with the same body (byte for byte), that references
 * only such resources and that no `moved`/`removed` block names, plans identically in both halves (same
 * configuration, same prior state, same referenced values, same provider configuration). It is planned once: the
 * companion has no copy of it (its references name the primary's), the state no renamed copy, and the split gives
 * the companion the primary's entry for it. A role swap changes ~10% of the stack, so this halves the combined plan
 * (dev: 388 of 425 resources shared). The list is kept in the combined configuration (`sharedOf`).
 */
import type { Json, PlanRun, PlannedChange } from './simulate';

/** Resource and output names of the companion half start with this. */
export const COMPANION_PREFIX = 'companion__';

const ADDRESS = /\b([a-z][a-z0-9_]*)\.([A-Za-z0-9_-]+)\b/g;

/** Every `type.name` in `json` that is one of `addresses` becomes `type.<prefix>name`. */
function renameAddresses<T>(json: T, addresses: ReadonlySet<string>, prefix: string): T {
  const text = JSON.stringify(json).replace(ADDRESS, (m, type: string, name: string) => (addresses.has(`${type}.${name}`) ? `${type}.${prefix}${name}` : m));
  return JSON.parse(text);
}

function resourceAddresses(config: Json): Set<string> {
  const out = new Set<string>();
  for (const [type, byName] of Object.entries<Json>(config.resource ?? {})) for (const name of Object.keys(byName)) out.add(`${type}.${name}`);
  return out;
}

/** The addresses (`type.name`) both configurations share, as described in the file header. */
function sharedAddresses(primary: Json, companion: Json): Set<string> {
  const bodies = (config: Json) => {
    const out = new Map<string, string>();
    for (const [type, byName] of Object.entries<Json>(config.resource ?? {})) for (const [name, body] of Object.entries(byName)) out.set(`${type}.${name}`, JSON.stringify(body));
    return out;
  };
  const p = bodies(primary);
  const c = bodies(companion);
  const moves = JSON.stringify([primary.moved ?? [], primary.removed ?? [], companion.moved ?? [], companion.removed ?? []]);
  const named = new Set<string>();
  for (const m of moves.matchAll(ADDRESS)) named.add(`${m[1]}.${m[2]}`);
  const shared = new Set([...c.keys()].filter((a) => p.get(a) === c.get(a) && !named.has(a)));
  const references = new Map<string, string[]>();
  for (const a of shared) {
    const refs = new Set<string>();
    for (const m of c.get(a)!.matchAll(ADDRESS)) if (p.has(`${m[1]}.${m[2]}`) || c.has(`${m[1]}.${m[2]}`)) refs.add(`${m[1]}.${m[2]}`);
    refs.delete(a);
    references.set(a, [...refs]);
  }
  // Only resources whose references are shared too (transitively): drop the others until nothing changes.
  for (let changed = true; changed; ) {
    changed = false;
    for (const a of [...shared]) {
      if (references.get(a)!.some((r) => !shared.has(r))) {
        shared.delete(a);
        changed = true;
      }
    }
  }
  return shared;
}

/** The shared addresses a combined configuration records (see the file header); empty for any other configuration. */
export function sharedOf(combined: Json): Set<string> {
  return new Set<string>(combined['//']?.companion_shared ?? []);
}

/**
 * The combined configuration: `primary` (a harness's hermetic main.tf.json) as it is, plus `companion`'s resources,
 * outputs and `moved`/`removed` blocks renamed. The state both halves plan against holds the resources of one of
 * the two configurations (the companion's `moved`/`removed` blocks may name the primary's addresses).
 */
export function combineConfigs(primary: Json, companion: Json, prefix = COMPANION_PREFIX): Json {
  if (JSON.stringify(primary.provider ?? {}) !== JSON.stringify(companion.provider ?? {})) {
    throw new Error('combineConfigs: the two configurations configure their providers differently; plan them separately');
  }
  if (companion.module || companion.data || primary.module) throw new Error('combineConfigs: modules and data sources are not supported');
  const shared = sharedAddresses(primary, companion);
  const renamed = renameAddresses(
    { resource: companion.resource ?? {}, output: companion.output ?? {}, moved: companion.moved ?? [], removed: companion.removed ?? [] },
    new Set([...resourceAddresses(companion), ...resourceAddresses(primary)].filter((a) => !shared.has(a))),
    prefix,
  );
  const resource: Json = JSON.parse(JSON.stringify(primary.resource ?? {}));
  for (const [type, byName] of Object.entries<Json>(renamed.resource)) {
    for (const [name, body] of Object.entries(byName)) if (!shared.has(`${type}.${name}`)) (resource[type] ??= {})[`${prefix}${name}`] = body;
  }
  const output: Json = { ...(primary.output ?? {}) };
  for (const [name, body] of Object.entries(renamed.output)) output[`${prefix}${name}`] = body;
  const combined: Json = { ...primary, resource, output };
  // "//" is a comment to terraform; the state copy and the split read the list from here.
  if (shared.size) combined['//'] = { ...(primary['//'] ?? {}), companion_shared: [...shared].sort() };
  const moved = [...(primary.moved ?? []), ...renamed.moved];
  const removed = [...(primary.removed ?? []), ...renamed.removed.filter((r: Json) => String(r.from).includes(`.${prefix}`))];
  if (moved.length) combined.moved = moved;
  if (removed.length) combined.removed = removed;
  return combined;
}

/**
 * `state` plus a copy of each of its resources named `<prefix><name>` (the companion half's prior state), except the
 * `shared` ones (planned once, by the primary half).
 */
export function combineStates(state: Json, shared: ReadonlySet<string> = new Set(), prefix = COMPANION_PREFIX): Json {
  const copies = (state.resources ?? [])
    .filter((r: Json) => !(r.mode === 'managed' && shared.has(`${r.type}.${r.name}`)))
    .map((r: Json) => {
      if (r.module) throw new Error('combineStates: modules are not supported');
      return { ...r, name: `${prefix}${r.name}` };
    });
  const outputs: Json = { ...(state.outputs ?? {}) };
  for (const [name, o] of Object.entries(state.outputs ?? {})) outputs[`${prefix}${name}`] = o;
  return { ...state, outputs, resources: [...(state.resources ?? []), ...copies] };
}

const isCompanionAddress = (address: string | undefined, prefix: string) => address !== undefined && address.split('.')[1]?.startsWith(prefix);
const restore = (address: string, prefix: string) => {
  const [type, name, ...rest] = address.split('.');
  return [type, name.startsWith(prefix) ? name.slice(prefix.length) : name, ...rest].join('.');
};

/** `type.name` of a resource instance address (`type.name`, `type.name[0]`, `type.name["k"]`). */
const resourceOf = (address: string) => /^([a-z][a-z0-9_]*\.[A-Za-z0-9_-]+)/.exec(address)?.[1] ?? address;

function partOfRun(run: PlanRun, companion: boolean, shared: ReadonlySet<string>, prefix: string): PlanRun {
  const changes: PlannedChange[] = run.changes
    .filter((c) => isCompanionAddress(c.address, prefix) === companion || (companion && shared.has(resourceOf(c.address))))
    .map((c) => (companion ? { ...c, address: restore(c.address, prefix), previousAddress: c.previousAddress && restore(c.previousAddress, prefix) } : c));
  const outputs: Record<string, string> = {};
  for (const [name, action] of Object.entries(run.outputs)) {
    if (name.startsWith(prefix) === companion) outputs[companion ? name.slice(prefix.length) : name] = action;
  }
  const count = (actions: string[]) => changes.filter((c) => actions.includes(c.action)).length;
  const summary = { add: count(['create', 'replace']), change: count(['update']), remove: count(['delete', 'replace']), import: 0 };
  const noChanges = run.ok && changes.every((c) => c.action === 'noop' || c.action === 'read') && Object.values(outputs).every((a) => a === 'noop');
  return { ...run, changes, outputs, summary, noChanges };
}

/** The combined run as the two runs it stands for: `primary`'s and `companion`'s (addresses restored). */
export function splitRun(run: PlanRun, shared: ReadonlySet<string> = new Set(), prefix = COMPANION_PREFIX): { primary: PlanRun; companion: PlanRun } {
  return { primary: partOfRun(run, false, shared, prefix), companion: partOfRun(run, true, shared, prefix) };
}

function partOfPlan(plan: Json, companion: boolean, shared: ReadonlySet<string>, prefix: string): Json {
  const mine = (address: string) => isCompanionAddress(address, prefix) === companion || (companion && shared.has(resourceOf(address)));
  const fix = (r: Json) =>
    companion && isCompanionAddress(r.address, prefix)
      ? { ...r, address: restore(r.address, prefix), name: r.name.slice(prefix.length), ...(r.previous_address ? { previous_address: restore(r.previous_address, prefix) } : {}) }
      : r;
  const outputs = (o: Json | undefined) =>
    Object.fromEntries(
      Object.entries(o ?? {})
        .filter(([name]) => name.startsWith(prefix) === companion)
        .map(([name, v]) => [companion ? name.slice(prefix.length) : name, v]),
    );
  const root = plan.configuration?.root_module ?? {};
  return {
    ...plan,
    resource_changes: (plan.resource_changes ?? []).filter((rc: Json) => mine(rc.address)).map(fix),
    output_changes: outputs(plan.output_changes),
    planned_values: { ...plan.planned_values, outputs: outputs(plan.planned_values?.outputs) },
    configuration: { ...plan.configuration, root_module: { ...root, resources: (root.resources ?? []).filter((r: Json) => mine(r.address)).map(fix) } },
  };
}

/** `terraform show -json` of the combined plan as the two plans it stands for (companion addresses restored). */
export function splitPlan(plan: Json, shared: ReadonlySet<string> = new Set(), prefix = COMPANION_PREFIX): { primary: Json; companion: Json } {
  return { primary: partOfPlan(plan, false, shared, prefix), companion: partOfPlan(plan, true, shared, prefix) };
}
