import { App } from 'cdktf';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './src/config';
import { DrObjectiveError, writeDrReport } from './src/dr-objectives';
import { DrStack } from './src/dr-stack';
import { drReportFor } from './src/dr-report';
import { GuardrailError, writeSecurityReport } from './src/guardrails';
import { stackName } from './src/stack-identity';

/**
 * The cdktf app (`node scripts/run.js main.ts`, cdktf.json "app"; `npm run synth`). Config and DR objectives are
 * checked before anything is written, the security baseline before the stack is written: each returns 1 with every
 * problem listed.
 */
export async function main(_argv: readonly string[] = []): Promise<number> {
  try {
    const config = loadConfig(process.env);
    drReportFor(config); // before App: its constructor already creates the output directory
    const app = new App();
    const name = stackName(config);
    const stack = new DrStack(app, name, { config });
    app.synth();
    const stackDir = join(app.outdir, 'stacks', name);
    writeDrReport(stackDir, name, stack.drReport);
    writeSecurityReport(stackDir, stack, { profile: config.profile });
    return 0;
  } catch (e) {
    if (e instanceof ConfigError || e instanceof DrObjectiveError || e instanceof GuardrailError) {
      console.error(e.message);
      return 1;
    }
    throw e;
  }
}

// Run directly (`npx ts-node main.ts`, the cdktf template's default app), the module synthesizes itself; through
// scripts/run.js it is required and its main() called.
if (require.main === module) {
  main().then((code) => (process.exitCode = code));
}
