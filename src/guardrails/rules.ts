import { apiStageAccessLogs, apiStageTracing, lambdaConcurrency, lambdaEnvironmentSecrets, lambdaLayers, lambdaTracing, logRetention } from './app-rules';
import { databaseIamAuth, databaseLogExports, databasesPrivate, deletionProtection, dynamodbPointInTimeRecovery } from './database-rules';
import { lbAccessLogs, lbDeletionProtection, lbDropInvalidHeaders, lbListenerTls, lbWaf } from './edge-rules';
import { encryptionAtRest, keyRotation } from './encryption-rules';
import { authorizationData, managedPoliciesAllowListed, noPublicPrincipal, noWildcardActions, noWildcardResources, policiesReadable } from './iam-rules';
import { Rule } from './model';
import { defaultSecurityGroupClosed, noOpenIngress, securityGroupDescriptions, vpcFlowLogs } from './network-rules';
import { s3PublicAccessBlock, s3TlsOnly, s3Versioning } from './s3-rules';

/** The security baseline, in report order. Rule ids are part of the public API (waivers name them). */
export const RULES: readonly Rule[] = [
  encryptionAtRest,
  keyRotation,
  s3PublicAccessBlock,
  s3TlsOnly,
  s3Versioning,
  noOpenIngress,
  securityGroupDescriptions,
  defaultSecurityGroupClosed,
  vpcFlowLogs,
  noWildcardActions,
  noWildcardResources,
  authorizationData,
  noPublicPrincipal,
  policiesReadable,
  managedPoliciesAllowListed,
  databasesPrivate,
  databaseIamAuth,
  databaseLogExports,
  deletionProtection,
  dynamodbPointInTimeRecovery,
  lambdaTracing,
  lambdaConcurrency,
  lambdaEnvironmentSecrets,
  lambdaLayers,
  apiStageAccessLogs,
  apiStageTracing,
  logRetention,
  lbListenerTls,
  lbWaf,
  lbAccessLogs,
  lbDropInvalidHeaders,
  lbDeletionProtection,
];

export const RULE_IDS: readonly string[] = RULES.map((r) => r.id);

export function ruleById(id: string): Rule | undefined {
  return RULES.find((r) => r.id === id);
}
