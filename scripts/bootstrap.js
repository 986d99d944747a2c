#!/usr/bin/env node
// `npm run bootstrap`: synthesizes the one-off CI bootstrap stack (state bucket, GitHub OIDC provider, plan and
// deploy roles) into cdktf.out/bootstrap. Like scripts/app.js: bundles bootstrap/main.ts with esbuild (node_modules
// stay external) into dist/bootstrap/main.js and runs it in this process. Reads BOOTSTRAP_CONFIG.
'use strict';
const { buildTs, root } = require('./build-ts');

const outfile = buildTs('bootstrap/main.ts', 'dist/bootstrap/main.js');
process.chdir(root);
require(outfile);
