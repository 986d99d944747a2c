#!/usr/bin/env node
// Runs a TypeScript script: `node scripts/run-ts.js <script.ts> [args...]`. Bundled into dist/run-ts/ and required
// from the repository root with the given arguments in process.argv.
'use strict';
const path = require('node:path');
const { buildTs, root } = require('./build-ts');

const [, , entry, ...args] = process.argv;
if (!entry) {
  console.error('usage: node scripts/run-ts.js <script.ts> [args...]');
  process.exit(2);
}
const source = path.relative(root, path.resolve(process.cwd(), entry));
const outfile = buildTs(source, path.join('dist', 'run-ts', source.replace(/\.ts$/, '.js')));
process.setSourceMapsEnabled(true);
process.chdir(root);
process.argv = [process.argv[0], outfile, ...args];
require(outfile);
