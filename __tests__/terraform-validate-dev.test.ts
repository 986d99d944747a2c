import { terraformSuite } from './support/terraform-suite';

// The dev defaults (manual failover mode), planned, simulated as deployed, and the role swap (issue 13) in both
// directions: activeRegion "dr" planned against the simulated "primary" deployment, and "primary" planned against
// the "dr" deployment that swap leaves. Automatic mode (the controller, its roles, aliases and schedules) is
// planned, simulated and swapped both ways by the prod suite (config/prod.json).
terraformSuite('dev', { api: { paymentProvisionedConcurrency: 1 } }, { plan: true, simulate: true, swap: { activeRegion: 'dr' } });
