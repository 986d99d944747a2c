import type { PlatformConfig } from '../config';
import { Naming } from '../naming';
import { stackName } from '../stack-identity';

/**
 * The physical names of what `preflight` reads, derived from the config being deployed exactly as the stack derives
 * them (src/constructs/aurora-global-database.ts, regional-function.ts, src/stack-identity.ts), so preflight needs no stack
 * outputs and works before the first deploy. `__tests__/dr-cli/preflight.test.ts` compares them with the synthesized
 * stack: a renamed resource fails that test, not a deploy.
 */

export type SiteRole = 'primary' | 'dr';

export interface LiveSiteNames {
  readonly role: SiteRole;
  readonly region: string;
  readonly clusterId: string;
  readonly paymentFunction: string;
}

export interface LiveNames {
  readonly stackName: string;
  readonly globalClusterId: string;
  /** The active-site designation (lambdas/shared/parameter-names.ts): the same name in each region. */
  readonly activeSiteParameter: string;
  readonly primary: LiveSiteNames;
  readonly dr: LiveSiteNames;
}

export const ENGINE = 'aurora-postgresql';

export function liveNames(config: PlatformConfig): LiveNames {
  const naming = new Naming(config.namePrefix, config.environmentSuffix, config.accountId);
  const site = (role: SiteRole): LiveSiteNames => {
    const region = config.regions[role].region;
    return {
      role,
      region,
      clusterId: naming.name('rds', 'aurora', region),
      paymentFunction: naming.name('lambda', 'payment-processor', region),
    };
  };
  return {
    stackName: stackName(config),
    globalClusterId: naming.name('rds', 'aurora-global'),
    activeSiteParameter: `/${config.namePrefix}/${config.environmentSuffix}-control/active-site`,
    primary: site('primary'),
    dr: site('dr'),
  };
}
