import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** `npm run synth` end to end: the same command users run, writing into a scratch output directory. */
const root = join(__dirname, '..');

function synth(env: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'synth-'));
  const outdir = join(dir, 'cdktf.out');
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'run.js'), 'main.ts'], {
    cwd: root,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', CDKTF_OUTDIR: outdir, ...env },
  });
  return { ...r, dir, outdir };
}

describe('npm run synth', () => {
  test('writes cdktf.out/stacks/<stack>/cdk.tf.json for the default dev environment', () => {
    const r = synth({});
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const file = join(r.outdir, 'stacks', 'payments-dr-dev', 'cdk.tf.json');
    const json = JSON.parse(readFileSync(file, 'utf8'));
    expect(json.terraform.backend.s3.key).toBe('payments-dr/dev/terraform.tfstate');
  });

  test('CI variables pick the stack name and backend', () => {
    const r = synth({ ENVIRONMENT_SUFFIX: 'pr7', TERRAFORM_STATE_BUCKET: 'ci-state', TERRAFORM_STATE_BUCKET_REGION: 'us-east-2' });
    expect(r.status).toBe(0);
    const json = JSON.parse(readFileSync(join(r.outdir, 'stacks', 'payments-dr-pr7', 'cdk.tf.json'), 'utf8'));
    expect(json.terraform.backend.s3).toMatchObject({ bucket: 'ci-state', region: 'us-east-2', key: 'payments-dr/pr7/terraform.tfstate' });
  });

  test('bad config exits non-zero, lists every problem and writes nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'badcfg-'));
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ accountId: '42', regions: { dr: { region: 'us-east-1' } }, typo: true }));
    const r = synth({ DR_CONFIG: file });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/Invalid configuration \(defaults \+ .*bad.json\), \d+ problem/);
    expect(r.stderr).toMatch(/accountId: "42" must be a 12-digit AWS account id/);
    expect(r.stderr).toMatch(/regions\.dr\.availabilityZones\.0: "us-west-2a" is not an availability zone of us-east-1/);
    expect(r.stderr).toMatch(/unknown key\(s\) "typo"/);
    expect(r.stdout).toBe('');
    expect(existsSync(r.outdir)).toBe(false);
  });
});
