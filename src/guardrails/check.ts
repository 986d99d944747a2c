import { Aspects, IAspect, TerraformStack } from 'cdktf';
import { IConstruct } from 'constructs';
import { Inventory } from './inventory';
import { publicEntryPointReason, waiversOn } from './markers';
import { CheckContext, GuardrailOptions, Rule, Violation, formatViolation } from './model';
import { RULES } from './rules';

/** A waiver and what it covered in this synth. */
export interface AppliedWaiver {
  readonly ruleId: string;
  readonly reason: string;
  readonly resourceType: string;
  readonly address: string;
  readonly path: string;
  /** The findings it suppressed; empty means the waiver is stale (the rule passes without it). */
  readonly suppressed: readonly string[];
}

export interface RuleResult {
  readonly rule: Rule;
  /** False when the rule does not apply to this profile (e.g. deletion protection in dev). */
  readonly applies: boolean;
  /** Resources of the rule's types in the stack. */
  readonly checked: number;
  readonly violations: number;
  readonly waived: number;
}

export interface GuardrailResult {
  readonly stackName: string;
  readonly options: GuardrailOptions;
  readonly rules: readonly RuleResult[];
  readonly violations: readonly Violation[];
  readonly waivers: readonly AppliedWaiver[];
  readonly publicEntryPoints: ReadonlyArray<{ readonly address: string; readonly path: string; readonly reason: string }>;
}

/** Thrown at synth when the stack breaks the baseline; lists every violation at once. */
export class GuardrailError extends Error {
  constructor(
    public readonly violations: readonly Violation[],
    stackName: string,
  ) {
    super(
      [
        `Security guardrails: ${violations.length} violation(s) in stack ${stackName}:`,
        ...violations.map((v) => `  - ${formatViolation(v)}`),
        'Fix each resource, or waive one rule for one resource with waive(resource, RULE-ID, reason) (src/guardrails); see docs/security.md.',
      ].join('\n'),
    );
    this.name = 'GuardrailError';
  }
}

const registered = new WeakMap<TerraformStack, GuardrailOptions>();

function resolveOptions(stack: TerraformStack, options?: GuardrailOptions): GuardrailOptions {
  const resolved = options ?? registered.get(stack) ?? { profile: 'prod' };
  if (resolved.profile !== 'dev' && resolved.profile !== 'prod') {
    throw new Error(`guardrails: options.profile must be 'dev' or 'prod', got ${JSON.stringify(resolved.profile)}`);
  }
  return resolved;
}

/**
 * Runs every rule over the stack as it would be synthesized, and sorts findings into violations and waived ones.
 * Pure: reads the construct tree and `stack.toTerraform()`, changes nothing.
 *
 * Options default to those given to `applyGuardrails`, else to `prod` (the strictest profile).
 */
export function evaluateGuardrails(stack: TerraformStack, options?: GuardrailOptions): GuardrailResult {
  const opts = resolveOptions(stack, options);
  const inventory = Inventory.of(stack);
  const entryPoints = inventory
    .ofType('aws_security_group')
    .filter((sg) => sg.construct && publicEntryPointReason(sg.construct) !== undefined)
    .map((sg) => ({ address: sg.address, path: sg.path, reason: publicEntryPointReason(sg.construct!)! }));
  const ctx: CheckContext = { inventory, options: opts, publicEntryPoints: new Set(entryPoints.map((e) => e.path)) };

  const waivers = new Map<string, { ruleId: string; reason: string; resourceType: string; address: string; path: string; suppressed: string[] }>();
  for (const r of inventory.resources) {
    for (const w of r.construct ? waiversOn(r.construct) : []) {
      waivers.set(`${r.address}|${w.rule}`, { ruleId: w.rule, reason: w.reason, resourceType: r.type, address: r.address, path: r.path, suppressed: [] });
    }
  }

  const violations: Violation[] = [];
  const rules: RuleResult[] = RULES.map((rule) => {
    const applies = !rule.profiles || rule.profiles.includes(opts.profile);
    const checked = inventory.ofType(...rule.resourceTypes).length;
    if (!applies) return { rule, applies, checked, violations: 0, waived: 0 };
    let failed = 0;
    let waived = 0;
    for (const f of rule.check(ctx)) {
      const waiver = waivers.get(`${f.resource.address}|${rule.id}`);
      if (waiver) {
        waiver.suppressed.push(f.problem);
        waived++;
        continue;
      }
      failed++;
      violations.push({ ruleId: rule.id, resourceType: f.resource.type, address: f.resource.address, path: f.resource.path, message: f.problem, fix: f.fix });
    }
    return { rule, applies, checked, violations: failed, waived };
  });

  return { stackName: stack.node.id, options: opts, rules, violations, waivers: [...waivers.values()], publicEntryPoints: entryPoints };
}

/** The result the aspect computed in the last synth of each stack (so the report does not evaluate twice). */
const evaluatedAtSynth = new WeakMap<TerraformStack, GuardrailResult>();

/** The evaluation of the last synth, when it ran with the same profile; undefined before any synth. */
export function evaluationFromSynth(stack: TerraformStack, options?: GuardrailOptions): GuardrailResult | undefined {
  const result = evaluatedAtSynth.get(stack);
  return result && (!options || result.options.profile === options.profile) ? result : undefined;
}

/** The violations of the stack (empty when it meets the baseline). Pure; for tests and tools. */
export function checkGuardrails(stack: TerraformStack, options?: GuardrailOptions): Violation[] {
  return [...evaluateGuardrails(stack, options).violations];
}

/**
 * The aspect that checks the whole stack once, when the synth visits the stack itself (first, before its
 * children), and throws one GuardrailError listing every violation. Aspects run in every synth: `app.synth()`,
 * `cdktf synth` and `Testing.synth`/`fullSynth`. Resources added by aspects that run later are not seen: apply
 * guardrails last.
 */
class GuardrailAspect implements IAspect {
  constructor(
    private readonly stack: TerraformStack,
    private readonly options: GuardrailOptions,
  ) {}

  visit(node: IConstruct): void {
    if (node !== this.stack) return;
    const result = evaluateGuardrails(this.stack, this.options);
    evaluatedAtSynth.set(this.stack, result);
    if (result.violations.length > 0) throw new GuardrailError(result.violations, result.stackName);
  }
}

/**
 * Makes every synth of `stack` fail with a GuardrailError while it breaks the baseline. Applying it again with the
 * same profile does nothing; with another profile it throws.
 */
export function applyGuardrails(stack: TerraformStack, options: GuardrailOptions): void {
  const previous = registered.get(stack);
  if (previous) {
    if (previous.profile === options?.profile) return;
    throw new Error(`applyGuardrails: already applied to stack ${stack.node.id} with profile '${previous.profile}', now '${options?.profile}'`);
  }
  if (!options) throw new Error(`applyGuardrails(${stack.node.id}): options.profile is required ('dev' or 'prod')`);
  const opts = resolveOptions(stack, options);
  registered.set(stack, opts);
  Aspects.of(stack).add(new GuardrailAspect(stack, opts));
}
