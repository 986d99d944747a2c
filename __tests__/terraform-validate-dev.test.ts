import { terraformSuite } from './support/terraform-suite';

// Planned in automatic failover mode with provisioned concurrency, a superset of the dev defaults (manual mode
// only leaves out the controller): the state machine, its roles, the aliases and the schedules go through the real
// provider schema in the offline plan, and against their own simulated deployed state. The role swap (issue 13) is
// planned against that state too.
terraformSuite(
  'dev',
  { failover: { mode: 'automatic' }, api: { paymentProvisionedConcurrency: 1 } },
  { plan: true, simulate: true, swap: { activeRegion: 'dr' } },
);
