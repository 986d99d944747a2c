// Lint: typescript-eslint's recommended rules plus the project's own bans.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'cdktf.out/', 'dist/', '.cache/', '.gen/', 'coverage/', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      // The provider package root loads every binding (~2 s and ~500 MB per process): deep imports only.
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: '@cdktf/provider-aws', message: "Import from '@cdktf/provider-aws/lib/<resource>' instead." },
            { name: '@cdktf/provider-random', message: "Import from '@cdktf/provider-random/lib/<resource>' instead." },
          ],
        },
      ],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  // Layering walls (issue 17): each block repeats the deep-import bans because a later `no-restricted-imports`
  // replaces an earlier one for the files it matches.
  ...[
    {
      files: ['lambdas/**/*.ts'],
      group: ['**/src/**', '**/scripts/**', '**/bootstrap/**', 'cdktf', 'constructs', '@cdktf/*'],
      message: 'lambdas/ is bundled alone: it never imports the stack, scripts or cdktf (share a contract through lambdas/shared/).',
    },
    {
      // Tiers (src/tiers/) are constructs too: the stack composes them, never the other way round. One exception: the
      // Parameter Store names contract, a module of names with no imports, so the construct that creates a parameter
      // spells its name the way the Lambda that reads it does (lambdas/shared/parameter-names.ts).
      files: ['src/constructs/**/*.ts', 'src/tiers/**/*.ts', 'src/composition.ts'],
      group: ['**/dr-stack', '**/dr-cli/**', '**/scripts/**'],
      // A regex: a gitignore-style group cannot re-include a file under an excluded folder.
      regex: '(^|/)lambdas/(?!shared/parameter-names$)',
      message: 'A construct receives what it needs through its props: it never imports the stack, the DR CLI, scripts or Lambda code (except the names contract lambdas/shared/parameter-names).',
    },
    {
      files: ['src/contracts/**/*.ts'],
      group: ['../**', 'cdktf', 'constructs', '@cdktf/*', '@aws-sdk/*'],
      message: 'A contract module (src/contracts/) imports nothing of the project: both sides of the contract import it (the DR CLI without the construct tree).',
    },
    {
      files: ['src/config.ts'],
      group: ['./constructs/**', './dr-stack', './dr-cli/**', 'cdktf', 'constructs', '@cdktf/*'],
      message: 'Configuration imports no construct and no cdktf: it is loaded by scripts and the DR CLI too.',
    },
    {
      files: ['src/dr-cli/**/*.ts'],
      group: ['**/constructs/**', '**/dr-stack', '**/guardrails/**', 'cdktf', 'constructs', '@cdktf/*', '**/lambdas/**'],
      message: 'The DR CLI works from the stack outputs (and config), never from the construct tree.',
    },
  ].map(({ files, group, regex, message }) => ({
    files,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: '@cdktf/provider-aws', message: "Import from '@cdktf/provider-aws/lib/<resource>' instead." },
            { name: '@cdktf/provider-random', message: "Import from '@cdktf/provider-random/lib/<resource>' instead." },
          ],
          patterns: [{ group, message }, ...(regex ? [{ regex, message }] : [])],
        },
      ],
    },
  })),
  {
    // Lambda code is type-checked in the root pass, where jest's globals exist: they must not leak into handlers.
    files: ['lambdas/**/*.ts'],
    rules: {
      'no-restricted-globals': [
        'error',
        ...[
          'describe', 'fdescribe', 'xdescribe', 'test', 'xtest', 'it', 'fit', 'xit', 'expect', 'jest', 'fail', 'pending',
          'spyOn', 'jasmine', 'beforeAll', 'beforeEach', 'afterAll', 'afterEach',
        ].map((name) => ({
          name,
          message: 'jest globals do not exist in Lambda',
        })),
      ],
    },
  },
);
