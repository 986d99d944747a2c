#!/usr/bin/env node
// `npm run plan:offline [-- <stack name>] [--synth]`: validates and plans a synthesized stack offline (no AWS
// credentials) and prints the resources to create per region and type. Bundles scripts/plan-offline.ts with esbuild
// (node_modules stay external) into dist/plan-offline/main.js and runs it from the repository root, like scripts/app.js.
// Type-checking is `npm run build` / `npm test`'s job.
'use strict';
const { buildTs, root } = require('./build-ts');

const outfile = buildTs('scripts/plan-offline.ts', 'dist/plan-offline/main.js');
process.chdir(root);
process.exitCode = require(outfile).run(process.argv.slice(2), root);
