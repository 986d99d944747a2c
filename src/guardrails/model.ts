import { Inventory, SynthResource } from './inventory';

/** Deployment profile: `prod` adds the rules that protect production data (deletion protection, a year of logs). */
export type GuardrailProfile = 'dev' | 'prod';

export interface GuardrailOptions {
  /** The profile the stack is synthesized for (the platform config's `profile`). */
  readonly profile: GuardrailProfile;
}

/** Everything a rule may look at. Rules are pure functions of it. */
export interface CheckContext {
  readonly inventory: Inventory;
  readonly options: GuardrailOptions;
  /** Construct paths of security groups marked with `allowPublicHttps` (public HTTPS entry points). */
  readonly publicEntryPoints: ReadonlySet<string>;
}

/** One problem a rule found on one resource. */
export interface Finding {
  readonly resource: SynthResource;
  /** What is wrong, naming the attribute and the value found. */
  readonly problem: string;
  /** What to change. */
  readonly fix: string;
}

export interface Rule {
  /** Stable id, used in waivers: never rename one. */
  readonly id: string;
  readonly title: string;
  /** Why the rule exists (report). */
  readonly rationale: string;
  /** Resource types the rule inspects; a waiver of this rule may only name a resource of one of them. */
  readonly resourceTypes: readonly string[];
  /** Profiles the rule applies to. @default both */
  readonly profiles?: readonly GuardrailProfile[];
  check(ctx: CheckContext): Finding[];
}

/** A finding that no waiver covers: fails the synth. */
export interface Violation {
  readonly ruleId: string;
  readonly resourceType: string;
  /** Terraform address, `<type>.<logical id>`. */
  readonly address: string;
  /** Construct path. */
  readonly path: string;
  readonly message: string;
  readonly fix: string;
}

/** One line per violation: `[RULE] address (path): message. Fix: fix`. */
export function formatViolation(v: Violation): string {
  return `[${v.ruleId}] ${v.address} (${v.path}): ${v.message}. Fix: ${v.fix}`;
}
