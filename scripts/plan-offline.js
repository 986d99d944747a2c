#!/usr/bin/env node
// `npm run plan:offline [-- <stack name>] [--synth]`: validates and plans a synthesized stack offline (no AWS
// credentials) and prints the resources to create per region and type. Bundles scripts/plan-offline.ts with esbuild
// (node_modules stay external) into dist/plan-offline/main.js and runs it from the repository root, like scripts/app.js.
// Type-checking is `npm run build` / `npm test`'s job.
'use strict';
const path = require('node:path');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..');
const outfile = path.join(root, 'dist', 'plan-offline', 'main.js');

esbuild.buildSync({
  entryPoints: [path.join(root, 'scripts', 'plan-offline.ts')],
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
process.exitCode = require(outfile).run(process.argv.slice(2), root);
