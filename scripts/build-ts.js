'use strict';
// The one way our scripts run TypeScript: esbuild bundles an entry into dist/ (node_modules stay external, so
// cdktf, constructs and the provider bindings load from disk as usual) and the caller requires the result.
// Much faster than ts-node; type-checking is `npm run typecheck`'s job.
const path = require('node:path');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..');

/** Bundles `entry` (relative to the repo root) to `outfile` (relative to the repo root); returns its absolute path. */
function buildTs(entry, outfile) {
  const out = path.resolve(root, outfile);
  esbuild.buildSync({
    entryPoints: [path.resolve(root, entry)],
    outfile: out,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    sourcemap: 'inline',
    logLevel: 'warning',
  });
  return out;
}

module.exports = { buildTs, root };
