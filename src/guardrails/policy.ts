import { Json, SynthResource, isExpression, list } from './inventory';

/** A policy statement with Action/Resource lists normalized to arrays. */
export interface Statement {
  readonly sid?: string;
  readonly effect: string;
  readonly action: string[];
  readonly notAction: string[];
  readonly resource: string[];
  readonly notResource: string[];
  readonly principal: unknown;
  readonly condition: unknown;
}

/** Whether a policy grants identities rights (on resources) or is attached to a resource, or is a trust policy. */
export type PolicyKind = 'identity' | 'resource' | 'key' | 'trust';

/** A policy document found in a resource attribute. */
export interface PolicyDocument {
  readonly resource: SynthResource;
  readonly attribute: string;
  readonly kind: PolicyKind;
  /** Parsed statements, or why the document cannot be read. */
  readonly statements?: readonly Statement[];
  readonly unreadable?: string;
}

/** Where policy documents live, by resource type. `inline_policy` blocks of aws_iam_role are handled separately. */
export const POLICY_ATTRIBUTES: Readonly<Record<string, ReadonlyArray<readonly [attribute: string, kind: PolicyKind]>>> = {
  aws_iam_role_policy: [['policy', 'identity']],
  aws_iam_policy: [['policy', 'identity']],
  aws_iam_user_policy: [['policy', 'identity']],
  aws_iam_group_policy: [['policy', 'identity']],
  aws_iam_role: [['assume_role_policy', 'trust']],
  // In a key policy, Resource "*" means "this key" (KMS Developer Guide, key-policies): exempt from the
  // wildcard-resource rule, not from the wildcard-action and public-principal rules.
  aws_kms_key: [['policy', 'key']],
  aws_kms_replica_key: [['policy', 'key']],
  aws_kms_key_policy: [['policy', 'key']],
  aws_s3_bucket_policy: [['policy', 'resource']],
  aws_s3_bucket: [['policy', 'resource']],
  aws_sns_topic: [['policy', 'resource']],
  aws_sns_topic_policy: [['policy', 'resource']],
  aws_sqs_queue: [['policy', 'resource']],
  aws_sqs_queue_policy: [['policy', 'resource']],
  aws_secretsmanager_secret: [['policy', 'resource']],
  aws_secretsmanager_secret_policy: [['policy', 'resource']],
  aws_backup_vault_policy: [['policy', 'resource']],
  aws_api_gateway_rest_api: [['policy', 'resource']],
  aws_api_gateway_rest_api_policy: [['policy', 'resource']],
  aws_dynamodb_resource_policy: [['policy', 'resource']],
  aws_cloudwatch_log_resource_policy: [['policy_document', 'resource']],
};

/** Resource types that may carry a policy document. */
export const POLICY_RESOURCE_TYPES = Object.keys(POLICY_ATTRIBUTES);

function strings(value: unknown): string[] {
  return list(value).filter((v): v is string => typeof v === 'string');
}

/** Parses one policy document; unreadable when it is not a JSON literal (e.g. `${jsonencode(...)}` or a data source). */
export function parsePolicy(value: unknown): { statements: Statement[] } | { unreadable: string } {
  if (typeof value !== 'string') return { unreadable: `is ${JSON.stringify(value)}, not a JSON policy document` };
  const trimmed = value.trim();
  if (trimmed.startsWith('${')) {
    return { unreadable: `is the Terraform expression ${trimmed.slice(0, 80)}${trimmed.length > 80 ? '…' : ''}, unknown until apply` };
  }
  let doc: Json;
  try {
    doc = JSON.parse(trimmed);
  } catch (e) {
    return { unreadable: `is not valid JSON (${(e as Error).message})` };
  }
  const raw = list(doc?.Statement);
  if (raw.length === 0) return { unreadable: 'has no Statement' };
  const statements: Statement[] = [];
  for (const s of raw) {
    if (typeof s !== 'object' || s === null) return { unreadable: 'has a Statement that is not an object' };
    const st = s as Json;
    if (isExpression(st.Action) && typeof st.Action === 'string' && st.Action.startsWith('${')) {
      return { unreadable: `has an Action that is a Terraform expression (${st.Action})` };
    }
    statements.push({
      sid: st.Sid,
      effect: st.Effect,
      action: strings(st.Action),
      notAction: strings(st.NotAction),
      resource: strings(st.Resource),
      notResource: strings(st.NotResource),
      principal: st.Principal,
      condition: st.Condition,
    });
  }
  return { statements };
}

/** Every policy document of the given resources (policy attributes and aws_iam_role inline policies). */
export function policyDocuments(resources: readonly SynthResource[]): PolicyDocument[] {
  const docs: PolicyDocument[] = [];
  for (const resource of resources) {
    const found: Array<[string, PolicyKind, unknown]> = (POLICY_ATTRIBUTES[resource.type] ?? [])
      .filter(([attribute]) => resource.body[attribute] !== undefined)
      .map(([attribute, kind]) => [attribute, kind, resource.body[attribute]]);
    if (resource.type === 'aws_iam_role') {
      list(resource.body.inline_policy).forEach((p, i) => {
        const policy = (p as Json | undefined)?.policy;
        if (policy !== undefined) found.push([`inline_policy[${i}].policy`, 'identity', policy]);
      });
    }
    for (const [attribute, kind, value] of found) {
      const parsed = parsePolicy(value);
      docs.push('statements' in parsed ? { resource, attribute, kind, statements: parsed.statements } : { resource, attribute, kind, unreadable: parsed.unreadable });
    }
  }
  return docs;
}

/** `*`, or a whole service (`s3:*`). Partial wildcards such as `kms:Describe*` are not. */
export function isWildcardAction(action: string): boolean {
  return action.trim() === '*' || /^[a-z0-9-]+:\*$/i.test(action.trim());
}

/** A principal that is everyone: `"*"`, `{"AWS": "*"}` or any principal list containing `*`. */
export function isPublicPrincipal(principal: unknown): boolean {
  if (principal === '*') return true;
  if (typeof principal !== 'object' || principal === null) return false;
  return Object.values(principal as Json).some((v) => list(v).includes('*'));
}

/** Whether a statement has any condition at all. */
export function hasCondition(statement: Statement): boolean {
  return typeof statement.condition === 'object' && statement.condition !== null && Object.keys(statement.condition).length > 0;
}
