#!/usr/bin/env node
// `npm run dr -- <command>`: the DR operations CLI. Bundles src/dr-cli/main.ts with esbuild (node_modules stay
// external, so the AWS SDK loads from disk) into dist/dr-cli/main.js and runs it with this process's arguments.
// Type-checking is `npm run build` / `npm test`'s job.
'use strict';
const path = require('node:path');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..');
const outfile = path.join(root, 'dist', 'dr-cli', 'main.js');

esbuild.buildSync({
  entryPoints: [path.join(root, 'src', 'dr-cli', 'main.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  packages: 'external',
  sourcemap: 'inline',
  logLevel: 'warning',
});
require(outfile)
  .run(process.argv.slice(2))
  .catch((e) => {
    process.stderr.write(`dr: ${e && e.stack ? e.stack : e}\n`);
    process.exitCode = 1;
  });
