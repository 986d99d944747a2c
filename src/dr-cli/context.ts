import type { Deps } from './deps';
import type { StackOutputs } from './outputs';

/** What every command gets: its dependencies, the stack outputs, and whether to print JSON. */
export interface Ctx {
  readonly deps: Deps;
  readonly outputs: StackOutputs;
  readonly json: boolean;
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_REFUSED = 2;

export type ExitCode = typeof EXIT_OK | typeof EXIT_FAILED | typeof EXIT_REFUSED;

/** How a promotion (switchover or failover) ended. */
export type PromotionOutcome = 'completed' | 'dry-run' | 'refused' | 'precheck-failed' | 'not-started' | 'timeout' | 'poll-error';

const line = (text: string) => (text.endsWith('\n') ? text : `${text}\n`);

/** Results: stdout. */
export const say = (ctx: { deps: Deps }, text: string): void => ctx.deps.stdout.write(line(text));
/** Progress, warnings, refusals and errors: stderr, so `--json` output on stdout stays parseable. */
export const tell = (ctx: { deps: Deps }, text: string): void => ctx.deps.stderr.write(line(text));

export const STATUS_HINT = 'run `npm run dr -- status` to see the current state';
