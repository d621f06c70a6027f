// @ts-check
import { dirname, relative, resolve } from 'node:path';
import tseslint from 'typescript-eslint';

/**
 * The folders of src/ and the folders each may import (docs/architecture.md). Dependencies point
 * inward: a folder may import only folders listed before it, so no two folders import each other,
 * however indirectly. src/main.ts and src/cli.ts, the composition roots, may import anything.
 */
const LAYERS = {
  lib: [],
  db: ['lib'],
  sources: ['lib'],
  queue: ['db', 'lib'],
  incidents: ['db', 'sources', 'queue', 'lib'],
  access: ['db', 'incidents', 'lib'],
  playbooks: ['incidents', 'lib'],
  runner: ['access', 'db', 'incidents', 'playbooks', 'queue', 'lib'],
  postmortem: ['db', 'incidents', 'queue', 'lib'],
  actions: ['incidents', 'playbooks', 'postmortem', 'runner', 'lib'],
  retention: ['db', 'queue', 'lib'],
  config: ['access', 'db', 'incidents', 'queue', 'lib'],
  pagerduty: ['config', 'db', 'incidents', 'queue', 'lib'],
  kubernetes: ['actions', 'config', 'lib'],
  tickets: ['actions', 'config', 'lib'],
  scheduler: ['db', 'lib'],
  http: ['db', 'incidents', 'sources', 'queue', 'lib'],
  slack: ['access', 'config', 'db', 'http', 'incidents', 'playbooks', 'postmortem', 'queue', 'runner', 'lib'],
  api: ['access', 'config', 'db', 'http', 'incidents', 'playbooks', 'postmortem', 'queue', 'runner', 'lib'],
  console: ['access', 'api', 'http', 'incidents', 'slack', 'lib'],
  client: ['lib'],
};
const ORDER = Object.keys(LAYERS);
for (const [folder, allowed] of Object.entries(LAYERS)) {
  const late = allowed.filter((a) => ORDER.indexOf(a) < 0 || ORDER.indexOf(a) >= ORDER.indexOf(folder));
  if (late.length) throw new Error(`eslint.config.js LAYERS: ${folder} may only import folders listed before it, not ${late.join(', ')}`);
}
const SRC = resolve(import.meta.dirname, 'src');
/** The src/ folder a path is in, '' for src/ itself, undefined outside src/. */
const folderOf = (path) => {
  const rel = relative(SRC, path);
  if (rel.startsWith('..')) return undefined;
  const parts = rel.split(/[\\/]/);
  return parts.length > 1 ? parts[0] : '';
};

/** @type {import('eslint').Rule.RuleModule} */
const layersRule = {
  meta: { type: 'problem', schema: [], messages: {
    forbidden: 'src/{{from}} may not import src/{{to}}: dependencies point inward (LAYERS in eslint.config.js)',
    unknown: 'src/{{from}} is not in LAYERS (eslint.config.js): say what it may import',
  } },
  create(context) {
    const from = folderOf(context.filename);
    if (!from) return {};
    const check = (node) => {
      const source = node.source?.value;
      if (typeof source !== 'string' || !source.startsWith('.')) return;
      const to = folderOf(resolve(dirname(context.filename), source));
      if (!to || to === from) return;
      if (!(from in LAYERS)) context.report({ node, messageId: 'unknown', data: { from } });
      else if (!LAYERS[from].includes(to)) context.report({ node, messageId: 'forbidden', data: { from, to } });
    };
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check, ImportExpression: check };
  },
};

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
    files: ['src/**/*.ts'],
    plugins: { firebreak: { rules: { layers: layersRule } } },
    rules: { 'firebreak/layers': 'error' },
  },
  {
    // The config module is the one reader of process.env; tests and benchmarks set up child processes.
    files: ['src/config/**', 'test/**', 'bench/**'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    // Dependencies point inward (docs/architecture.md): the domain and the runner know no vendor.
    files: ['src/access/**', 'src/queue/**', 'src/incidents/**', 'src/runner/**', 'src/sources/**', 'src/playbooks/**', 'src/actions/**', 'src/scheduler/**', 'src/retention/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['@slack/*', '@pagerduty/*', '@kubernetes/*', '**/slack/*', '**/pagerduty/*', '**/kubernetes/*', '**/http/*'] }],
    },
  },
  {
    // Pure layers: no I/O imports (the deciding code does no I/O: docs/architecture.md). After the rule above,
    // which this one replaces for these files.
    files: [
      'src/lib/**', 'src/sources/**', 'src/incidents/lifecycle.ts', 'src/incidents/plan.ts', 'src/incidents/severity.ts',
      'src/access/permissions.ts', 'src/access/principal.ts', 'src/access/refusal.ts',
      'src/slack/blocks/**', 'src/slack/command-parse.ts', 'src/slack/channel-name.ts', 'src/slack/origin.ts',
      'src/playbooks/matchers.ts', 'src/playbooks/template.ts', 'src/playbooks/template-syntax.ts', 'src/playbooks/escaping.ts', 'src/playbooks/secrets.ts',
      'src/playbooks/schema.ts', 'src/playbooks/action-params.ts',
      'src/playbooks/validate.ts', 'src/playbooks/select.ts', 'src/playbooks/dry-run.ts', 'src/playbooks/render-step.ts',
      'src/runner/decide.ts', 'src/runner/approvers.ts', 'src/runner/call-action.ts', 'src/queue/backoff.ts',
    ],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['pg', '@electric-sql/*', 'node:http', 'node:fs', '@slack/*', '@pagerduty/*', '@kubernetes/*', '**/db/*'] }],
    },
  },
);
