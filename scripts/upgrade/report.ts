/**
 * Reads the plan of the *to* version against the simulated state of the *from* version: planned actions per
 * resource type, every replacement and destruction with what forces it, the `moved` declarations that would turn a
 * destroy+create pair into a move, the stateful resources at risk, and the verdict (exit code).
 */
import { Json, PlanRun } from './simulate';
import { STATEFUL_TYPES, isStateful } from './stateful-types';

export type Action = 'create' | 'update' | 'replace' | 'destroy';
const ACTIONS: readonly Action[] = ['create', 'update', 'replace', 'destroy'];

export interface Finding {
  readonly address: string;
  readonly type: string;
  readonly action: 'replace' | 'destroy';
  /** Why terraform plans it (its action reason, in words). */
  readonly why: string;
  /** For a replacement: each attribute that forces it, with its old and new value. */
  readonly forcedBy: string[];
  /** Why the type is stateful (STATEFUL_TYPES), when it is. */
  readonly stateful?: string;
  /** The matching waiver's reason, when one waives it. */
  readonly waived?: string;
}

export interface MoveSuggestion {
  readonly from: string;
  readonly to: string;
  readonly type: string;
  /** The construct path of the new resource (cdktf metadata), where `moveFromId` goes. */
  readonly constructPath?: string;
}

export interface Waiver {
  readonly address: string;
  readonly action?: 'replace' | 'destroy';
  /** Stack name (e.g. `payments-dr-prod`); a waiver without one applies to every stack. */
  readonly stack?: string;
  readonly reason: string;
}

export interface UpgradeReport {
  readonly stack: string;
  readonly counts: Map<string, Record<Action, number>>;
  readonly replaced: Finding[];
  readonly destroyed: Finding[];
  /** Updated in place: address → changed top-level attributes. */
  readonly updated: Array<{ address: string; attributes: string[] }>;
  /** Moves the to-version declares (`moved` blocks) that terraform applies. */
  readonly declaredMoves: Array<{ from: string; to: string }>;
  readonly suggestions: MoveSuggestion[];
  /** Output name → action, for outputs that change. */
  readonly outputs: Record<string, string>;
  /** Stateful resources replaced or destroyed and not waived: each one fails the check. */
  readonly blocking: Finding[];
  /** Waivers that match nothing this plan replaces or destroys (they must be removed or corrected). */
  readonly staleWaivers: Waiver[];
  readonly noChanges: boolean;
  readonly exitCode: 0 | 1;
}

/** Addresses as a reader knows them: the harness's terraform_data stand-ins shown as the random_* they stand for. */
export function displayAddress(address: string): string {
  const m = /^terraform_data\.random_(bytes|id|integer|password|pet|shuffle|string|uuid)_(.+)$/.exec(address);
  return m ? `random_${m[1]}.${m[2]}` : address;
}

function typeOfChange(address: string, type: string): string {
  return displayAddress(address) === address ? type : displayAddress(address).split('.')[0];
}

const REASONS: Record<string, string> = {
  replace_because_cannot_update: 'an attribute that cannot change in place changed',
  replace_because_tainted: 'the resource is tainted',
  replace_by_request: 'replacement requested (-replace)',
  replace_by_triggers: 'replace_triggered_by',
  delete_because_no_resource_config: 'no longer in the configuration: its address changed, or it was removed',
  delete_because_wrong_repetition: 'count/for_each changed',
  delete_because_count_index: 'its count index is gone',
  delete_because_each_key: 'its for_each key is gone',
  delete_because_no_module: 'its module is gone',
  delete_because_no_move_target: 'its moved target does not exist',
  cannot_update: 'an attribute that cannot change in place changed',
};

function reasonText(reason: string | undefined): string {
  if (!reason) return '';
  return REASONS[reason] ?? reason.replace(/_/g, ' ');
}

function pathText(path: Array<string | number>): string {
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

function at(v: unknown, path: Array<string | number>): unknown {
  let cur = v;
  for (const step of path) {
    if (cur === null || cur === undefined || typeof cur !== 'object') return undefined;
    cur = (cur as Json)[step as string];
  }
  return cur;
}

function short(v: unknown): string {
  if (v === undefined) return 'null';
  const s = JSON.stringify(v);
  return s.length > 70 ? `${s.slice(0, 67)}…` : s;
}

/** Top-level attributes whose value differs between `before` and `after` (unknown after counts as different). */
function changedAttributes(rc: Json): string[] {
  const before = (rc.change.before ?? {}) as Json;
  const after = (rc.change.after ?? {}) as Json;
  const unknown = (rc.change.after_unknown ?? {}) as Json;
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys]
    .filter((k) => k !== 'timeouts')
    .filter((k) => {
      const u = unknown[k];
      if (u === true) return true;
      if (containsTrue(u)) return true;
      return JSON.stringify(before[k] ?? null) !== JSON.stringify(after[k] ?? null);
    })
    .sort();
}

function containsTrue(u: unknown): boolean {
  if (u === true) return true;
  if (Array.isArray(u)) return u.some(containsTrue);
  if (u && typeof u === 'object') return Object.values(u).some(containsTrue);
  return false;
}

/** Alias of a provider address in state (`provider["…/aws"].dr` → `dr`) or a config key (`aws.dr` → `dr`). */
function aliasOf(provider: string | undefined): string {
  if (!provider) return '';
  const m = /\]\.(.+)$/.exec(provider) ?? /^[a-z0-9_-]+\.(.+)$/.exec(provider);
  return m ? m[1] : '';
}

/** The state's instances by address, with their provider alias. */
function stateInstances(state: Json): Map<string, { type: string; alias: string; attributes: Json }> {
  const out = new Map<string, { type: string; alias: string; attributes: Json }>();
  for (const r of state.resources ?? []) {
    if (r.mode !== 'managed') continue;
    for (const inst of r.instances ?? []) {
      const key = inst.index_key === undefined ? '' : typeof inst.index_key === 'number' ? `[${inst.index_key}]` : `[${JSON.stringify(inst.index_key)}]`;
      const address = `${r.module ? `${r.module}.` : ''}${r.type}.${r.name}${key}`;
      out.set(address, { type: r.type, alias: aliasOf(r.provider), attributes: inst.attributes ?? {} });
    }
  }
  return out;
}

function unwrapDynamic(v: unknown): unknown {
  return v && typeof v === 'object' && !Array.isArray(v) && 'value' in (v as Json) && 'type' in (v as Json) ? (v as Json).value : v;
}

/**
 * True when a created instance's known planned values are the destroyed instance's values: the pair is one
 * resource under a new address, and a `moved` declaration keeps it.
 */
function sameResource(destroyed: Json, created: Json): boolean {
  const after = (created.change.after ?? {}) as Json;
  const unknown = (created.change.after_unknown ?? {}) as Json;
  let compared = 0;
  for (const [k, v] of Object.entries(after)) {
    if (unknown[k] === true || containsTrue(unknown[k])) continue;
    if (k === 'timeouts' || v === null) continue;
    compared++;
    if (JSON.stringify(unwrapDynamic(destroyed[k]) ?? null) !== JSON.stringify(v)) return false;
  }
  return compared > 0;
}

function providerKeys(plan: Json | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of plan?.configuration?.root_module?.resources ?? []) out.set(r.address, r.provider_config_key);
  return out;
}

export interface AnalyzeInput {
  readonly stack: string;
  /** The to-version's plan against the simulated state (machine-readable messages). */
  readonly run: PlanRun;
  /** Its `terraform show -json` (needed when it plans any change). */
  readonly plan?: Json;
  /** The simulated state of the from-version. */
  readonly state: Json;
  /** The to-version's configuration (for construct paths). */
  readonly config: Json;
  /** Waivers in force (only when the change carries an explicit, reviewed waiver). */
  readonly waivers?: readonly Waiver[];
}

export function analyze(input: AnalyzeInput): UpgradeReport {
  const { run, plan, state, config } = input;
  const counts = new Map<string, Record<Action, number>>();
  const count = (type: string, action: Action) => {
    const row = counts.get(type) ?? { create: 0, update: 0, replace: 0, destroy: 0 };
    row[action]++;
    counts.set(type, row);
  };
  const replaced: Finding[] = [];
  const destroyed: Finding[] = [];
  const updated: Array<{ address: string; attributes: string[] }> = [];
  const declaredMoves: Array<{ from: string; to: string }> = [];
  const created: Json[] = [];
  const deleted: Json[] = [];

  if (plan) {
    for (const rc of plan.resource_changes ?? []) {
      if (rc.mode !== 'managed') continue;
      const actions: string[] = rc.change.actions;
      const type = typeOfChange(rc.address, rc.type);
      if (rc.previous_address && rc.previous_address !== rc.address) declaredMoves.push({ from: displayAddress(rc.previous_address), to: displayAddress(rc.address) });
      if (actions.includes('delete') && actions.includes('create')) {
        count(type, 'replace');
        const forcedBy = (rc.change.replace_paths ?? []).map(
          (p: Array<string | number>) => `${pathText(p)}: ${short(at(rc.change.before, p))} → ${containsTrue(at(rc.change.after_unknown, p)) ? '(known after apply)' : short(at(rc.change.after, p))}`,
        );
        replaced.push({ address: displayAddress(rc.address), type, action: 'replace', why: reasonText(rc.action_reason ?? 'replace_because_cannot_update'), forcedBy, ...statefulOf(type) });
      } else if (actions.includes('delete')) {
        count(type, 'destroy');
        deleted.push(rc);
        destroyed.push({ address: displayAddress(rc.address), type, action: 'destroy', why: reasonText(rc.action_reason), forcedBy: [], ...statefulOf(type) });
      } else if (actions.includes('create')) {
        count(type, 'create');
        created.push(rc);
      } else if (actions.includes('update')) {
        count(type, 'update');
        updated.push({ address: displayAddress(rc.address), attributes: changedAttributes(rc) });
      }
    }
  } else {
    // No show output (the plan changed nothing): the counts come from the machine-readable messages.
    for (const c of run.changes) {
      const action = c.action === 'delete' ? 'destroy' : c.action;
      if ((ACTIONS as readonly string[]).includes(action)) count(typeOfChange(c.address, c.type), action as Action);
      if (c.previousAddress && c.previousAddress !== c.address) declaredMoves.push({ from: displayAddress(c.previousAddress), to: displayAddress(c.address) });
    }
  }

  // destroy + create of the same type and provider whose values agree: a move, not a replacement.
  const suggestions: MoveSuggestion[] = [];
  const instances = stateInstances(state);
  const keys = providerKeys(plan);
  const taken = new Set<string>();
  for (const d of deleted) {
    const old = instances.get(d.address);
    if (!old) continue;
    const match = created.find(
      (c) => !taken.has(c.address) && c.type === d.type && aliasOf(keys.get(c.address.replace(/\[[^\]]*\]$/, ''))) === old.alias && sameResource(old.attributes, c),
    );
    if (!match) continue;
    taken.add(match.address);
    suggestions.push({
      from: displayAddress(d.address),
      to: displayAddress(match.address),
      type: d.type,
      constructPath: config.resource?.[match.type]?.[match.name]?.['//']?.metadata?.path,
    });
  }

  const outputs: Record<string, string> = {};
  for (const [name, action] of Object.entries(run.outputs)) if (action !== 'noop') outputs[name] = action;

  // Waivers: each must match a stateful replacement or destruction of this stack, and each one it matches passes.
  const waivers = (input.waivers ?? []).filter((w) => !w.stack || w.stack === input.stack);
  const used = new Set<Waiver>();
  const waive = (f: Finding): Finding => {
    if (!f.stateful) return f;
    const w = waivers.find((x) => x.address === f.address && (!x.action || x.action === f.action));
    if (!w) return f;
    used.add(w);
    return { ...f, waived: w.reason };
  };
  const finalReplaced = replaced.map(waive);
  const finalDestroyed = destroyed.map(waive);
  const blocking = [...finalReplaced, ...finalDestroyed].filter((f) => f.stateful && !f.waived);
  const staleWaivers = waivers.filter((w) => !used.has(w));
  return {
    stack: input.stack,
    counts,
    replaced: finalReplaced,
    destroyed: finalDestroyed,
    updated,
    declaredMoves,
    suggestions,
    outputs,
    blocking,
    staleWaivers,
    noChanges: run.noChanges,
    exitCode: blocking.length > 0 || staleWaivers.length > 0 ? 1 : 0,
  };
}

function statefulOf(type: string): { stateful?: string } {
  return isStateful(type) ? { stateful: STATEFUL_TYPES[type] } : {};
}

/** The per-type table, aligned for a terminal. */
export function renderTable(counts: Map<string, Record<Action, number>>): string {
  const types = [...counts.keys()].sort();
  const header = ['resource type', ...ACTIONS];
  const total: Record<Action, number> = { create: 0, update: 0, replace: 0, destroy: 0 };
  const rows = types.map((t) => {
    const row = counts.get(t)!;
    for (const a of ACTIONS) total[a] += row[a];
    return [`${t}${isStateful(t) ? ' *' : ''}`, ...ACTIONS.map((a) => (row[a] ? String(row[a]) : '·'))];
  });
  rows.push(['total', ...ACTIONS.map((a) => String(total[a]))]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export interface Heading {
  readonly from: string;
  readonly to: string;
  readonly notes: string[];
}

function moveLines(s: MoveSuggestion, indent: string): string[] {
  const construct = s.constructPath ? ` (the construct at ${s.constructPath})` : '';
  return [
    `${indent}${s.from} → ${s.to}: only the address changed`,
    `${indent}  cdktf, on the new resource${construct}:  <resource>.moveFromId('${s.from}')`,
    `${indent}  or plain Terraform in cdk.tf.json:  "moved": [{ "from": "${s.from}", "to": "${s.to}" }]`,
  ];
}

function findingLines(f: Finding): string[] {
  const mark = f.stateful ? (f.waived ? '~' : '!') : '-';
  const lines = [`  ${mark} ${f.address}${f.stateful ? `   [stateful${f.waived ? ', waived' : ''}: ${f.stateful}]` : ''}`];
  if (f.forcedBy.length > 0) for (const p of f.forcedBy) lines.push(`      forced by ${p}`);
  else if (f.why) lines.push(`      ${f.why}`);
  if (f.waived) lines.push(`      waiver: ${f.waived}`);
  return lines;
}

/** The plain-text report. */
export function renderText(r: UpgradeReport, h: Heading): string {
  const out: string[] = [`plan:upgrade ${r.stack}: ${h.from} → ${h.to}`, ...h.notes.map((n) => `  ${n}`), ''];
  if (r.counts.size === 0 && Object.keys(r.outputs).length === 0) {
    out.push(
      r.declaredMoves.length === 0
        ? 'No changes: the to-version plans nothing against the from-version as deployed.'
        : 'No changes besides the declared moves: every resource keeps its deployed instance.',
    );
  } else {
    out.push('Planned actions per resource type (* = stateful, see scripts/upgrade/stateful-types.ts):', renderTable(r.counts));
  }
  if (r.declaredMoves.length > 0) out.push('', 'Moved (declared, kept in place):', ...r.declaredMoves.map((m) => `  ${m.from} → ${m.to}`));
  if (r.replaced.length > 0) out.push('', 'Replaced (destroyed, then created):', ...r.replaced.flatMap(findingLines));
  // Destructions share few reasons: one heading per reason, one line per resource.
  for (const why of [...new Set(r.destroyed.map((f) => f.why))]) {
    out.push('', `Destroyed${why ? ` (${why})` : ''}:`, ...r.destroyed.filter((f) => f.why === why).flatMap((f) => findingLines({ ...f, why: '' })));
  }
  if (r.suggestions.length > 0) out.push('', 'Moves that would keep them (declare one per pair):', ...r.suggestions.flatMap((s) => moveLines(s, '  ')));
  if (r.updated.length > 0) {
    out.push('', 'Updated in place:');
    for (const u of r.updated.slice(0, 60)) out.push(`  ${u.address}: ${u.attributes.join(', ') || '(sensitivity only)'}`);
    if (r.updated.length > 60) out.push(`  … and ${r.updated.length - 60} more`);
  }
  if (Object.keys(r.outputs).length > 0) {
    out.push('', 'Outputs that change (the DR CLI reads them by name):', ...Object.entries(r.outputs).map(([n, a]) => `  ${n}: ${a === 'delete' ? 'REMOVED' : a}`));
  }
  out.push('');
  if (r.staleWaivers.length > 0) {
    out.push(`STALE WAIVERS: ${r.staleWaivers.length} waiver(s) match nothing this change replaces or destroys in ${r.stack}; remove or correct them:`);
    for (const w of r.staleWaivers) out.push(`  ${w.address}${w.action ? ` (${w.action})` : ''}: ${w.reason}`);
  }
  if (r.blocking.length > 0) {
    out.push(`FAIL: ${r.blocking.length} stateful resource(s) would be replaced or destroyed:`);
    for (const f of r.blocking) out.push(`  ${f.address} (${f.action}; ${f.type})`);
    if (r.suggestions.length > 0) out.push('Declare the moves above if only the address changed.');
  } else if (r.staleWaivers.length === 0) {
    out.push(`OK: no stateful resource is replaced or destroyed${r.replaced.some((f) => f.waived) || r.destroyed.some((f) => f.waived) ? ' (except the waived ones above)' : ''}.`);
  }
  return out.join('\n');
}

/** The same report as Markdown, for a CI job summary. */
export function renderMarkdown(r: UpgradeReport, h: Heading): string {
  const out: string[] = [`### plan:upgrade \`${r.stack}\`: ${h.from} → ${h.to}`, ''];
  const verdict =
    r.blocking.length > 0
      ? `:x: **${r.blocking.length} stateful resource(s) would be replaced or destroyed**: ${r.blocking.map((f) => `\`${f.address}\` (${f.action})`).join(', ')}`
      : r.staleWaivers.length > 0
        ? `:x: **stale waivers**: ${r.staleWaivers.map((w) => `\`${w.address}\``).join(', ')} match nothing this change replaces or destroys`
        : r.counts.size === 0 && Object.keys(r.outputs).length === 0
          ? `:white_check_mark: **No changes** against the from-version as deployed${r.declaredMoves.length ? ' (besides the declared moves)' : ''}.`
          : ':white_check_mark: no stateful resource is replaced or destroyed.';
  out.push(verdict, '');
  if (r.counts.size > 0) {
    out.push('| resource type | create | update | replace | destroy |', '|---|---:|---:|---:|---:|');
    for (const t of [...r.counts.keys()].sort()) {
      const row = r.counts.get(t)!;
      out.push(`| \`${t}\`${isStateful(t) ? ' (stateful)' : ''} | ${ACTIONS.map((a) => row[a] || '·').join(' | ')} |`);
    }
    out.push('');
  }
  const list = (title: string, items: Finding[]) => {
    if (items.length === 0) return;
    out.push(`**${title}**`, '');
    for (const f of items) {
      out.push(`- \`${f.address}\`${f.stateful ? (f.waived ? ' — stateful, **waived**: ' + f.waived : ' — **stateful**') : ''}`);
      for (const p of f.forcedBy) out.push(`  - forced by \`${p}\``);
      if (f.forcedBy.length === 0 && f.why) out.push(`  - ${f.why}`);
    }
    out.push('');
  };
  list('Replaced', r.replaced);
  list('Destroyed', r.destroyed);
  if (r.suggestions.length > 0) {
    out.push('**Moves that would keep them** (only the address changed):', '');
    for (const s of r.suggestions) {
      out.push(`- \`${s.from}\` → \`${s.to}\`: \`moveFromId('${s.from}')\` on the new resource${s.constructPath ? ` (\`${s.constructPath}\`)` : ''}`);
    }
    out.push('');
  }
  if (r.declaredMoves.length > 0) out.push(`Declared moves: ${r.declaredMoves.map((m) => `\`${m.from}\` → \`${m.to}\``).join(', ')}`, '');
  if (Object.keys(r.outputs).length > 0) out.push(`Outputs that change: ${Object.entries(r.outputs).map(([n, a]) => `\`${n}\` (${a})`).join(', ')}`, '');
  if (h.notes.length > 0) out.push(`<sub>${h.notes.join(' · ')}</sub>`, '');
  return out.join('\n');
}

/** Parses and checks a waiver file: `{ "waivers": [{ "address", "reason", "action"?, "stack"? }] }`. */
export function parseWaivers(text: string, file: string): Waiver[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not JSON (${(e as Error).message})`);
  }
  const list = (doc as Json)?.waivers;
  if (!Array.isArray(list)) throw new Error(`${file}: expected { "waivers": [ { "address": …, "reason": … } ] }`);
  return list.map((w: Json, i: number) => {
    const where = `${file}: waivers[${i}]`;
    if (typeof w?.address !== 'string' || !/^[a-z][a-z0-9_]*\.[A-Za-z_][A-Za-z0-9_-]*/.test(w.address)) {
      throw new Error(`${where}.address must be a resource address like "aws_rds_cluster.database_primary-cluster_62F23CC4", got ${JSON.stringify(w?.address)}`);
    }
    if (typeof w.reason !== 'string' || w.reason.trim().length < 20) {
      throw new Error(`${where}.reason must say why losing this resource is acceptable (at least 20 characters), got ${JSON.stringify(w.reason)}`);
    }
    if (w.action !== undefined && w.action !== 'replace' && w.action !== 'destroy') {
      throw new Error(`${where}.action must be "replace" or "destroy" (or left out for both), got ${JSON.stringify(w.action)}`);
    }
    if (w.stack !== undefined && typeof w.stack !== 'string') throw new Error(`${where}.stack must be a stack name like "payments-dr-prod"`);
    const extra = Object.keys(w).filter((k) => !['address', 'reason', 'action', 'stack'].includes(k));
    if (extra.length > 0) throw new Error(`${where}: unknown key(s) ${extra.join(', ')}; use address, reason, action, stack`);
    return { address: w.address, reason: w.reason.trim(), ...(w.action ? { action: w.action } : {}), ...(w.stack ? { stack: w.stack } : {}) };
  });
}
