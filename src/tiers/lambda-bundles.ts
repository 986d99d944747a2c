import { AssetType, TerraformAsset } from 'cdktf';
import { Construct } from 'constructs';
import { Tier } from '../composition';
import { bundleLambda } from '../lambda-bundle';

/**
 * One zip asset per Lambda handler, shared by both regions' functions, created on first use. A tier: each asset
 * keeps its stack-level id (`bundle-<handler>`), which is also its directory under the stack's `assets/`.
 */
export class LambdaBundles extends Tier {
  private readonly assets = new Map<string, TerraformAsset>();

  constructor(scope: Construct, id: string) {
    super(scope, id);
  }

  /** The asset of `lambdas/<handler>` (bundled by src/lambda-bundle.ts). */
  code(handler: string): TerraformAsset {
    let asset = this.assets.get(handler);
    if (!asset) {
      asset = new TerraformAsset(this, `bundle-${handler}`, { path: bundleLambda(handler).zipPath, type: AssetType.FILE });
      this.assets.set(handler, asset);
    }
    return asset;
  }
}
