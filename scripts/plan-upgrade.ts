/**
 * `npm run plan:upgrade -- --from <git ref> [--to <git ref>] [--config <file>] [--to-config <file>]` (through
 * scripts/run.js): the to-version planned offline against the simulated deployed state of the from-version. The
 * command is scripts/upgrade/cli.ts; relative paths in the arguments are relative to where npm was invoked.
 */
import { projectRoot } from '../src/lambda-bundle';
import { run } from './upgrade/cli';

export function main(argv: readonly string[]): Promise<number> {
  return run(argv, projectRoot(__dirname), process.env.INIT_CWD || process.cwd());
}
