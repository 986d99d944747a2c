import { isExpression, list } from './inventory';
import { Finding, Rule } from './model';
import { POLICY_RESOURCE_TYPES, hasCondition, isPublicPrincipal, isWildcardAction, policyDocuments } from './policy';

/**
 * Actions that may be allowed on `Resource: "*"` in identity policies, each with the reason. Everything else must
 * name its resources. Patterns ending in `*` match any action with that prefix (they must be read-only).
 *
 * Key policies are exempt from the wildcard-resource rule (not from the others): in a key policy `"*"` means "this
 * key" (KMS Developer Guide, key policies).
 */
export const WILDCARD_RESOURCE_ACTIONS: ReadonlyArray<{ readonly action: string; readonly reason: string }> = [
  {
    action: 'ec2:CreateNetworkInterface',
    reason: 'Lambda VPC access: Lambda creates the function\'s interfaces through its role; AWS documents these actions on "*" (AWSLambdaVPCAccessExecutionRole, Lambda "configuration-vpc")',
  },
  { action: 'ec2:DeleteNetworkInterface', reason: 'Lambda VPC access (as above); the interface ids are not known before Lambda creates them' },
  { action: 'ec2:AssignPrivateIpAddresses', reason: 'Lambda VPC access (as above)' },
  { action: 'ec2:UnassignPrivateIpAddresses', reason: 'Lambda VPC access (as above)' },
  { action: 'ec2:Describe*', reason: 'EC2 Describe* calls have no resource-level permissions ("only works if allowed on all resources")' },
  { action: 'xray:PutTraceSegments', reason: 'X-Ray trace ingestion has no resource-level permissions (Service Authorization Reference, AWS X-Ray)' },
  { action: 'xray:PutTelemetryRecords', reason: 'X-Ray telemetry has no resource-level permissions' },
  {
    action: 'cloudwatch:PutMetricData',
    reason: 'no resource-level permissions (Service Authorization Reference, CloudWatch); scope it with the cloudwatch:namespace condition key',
  },
  { action: 'cloudwatch:GetMetricData', reason: 'no resource-level permissions (Service Authorization Reference, CloudWatch); read-only' },
  ...[
    'logs:CreateLogDelivery',
    'logs:GetLogDelivery',
    'logs:UpdateLogDelivery',
    'logs:DeleteLogDelivery',
    'logs:ListLogDeliveries',
    'logs:PutResourcePolicy',
    'logs:DescribeResourcePolicies',
    'logs:DescribeLogGroups',
  ].map((action) => ({
    action,
    reason: 'Step Functions log delivery: the vended-log actions have no resource-level permissions (Step Functions developer guide, cw-logs)',
  })),
  {
    action: 'secretsmanager:GetRandomPassword',
    reason: 'generates a password without touching a secret: no resource-level permissions (Service Authorization Reference, Secrets Manager)',
  },
];

/** Whether every action of a statement is on the `*`-resource allow-list. */
function allowedOnAnyResource(action: string): boolean {
  const a = action.trim().toLowerCase();
  return WILDCARD_RESOURCE_ACTIONS.some(({ action: allowed }) => {
    const p = allowed.toLowerCase();
    return p.endsWith('*') ? a.startsWith(p.slice(0, -1)) && !a.slice(p.length - 1).includes(':') : a === p;
  });
}

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
  rationale: `Least privilege: a role can touch only this platform's resources. "*" is accepted only for ${WILDCARD_RESOURCE_ACTIONS.map((a) => a.action).join(', ')}, and in key policies, where it means the key itself.`,
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
                  fix: 'name the resources (ARNs or references of this stack); only actions without resource-level permissions may use "*" (WILDCARD_RESOURCE_ACTIONS)',
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
        fix: 'build the document with policyDocument() (src/region.ts) so it is a JSON string at synth; references inside string values are fine',
      })),
};

/** AWS managed policies the platform may attach, with the reason. Any other AWS managed policy fails. */
export const ALLOWED_AWS_MANAGED_POLICIES: ReadonlyArray<{ readonly arn: string; readonly reason: string }> = [
  {
    arn: 'arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup',
    reason: 'the AWS Backup service role policy the AWS Backup Developer Guide prescribes for backup jobs; it spans every service Backup protects',
  },
  {
    arn: 'arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores',
    reason: 'the AWS Backup service role policy for restores (same guide)',
  },
  {
    arn: 'arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs',
    reason: 'the API Gateway account-level logging role policy (API Gateway Developer Guide, set-up-logging); API Gateway creates its execution log groups itself',
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
