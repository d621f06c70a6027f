// @ts-check
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] }] },
      ],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read configuration through src/config only.' }],
    },
  },
  {
    // The config module is the one reader of process.env; tests and benchmarks set up child processes.
    files: ['src/config/**', 'test/**', 'bench/**'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    // Pure layers: no I/O imports (STYLE.md: the deciding code does no I/O).
    files: ['src/lib/**', 'src/ingest/**', 'src/incidents/lifecycle.ts', 'src/incidents/plan.ts', 'src/incidents/severity.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['pg', '@electric-sql/*', 'node:http', 'node:fs', '@slack/*', '@pagerduty/*'] }],
    },
  },
);
