import { terraformSuite } from './support/terraform-suite';

// prod differs from dev in counts and protection flags, which validate checks against the schema; the
// credential-less plan runs for dev only, to keep `npm test` within its time budget (see bench/).
terraformSuite('prod', { profile: 'prod', environmentSuffix: 'prod', network: { natGateways: 'one-per-az' } }, { plan: false });
