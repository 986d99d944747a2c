import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { Naming } from './naming';

/**
 * A site: one of the two configured regions (`regions.primary`, `regions.dr`). A site's name never changes; which
 * site is *active* (holds the Aurora writer, takes traffic) is `config.activeRegion`.
 */
export type RegionRole = 'primary' | 'dr';

/** The other site: the passive one when `role` is active, and vice versa. */
export function otherRole(role: RegionRole): RegionRole {
  return role === 'primary' ? 'dr' : 'primary';
}

/** Everything a single-region construct needs to place its resources: every resource sets `provider`. */
export interface RegionContext {
  /** The aliased provider of this region; every resource of the region names it explicitly. */
  readonly provider: AwsProvider;
  readonly region: string;
  readonly role: RegionRole;
  readonly availabilityZones: readonly string[];
  readonly accountId: string;
  readonly naming: Naming;
}

/** ARN of the account root principal (key policies and trust policies). */
export function accountRootArn(ctx: Pick<RegionContext, 'accountId'>): string {
  return `arn:aws:iam::${ctx.accountId}:root`;
}

/** A minimal IAM policy document type, so policies are built as objects and serialized once. */
export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal?: Record<string, string | string[]> | '*';
  readonly Action: string | string[];
  readonly Resource?: string | string[];
  readonly Condition?: Record<string, Record<string, string | string[] | boolean>>;
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
