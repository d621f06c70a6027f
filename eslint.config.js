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
    // Dependencies point inward (docs/architecture.md): the domain and the runner know no vendor.
    files: ['src/access/**', 'src/incidents/**', 'src/runner/**', 'src/ingest/**', 'src/playbooks/**', 'src/actions/**', 'src/scheduler/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['@slack/*', '@pagerduty/*', '**/slack/*', '**/pagerduty/*', '**/http/*'] }],
    },
  },
  {
    // Pure layers: no I/O imports (the deciding code does no I/O: docs/architecture.md). After the rule above,
    // which this one replaces for these files.
    files: [
      'src/lib/**', 'src/ingest/**', 'src/incidents/lifecycle.ts', 'src/incidents/plan.ts', 'src/incidents/severity.ts',
      'src/access/permissions.ts', 'src/access/principal.ts', 'src/access/refusal.ts',
      'src/slack/blocks/**', 'src/slack/command-parse.ts', 'src/slack/channel-name.ts', 'src/slack/origin.ts',
      'src/playbooks/matchers.ts', 'src/playbooks/template.ts', 'src/playbooks/template-syntax.ts', 'src/playbooks/escaping.ts', 'src/playbooks/secrets.ts',
      'src/playbooks/schema.ts', 'src/playbooks/action-params.ts',
      'src/playbooks/validate.ts', 'src/playbooks/select.ts', 'src/playbooks/dry-run.ts', 'src/playbooks/render-step.ts',
      'src/runner/decide.ts', 'src/runner/approvers.ts', 'src/runner/call-action.ts',
    ],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['pg', '@electric-sql/*', 'node:http', 'node:fs', '@slack/*', '@pagerduty/*', '**/db/*'] }],
    },
  },
);
