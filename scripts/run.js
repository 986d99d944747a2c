#!/usr/bin/env node
// The one way to run a TypeScript entry: `node scripts/run.js <entry.ts> [args...]`.
//
// esbuild bundles the entry (node_modules stay external, so cdktf, constructs, the provider bindings and the AWS
// SDK load from disk as usual) into `.cache/run/<entry>.js` (the one git-ignored build directory), requires it,
// calls its exported `main(argv): Promise<number>` with the remaining arguments, and leaves the number as the
// process's exit code. Much faster than ts-node; type-checking is `npm test`'s job (tsc --noEmit).
//
// Entries: main.ts (the cdktf app, cdktf.json "app"), bootstrap/main.ts, src/dr-cli/main.ts, scripts/*.ts, bench/*.ts.
'use strict';
const path = require('node:path');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..');
/** Every build product of the repository lives under here (scripts' bundles and the Lambda bundles). */
const CACHE_DIR = path.join(root, '.cache');

/** Bundles `entry` (a path relative to the repository root) and returns the bundle's absolute path. */
function build(entry) {
  const source = path.relative(root, path.resolve(root, entry));
  if (source.startsWith('..') || !source.endsWith('.ts')) {
    throw new Error(`run.js: the entry must be a .ts file inside the repository, got "${entry}"`);
  }
  const outfile = path.join(CACHE_DIR, 'run', source.replace(/\.ts$/, '.js'));
  esbuild.buildSync({
    entryPoints: [path.join(root, source)],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    sourcemap: 'inline',
    logLevel: 'warning',
  });
  return outfile;
}

/** Runs the built entry's `main(argv)`; resolves to its exit code. */
async function run(entry, argv) {
  const mod = require(build(entry));
  if (typeof mod.main !== 'function') throw new Error(`run.js: ${entry} does not export main(argv): Promise<number>`);
  const code = await mod.main(argv);
  return typeof code === 'number' ? code : 0;
}

module.exports = { build, run, root, CACHE_DIR };

if (require.main === module) {
  const [, , entry, ...argv] = process.argv;
  if (!entry) {
    console.error('usage: node scripts/run.js <entry.ts> [args...]');
    process.exit(2);
  }
  process.setSourceMapsEnabled(true);
  run(entry, argv).then(
    (code) => {
      // exitCode, not exit(): let piped output drain first.
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`${entry}: ${e && e.stack ? e.stack : e}\n`);
      process.exitCode = 1;
    },
  );
}
