const { join } = require('node:path');

// Terraform runs (plan, show) are memoized by everything they read (scripts/terraform-harness.ts, runMemo): a run
// whose configuration, state, plan file, arguments and terraform/provider build are unchanged reuses its result.
// Set TF_HARNESS_RUN_CACHE=off to run every plan. Set here, in jest's parent process, so every worker inherits it.
process.env.TF_HARNESS_RUN_CACHE ??= join(__dirname, '.cache', 'terraform-runs');

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  // Only *.test.ts are suites; shared helpers live in __tests__/support/.
  testMatch: ['<rootDir>/__tests__/**/*.test.ts'],
  // Transpile only (swc); type-checking runs once in `npm test` via `tsc --noEmit`.
  // Legacy decorators: Powertools' handler decorators in lambdas/shared/observability.ts (as tsconfig's
  // experimentalDecorators; esbuild reads that flag from lambdas/tsconfig.json).
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript', decorators: true }, transform: { legacyDecorator: true, decoratorMetadata: false } } }],
  },
  testTimeout: 30000,
  // Two workers on the 2-core machines: the terraform suites run in parallel with the rest.
  maxWorkers: 2,
  // The terraform suites start first (longest first), also on a cold run without jest's timing cache.
  testSequencer: '<rootDir>/__tests__/support/sequencer.js',
};
