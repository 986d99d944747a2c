import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { terraformSuite } from './support/terraform-suite';

// config/prod.json as shipped (automatic failover, provisioned concurrency, two DR instances), with the DR site
// active: prod differs from dev in counts and protection flags, which validate checks against the schema, and the
// role-dependent resources of both roles meet the provider schema (dev plans activeRegion primary; active-region.test.ts
// asserts both roles in both profiles). The credential-less plan runs for dev only, to keep `npm test` within its
// time budget (see bench/).
terraformSuite('prod', { ...JSON.parse(readFileSync(join(__dirname, '..', 'config', 'prod.json'), 'utf8')), activeRegion: 'dr' }, { plan: false });
