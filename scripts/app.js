#!/usr/bin/env node
// The cdktf app command (cdktf.json "app") and `npm run synth`: compiles main.ts and src/ with esbuild into one
// file (node_modules stay external, so cdktf, constructs and the provider bindings load from disk as usual) and
// runs it in this process. Much faster than ts-node; type-checking is `npm run build` / `npm test`'s job.
'use strict';
const path = require('node:path');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..');
const outfile = path.join(root, 'dist', 'app', 'main.js');

esbuild.buildSync({
  entryPoints: [path.join(root, 'main.ts')],
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
