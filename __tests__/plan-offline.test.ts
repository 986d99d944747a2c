import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countsPerRegion, renderTable } from '../scripts/plan-counts';

/** `npm run plan:offline`: per-region counts from the synthesized JSON, checked against the harness's per-type counts. */
const root = join(__dirname, '..');

const stack = {
  provider: {
    aws: [
      { alias: 'primary', region: 'us-east-1' },
      { alias: 'dr', region: 'us-west-2' },
    ],
  },
  resource: {
    aws_vpc: { a: { provider: 'aws.primary' }, b: { provider: 'aws.dr' } },
    aws_subnet: { a: { provider: 'aws.primary' }, b: { provider: 'aws.primary' }, c: { provider: 'aws.dr' } },
    random_password: { p: {} },
  },
};

describe('countsPerRegion', () => {
  test('places each resource in the region of its provider alias; random_* has no region', () => {
    const counts = countsPerRegion(stack, { aws_vpc: 2, aws_subnet: 3, terraform_data: 1 });
    expect(counts.columns.map((c) => c.label)).toEqual(['primary (us-east-1)', 'dr (us-west-2)', 'no region']);
    expect(Object.fromEntries([...counts.rows].map(([type, row]) => [type, Object.fromEntries(row)]))).toEqual({
      aws_vpc: { 'aws.primary': 1, 'aws.dr': 1 },
      aws_subnet: { 'aws.primary': 2, 'aws.dr': 1 },
      random_password: { '-': 1 },
    });
    // The harness's terraform_data stand-in is counted as the random_password it replaces.
    expect(counts.mismatches).toEqual([]);
  });

  test('reports types whose planned count differs from the synthesized one', () => {
    expect(countsPerRegion(stack, { aws_vpc: 2, aws_subnet: 2, terraform_data: 1 }).mismatches).toEqual(['aws_subnet']);
  });

  test('renders one row per type, one column per region and the totals', () => {
    const table = renderTable(countsPerRegion(stack, { aws_vpc: 2, aws_subnet: 3, terraform_data: 1 })).split('\n');
    expect(table[0]).toMatch(/^resource type\s+primary \(us-east-1\)\s+dr \(us-west-2\)\s+no region\s+total$/);
    expect(table).toContainEqual(expect.stringMatching(/^aws_subnet\s+2\s+1\s+·\s+3$/));
    expect(table[table.length - 1]).toMatch(/^total\s+3\s+2\s+1\s+6$/);
  });
});

describe('npm run plan:offline (node scripts/run.js scripts/plan-offline.ts)', () => {
  test('synthesizes a missing stack first, and exits 2 with the reason where the harness cannot run', () => {
    const outdir = join(mkdtempSync(join(tmpdir(), 'plan-offline-')), 'cdktf.out');
    const r = spawnSync(process.execPath, [join(root, 'scripts', 'run.js'), 'scripts/plan-offline.ts'], {
      cwd: root,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', CDKTF_OUTDIR: outdir, TF_PROVIDER_MIRROR: join(outdir, 'no-mirror') },
    });
    expect(r.stdout).toMatch(/is missing: synthesizing/);
    expect(existsSync(join(outdir, 'stacks', 'payments-dr-dev', 'cdk.tf.json'))).toBe(true);
    expect(r.stderr).toMatch(/cannot plan offline here: no filesystem mirror of hashicorp\/aws/);
    expect(r.status).toBe(2);
  });

  test('rejects unknown options', () => {
    const r = spawnSync(process.execPath, [join(root, 'scripts', 'run.js'), 'scripts/plan-offline.ts', '--bogus'], { cwd: root, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/unknown option --bogus/);
  });
});
