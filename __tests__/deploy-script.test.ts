/**
 * `npm run deploy` (scripts/deploy.ts) is the guard in front of every `cdktf deploy`: synth, DR preflight, operation
 * lock, deploy, release. These tests run the sequence with a fake step runner: what runs, in which order, and what
 * a failure at each step leaves behind (no deploy without a passing preflight; the lock always released).
 */
import { guardedDeploy, type Step } from '../scripts/deploy';

type Outcome = Partial<Record<'synth' | 'preflight' | 'lock' | 'deploy' | 'release', number | Error>>;

async function run(outcome: Outcome = {}, args: string[] = ['--auto-approve']) {
  const ran: string[] = [];
  const log: string[] = [];
  const key = (step: Step): keyof Outcome => {
    if (step.command === 'cdktf') return 'deploy';
    if (step.args.includes('preflight')) return 'preflight';
    if (step.args.includes('--release')) return 'release';
    if (step.args.includes('lock')) return 'lock';
    return 'synth';
  };
  const code = await guardedDeploy(
    args,
    async (step) => {
      const k = key(step);
      ran.push(k === 'deploy' ? `deploy ${step.args.join(' ')}` : k);
      const o = outcome[k];
      if (o instanceof Error) throw o;
      return o ?? 0;
    },
    (line) => log.push(line),
    '/repo',
  );
  return { code, ran, log };
}

describe('npm run deploy: the guarded sequence', () => {
  test('all steps pass: synth, preflight, lock, cdktf deploy with the options passed through, release; exit 0', async () => {
    const { code, ran } = await run({}, ['--auto-approve', '--parallelism', '1']);
    expect(ran).toEqual(['synth', 'preflight', 'lock', 'deploy deploy --skip-synth --auto-approve --parallelism 1', 'release']);
    expect(code).toBe(0);
  });

  test('preflight refuses: nothing is locked or deployed, and its exit code is the answer', async () => {
    const { code, ran, log } = await run({ preflight: 1 });
    expect(ran).toEqual(['synth', 'preflight']);
    expect(code).toBe(1);
    expect(log.join('\n')).toMatch(/DR preflight failed \(exit 1\); nothing was deployed/);
  });

  test('synth fails: no preflight, no deploy', async () => {
    const { code, ran } = await run({ synth: 2 });
    expect(ran).toEqual(['synth']);
    expect(code).toBe(2);
  });

  test('the lock cannot be taken: no deploy (the controller would not know to wait)', async () => {
    const { code, ran } = await run({ lock: 1 });
    expect(ran).toEqual(['synth', 'preflight', 'lock']);
    expect(code).toBe(1);
  });

  test('the deploy fails: the lock is still released and the deploy exit code is returned', async () => {
    const { code, ran } = await run({ deploy: 1 });
    expect(ran.at(-1)).toBe('release');
    expect(code).toBe(1);
  });

  test('the deploy step throws: the lock is still released and the error propagates', async () => {
    await expect(run({ deploy: new Error('spawn failed') })).rejects.toThrow('spawn failed');
  });

  test('a failed release turns a successful deploy into exit 1 and says how to release by hand', async () => {
    const { code, log } = await run({ release: 1 });
    expect(code).toBe(1);
    expect(log.join('\n')).toMatch(/npm run dr -- lock --release/);
  });
});
