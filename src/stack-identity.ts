import type { PlatformConfig } from './config';

/**
 * Where an environment's stack lives: its name and its state. Pure functions of the config (no construct, no
 * cdktf), so main.ts, scripts and the DR CLI share them.
 */

/** The stack name, which is also the directory under `cdktf.out/stacks/`. */
export function stackName(config: Pick<PlatformConfig, 'environmentSuffix'>): string {
  return `payments-dr-${config.environmentSuffix}`;
}

/** The S3 backend key of an environment's state. */
export function stateKey(config: Pick<PlatformConfig, 'stateBackend' | 'environmentSuffix'>): string {
  return `${config.stateBackend.keyPrefix}/${config.environmentSuffix}/terraform.tfstate`;
}
