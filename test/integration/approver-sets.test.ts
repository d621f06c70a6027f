import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { INCIDENT_CHANNEL, metricValue, slackEnv, startTestApp, type TestApp } from '../support/app.js';
import { backends, type TestDatabase } from '../support/databases.js';
import { FakeHttp } from '../support/fake-http.js';
import { FakeSlack } from '../support/fake-slack.js';
import { alertBody, playbookDir } from '../support/playbooks.js';
import { blockActionBody, clickAnswer, postSlack, slashCommandBody } from '../support/slack-requests.js';
import { timeline } from '../support/state.js';
import { eventually } from '../support/wait.js';
import { stepJob } from '../../src/runner/jobs.js';

const playbooks = (deploy: string) => ({
  'gate.yml': `name: gate
match: ['alertname="GateTest"']
steps:
  - id: act
    action: http
    approval: { approvers: [commander, "@sre-leads"], distinct_from_requester: true }
    with: { method: POST, url: "${deploy}act/{{ incident.ref }}" }
`,
  'flaky.yml': `name: flaky
match: ['alertname="FlakyGroup"']
steps:
  - id: act
    action: http
    approval: { approvers: [U0ALICE, "@flaky-group"] }
    with: { method: POST, url: "${deploy}act/{{ incident.ref }}" }
`,
});

for (const backend of backends()) {
  describe(`approver sets, frozen when approval is asked (${backend.name})`, () => {
    let database: TestDatabase;
    let app: TestApp;
    let slack: FakeSlack;
    let deploy: FakeHttp;
    let seq = 0;
    const db = () => database.db;
    const port = () => Number(new URL(slack.url).port);

    const click = (user: string, actionId: string, value: number, channel = INCIDENT_CHANNEL) => clickAnswer(app.url, slack, blockActionBody(
      { action_id: actionId, value: String(value), action_ts: `1763700400.${++seq}` },
      { user: { id: user, username: user, team_id: 'T0TEAM001' }, trigger_id: `set-${seq}`, channel: { id: channel, name: 'x' } }, port()));
    const command = async (user: string, text: string) => {
      const res = await postSlack(app.url, slashCommandBody({ text, channel_id: 'C0GENERAL', trigger_id: `setc-${++seq}`, user_id: user }, port()));
      return ((await res.json()) as { text: string }).text;
    };
    const open = async (labels: Record<string, string>) => {
      const res = await app.postWebhook(alertBody({ severity: 'warning', ...labels }));
      const number = Number(((await res.json()) as { incidents: string[] }).incidents[0]!.slice(4));
      const { rows } = await db().query<{ id: number }>('SELECT id FROM incidents WHERE number = $1', [number]);
      return { number, id: rows[0]!.id, ref: `INC-${number}` };
    };
    // The incident's newest approval, once its message is in Slack (clicks come from that message).
    const approvalOf = (incidentId: number) => eventually('approval message posted', async () => (await db().query<{ id: number }>(
      'SELECT id FROM approvals WHERE incident_id = $1 AND slack_ts IS NOT NULL ORDER BY id DESC LIMIT 1', [incidentId])).rows[0]?.id);
    const stepStatus = async (incidentId: number) => (await db().query<{ status: string }>(
      `SELECT status FROM step_runs WHERE incident_id = $1 ORDER BY id DESC LIMIT 1`, [incidentId])).rows[0]?.status;
    const runs = (ref: string) => deploy.to(`/act/${ref}`).length;
    const message = (approvalId: number) => slack.waitFor(`approval message ${approvalId}`, () => {
      for (const byTs of slack.messages.values()) for (const m of byTs.values()) if (JSON.stringify(m.blocks).includes(`"approval_${approvalId}_step"`)) return m;
      return undefined;
    });

    before(async () => {
      database = await backend.create();
      slack = await FakeSlack.start();
      slack.groups.set('sre-leads', ['U0LEAD']);
      slack.groups.set('flaky-group', ['U0FLAKY']);
      deploy = await FakeHttp.start();
      for (let n = 1; n <= 9; n++) deploy.route(`POST /act/INC-${n}`, () => ({ status: 200, body: {} }));
      app = await startTestApp(database, slackEnv(slack.apiUrl, { PLAYBOOKS_DIR: playbookDir(playbooks(deploy.url)), HTTP_ACTION_ALLOWED_HOSTS: deploy.host }));
    });
    after(async () => {
      await app.close();
      await slack.close();
      await deploy.close();
      await database.close();
    });

    test('Mallory makes herself commander after the approval was asked, then presses Approve: refused, nothing runs', async () => {
      const inc = await open({ alertname: 'GateTest' });
      const id = await approvalOf(inc.id);
      assert.match(JSON.stringify((await message(id)).blocks), /Who may decide \(fixed when asked\): the commander \(nobody\) · @sre-leads \(<@U0LEAD>\)/);
      assert.match(await command('U0MALLORY', `commander ${inc.ref} <@U0MALLORY|mallory>`), /is now the commander/);
      const refused = await click('U0MALLORY', 'incident_approve', id);
      assert.match(refused, /^:no_entry: You may not approve this step: that needs a place among this step's approvers, fixed when its approval was requested\. It is held by <@U0LEAD>\./);
      assert.equal(await stepStatus(inc.id), 'waiting_approval');
      assert.equal(runs(inc.ref), 0);
      const events = (await timeline(db(), inc.number)).filter((e) => e.kind === 'access.refused');
      assert.deepEqual(events.map((e) => [e.actor, e.data.action]), [['U0MALLORY', 'approve']]);
      assert.equal(await metricValue(app, 'firebreak_access_refused_total', { action: 'approve' }), 1);

      await click('U0LEAD', 'incident_approve', id);
      await eventually('the step ran', async () => (await stepStatus(inc.id)) === 'succeeded');
      assert.equal(runs(inc.ref), 1, 'exactly once');
    });

    test('the commander when asked may decide after handing over; the requester may not approve their own run', async () => {
      const inc = await open({ alertname: 'ByHand' });
      await command('U0CMDR', `commander ${inc.ref} <@U0CMDR|cmdr>`);
      assert.match(await command('U0LEAD', `run gate ${inc.ref}`), /started playbook \*gate\*/);
      const id = await approvalOf(inc.id);
      await command('U0CMDR', `commander ${inc.ref} <@U0MALLORY|mallory>`);
      assert.match(await click('U0MALLORY', 'incident_approve', id), /You may not approve this step/);
      // U0LEAD is in the set, but started the run: distinct_from_requester.
      assert.match(await click('U0LEAD', 'incident_approve', id),
        /needs to be someone other than who started this playbook \(this step needs another person's approval\)\. It is held by <@U0CMDR>\./);
      assert.equal(runs(inc.ref), 0);
      await click('U0CMDR', 'incident_approve', id);
      await eventually('the step ran', async () => (await stepStatus(inc.id)) === 'succeeded');
      assert.equal(runs(inc.ref), 1);
    });

    test('a click on the approval from another channel is refused', async () => {
      const inc = await open({ alertname: 'GateTest', run: 'elsewhere' });
      const id = await approvalOf(inc.id);
      const answer = await click('U0LEAD', 'incident_approve', id, 'C0ELSEWHERE');
      assert.match(answer, /You may not approve this step: that needs to click on the approval message itself\. The click came from channel C0ELSEWHERE; the approval message is in C0INCIDENTS\./);
      assert.equal(await stepStatus(inc.id), 'waiting_approval');
      assert.equal(runs(inc.ref), 0);
      await click('U0LEAD', 'incident_deny', id);
      await eventually('denied', async () => (await stepStatus(inc.id)) === 'denied');
      assert.equal(runs(inc.ref), 0);
    });

    test('Retry of an interrupted gated step: refused outside the frozen set; an approver\'s retry runs it once', async () => {
      const inc = await open({ alertname: 'GateTest', run: 'interrupted' });
      const id = await approvalOf(inc.id);
      await click('U0LEAD', 'incident_approve', id);
      await eventually('ran once', async () => (await stepStatus(inc.id)) === 'succeeded');
      // As a crash leaves it: marked running, its job claimed again after the lease ran out.
      const { rows } = await db().query<{ id: number }>('SELECT id FROM step_runs WHERE incident_id = $1', [inc.id]);
      await db().query(`UPDATE step_runs SET status = 'running' WHERE id = $1`, [rows[0]!.id]);
      await db().query(`UPDATE playbook_runs SET status = 'running' WHERE incident_id = $1`, [inc.id]);
      await app.queue.enqueue(db(), stepJob(inc.id, rows[0]!.id));
      await eventually('needs attention', async () => (await stepStatus(inc.id)) === 'needs_attention');
      assert.equal(runs(inc.ref), 1);

      // Mallory is commander now, and everyone holds `run` (no policy): neither counts for a gated step.
      await command('U0MALLORY', `commander ${inc.ref} <@U0MALLORY|mallory>`);
      const refused = await click('U0MALLORY', 'incident_step_retry', rows[0]!.id);
      assert.match(refused, /^:no_entry: You may not run interrupted steps again: that needs a place among this step's approvers/);
      assert.equal(await stepStatus(inc.id), 'needs_attention');
      assert.ok((await timeline(db(), inc.number)).some((e) => e.kind === 'access.refused' && e.actor === 'U0MALLORY' && e.data.action === 'step.retry'));
      await click('U0LEAD', 'incident_step_retry', rows[0]!.id);
      await eventually('ran again', async () => (await stepStatus(inc.id)) === 'succeeded');
      assert.equal(runs(inc.ref), 2, 'once more, exactly');
    });

    test('a group that cannot be read when asked is retried, then the set is frozen saying who could not be read', async () => {
      slack.failNext('usergroups.list', { status: 500 }, 3); // the first read and both retries
      const inc = await open({ alertname: 'FlakyGroup' });
      const id = await approvalOf(inc.id);
      assert.match(JSON.stringify((await message(id)).blocks),
        /Who may decide \(fixed when asked\): <@U0ALICE> · @flaky-group \(:warning: could not be read: Slack usergroups\.list: HTTP 500[^)]*\)"/);
      const requested = (await timeline(db(), inc.number)).find((e) => e.kind === 'approval.requested')!;
      assert.deepEqual([requested.data.approvers, requested.data.unreadable], [['U0ALICE'], ['@flaky-group']]);
      assert.match(await click('U0FLAKY', 'incident_approve', id), /could not be read when the approval was requested/);
      assert.equal(runs(inc.ref), 0);

      slack.failNext('usergroups.list', { status: 500 }, 1); // a hiccup: the retry reads it
      const again = await open({ alertname: 'FlakyGroup', run: 'again' });
      const second = await approvalOf(again.id);
      assert.match(JSON.stringify((await message(second)).blocks), /@flaky-group \(<@U0FLAKY>\)/);
      await click('U0FLAKY', 'incident_approve', second);
      await eventually('the step ran', async () => (await stepStatus(again.id)) === 'succeeded');
      assert.equal(runs(again.ref), 1);
    });
  });
}
