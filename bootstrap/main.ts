import { App } from 'cdktf';
import { join, relative, resolve } from 'node:path';
import { BootstrapStack, bootstrapStackName } from './bootstrap-stack';
import { BootstrapConfigError, loadBootstrapConfig } from './config';

/** Where `npm run bootstrap` writes, apart from the platform's own cdktf.out/stacks. */
export const BOOTSTRAP_OUTDIR = join('cdktf.out', 'bootstrap');
/**
 * The local state file, outside cdktf.out (which is disposable) and git-ignored (`*.tfstate*`). Keep a copy: without
 * it the next apply tries to create the bucket again and the resources have to be imported.
 */
export const BOOTSTRAP_STATE_FILE = join('bootstrap', 'terraform.tfstate');

/**
 * `npm run bootstrap` (`node scripts/run.js bootstrap/main.ts`). Config is checked before the App creates its output
 * directory: bad input returns 1 with every problem listed.
 */
export async function main(_argv: readonly string[] = []): Promise<number> {
  try {
    const config = loadBootstrapConfig(process.env);
    // The cdktf CLI passes its --output as CDKTF_OUTDIR; run directly, the bootstrap keeps to its own directory.
    const outdir = process.env.CDKTF_OUTDIR ?? BOOTSTRAP_OUTDIR;
    const app = new App({ outdir });
    const name = bootstrapStackName(config);
    // The backend path is relative to the stack directory terraform runs in.
    const statePath = relative(resolve(outdir, 'stacks', name), resolve(BOOTSTRAP_STATE_FILE));
    new BootstrapStack(app, name, { config, statePath });
    app.synth();
    console.log(`bootstrap stack synthesized: ${join(outdir, 'stacks', name, 'cdk.tf.json')} (state: ${BOOTSTRAP_STATE_FILE})`);
    return 0;
  } catch (e) {
    if (e instanceof BootstrapConfigError) {
      console.error(e.message);
      return 1;
    }
    throw e;
  }
}
