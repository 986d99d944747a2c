#!/usr/bin/env node
// `npm run dr -- <command>`: the DR operations CLI. Bundles src/dr-cli/main.ts with esbuild (node_modules stay
// external, so the AWS SDK loads from disk) into dist/dr-cli/main.js and runs it with this process's arguments.
// Type-checking is `npm run build` / `npm test`'s job.
'use strict';
const { buildTs } = require('./build-ts');

const outfile = buildTs('src/dr-cli/main.ts', 'dist/dr-cli/main.js');
require(outfile)
  .run(process.argv.slice(2))
  .catch((e) => {
    process.stderr.write(`dr: ${e && e.stack ? e.stack : e}\n`);
    process.exitCode = 1;
  });
