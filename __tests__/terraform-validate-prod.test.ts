import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { terraformSuite } from './support/terraform-suite';

// config/prod.json as shipped (automatic failover, provisioned concurrency, two DR instances, one NAT gateway per
// zone), planned, simulated as deployed, and the role swap (issue 13) in both directions: activeRegion "dr" planned
// against the simulated "primary" deployment, and "primary" planned against the "dr" deployment that swap leaves.
// prod differs from dev in counts, protection flags and the failover controller (automatic mode), which the plans
// check against the provider; both roles' role-dependent resources meet the provider schema on the way.
terraformSuite('prod', JSON.parse(readFileSync(join(__dirname, '..', 'config', 'prod.json'), 'utf8')), { plan: true, simulate: true, swap: { activeRegion: 'dr' } });
