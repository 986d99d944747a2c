#!/usr/bin/env node
// `npm run bootstrap`: synthesizes the one-off CI bootstrap stack (state bucket, GitHub OIDC provider, plan and
// deploy roles) into cdktf.out/bootstrap. Like scripts/app.js: bundles bootstrap/main.ts with esbuild (node_modules
// stay external) into dist/bootstrap/main.js and runs it in this process. Reads BOOTSTRAP_CONFIG.
'use strict';
const path = require('node:path');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..');
const outfile = path.join(root, 'dist', 'bootstrap', 'main.js');

esbuild.buildSync({
  entryPoints: [path.join(root, 'bootstrap', 'main.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  packages: 'external',
  sourcemap: 'inline',
  logLevel: 'warning',
});
process.chdir(root);
require(outfile);
