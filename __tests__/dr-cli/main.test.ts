import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { World } from '../support/dr-cli-world';

let world: World;
beforeEach(() => {
  world = new World();
});
afterEach(() => world.restore());

describe('command line', () => {
  test('no command prints the usage on stderr and exits 2', async () => {
    const r = await world.run();
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^Usage: npm run dr -- <command> \[flags\]/);
  });

  test.each([['help'], ['--help'], ['status', '--help']])('%j prints the usage on stdout and exits 0', async (...args) => {
    const r = await world.run(...args);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Exit codes: 0 ok, 1 failed .*, 2 refused or usage error\./);
  });

  test.each([
    [['promote'], /unknown command "promote"; use one of: status, switchover, failover, failback, preflight, drill/],
    [['status', '--verbose'], /status: Unknown option '--verbose'/],
    [['status', 'extra'], /status: Unexpected argument 'extra'/],
    [['drill', '--rto-timeout', '-5'], /drill: .*(not a duration|ambiguous|argument missing)/i],
  ])('%j is a usage error (exit 2)', async (args, message) => {
    const r = await world.run(...args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });

  test('an unexpected error exits 1 and points to status', async () => {
    world.deps = ((orig) => () => ({ ...orig(), stdout: { write: () => { throw new Error('EPIPE'); } } }))(world.deps.bind(world));
    const r = await world.run('status');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/status failed unexpectedly: EPIPE\nrun `npm run dr -- status`/);
  });
});

describe('npm run dr (scripts/run.js: esbuild bundle, real process)', () => {
  const root = join(__dirname, '..', '..');
  const run = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [join(root, 'scripts', 'run.js'), 'src/dr-cli/main.ts', ...args], {
      cwd: root,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
    });

  test('--help exits 0', () => {
    const r = run(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: npm run dr -- <command>/);
  });

  test('an outputs file that lacks outputs exits 2 before any AWS call, naming what is missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dr-cli-'));
    const file = join(dir, 'outputs.json');
    writeFileSync(file, JSON.stringify({ 'payments-dr-dev': { 'primary-region': 'us-east-1' } }));
    const r = run(['status'], { DR_OUTPUTS_FILE: file });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/missing output\(s\): dr-region, global-cluster-id/);
    expect(r.stdout).toBe('');
  });
});
