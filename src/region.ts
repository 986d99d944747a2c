import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { Naming } from './naming';

/**
 * The two sites and what a construct needs to place resources in one of them. (The catalogue of AWS regions and
 * their codes is `aws-regions.ts`; IAM documents are `iam.ts`; ARNs are `arn.ts`.)
 */

/**
 * A site: one of the two configured regions (`regions.primary`, `regions.dr`). A site's name never changes; which
 * site is *active* (holds the Aurora writer, takes traffic) is `config.activeRegion`.
 */
export type RegionRole = 'primary' | 'dr';

/** Both sites, primary first (the order resources are declared in). */
export const REGION_ROLES: readonly RegionRole[] = ['primary', 'dr'];

/** The other site: the passive one when `role` is active, and vice versa. */
export function otherRole(role: RegionRole): RegionRole {
  return role === 'primary' ? 'dr' : 'primary';
}

/**
 * One value per site: the one shape for "a thing in each region" (a key and its replica, a bucket and its replica,
 * a table's ARN in each region, the two clusters). Read one with `value[role]`.
 */
export type PerRegion<T> = { readonly [R in RegionRole]: T };

/** Builds a PerRegion by calling `make` for the primary site, then the DR site. */
export function perRegion<T>(make: (role: RegionRole) => T): PerRegion<T> {
  return { primary: make('primary'), dr: make('dr') };
}

/** The same PerRegion with each value mapped (primary first). */
export function mapPerRegion<T, U>(values: PerRegion<T>, map: (value: T, role: RegionRole) => U): PerRegion<U> {
  return perRegion((role) => map(values[role], role));
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
