/**
 * Security guardrails: the stack checks itself against the platform's security baseline at every synth.
 *
 *   applyGuardrails(stack, { profile: config.profile });   // in DrStack: synth fails on any violation
 *   waive(resource, 'RULE-ID', 'why the rule does not apply here');
 *   writeSecurityReport(stackDir, stack);                    // security-report.md / .json next to cdk.tf.json
 *
 * Rules, waivers and the comparison with checkov: docs/security.md.
 */
export type { AppliedWaiver, GuardrailResult, RuleResult } from './check';
export { GuardrailError, applyGuardrails, checkGuardrails, evaluateGuardrails } from './check';
export { ALLOWED_AWS_MANAGED_POLICIES, WILDCARD_RESOURCE_ACTIONS } from './iam-rules';
export type { SynthResource } from './inventory';
export { Inventory } from './inventory';
export { WAIVER_OVERRIDE_PATH } from './markers';
export type { Finding, GuardrailOptions, GuardrailProfile, Rule, Violation } from './model';
export { formatViolation } from './model';
export { renderSecurityReport, reportJson, writeSecurityReport } from './report';
export { RULES, RULE_IDS, ruleById } from './rules';
export { allowPublicHttps, waive } from './waivers';
