#!/usr/bin/env node
// Runs a TypeScript script without ts-node: bundles it with esbuild (node_modules stay external, so packages
// load from disk as usual) into dist/run-ts/ and requires it from the repository root. Usage: node bench/run-ts.js <script.ts> [args...]
// Type-checking is tsc's job (the root tsconfig includes bench/).
'use strict';
const path = require('node:path');
const esbuild = require('esbuild');

const [, , entry, ...args] = process.argv;
if (!entry) {
  console.error('usage: node bench/run-ts.js <script.ts> [args...]');
  process.exit(2);
}
const root = path.resolve(__dirname, '..');
const source = path.resolve(process.cwd(), entry);
const outfile = path.join(root, 'dist', 'run-ts', path.relative(root, source).replace(/\.ts$/, '.js'));

esbuild.buildSync({
  entryPoints: [source],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  packages: 'external',
  sourcemap: 'inline',
  logLevel: 'warning',
});
process.setSourceMapsEnabled(true);
process.chdir(root);
process.argv = [process.argv[0], outfile, ...args];
require(outfile);
