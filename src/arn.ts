/**
 * The one place ARNs are spelled. Everything else asks for an ARN by what it names (a table, a parameter, a
 * secret...), so the partition and the field layout are written once; `__tests__/arn.test.ts` fails when an `arn:`
 * template or concatenation appears anywhere else under src/.
 *
 * Format (AWS General Reference, "Amazon Resource Names"): `arn:<partition>:<service>:<region>:<account>:<resource>`.
 * Region and account are empty for global resources (IAM, S3 buckets, Aurora global clusters).
 *
 * Prefer a resource's own `arn` attribute; build an ARN here only where the attribute does not exist or must not be
 * referenced: a resource of the other region (no cross-region dependency), a resource created later or by AWS
 * (`GlobalEndpointManagedRule-*`), a pattern (`secret:<name>-??????`, `alarm:*`), or a name the caller knows before
 * the resource exists (a role that passes itself).
 */

/** The partition of every region this stack accepts (`aws-regions.ts`: commercial regions only). */
export const PARTITION = 'aws';

/** Where a regional resource lives: a RegionContext fits. */
export interface ArnScope {
  readonly region: string;
  readonly accountId: string;
}

export interface ArnParts {
  readonly service: string;
  /** Empty for global resources. @default '' */
  readonly region?: string;
  /** Empty for AWS-owned resources without an account (managed policies use `aws`). @default '' */
  readonly account?: string;
  /** Everything after the account field, with its own separators: `table/<name>`, `secret:<name>-??????`. */
  readonly resource: string;
}

/** `arn:aws:<service>:<region>:<account>:<resource>`. */
export function arn(parts: ArnParts): string {
  return `arn:${PARTITION}:${parts.service}:${parts.region ?? ''}:${parts.account ?? ''}:${parts.resource}`;
}

/** A regional resource of our account. */
function regional(scope: ArnScope, service: string, resource: string): string {
  return arn({ service, region: scope.region, account: scope.accountId, resource });
}

// --- IAM (global) -----------------------------------------------------------------------------------------------

/** The account root principal (key policies, trust policies, ELB log delivery). */
export function accountRootArn(accountId: string): string {
  return arn({ service: 'iam', account: accountId, resource: 'root' });
}

/** A role of our account by name (a role that must name itself before it exists, e.g. `iam:PassRole` on itself). */
export function iamRoleArn(accountId: string, roleName: string): string {
  return arn({ service: 'iam', account: accountId, resource: `role/${roleName}` });
}

/** An AWS managed policy: `service-role/AWSBackupServiceRolePolicyForBackup` → `arn:aws:iam::aws:policy/...`. */
export function awsManagedPolicyArn(path: string): string {
  return arn({ service: 'iam', account: 'aws', resource: `policy/${path}` });
}

// --- Regional resources of our account --------------------------------------------------------------------------

/**
 * An SSM parameter (or a pattern: `/pay/dev/*`). Names of hierarchical parameters start with `/`, which the ARN
 * keeps (`parameter/pay/dev/x`); a name without a leading `/` gets one (SSM User Guide, sysman-paramstore-access).
 */
export function ssmParameterArn(scope: ArnScope, name: string): string {
  return regional(scope, 'ssm', `parameter${name.startsWith('/') ? name : `/${name}`}`);
}

/**
 * Every version of a secret by name: Secrets Manager appends `-` and six random characters to a secret's ARN, so
 * a policy that names the secret before (or without referencing) it ends in `-??????` (Secrets Manager User Guide,
 * auth-and-access_examples, "Wildcards"; `*` would also match `<name>-other`).
 */
export function secretArnPattern(scope: ArnScope, secretName: string): string {
  return regional(scope, 'secretsmanager', `secret:${secretName}-??????`);
}

/** A DynamoDB table (a global table's replica in another region has the same name). */
export function dynamodbTableArn(scope: ArnScope, tableName: string): string {
  return regional(scope, 'dynamodb', `table/${tableName}`);
}

/** An EventBridge bus. */
export function eventBusArn(scope: ArnScope, busName: string): string {
  return regional(scope, 'events', `event-bus/${busName}`);
}

/** An EventBridge rule (or pattern): `*` for every rule, `<bus>/<name>` for a rule on a custom bus. */
export function eventRuleArn(scope: ArnScope, rule: string): string {
  return regional(scope, 'events', `rule/${rule}`);
}

/** A CloudWatch alarm (or `*`). */
export function cloudwatchAlarmArn(scope: ArnScope, alarmName: string): string {
  return regional(scope, 'cloudwatch', `alarm:${alarmName}`);
}

/** A CloudWatch Logs log group (or `*`). */
export function logGroupArn(scope: ArnScope, logGroupName: string): string {
  return regional(scope, 'logs', `log-group:${logGroupName}`);
}

/** Any CloudWatch Logs resource of the region (`arn:aws:logs:<region>:<account>:*`). */
export function logsArnPattern(scope: ArnScope): string {
  return regional(scope, 'logs', '*');
}

/** A Step Functions state machine. */
export function stateMachineArn(scope: ArnScope, name: string): string {
  return regional(scope, 'states', `stateMachine:${name}`);
}

/** A Step Functions service integration (`lambda:invoke` → `arn:aws:states:::lambda:invoke`). */
export function stepFunctionsIntegrationArn(integration: string): string {
  return arn({ service: 'states', resource: integration });
}

/** An AWS Backup vault. */
export function backupVaultArn(scope: ArnScope, vaultName: string): string {
  return regional(scope, 'backup', `backup-vault:${vaultName}`);
}

/** An Aurora global cluster (global: no region). */
export function rdsGlobalClusterArn(accountId: string, globalClusterIdentifier: string): string {
  return arn({ service: 'rds', account: accountId, resource: `global-cluster:${globalClusterIdentifier}` });
}

/** An EC2 resource (`vpc/*`, `subnet/*`, `vpc-flow-log/*`) of our account; `account` `*` for AWS-owned ones. */
export function ec2Arn(scope: ArnScope, resource: string, account: string = scope.accountId): string {
  return arn({ service: 'ec2', region: scope.region, account, resource });
}

/** A FIS experiment (or `*`). */
export function fisExperimentArn(scope: ArnScope, experiment: string): string {
  return regional(scope, 'fis', `experiment/${experiment}`);
}

/** A Lambda function by name. */
export function lambdaFunctionArn(scope: ArnScope, functionName: string): string {
  return regional(scope, 'lambda', `function:${functionName}`);
}

// --- Resources of other accounts, and global ones -------------------------------------------------------------

/** A Lambda layer version published by another account (the Powertools layer). */
export function lambdaLayerVersionArn(region: string, publisherAccount: string, layerName: string, version: number): string {
  return arn({ service: 'lambda', region, account: publisherAccount, resource: `layer:${layerName}:${version}` });
}

/** An S3 bucket (bucket ARNs carry neither region nor account). */
export function s3BucketArn(bucketName: string): string {
  return arn({ service: 's3', resource: bucketName });
}
