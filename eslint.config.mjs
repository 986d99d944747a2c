// Lint: typescript-eslint's recommended rules plus the project's own bans.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'cdktf.out/', 'dist/', '.gen/', 'coverage/', '**/*.js', '**/*.mjs'] },
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
