/**
 * `npm run plan:offline [-- <stack name>] [--synth]`: validates and plans a synthesized stack with the offline harness
 * (scripts/terraform-harness.ts: no AWS credentials, no network) and prints the harness notes, every diagnostic and
 * the resources the plan creates per region (provider alias) and type.
 *
 * The stack is `cdktf.out/stacks/<name>/cdk.tf.json` (`$CDKTF_OUTDIR/stacks/…` when set); the name defaults to the
 * one `DR_CONFIG` configures (`payments-dr-<suffix>`). It is synthesized first (`npm run synth`) when missing,
 * or always with `--synth`. The per-region table is scripts/plan-counts.ts.
 *
 * Exit codes: 0 planned cleanly; 1 errors or warnings (or synth failed); 2 the harness cannot run here
 * (no terraform, or no offline mirror of hashicorp/aws).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { ConfigError, loadConfig } from '../src/config';
import { stackName } from '../src/stack-identity';
import { TfJson, countsPerRegion, renderTable } from './plan-counts';
import { Diagnostic, HarnessReport, formatDiagnostics, validateAndPlan } from './terraform-harness';

function parseArgs(argv: readonly string[]): { stack?: string; synth: boolean } {
  let stack: string | undefined;
  let synth = false;
  for (const arg of argv) {
    if (arg === '--synth') synth = true;
    else if (arg === '--help' || arg === '-h') {
      console.log('usage: npm run plan:offline [-- [<stack name>] [--synth]]   (stack defaults to the one DR_CONFIG configures)');
      process.exit(0);
    } else if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}; use [<stack name>] [--synth]`);
    else if (stack) throw new UsageError(`one stack at a time, got "${stack}" and "${arg}"`);
    else stack = arg;
  }
  return { stack, synth };
}

class UsageError extends Error {}

/** The plan's diagnostics: it validates the configuration first, so these include validation problems. */
function diagnosticsOf(report: HarnessReport): Diagnostic[] {
  return report.planDiagnostics;
}

/** `node scripts/run.js scripts/plan-offline.ts [args]`, from the repository root; resolves to the exit code. */
export async function main(argv: readonly string[], root: string = process.cwd()): Promise<number> {
  try {
    return plan(argv, root);
  } catch (e) {
    if (e instanceof ConfigError || e instanceof UsageError) {
      console.error(e.message);
      return 1;
    }
    throw e;
  }
}

function plan(argv: readonly string[], root: string): number {
  const args = parseArgs(argv);
  const name = args.stack ?? stackName(loadConfig(process.env));
  // Where the synth writes: CDKTF_OUTDIR when set, else cdktf.out.
  const file = resolve(root, process.env.CDKTF_OUTDIR ?? 'cdktf.out', 'stacks', name, 'cdk.tf.json');
  if (args.synth || !existsSync(file)) {
    console.log(`${args.synth ? 'synthesizing' : `${relative(root, file)} is missing: synthesizing`} (npm run synth)…`);
    const synth = spawnSync(process.execPath, [join(root, 'scripts', 'run.js'), 'main.ts'], { cwd: root, stdio: 'inherit', env: process.env });
    if (synth.status !== 0) {
      console.error(`synth failed (exit ${synth.status ?? synth.signal})`);
      return 1;
    }
    if (!existsSync(file)) {
      console.error(`synth wrote no ${relative(root, file)}: is "${name}" the stack DR_CONFIG configures?`);
      return 1;
    }
  }
  const stack = JSON.parse(readFileSync(file, 'utf8')) as TfJson;
  console.log(`offline plan of ${name} (${relative(root, file)})`);
  const report = validateAndPlan(stack);
  if (report.skipped) {
    console.error(`cannot plan offline here: ${report.skipped}`);
    return 2;
  }
  console.log(`\nharness notes:\n${report.notes.map((n) => `  - ${n}`).join('\n')}`);
  const diagnostics = diagnosticsOf(report);
  console.log(`\ndiagnostics: ${diagnostics.length === 0 ? 'none' : diagnostics.length}`);
  if (diagnostics.length > 0) console.log(formatDiagnostics(diagnostics).replace(/^/gm, '  '));
  if (!report.planOk) {
    console.error('\nplan failed');
    return 1;
  }
  const counts = countsPerRegion(stack, report.plannedCreates);
  console.log(`\nresources to create, per region (provider alias) and type:\n${renderTable(counts)}`);
  if (counts.mismatches.length > 0) {
    console.log(`\nnote: planned and synthesized counts differ for ${counts.mismatches.join(', ')} (the per-region split is from the synthesized JSON)`);
  }
  if (diagnostics.length > 0) {
    console.error(`\n${diagnostics.length} diagnostic(s): errors and warnings fail the offline plan`);
    return 1;
  }
  return 0;
}
