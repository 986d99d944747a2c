/**
 * `npm run deploy [-- <cdktf deploy options>]`: the one way to deploy, guarded the same way wherever it runs (the
 * deploy workflow, or an operator's shell during a maintenance window):
 *
 * 1. synth (`node scripts/run.js main.ts`) — preflight and the deploy read the same synthesized stack;
 * 2. `npm run dr -- preflight`: refuses while the live writer or a designation differs from this config's
 *    `activeRegion`, a DR operation or fence is in place (a deploy would reset the fence), or a fresh-account check
 *    fails. A deploy must never fight a failover (issue 13): this is where that is enforced, not in a workflow only;
 * 3. `npm run dr -- lock --operation deploy --for 90m`: the automatic failover controller waits while the deploy runs
 *    (the lock expires by itself if this process dies);
 * 4. `cdktf deploy --skip-synth <options>`;
 * 5. `npm run dr -- lock --release`, whatever step 4 did.
 *
 * Exit code: the first failing step's (preflight refuses with 1), else cdktf's. To bypass the guard (e.g. the very
 * first deploy before bootstrap outputs exist is NOT such a case: preflight handles a fresh account) an operator must
 * type `npx cdktf deploy` on purpose; RUNBOOK "Deploy freeze" says when that is acceptable (never during an incident).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

/** One step: a command and its arguments, run with the caller's environment. */
export interface Step {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
}

/** Runs a step to completion and resolves to its exit code (a process killed by a signal counts as 1). */
export type StepRunner = (step: Step) => Promise<number>;

/** How long the automatic controller is held off: longer than the longest deploy (Aurora instances ~40 min). */
export const DEPLOY_LOCK_DURATION = '90m';

/** The guarded sequence for `cdktf deploy` with `deployArgs` (options passed through unchanged). */
export function deploySteps(deployArgs: readonly string[], root: string, node: string = process.execPath) {
  const run = (name: string, ...args: string[]): Step => ({ name, command: node, args: [join(root, 'scripts', 'run.js'), ...args] });
  return {
    synth: run('synth', 'main.ts'),
    preflight: run('DR preflight', 'src/dr-cli/main.ts', 'preflight'),
    lock: run('operation lock', 'src/dr-cli/main.ts', 'lock', '--operation', 'deploy', '--for', DEPLOY_LOCK_DURATION),
    deploy: { name: 'cdktf deploy', command: 'cdktf', args: ['deploy', '--skip-synth', ...deployArgs] } as Step,
    release: run('release the operation lock', 'src/dr-cli/main.ts', 'lock', '--release'),
  };
}

/**
 * Runs the guarded deploy with `runStep`; `log` gets one line per step. Stops at the first failing step before the
 * deploy; once the lock is taken it is always released, and a failed release turns a successful deploy into exit 1
 * (the controller would stay held off until the lock expires: someone must know).
 */
export async function guardedDeploy(
  deployArgs: readonly string[],
  runStep: StepRunner,
  log: (line: string) => void,
  root: string = process.cwd(),
): Promise<number> {
  const steps = deploySteps(deployArgs, root);
  for (const step of [steps.synth, steps.preflight, steps.lock]) {
    log(`deploy: ${step.name}`);
    const code = await runStep(step);
    if (code !== 0) {
      log(`deploy: ${step.name} failed (exit ${code}); nothing was deployed`);
      return code;
    }
  }
  let deployed = 1;
  try {
    log(`deploy: ${steps.deploy.name} ${steps.deploy.args.slice(1).join(' ')}`.trimEnd());
    deployed = await runStep(steps.deploy);
  } finally {
    log(`deploy: ${steps.release.name}`);
    const released = await runStep(steps.release).catch(() => 1);
    if (released !== 0) {
      log(`deploy: releasing the operation lock failed: automatic failover stays held off until it expires (${DEPLOY_LOCK_DURATION}); run \`npm run dr -- lock --release\``);
      if (deployed === 0) deployed = 1;
    }
  }
  return deployed;
}

/** The step running now (a signal is passed on to it, unless it is the lock release). */
let running: { child: ChildProcess; step: Step } | undefined;

/** Runs a step as a child process sharing this terminal. */
export const spawnStep: StepRunner = (step) =>
  new Promise((resolveCode) => {
    const child = spawn(step.command, [...step.args], {
      stdio: 'inherit',
      env: { ...process.env, CHECKPOINT_DISABLE: '1' },
    });
    running = { child, step };
    child.on('error', (e) => {
      console.error(`deploy: cannot start ${step.command}: ${e.message}`);
      resolveCode(1);
    });
    child.on('close', (code) => {
      if (running?.child === child) running = undefined;
      resolveCode(code ?? 1);
    });
  });

/**
 * `node scripts/run.js scripts/deploy.ts [cdktf deploy options]`, from the repository root. Ctrl-C or SIGTERM does
 * not kill this process before the lock is released: the signal goes to the running step, the sequence stops there
 * (a step killed by a signal fails), the lock taken is released, and the exit code is 130 / 143.
 */
export async function main(argv: readonly string[]): Promise<number> {
  let interrupted: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupted = signal;
    console.error(`deploy: ${signal}: stopping the running step; the operation lock is released before exit`);
    if (running && running.step.name !== deploySteps([], '').release.name) running.child.kill(signal);
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  try {
    const code = await guardedDeploy(argv, spawnStep, (line) => console.error(line));
    return interrupted ? (interrupted === 'SIGINT' ? 130 : 143) : code;
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  }
}
