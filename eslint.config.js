// Lint rules that keep the package boundaries visible (as Temporal's SDK does): no deep imports into
// another package's sources, no relative imports across packages; plus typescript-eslint's recommended set.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/*.js', '**/*.mjs', 'packages/*/examples/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['packages/*/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@jobfleet/*/src/*', '@jobfleet/*/dist/*'], message: 'Import a package through its entry point.' },
            { group: ['../../*/src/*', '../../../*/src/*'], message: 'Import another package by its name, not by a relative path.' },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'off',
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
);
