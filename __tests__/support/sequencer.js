// Jest's order of test files: the terraform suites first, longest first, then jest's own order (failed first, then
// by the durations of the last run, else by file size). Jest knows the durations only from a previous run on the
// same machine: on a cold run (CI) it would start these small files last and the slowest suite would finish alone
// on one core at the end. With two workers, starting the longest work first keeps both cores busy to the end.
'use strict';
const Sequencer = require('@jest/test-sequencer').default;
const { basename } = require('node:path');

/** Most CPU first (see README, Performance). */
const FIRST = [
  'terraform-validate-prod.test.ts',
  'terraform-validate-dev.test.ts',
  'plan-upgrade.test.ts',
  'terraform-validate-accelerator.test.ts',
];

class TerraformFirst extends Sequencer {
  sort(tests) {
    const rank = (t) => {
      const i = FIRST.indexOf(basename(t.path));
      return i < 0 ? FIRST.length : i;
    };
    const rest = super.sort(tests.filter((t) => rank(t) === FIRST.length));
    return [...tests.filter((t) => rank(t) < FIRST.length).sort((a, b) => rank(a) - rank(b)), ...rest];
  }
}

module.exports = TerraformFirst;
