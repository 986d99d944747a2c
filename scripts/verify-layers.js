#!/usr/bin/env node
// `npm run verify:layers -- <cdk.tf.json>`: with AWS credentials, checks that every Lambda layer of a synthesized
// stack is the Powertools version the handlers were tested with (see scripts/layer-check.ts). Bundles it with
// esbuild (node_modules stay external) into dist/verify-layers/main.js and runs it, like scripts/plan-offline.js.
'use strict';
const { buildTs } = require('./build-ts');

const outfile = buildTs('scripts/layer-check.ts', 'dist/verify-layers/main.js');
require(outfile)
  .main(process.argv.slice(2))
  .then((code) => (process.exitCode = code));
