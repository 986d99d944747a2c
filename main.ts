import { App } from 'cdktf';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './src/config';
import { DrObjectiveError, writeDrReport } from './src/dr-objectives';
import { DrStack, drReportFor, stackName } from './src/dr-stack';
import { GuardrailError, writeSecurityReport } from './src/guardrails';

// Config and DR objectives are checked before anything is written, the security baseline before the stack is
// written: each exits 1 with every problem listed.
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
} catch (e) {
  if (e instanceof ConfigError || e instanceof DrObjectiveError || e instanceof GuardrailError) {
    console.error(e.message);
    process.exit(1);
  }
  throw e;
}
