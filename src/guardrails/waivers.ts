import { TerraformResource } from 'cdktf';
import { PUBLIC_ENTRY_POINT_METADATA, WAIVER_METADATA, WAIVER_OVERRIDE_PATH, WaiverRecord, publicEntryPointReason, waiversOn } from './markers';
import { RULE_IDS, ruleById } from './rules';

/** A written reason is a sentence, not a placeholder. */
const MIN_REASON_LENGTH = 20;

function checkReason(what: string, reason: unknown): string {
  if (typeof reason !== 'string' || reason.trim().length < MIN_REASON_LENGTH) {
    throw new Error(
      `${what}: a written reason is required (at least ${MIN_REASON_LENGTH} characters saying why the rule does not apply to this resource), got ${JSON.stringify(reason)}`,
    );
  }
  return reason.trim();
}

/**
 * Exempts ONE resource from ONE guardrail rule, with a written reason. The waiver is recorded on the construct
 * (node metadata), written into the synthesized resource as a Terraform JSON comment
 * (`"//": { "guardrail_waivers": [{ "rule", "reason" }] }`, ignored by Terraform) and listed in the security report.
 *
 * Throws for an unknown rule, a rule that does not inspect this resource type, a missing or token reason, or a
 * second waiver of the same rule on the same resource.
 */
export function waive(resource: TerraformResource, ruleId: string, reason: string): void {
  if (!TerraformResource.isTerraformResource(resource)) {
    throw new Error(`waive(…, '${ruleId}'): the first argument must be a Terraform resource (e.g. the SnsTopic), got ${String(resource)}`);
  }
  const what = `waive(${resource.node.path}, '${ruleId}')`;
  const rule = ruleById(ruleId);
  if (!rule) throw new Error(`${what}: unknown rule '${ruleId}'; the rules are ${RULE_IDS.join(', ')}`);
  if (!rule.resourceTypes.includes(resource.terraformResourceType)) {
    throw new Error(`${what}: rule ${ruleId} does not inspect ${resource.terraformResourceType} (it checks ${rule.resourceTypes.join(', ')}); waive it on the resource the violation names`);
  }
  const text = checkReason(what, reason);
  if (text.includes('${')) throw new Error(`${what}: the reason must be plain text, not a token or Terraform expression`);
  const existing = waiversOn(resource);
  if (existing.some((w) => w.rule === ruleId)) throw new Error(`${what}: the rule is already waived for this resource`);
  const record: WaiverRecord = { rule: ruleId, reason: text };
  resource.node.addMetadata(WAIVER_METADATA, record);
  // The override holds the whole list: a second waiver of another rule replaces the array with both entries.
  resource.addOverride(WAIVER_OVERRIDE_PATH, [...existing, record].map((w) => ({ rule: w.rule, reason: w.reason })));
}

/**
 * Marks a security group as a public HTTPS entry point (e.g. an internet-facing load balancer): rule
 * SG-OPEN-INGRESS then accepts TCP 443 from 0.0.0.0/0 and ::/0 on it, and nothing else. Listed in the security
 * report with its reason. There is none in the platform today.
 */
export function allowPublicHttps(securityGroup: TerraformResource, reason: string): void {
  if (!TerraformResource.isTerraformResource(securityGroup) || securityGroup.terraformResourceType !== 'aws_security_group') {
    throw new Error(`allowPublicHttps: the first argument must be an aws_security_group, got ${securityGroup?.terraformResourceType ?? String(securityGroup)}`);
  }
  const what = `allowPublicHttps(${securityGroup.node.path})`;
  const text = checkReason(what, reason);
  if (publicEntryPointReason(securityGroup) !== undefined) throw new Error(`${what}: already marked as a public entry point`);
  securityGroup.node.addMetadata(PUBLIC_ENTRY_POINT_METADATA, text);
}
