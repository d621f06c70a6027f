import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { slackEnv, startTestApp, type TestApp } from '../support/app.js';
import { backends, type TestDatabase } from '../support/databases.js';
import { FakeHttp } from '../support/fake-http.js';
import { FakeSlack } from '../support/fake-slack.js';
import { playbookDir } from '../support/playbooks.js';
import { blockActionBody, postSlack } from '../support/slack-requests.js';
import { eventually } from '../support/wait.js';
import { approvalHash } from '../../src/runner/step-context.js';

const PLAYBOOKS = {
  'silence.yml': `name: silence
match: ['alertname="SilenceTest"']
steps:
  - id: silence
    action: alertmanager.silence
    approval: { approvers: [U0ALICE] }
    with: { duration: 1h }
`,
};

// What approving shows and binds: the exact parameters the action will be called with.
for (const backend of backends()) {
  describe(`what an approver sees is what runs (${backend.name})`, () => {
    let database: TestDatabase;
    let app: TestApp;
    let slack: FakeSlack;
    let alertmanager: FakeHttp;
    let seq = 0;
    const db = () => database.db;
    const approve = async (approvalId: number) => {
      const body = blockActionBody({ action_id: 'incident_approve', value: String(approvalId), action_ts: `1763700200.${++seq}` },
        { user: { id: 'U0ALICE', username: 'alice', team_id: 'T0TEAM001' }, trigger_id: `trig-${seq}` }, Number(new URL(slack.url).port));
      assert.equal((await postSlack(app.url, body)).status, 200);
    };
    const approvalOf = (alertname: string) => eventually(`the approval of ${alertname}`, async () => (await db().query<{ id: number; hash: string; params: Record<string, unknown> }>(
      `SELECT a.id, a.params_hash AS hash, s.params FROM approvals a JOIN step_runs s ON s.id = a.step_run_id
         JOIN alerts al ON al.incident_id = a.incident_id WHERE al.labels->>'alertname' = $1`, [alertname])).rows[0]);
    const message = (approvalId: number) => slack.waitFor(`approval message ${approvalId}`, () => {
      for (const byTs of slack.messages.values()) for (const m of byTs.values()) if (JSON.stringify(m.blocks).includes(`"approval_${approvalId}_step"`)) return m;
      return undefined;
    });

    before(async () => {
      database = await backend.create();
      slack = await FakeSlack.start();
      alertmanager = await FakeHttp.start();
      alertmanager.route('POST /api/v2/silences', () => ({ status: 200, body: { silenceID: 'sil-7' } }));
      app = await startTestApp(database, slackEnv(slack.apiUrl, { PLAYBOOKS_DIR: playbookDir(PLAYBOOKS), ALERTMANAGER_URL: alertmanager.url }));
    });
    after(async () => {
      await app.close();
      await slack.close();
      await alertmanager.close();
      await database.close();
    });

    test('a silence\'s default matchers are written out before approval: shown, hashed, and exactly what is sent', async () => {
      const labels = { alertname: 'SilenceTest', service: 'check"out', severity: 'warning' };
      const body = JSON.stringify({
        version: '4', groupKey: '{}:{alertname="SilenceTest"}', truncatedAlerts: 0, status: 'firing', receiver: 'firebreak',
        groupLabels: { alertname: 'SilenceTest' }, commonLabels: labels, commonAnnotations: {}, externalURL: 'http://alertmanager.local:9093',
        alerts: ['pod-1', 'pod-2'].map((pod) => ({
          status: 'firing', labels: { ...labels, pod }, annotations: {}, startsAt: '2026-11-21T10:00:00Z', endsAt: '0001-01-01T00:00:00Z',
          generatorURL: '', fingerprint: `silence-${pod}`,
        })),
      });
      assert.equal((await app.postWebhook(body)).status, 200);
      const approval = await approvalOf('SilenceTest');
      const matchers = ['alertname="SilenceTest"', 'service="check\\"out"', 'severity="warning"'];
      assert.deepEqual(approval.params, { duration: '1h', matchers });
      assert.equal(approval.hash, approvalHash('alertmanager.silence', { duration: '1h', matchers }));
      const shown = JSON.stringify((await message(approval.id)).blocks);
      for (const m of ['alertname=\\\\\\"SilenceTest\\\\\\"', 'severity=\\\\\\"warning\\\\\\"']) assert.ok(shown.includes(m), `${m} in ${shown}`);
      assert.equal(alertmanager.to('/api/v2/silences').length, 0, 'nothing is silenced before approval');

      await approve(approval.id);
      await eventually('the silence is sent', async () => alertmanager.to('/api/v2/silences').length === 1);
      assert.deepEqual((JSON.parse(alertmanager.to('/api/v2/silences')[0]!.body) as { matchers: unknown }).matchers, [
        { name: 'alertname', value: 'SilenceTest', isRegex: false, isEqual: true },
        { name: 'service', value: 'check"out', isRegex: false, isEqual: true },
        { name: 'severity', value: 'warning', isRegex: false, isEqual: true },
      ]);
    });
  });
}
