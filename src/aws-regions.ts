/**
 * AWS commercial regions this stack accepts. Availability-zone names are account-specific mappings, so we check
 * only that a zone belongs to its region (`<region><letter>`), not which letters an account sees.
 */
export const AWS_REGIONS = [
  'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2',
  'ca-central-1', 'ca-west-1', 'mx-central-1', 'sa-east-1',
  'eu-west-1', 'eu-west-2', 'eu-west-3', 'eu-central-1', 'eu-central-2', 'eu-north-1', 'eu-south-1', 'eu-south-2',
  'ap-south-1', 'ap-south-2', 'ap-east-1', 'ap-southeast-1', 'ap-southeast-2', 'ap-southeast-3', 'ap-southeast-4',
  'ap-southeast-5', 'ap-southeast-7', 'ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3',
  'me-south-1', 'me-central-1', 'il-central-1', 'af-south-1',
] as const;

export type AwsRegion = (typeof AWS_REGIONS)[number];

export function isAwsRegion(value: string): value is AwsRegion {
  return (AWS_REGIONS as readonly string[]).includes(value);
}

const DIRECTION_CODES: Record<string, string> = {
  north: 'n', south: 's', east: 'e', west: 'w', central: 'c',
  northeast: 'ne', northwest: 'nw', southeast: 'se', southwest: 'sw',
};

/** Short region code for physical names: `us-east-1` → `use1`, `ap-southeast-2` → `apse2`. */
export function regionCode(region: string): string {
  const [area, direction, number] = region.split('-');
  return `${area}${DIRECTION_CODES[direction] ?? direction}${number}`;
}

/**
 * Route 53 publishes health-check metrics only in us-east-1 (Route 53 Developer Guide, "Monitoring health checks
 * using CloudWatch"), so their alarms, and the key and topic those alarms use, live there: one of the two sites
 * must be in us-east-1. The one statement of that rule; config validation, the observability construct and the
 * stack all ask `route53MetricsSite`.
 */
export const ROUTE53_METRICS_REGION = 'us-east-1';

/** Why a region pair breaks the rule (config and constructs report it in their own words around this). */
export const ROUTE53_METRICS_RULE = `Route 53 publishes health-check metrics only in ${ROUTE53_METRICS_REGION}, and this stack keeps their alarms next to a key and topic of its own there, so one of the two regions must be ${ROUTE53_METRICS_REGION}`;

/** The site (`primary` or `dr`) whose region is us-east-1, or undefined when neither is. */
export function route53MetricsSite(regions: { readonly primary: string; readonly dr: string }): 'primary' | 'dr' | undefined {
  if (regions.primary === ROUTE53_METRICS_REGION) return 'primary';
  if (regions.dr === ROUTE53_METRICS_REGION) return 'dr';
  return undefined;
}
