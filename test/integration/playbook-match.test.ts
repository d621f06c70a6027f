import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { metricValue, startTestApp, type TestApp } from '../support/app.js';
import { backends, type TestDatabase } from '../support/databases.js';
import { playbookDir } from '../support/playbooks.js';
import { count, openJobs } from '../support/state.js';
import { eventually } from '../support/wait.js';

// Matching reads one row per distinct combination of the matched labels' values, not every alert:
// these check that it still picks the oldest matching alert, treats an unset label as empty, and
// starts a playbook once however many matching alerts follow.
const PLAYBOOK = `name: sel
match: ['alertname="Sel"', 'tier!="batch"']
steps:
  - id: show
    action: exec
    with: { argv: [printf, "%s|%s", "{{ alert.labels.pod }}", "{{ alert.annotations.summary }}"] }
`;

const GROUP = '{}:{alertname="Sel"}';
const webhook = (pods: { pod: string; tier?: string }[]) => JSON.stringify({
  version: '4', groupKey: GROUP, truncatedAlerts: 0, status: 'firing', receiver: 'firebreak',
  groupLabels: { alertname: 'Sel' }, commonLabels: { alertname: 'Sel' }, commonAnnotations: {}, externalURL: 'http://alertmanager.local:9093',
  alerts: pods.map(({ pod, tier }) => ({
    status: 'firing', labels: { alertname: 'Sel', pod, ...(tier ? { tier } : {}) }, annotations: { summary: `summary of ${pod}` },
    startsAt: '2026-11-21T10:00:00Z', endsAt: '0001-01-01T00:00:00Z', generatorURL: '', fingerprint: `sel-${pod}`,
  })),
});

for (const backend of backends()) {
  describe(`playbook matching (${backend.name})`, () => {
    let database: TestDatabase;
    let app: TestApp;
    const db = () => database.db;
    const settled = () => eventually('no match job pending', async () =>
      (await openJobs(db(), 'playbooks.match')) === 0);
    const runs = async () => (await db().query<{ alert: { labels: Record<string, string>; annotations: Record<string, string> } }>(
      'SELECT alert FROM playbook_runs ORDER BY id')).rows;

    before(async () => {
      database = await backend.create();
      app = await startTestApp(database, { PLAYBOOKS_DIR: playbookDir({ 'sel.yml': PLAYBOOK }), EXEC_ALLOWLIST: 'printf' });
    });
    after(async () => {
      await app.close();
      await database.close();
    });

    const matchJobsRun = () => metricValue(app, 'firebreak_job_runs_total', { kind: 'playbooks.match', outcome: 'done' });

    test('alerts that match no playbook queue no match job and start nothing', async () => {
      assert.equal((await app.postWebhook(webhook([{ pod: 'p1', tier: 'batch' }, { pod: 'p2', tier: 'batch' }]))).status, 200);
      assert.equal(await count(db(), `jobs WHERE kind = 'playbooks.match'`), 0);
      assert.equal(await matchJobsRun(), 0);
      assert.deepEqual(await runs(), []);
    });

    test('the oldest matching alert starts the playbook; its templates read that alert', async () => {
      // p3 and p4 have no tier: unset matches tier!="batch" as the empty string.
      assert.equal((await app.postWebhook(webhook([{ pod: 'p3' }, { pod: 'p4' }, { pod: 'p5', tier: 'batch' }]))).status, 200);
      await settled();
      const started = await runs();
      assert.equal(started.length, 1);
      assert.deepEqual(started[0]!.alert, { labels: { alertname: 'Sel', pod: 'p3' }, annotations: { summary: 'summary of p3' } });
      const output = await eventually('the step ran', async () => (await db().query<{ output: { stdout: string } }>(
        `SELECT output FROM step_runs WHERE step_id = 'show' AND status = 'succeeded'`)).rows[0]?.output);
      assert.equal(output.stdout, 'p3|summary of p3');
      assert.equal(await matchJobsRun(), 1);
    });

    test('more matching alerts do not start it again', async () => {
      assert.equal((await app.postWebhook(webhook([{ pod: 'p6' }, { pod: 'p7', tier: 'web' }]))).status, 200);
      await settled();
      assert.equal((await runs()).length, 1);
    });
  });
}
