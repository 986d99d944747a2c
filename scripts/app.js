#!/usr/bin/env node
// The cdktf app command (cdktf.json "app") and `npm run synth`: compiles main.ts and src/ with esbuild into one
// file (node_modules stay external, so cdktf, constructs and the provider bindings load from disk as usual) and
// runs it in this process. Much faster than ts-node; type-checking is `npm run build` / `npm test`'s job.
'use strict';
const { buildTs, root } = require('./build-ts');

const outfile = buildTs('main.ts', 'dist/app/main.js');
process.chdir(root);
require(outfile);
