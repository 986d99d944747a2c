/**
 * IAM policy documents as typed objects, serialized once. Constructs that own a resource hand out what may be done
 * with it as statements (`grant*` methods: `SessionTable.grant`, `DatabaseCredentials.grantRead`, ...), built with
 * `allow`, so a statement's key order, and with it the synthesized JSON, is the same wherever it comes from.
 */
import { ArnScope, cloudwatchAlarmArn, eventRuleArn } from './arn';

/** `service:Action`, e.g. `dynamodb:GetItem`, `kms:GenerateDataKey*`. */
export type IamAction = `${string}:${string}`;

/** Condition operator → condition key → value(s), e.g. `{ StringEquals: { 'kms:ViaService': '...' } }`. */
export type PolicyCondition = Record<string, Record<string, string | string[] | boolean>>;

/** One statement of a policy document; keys spelled as IAM spells them. */
export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal?: Record<string, string | string[]> | '*';
  readonly Action: string | string[];
  readonly Resource?: string | string[];
  readonly NotResource?: string | string[];
  readonly Condition?: PolicyCondition;
}

/**
 * An identity-policy `Allow` statement: `{ Sid, Effect, Action, Resource[, Condition] }`, in that order. Lists stay
 * lists (a one-element `["x"]` is written as given), so a converted call site synthesizes byte-identical JSON.
 */
export function allow(sid: string, actions: readonly IamAction[], resources: readonly string[], condition?: PolicyCondition): PolicyStatement {
  return {
    Sid: sid,
    Effect: 'Allow',
    Action: [...actions],
    Resource: [...resources],
    ...(condition ? { Condition: condition } : {}),
  };
}

export function policyDocument(statements: readonly PolicyStatement[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}

/** Trust policy for an AWS service, scoped to our account (confused-deputy protection). */
export function serviceTrustPolicy(service: string, accountId: string, sourceArnLike?: string): string {
  return policyDocument([
    {
      Effect: 'Allow',
      Principal: { Service: service },
      Action: 'sts:AssumeRole',
      Condition: {
        StringEquals: { 'aws:SourceAccount': accountId },
        ...(sourceArnLike ? { ArnLike: { 'aws:SourceArn': sourceArnLike } } : {}),
      },
    },
  ]);
}

/** Confused-deputy condition for CloudWatch alarms of our account and region acting through a service principal. */
export function fromOwnAlarms(scope: ArnScope): PolicyCondition {
  return { StringEquals: { 'aws:SourceAccount': scope.accountId }, ArnLike: { 'aws:SourceArn': cloudwatchAlarmArn(scope, '*') } };
}

/** Confused-deputy condition for EventBridge rules of our account and region acting through a service principal. */
export function fromOwnRules(scope: ArnScope): PolicyCondition {
  return { StringEquals: { 'aws:SourceAccount': scope.accountId }, ArnLike: { 'aws:SourceArn': eventRuleArn(scope, '*') } };
}
