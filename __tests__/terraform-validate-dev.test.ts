import { terraformSuite } from './support/terraform-suite';

// The dev defaults (manual failover mode), planned, simulated as deployed, and the role swap (issue 13) in both
// directions: activeRegion "dr" planned against the simulated "primary" deployment, and "primary" planned against
// the "dr" deployment that swap leaves. Automatic mode (the controller, its roles, aliases and schedules) is validated against the
// provider schema by the prod suite. In automatic mode a swap moves the controller to the other region and
// replaces its log groups: known, recorded on issue 15, not hidden here.
terraformSuite('dev', { api: { paymentProvisionedConcurrency: 1 } }, { plan: true, simulate: true, swap: { activeRegion: 'dr' } });
