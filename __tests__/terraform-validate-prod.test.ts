import { terraformSuite } from './support/terraform-suite';

// prod differs from dev in counts and protection flags, which validate checks against the schema; the
// credential-less plan runs for dev only, to keep `npm test` within its time budget (see bench/). prod is
// validated with the DR site active, so the role-dependent resources of both roles meet the provider schema
// (dev plans activeRegion primary; active-region.test.ts asserts both roles in both profiles).
terraformSuite('prod', { profile: 'prod', environmentSuffix: 'prod', network: { natGateways: 'one-per-az' }, activeRegion: 'dr' }, { plan: false });
