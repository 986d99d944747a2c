#!/usr/bin/env node
// `npm run plan:upgrade -- --from <git ref> [--to <git ref>] [--config <file>] [--to-config <file>]`: plans the to-version
// (default: the working tree) against the simulated deployed state of the from-version, offline, and fails when a
// stateful resource would be replaced or destroyed. Bundles scripts/upgrade/cli.ts with esbuild (node_modules stay
// external) into dist/plan-upgrade/main.js and runs it from the repository root, like scripts/plan-offline.js.
'use strict';
const { buildTs, root } = require('./build-ts');

const outfile = buildTs('scripts/upgrade/cli.ts', 'dist/plan-upgrade/main.js');
// Relative paths in the arguments are relative to where it was invoked (npm runs scripts from the package root).
const cwd = process.env.INIT_CWD || process.cwd();
process.setSourceMapsEnabled(true);
process.chdir(root);
require(outfile)
  .run(process.argv.slice(2), root, cwd)
  .then((code) => {
    process.exitCode = code;
  });
