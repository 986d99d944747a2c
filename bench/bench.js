#!/usr/bin/env node
// `npm run bench`: wall time and peak RSS of the ways to synthesize the full two-region stack, the test suite,
// and the Lambda bundle sizes. Prints a table with ratios and writes bench/results.json.
//
// Peak RSS comes from GNU time (`/usr/bin/time -f %M`): the largest process of the command's tree. Where it is
// missing, RSS is reported as null.
'use strict';
const { spawnSync } = require('node:child_process');
const { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const root = join(__dirname, '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const hasTime = existsSync('/usr/bin/time');
const env = { ...process.env, CHECKPOINT_DISABLE: '1', CI: 'true' };

function measure(label, command, args, options = {}) {
  const runs = [];
  for (let i = 0; i < (options.runs ?? RUNS); i++) {
    options.before?.();
    const outdir = mkdtempSync(join(tmpdir(), 'bench-'));
    const runEnv = { ...env, CDKTF_OUTDIR: join(outdir, 'cdktf.out'), ...(options.env ?? {}) };
    const rssFile = join(outdir, 'rss');
    const [cmd, cmdArgs] = hasTime ? ['/usr/bin/time', ['-f', '%M', '-o', rssFile, command, ...args]] : [command, args];
    const start = process.hrtime.bigint();
    const r = spawnSync(cmd, cmdArgs, { cwd: root, env: runEnv, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    if (r.status !== 0) {
      console.error(`${label} failed (exit ${r.status}):\n${(r.stderr || r.stdout).slice(-3000)}`);
      process.exit(1);
    }
    const rssMb = hasTime ? Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop()) / 1024 : null;
    runs.push({ seconds, rssMb, outdir: runEnv.CDKTF_OUTDIR });
  }
  const secs = runs.map((r) => r.seconds).sort((a, b) => a - b);
  const rss = runs.map((r) => r.rssMb).filter((v) => v !== null);
  const result = {
    label,
    command: [command, ...args].join(' '),
    runs: runs.length,
    min: secs[0],
    median: secs[Math.floor(secs.length / 2)],
    max: secs[secs.length - 1],
    peakRssMb: rss.length ? Math.max(...rss) : null,
  };
  for (const r of runs) rmSync(join(r.outdir, '..'), { recursive: true, force: true });
  console.error(`  ${label}: median ${result.median.toFixed(2)} s, peak ${result.peakRssMb?.toFixed(0) ?? '?'} MB`);
  return result;
}

function resourceCount() {
  const outdir = mkdtempSync(join(tmpdir(), 'bench-count-'));
  spawnSync(process.execPath, ['scripts/run.js', 'main.ts'], { cwd: root, env: { ...env, CDKTF_OUTDIR: outdir } });
  const stacks = join(outdir, 'stacks');
  const name = require('node:fs').readdirSync(stacks)[0];
  const json = JSON.parse(readFileSync(join(stacks, name, 'cdk.tf.json'), 'utf8'));
  const count = Object.values(json.resource).reduce((n, byId) => n + Object.keys(byId).length, 0);
  rmSync(outdir, { recursive: true, force: true });
  return { stack: name, resources: count };
}

/** `scripts/run.js main.ts` without the esbuild step: the bundle it leaves in .cache/run, required and run. */
const BUNDLED_APP = join(root, '.cache', 'run', 'main.js');
const SYNTH_STEP = `require(${JSON.stringify(BUNDLED_APP)}).main([]).then((c) => (process.exitCode = c))`;

console.error(`Benchmark: ${RUNS} run(s) each on ${require('node:os').cpus().length} cores`);
const { stack, resources } = resourceCount();
const npmBin = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const results = {
  synth: measure('npm run synth', npmBin, ['run', '--silent', 'synth']),
  reference: measure('cdktf synth -a "npx ts-node main.ts" (template default)', join(root, 'node_modules', '.bin', 'cdktf'), [
    'synth',
    '-a',
    'npx ts-node main.ts',
    '--output',
    join(tmpdir(), 'bench-reference-out'),
  ]),
  synthStep: measure('synth step alone (the bundled main.js)', process.execPath, ['-e', SYNTH_STEP], {
    // compiled once by `npm run synth` above; the step itself is what is timed
    before: () => existsSync(BUNDLED_APP) || spawnSync(process.execPath, ['scripts/run.js', 'main.ts'], { cwd: root, env }),
  }),
  floor: measure("floor: node -e \"require('cdktf')\"", process.execPath, ['-e', "require('cdktf')"]),
  test: measure('npm test (type-check, lint, jest incl. terraform validate)', npmBin, ['test', '--silent'], { runs: 1 }),
};

const bundles = {};
for (const name of ['payment-processor', 'health-check', 'secret-rotation', 'outbox-sweep']) {
  const file = join(root, '.cache', 'lambda-bundles', name, 'index.js');
  bundles[name] = existsSync(file) ? statSync(file).size : null;
}

const targets = {
  'npm run synth <= 0.5x reference': results.synth.median <= 0.5 * results.reference.median,
  'synth step <= 1 s': results.synthStep.median <= 1,
  'peak RSS of any synth < 400 MB': [results.synth, results.synthStep].every((r) => r.peakRssMb === null || r.peakRssMb < 400),
  'npm test < 60 s': results.test.median < 60,
  'each Lambda bundle < 250 KB': Object.values(bundles).every((b) => b !== null && b < 250 * 1024),
};

const row = (r) =>
  `| ${r.label} | ${r.runs} | ${r.min.toFixed(2)} | ${r.median.toFixed(2)} | ${r.max.toFixed(2)} | ${r.peakRssMb?.toFixed(0) ?? 'n/a'} | ${(r.median / results.reference.median).toFixed(2)}x |`;
const lines = [
  `Stack ${stack}: ${resources} resources; npm run synth costs ${((results.synth.median * 1000) / resources).toFixed(1)} ms per resource`,
  '',
  '| what | runs | min s | median s | max s | peak RSS MB | vs reference |',
  '|---|---|---|---|---|---|---|',
  ...Object.values(results).map(row),
  '',
  '| Lambda bundle | bytes |',
  '|---|---|',
  ...Object.entries(bundles).map(([n, b]) => `| ${n} | ${b ?? 'missing'} |`),
  '',
  ...Object.entries(targets).map(([t, ok]) => `${ok ? 'PASS' : 'FAIL'}  ${t}`),
];
console.log(lines.join('\n'));
writeFileSync(
  join(__dirname, 'results.json'),
  `${JSON.stringify({ date: new Date().toISOString(), node: process.version, stack, resources, results, bundles, targets }, null, 2)}\n`,
);
process.exitCode = Object.values(targets).every(Boolean) ? 0 : 1;
