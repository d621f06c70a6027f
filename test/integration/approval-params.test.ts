import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { INCIDENT_CHANNEL, slackEnv, startTestApp, type TestApp } from '../support/app.js';
import { backends, type TestDatabase } from '../support/databases.js';
import { FakeHttp } from '../support/fake-http.js';
import { FakeSlack } from '../support/fake-slack.js';
import { alertBody, playbookDir } from '../support/playbooks.js';
import { blockActionBody, postSlack } from '../support/slack-requests.js';
import { eventually } from '../support/wait.js';
import { approvalHash } from '../../src/runner/step-context.js';

// Plain hex, which no redaction rule recognizes: only the secret's own handling keeps it in.
const SECRET = randomBytes(12).toString('hex');

const PLAYBOOKS = (deploy: string) => ({
  'secret.yml': `name: secret
match: ['alertname="SecretTest"']
steps:
  - id: deploy
    action: http
    approval: { approvers: [U0ALICE] }
    with:
      method: POST
      url: "${deploy}deploy/{{ alert.labels.service }}"
      headers: { Authorization: "Bearer {{ secret.DEPLOY_TOKEN }}", X-Note: "{{ alert.labels.note }}" }
  - id: unset
    action: http
    with: { url: "${deploy}deploy/unset", headers: { X-Api-Key: "{{ secret.NOT_SET }}" } }
`,
  'silence.yml': `name: silence
match: ['alertname="SilenceTest"']
steps:
  - id: silence
    action: alertmanager.silence
    approval: { approvers: [U0ALICE] }
    with: { duration: 1h }
`,
});

// What approving shows and binds: the exact parameters the action will be called with.
for (const backend of backends()) {
  describe(`what an approver sees is what runs (${backend.name})`, () => {
    let database: TestDatabase;
    let app: TestApp;
    let slack: FakeSlack;
    let alertmanager: FakeHttp;
    let deploy: FakeHttp;
    let seq = 0;
    const db = () => database.db;
    const approve = async (approvalId: number) => {
      const body = blockActionBody({ action_id: 'incident_approve', value: String(approvalId), action_ts: `1763700200.${++seq}` },
        { user: { id: 'U0ALICE', username: 'alice', team_id: 'T0TEAM001' }, trigger_id: `trig-${seq}`, channel: { id: INCIDENT_CHANNEL, name: 'incidents' } }, Number(new URL(slack.url).port));
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
      // The worst case: a service that echoes the token back, in its body and in a header.
      deploy = await FakeHttp.start();
      deploy.route('POST /deploy/checkout', (req) => {
        const token = String(req.headers.authorization).replace(/^Bearer /, '');
        return { status: 200, body: { ok: true, seen: token }, headers: { 'x-echo': token } };
      });
      process.env.FIREBREAK_SECRET_DEPLOY_TOKEN = SECRET;
      app = await startTestApp(database, slackEnv(slack.apiUrl, {
        PLAYBOOKS_DIR: playbookDir(PLAYBOOKS(deploy.url)), ALERTMANAGER_URL: alertmanager.url, HTTP_ACTION_ALLOWED_HOSTS: deploy.host,
      }));
    });
    after(async () => {
      await app.close();
      await slack.close();
      await alertmanager.close();
      await deploy.close();
      await database.close();
      delete process.env.FIREBREAK_SECRET_DEPLOY_TOKEN;
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

    test('a secret reaches the service and nothing else: not Slack, not a table, not a log line', async () => {
      const body = alertBody({ alertname: 'SecretTest', service: 'checkout', note: '{{ secret.DEPLOY_TOKEN }}' });
      assert.equal((await app.postWebhook(body)).status, 200);
      const approval = await approvalOf('SecretTest');
      assert.deepEqual((approval.params as { headers: unknown }).headers, { Authorization: 'Bearer {{ secret.DEPLOY_TOKEN }}', 'X-Note': '{{ secret.DEPLOY_TOKEN }}' });
      assert.equal(approval.hash, approvalHash('http', approval.params));
      assert.ok(JSON.stringify((await message(approval.id)).blocks).includes('Bearer {{ secret.DEPLOY_TOKEN }}'));

      await approve(approval.id);
      const steps = await eventually('both steps end', async () => {
        const { rows } = await db().query<{ step_id: string; status: string; output: unknown; error: string | null }>(
          `SELECT s.step_id, s.status, s.output, s.error FROM step_runs s JOIN playbook_runs r ON r.id = s.run_id
            WHERE r.playbook = 'secret' ORDER BY s.position`);
        return rows.every((r) => r.status === 'succeeded' || r.status === 'failed') && rows;
      }, 20_000);
      // The service got it, where the playbook put it; the label's copy of the reference stayed text.
      const sent = deploy.to('/deploy/checkout');
      assert.equal(sent.length, 1);
      assert.equal(sent[0]!.headers.authorization, `Bearer ${SECRET}`);
      assert.equal(sent[0]!.headers['x-note'], '{{ secret.DEPLOY_TOKEN }}');
      assert.deepEqual(steps[0]!.output, { status: 200, body: { ok: true, seen: '[secret FIREBREAK_SECRET_DEPLOY_TOKEN]' } });
      assert.deepEqual([steps[1]!.status, steps[1]!.error], ['failed',
        'http: FIREBREAK_SECRET_NOT_SET is not set in firebreak\'s environment: the step cannot use {{ secret.NOT_SET }}; nothing was sent']);
      assert.equal(deploy.to('/deploy/unset').length, 0);
      await eventually('the evidence is in the card\'s thread', async () => slack.uploads.some((u) => u.body.includes('[secret FIREBREAK_SECRET_DEPLOY_TOKEN]')));

      const hex = Buffer.from(SECRET).toString('hex');
      const { rows: tables } = await db().query<{ name: string }>(`SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'`);
      assert.ok(tables.length >= 10);
      for (const { name } of tables) {
        const { rows } = await db().query<{ row: string }>(`SELECT t::text AS row FROM "${name}" t`);
        for (const { row } of rows) assert.ok(!row.includes(SECRET) && !row.includes(hex), `${name}: ${row.slice(0, 300)}`);
      }
      const evidence = (await db().query<{ body: Buffer }>(`SELECT body FROM evidence WHERE kind = 'http'`)).rows.map((e) => e.body.toString());
      assert.ok(evidence.some((e) => e.includes('[secret FIREBREAK_SECRET_DEPLOY_TOKEN]')), 'the echo was kept, without the value');
      for (const [what, recorded] of [['Slack calls', slack.calls], ['Slack uploads', slack.uploads], ['Slack responses', slack.responses]] as const) {
        assert.ok(!JSON.stringify(recorded).includes(SECRET), what);
      }
      assert.ok(!app.logs.text().includes(SECRET), 'the logs');
    });
  });
}
