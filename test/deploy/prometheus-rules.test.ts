import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { DEPLOY, metricNamesIn, readAlertRules } from './metric-names.js';

const run = promisify(execFile);
const PROMETHEUS_DIR = fileURLToPath(new URL('prometheus/', DEPLOY));

describe('deploy/prometheus/firebreak-rules.yml', () => {
  test('promtool accepts the rules and their unit tests pass', async () => {
    const checked = await run('promtool', ['check', 'rules', 'firebreak-rules.yml'], { cwd: PROMETHEUS_DIR });
    assert.match(checked.stdout, /SUCCESS: 12 rules found/);
    const tested = await run('promtool', ['test', 'rules', 'firebreak-rules.test.yml'], { cwd: PROMETHEUS_DIR });
    assert.match(tested.stdout, /SUCCESS/);
  });

  test('promtool test rules fails when an alert does not fire as its test expects', async () => {
    // The unit tests can fail: the same tests against rules whose queue-lag threshold is raised.
    const dir = await mkdtemp(join(tmpdir(), 'firebreak-rules-'));
    const rules = await readFile(new URL('prometheus/firebreak-rules.yml', DEPLOY), 'utf8');
    await writeFile(join(dir, 'firebreak-rules.yml'), rules.replace('firebreak_jobs_oldest_due_seconds{job="firebreak"}) > 300', 'firebreak_jobs_oldest_due_seconds{job="firebreak"}) > 3000'));
    await copyFile(new URL('prometheus/firebreak-rules.test.yml', DEPLOY), join(dir, 'firebreak-rules.test.yml'));
    await assert.rejects(run('promtool', ['test', 'rules', 'firebreak-rules.test.yml'], { cwd: dir }), (err: { stdout: string; stderr: string }) => {
      assert.match(err.stdout + err.stderr, /alertname: FirebreakJobQueueLag/);
      return true;
    });
  });

  test('every alert the issue asks for is there, and each is shown firing in the unit tests', async () => {
    const rules = await readAlertRules();
    const names = rules.map((r) => r.alert);
    assert.deepEqual(names, [
      'FirebreakDown', 'FirebreakAbsent', 'FirebreakWebhookErrors', 'FirebreakWebhookUnavailable', 'FirebreakDatabaseUnavailable',
      'FirebreakJobQueueLag', 'FirebreakJobsFailed', 'FirebreakSlackCallsFailing', 'FirebreakSlackSocketDisconnected',
      'FirebreakPagerDutyCallsFailing', 'FirebreakApprovalsExpiring', 'FirebreakPlaybookLoadErrors',
    ]);
    const tests = parse(await readFile(new URL('prometheus/firebreak-rules.test.yml', DEPLOY), 'utf8')) as {
      tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[];
    };
    const cases = tests.tests.flatMap((t) => t.alert_rule_test);
    for (const name of names) {
      assert.ok(cases.some((c) => c.alertname === name && c.exp_alerts.length > 0), `${name} is shown firing`);
      assert.ok(cases.some((c) => c.alertname === name && c.exp_alerts.length === 0), `${name} is shown quiet`);
    }
    // Every rule reads a series by name (no rule on a typo that matches nothing).
    for (const r of rules) assert.ok(metricNamesIn(r.expr).length > 0, r.alert);
  });
});
