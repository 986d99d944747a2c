import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { ConfigError } from './config';

/** A site of the platform: `regions.primary` or `regions.dr` of the stack's config. */
export type Site = 'primary' | 'dr';

/** Environment variable holding the designation parameter's name (the same name in both regions). */
export const ACTIVE_SITE_PARAMETER_ENV = 'ACTIVE_SITE_PARAMETER';

/** How long a read designation is trusted: a flip reaches every container within this (contract: <= 5 s). */
export const DESIGNATION_CACHE_MS = 5000;

export interface Designation {
  /** This function's site (its runtime configuration's `region-role`). */
  readonly site: Site;
  /** The site the designation names as active. */
  readonly activeSite: Site;
  /** `site === activeSite`: this site may take payment writes and report healthy. */
  readonly designated: boolean;
}

/**
 * The active-site designation of this region, read from this region's Parameter Store only (never the other
 * region's, so it answers while the other region is down), cached for at most `cacheMs`. A failed read is never
 * cached and never answered from an older value: the caller fails closed.
 *
 * Not Powertools' `getParameter(name, { maxAge: 5 })`: its cache ages a value from when the answer arrived, so a
 * slow read would be trusted longer than 5 s after it was asked for (site-designation.test.ts "a slow read is
 * trusted until 5 s after it started"), and it takes no abort signal (the callers bound the read by their deadline).
 */
export class DesignationReader {
  private cached?: { readonly value: Site; readonly at: number };
  private pending?: Promise<Site>;

  constructor(
    private readonly ssm: () => SSMClient,
    private readonly parameterName: string | undefined,
    private readonly clock: () => number = Date.now,
    private readonly cacheMs = DESIGNATION_CACHE_MS,
  ) {}

  async activeSite(abortSignal?: AbortSignal): Promise<Site> {
    const now = this.clock();
    if (this.cached && now - this.cached.at < this.cacheMs) return this.cached.value;
    // One read in flight per container, shared by concurrent callers.
    this.pending ??= this.read(abortSignal).finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async read(abortSignal?: AbortSignal): Promise<Site> {
    const name = this.parameterName?.trim();
    if (!name || !name.startsWith('/')) {
      throw new ConfigError(`${ACTIVE_SITE_PARAMETER_ENV} must name the active-site parameter (e.g. '/pay/dev-control/active-site'), got '${name ?? ''}'`);
    }
    const started = this.clock();
    const out = await this.ssm().send(new GetParameterCommand({ Name: name }), { abortSignal });
    const value = out.Parameter?.Value?.trim();
    if (value !== 'primary' && value !== 'dr') {
      throw new ConfigError(`parameter '${name}' must be 'primary' or 'dr', got '${value ?? ''}'`);
    }
    // Aged from when the read started: a slow answer is not trusted for longer than the cache time.
    this.cached = { value, at: started };
    return value;
  }
}

export function designationOf(site: Site, activeSite: Site): Designation {
  return { site, activeSite, designated: site === activeSite };
}
