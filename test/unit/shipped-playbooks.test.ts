import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { testCommand } from '../../src/playbooks/commands.js';
import { alertsFromJson, dryRun } from '../../src/playbooks/dry-run.js';
import { loadPlaybooks } from '../../src/playbooks/loader.js';

const SHIPPED = fileURLToPath(new URL('../../playbooks/', import.meta.url));
// One alert per shipped playbook, with the label set its mixin gives it (README.md there says where from).
const MIXINS = fileURLToPath(new URL('../fixtures/mixins/', import.meta.url));

// Every template a step holds, whatever the action: none may be left once rendered (step outputs aside).
const templatesLeft = (params: unknown): string[] => {
  const text = JSON.stringify(params) ?? '';
  return [...text.matchAll(/\{\{[^}]*\}\}/g)].map((m) => m[0]);
};

describe('the shipped playbooks, against the alerts of the standard mixins', async () => {
  const { playbooks, problems } = await loadPlaybooks(SHIPPED);
  const fixtures = (await readdir(MIXINS)).filter((f) => f.endsWith('.json')).sort();

  test('every shipped playbook loads and has a fixture alert named for it, and every fixture a playbook', () => {
    assert.deepEqual(problems, []);
    assert.deepEqual(fixtures.map((f) => f.replace(/\.json$/, '')), playbooks.map((p) => p.definition.name).sort());
  });

  for (const playbook of playbooks) {
    const name = playbook.definition.name;
    test(`${name}: its fixture alert matches it alone, and every step renders with no unknown variable`, async () => {
      const alerts = alertsFromJson(JSON.parse(await readFile(join(MIXINS, `${name}.json`), 'utf8')));
      assert.equal(alerts.length, 1);
      const [run] = dryRun(playbooks, alerts);
      assert.deepEqual(run!.matches.map((m) => m.playbook), [name]);
      const steps = run!.matches[0]!.steps;
      assert.equal(steps.length, playbook.definition.steps.length);
      for (const step of steps) {
        assert.equal(step.error, undefined, `${name} step ${step.id}: ${step.error}`);
        assert.deepEqual(templatesLeft(step.params), [], `${name} step ${step.id}`);
      }
      // The labels the playbook reads are the ones the alert carries: each value is in the rendered steps.
      const used = new Set([...JSON.stringify(playbook.definition.steps).matchAll(/alert\.labels\.([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!));
      const rendered = JSON.stringify(steps.map((s) => s.params));
      for (const label of used) assert.ok(rendered.includes(JSON.stringify(alerts[0]!.labels[label]).slice(1, -1)), `${name}: ${label}`);
    });

    test(`${name}: \`playbooks test\` with its fixture exits 0 and shows every step rendered`, async () => {
      const r = await testCommand(SHIPPED, join(MIXINS, `${name}.json`));
      assert.equal(r.code, 0, r.out + r.err);
      assert.match(r.out, new RegExp(`^  matches ${name}:$`, 'm'));
      assert.equal(r.out.match(/^ {7}with: /gm)?.length, playbook.definition.steps.length);
      assert.doesNotMatch(r.out, /ERROR/);
    });
  }

  test('a fixture without a label a playbook reads fails `playbooks test`, naming the variable', async () => {
    const body = JSON.parse(await readFile(join(MIXINS, 'kube-pod-crash-looping.json'), 'utf8')) as { alerts: { labels: Record<string, string> }[] };
    delete body.alerts[0]!.labels.container;
    const file = join(tmpdir(), `firebreak-no-container-${process.pid}.json`);
    await writeFile(file, JSON.stringify(body));
    const r = await testCommand(SHIPPED, file);
    assert.equal(r.code, 1);
    assert.match(r.out, /2\. previous-logs \(exec\)\n {7}ERROR: unknown variable alert\.labels\.container/);
  });
});
