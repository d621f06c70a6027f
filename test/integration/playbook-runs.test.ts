import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { INCIDENT_CHANNEL, metricValue, slackEnv, startTestApp, type TestApp } from '../support/app.js';
import { backends, type TestDatabase } from '../support/databases.js';
import { FakeHttp, prometheusAnswer } from '../support/fake-http.js';
import { FakeSlack } from '../support/fake-slack.js';
import { alertBody, playbookDir } from '../support/playbooks.js';
import { blockActionBody, postSlack, slashCommandBody } from '../support/slack-requests.js';
import { timeline } from '../support/state.js';
import { stepJob } from '../../src/runner/jobs.js';
import { postgresRunCoordinator } from '../../src/scheduler/scheduler.js';
import { eventually } from '../support/wait.js';

const HOSTILE = ['$(touch /tmp/firebreak-pwned)', '; rm -rf /', '--kubeconfig=/etc/passwd', '`id`', '&& echo x'];

const playbooks = (deploy: string) => ({
  'flow.yml': `name: flow
match: ['alertname="FlowTest"', 'service=~"check.*"']
steps:
  - id: rate
    action: prometheus.query
    with: { query: 'up{service="{{ alert.labels.service }}"}' }
  - id: args
    action: exec
    with: { argv: [printf, "%s|", "{{ alert.labels.service }}", "{{ alert.labels.evil }}", "{{ steps.rate.output.resultType }}"] }
  - id: rollback
    action: http
    approval: { approvers: [U0ALICE, "@sre-leads"], timeout: 10m }
    with: { method: POST, url: "${deploy}rollback/{{ alert.labels.service }}", body: { why: "{{ incident.ref }}" } }
  - id: announce
    action: slack.message
    with: { text: "rolled back: HTTP {{ steps.rollback.output.status }}" }
`,
  'gated.yml': `name: gated
match: ['alertname="GateTest"']
steps:
  - id: act
    action: http
    approval: { approvers: [U0ALICE] }
    with: { method: POST, url: "${deploy}act" }
  - id: after
    action: exec
    with: { argv: [printf, done] }
`,
  'expiring.yml': `name: expiring
match: ['alertname="ExpireTest"']
steps:
  - id: risky
    action: exec
    approval: { approvers: [U0ALICE], timeout: 1s, on_timeout: skip }
    with: { argv: [printf, risky] }
  - id: safe
    action: exec
    with: { argv: [printf, safe] }
`,
  'offlist.yml': `name: offlist
match: ['alertname="OffListTest"']
steps:
  - id: call
    action: http
    with: { url: "http://not-allowed.example/x" }
  - id: never
    action: exec
    with: { argv: [printf, never] }
`,
  'flaky.yml': `name: flaky
match: ['alertname="FlakyTest"']
steps:
  - id: call
    action: http
    retry: { attempts: 3, backoff: 100ms }
    with: { url: "${deploy}flaky" }
  - id: slow
    action: exec
    timeout: 500ms
    on_failure: continue
    with: { argv: [sleep, "30"] }
`,
  'env.yml': `name: env
match: ['alertname="EnvTest"']
steps:
  - id: env
    action: exec
    with: { argv: [env] }
`,
  'pair.yml': `name: pair
match: ['alertname="PairTest"']
steps:
  - id: act
    action: http
    approval: { approvers: [U0ALICE, U0BOB, U0CAROL], min_approvals: 2 }
    with: { method: POST, url: "${deploy}act" }
`,
  'broken.yml': 'name: broken\nmatch: [\'alertname="X"\']\nsteps:\n  - id: a\n    action: telnet\n',
});

for (const backend of backends()) {
  describe(`playbook runs (${backend.name})`, () => {
    let database: TestDatabase;
    let app: TestApp;
    let slack: FakeSlack;
    let deploy: FakeHttp;
    let seq = 0;
    const port = () => Number(new URL(slack.url).port);
    const db = () => database.db;
    const click = async (actionId: string, value: number, user: string) => {
      const body = blockActionBody({ action_id: actionId, value: String(value), action_ts: `1763700100.${++seq}` },
        { user: { id: user, username: user, team_id: 'T0TEAM001' }, trigger_id: `trig-${seq}`, channel: { id: INCIDENT_CHANNEL, name: 'incidents' } }, port());
      const res = await postSlack(app.url, body);
      assert.equal(res.status, 200);
    };
    const command = async (text: string) => {
      const res = await postSlack(app.url, slashCommandBody({ text, channel_id: 'C0GENERAL', trigger_id: `cmd-${++seq}`, user_id: 'U0ALICE' }, port()));
      return (await res.json()) as { response_type: string; text: string };
    };
    const incidentOf = async (alertname: string) =>
      eventually(`incident for ${alertname}`, async () => (await db().query<{ id: number; number: number }>(
        `SELECT i.id, i.number FROM incidents i JOIN alerts a ON a.incident_id = i.id WHERE a.labels->>'alertname' = $1`, [alertname])).rows[0]);
    const steps = async (incidentId: number) => (await db().query<{ step_id: string; status: string; attempts: number; output: unknown; error: string | null }>(
      'SELECT step_id, status, attempts, output, error FROM step_runs WHERE incident_id = $1 ORDER BY run_id, position', [incidentId])).rows;
    const stepStatus = async (incidentId: number, stepId: string) => (await steps(incidentId)).find((s) => s.step_id === stepId)?.status;
    // An approval once its message is in Slack (a click comes from that message).
    const approvalId = async (incidentId: number) => eventually('approval message posted', async () =>
      (await db().query<{ id: number }>('SELECT id FROM approvals WHERE incident_id = $1 AND slack_ts IS NOT NULL', [incidentId])).rows[0]?.id);
    const approvalMessage = (id: number) => slack.waitFor(`approval message ${id}`, () => {
      for (const byTs of slack.messages.values()) {
        for (const m of byTs.values()) if (JSON.stringify(m.blocks).includes(`"approval_${id}_step"`)) return m;
      }
      return undefined;
    });

    before(async () => {
      database = await backend.create();
      slack = await FakeSlack.start();
      slack.groups.set('sre-leads', ['U0LEAD']);
      deploy = await FakeHttp.start();
      deploy.route('POST /rollback/checkout', () => ({ status: 200, body: { ok: true, note: 'db password=hunter2 rotated' } }));
      deploy.route('POST /act', () => ({ status: 200, body: { ok: true } }));
      let flaky = 0;
      deploy.route('GET /flaky', () => (++flaky < 3 ? { status: 503, body: { error: 'busy' } } : { status: 200, body: { ok: true } }));
      deploy.route('POST /api/v1/query', () => prometheusAnswer('vector'));
      app = await startTestApp(database, slackEnv(slack.apiUrl, {
        PLAYBOOKS_DIR: playbookDir(playbooks(deploy.url)), EXEC_ALLOWLIST: 'printf,sleep,env', HTTP_ACTION_ALLOWED_HOSTS: deploy.host,
        PROMETHEUS_URL: deploy.url,
      }));
    });
    after(async () => {
      await app.close();
      await slack.close();
      await deploy.close();
      await database.close();
    });

    test('a broken file is skipped with an error and a metric; the others load', async () => {
      assert.ok(app.logs.lines().some((l) => String(l.msg).includes('playbook refused') && String(l.msg).includes('broken.yml:5: steps[0].action')));
      assert.equal(await metricValue(app, 'firebreak_playbook_load_errors', {}), 1);
      assert.equal(await metricValue(app, 'firebreak_playbooks_loaded', {}), 7);
    });

    test('a matching alert runs the playbook: evidence, argv kept whole, approval, one run per incident', async () => {
      const body = alertBody({ alertname: 'FlowTest', service: 'checkout', evil: HOSTILE.join(' ') });
      assert.equal((await app.postWebhook(body)).status, 200);
      const inc = await incidentOf('FlowTest');
      const id = await approvalId(inc.id);
      const [rate, args] = await steps(inc.id);
      assert.deepEqual([rate!.status, args!.status], ['succeeded', 'succeeded']);
      // Every hostile value arrived as one argument, nothing was run by a shell.
      assert.deepEqual(args!.output, { exit_code: 0, stdout: `checkout|${HOSTILE.join(' ')}|vector|`, stderr: '' });
      assert.ok(!existsSync('/tmp/firebreak-pwned'));
      assert.equal(await stepStatus(inc.id, 'rollback'), 'waiting_approval');
      assert.equal(deploy.to('/rollback/checkout').length, 0, 'nothing runs before approval');

      const message = await approvalMessage(id);
      const shown = JSON.stringify(message.blocks);
      assert.match(shown, /rollback\/checkout/);
      assert.match(shown, /Who may decide \(fixed when asked\): <@U0ALICE> · @sre-leads \(<@U0LEAD>\)/);
      assert.match(shown, /incident_deny/);

      // Re-delivery starts nothing again.
      await app.postWebhook(body);
      await app.postWebhook(body);
      assert.equal((await db().query('SELECT 1 FROM playbook_runs WHERE incident_id = $1', [inc.id])).rowCount, 1);

      // Someone not allowed: refused, told so, and it is on the timeline.
      await click('incident_approve', id, 'U0MALLORY');
      const refusal = await slack.waitFor('refusal', () => slack.responses.find((r) => String(r.body.text).includes('You may not approve')));
      assert.equal(refusal.body.response_type, 'ephemeral');
      assert.match(String(refusal.body.text), /It is held by <@U0ALICE> and <@U0LEAD>\. Nothing was changed\.$/);
      assert.ok((await timeline(db(), inc.number)).some((e) => e.kind === 'access.refused' && e.actor === 'U0MALLORY' && e.data.action === 'approve'));

      // A group member approves twice at once: one decision, one run of the step.
      await Promise.all([click('incident_approve', id, 'U0LEAD'), click('incident_approve', id, 'U0LEAD'), click('incident_approve', id, 'U0ALICE')]);
      await eventually('the run finishes', async () => (await steps(inc.id)).every((s) => s.status === 'succeeded'));
      assert.equal(deploy.to('/rollback/checkout').length, 1);
      assert.deepEqual(JSON.parse(deploy.to('/rollback/checkout')[0]!.body), { why: `INC-${inc.number}` });
      const events = await timeline(db(), inc.number);
      assert.equal(events.filter((e) => e.kind === 'approval.approved').length, 1);
      assert.equal(events.filter((e) => e.kind === 'step.succeeded').length, 4);
      assert.equal(events.find((e) => e.kind === 'playbook.finished')?.data.status, 'succeeded');

      // Evidence: hashes match the stored bytes, secrets are gone, and it reached the card's thread.
      const evidence = (await db().query<{ body: Buffer; sha256: string; size: number; redactions: number }>(
        'SELECT body, sha256, size, redactions FROM evidence WHERE incident_id = $1 ORDER BY id', [inc.id])).rows;
      assert.equal(evidence.length, 3);
      for (const e of evidence) {
        assert.equal(e.sha256, createHash('sha256').update(e.body).digest('hex'));
        assert.equal(e.size, e.body.length);
      }
      assert.ok(!evidence[2]!.body.toString().includes('hunter2'));
      assert.equal(evidence[2]!.redactions, 1);
      const card = (await db().query<{ ts: string }>('SELECT slack_card_ts AS ts FROM incidents WHERE id = $1', [inc.id])).rows[0]!;
      await slack.waitFor('three evidence files in the card thread', () => slack.uploads.filter((u) => u.complete?.thread_ts === card.ts).length === 3);
      await slack.waitFor('the announcement in the thread', () =>
        slack.ok('chat.postMessage').find((c) => c.args.thread_ts === card.ts && String(c.args.text) === 'rolled back: HTTP 200'));
      await slack.waitFor('the approval message shows who approved', () => JSON.stringify(message.blocks).includes('Approved by'));
    });

    test('parameters changed after the request are refused: what runs is what was approved', async () => {
      await app.postWebhook(alertBody({ alertname: 'GateTest' }));
      const inc = await incidentOf('GateTest');
      const id = await approvalId(inc.id);
      await db().query(`UPDATE step_runs SET params = jsonb_set(params, '{url}', to_jsonb($2::text)) WHERE incident_id = $1 AND step_id = 'act'`,
        [inc.id, `${deploy.url}evil`]);
      await click('incident_approve', id, 'U0ALICE');
      await eventually('the step refused', async () => (await stepStatus(inc.id, 'act')) === 'failed');
      assert.match((await steps(inc.id))[0]!.error!, /not the ones that were approved/);
      assert.equal(await stepStatus(inc.id, 'after'), 'aborted');
      assert.equal(deploy.to('/evil').length + deploy.to('/act').length, 0);
    });

    test('an approval nobody decides expires (on_timeout: skip goes on)', async () => {
      await app.postWebhook(alertBody({ alertname: 'ExpireTest' }));
      const inc = await incidentOf('ExpireTest');
      const id = await approvalId(inc.id);
      await eventually('expiry and the next step', async () => (await stepStatus(inc.id, 'safe')) === 'succeeded');
      assert.equal(await stepStatus(inc.id, 'risky'), 'skipped');
      const message = await approvalMessage(id);
      await slack.waitFor('the message shows the expiry', () => JSON.stringify(message.blocks).includes('Expired'));
      await click('incident_approve', id, 'U0ALICE');
      await slack.waitFor('a late click is told', () => slack.responses.find((r) => /already expired/.test(String(r.body.text))));
    });

    test('Deny stops the run; resolving the incident cancels what waits', async () => {
      await app.postWebhook(alertBody({ alertname: 'GateTest', run: 'deny' }));
      const denied = await eventually('second GateTest incident', async () => (await db().query<{ id: number }>(
        `SELECT incident_id AS id FROM alerts WHERE labels->>'run' = 'deny'`)).rows[0]);
      await click('incident_deny', await approvalId(denied.id), 'U0ALICE');
      await eventually('denied', async () => (await stepStatus(denied.id, 'act')) === 'denied');
      assert.equal(await stepStatus(denied.id, 'after'), 'aborted');

      await app.postWebhook(alertBody({ alertname: 'GateTest', run: 'cancel' }));
      const open = await eventually('third GateTest incident', async () => (await db().query<{ id: number; number: number }>(
        `SELECT i.id, i.number FROM alerts a JOIN incidents i ON i.id = a.incident_id WHERE a.labels->>'run' = 'cancel'`)).rows[0]);
      const id = await approvalId(open.id);
      const answer = await command(`resolve INC-${open.number}`);
      assert.match(answer.text, /resolved/);
      await eventually('cancelled', async () => (await stepStatus(open.id, 'act')) === 'cancelled');
      assert.equal((await db().query<{ status: string }>('SELECT status FROM approvals WHERE id = $1', [id])).rows[0]!.status, 'cancelled');
      assert.equal((await db().query<{ status: string }>('SELECT status FROM playbook_runs WHERE incident_id = $1', [open.id])).rows[0]!.status, 'cancelled');
      await click('incident_approve', id, 'U0ALICE');
      await slack.waitFor('a click on a cancelled approval is told', () => slack.responses.find((r) => /already cancelled/.test(String(r.body.text))));
      assert.equal(deploy.to('/act').length, 0);
    });

    test('http to a host not allow-listed is refused before anything is sent', async () => {
      await app.postWebhook(alertBody({ alertname: 'OffListTest' }));
      const inc = await incidentOf('OffListTest');
      await eventually('refused', async () => (await stepStatus(inc.id, 'call')) === 'failed');
      assert.match((await steps(inc.id))[0]!.error!, /not-allowed\.example is not in HTTP_ACTION_ALLOWED_HOSTS/);
      assert.equal(await stepStatus(inc.id, 'never'), 'aborted');
    });

    test('retries with backoff until the step succeeds; a timeout kills the program', async () => {
      await app.postWebhook(alertBody({ alertname: 'FlakyTest' }));
      const inc = await incidentOf('FlakyTest');
      await eventually('the run ends', async () => (await stepStatus(inc.id, 'slow')) === 'failed');
      const [call, slow] = await steps(inc.id);
      assert.deepEqual([call!.status, call!.attempts], ['succeeded', 3]);
      assert.equal(deploy.to('/flaky').length, 3);
      assert.match(slow!.error!, /step slow timed out after 500ms/);
      const events = await timeline(db(), inc.number);
      assert.equal(events.filter((e) => e.kind === 'step.failed' && e.data.retry === true).length, 2);
      assert.equal(events.find((e) => e.kind === 'playbook.finished')?.data.status, 'failed', 'on_failure: continue still shows the failure');
    });

    test('exec programs get a scrubbed environment: none of firebreak\'s secrets', async () => {
      await app.postWebhook(alertBody({ alertname: 'EnvTest' }));
      const inc = await incidentOf('EnvTest');
      await eventually('env ran', async () => (await stepStatus(inc.id, 'env')) === 'succeeded');
      const { stdout } = (await steps(inc.id))[0]!.output as { stdout: string };
      assert.deepEqual(stdout.trim().split('\n').map((l) => l.split('=')[0]).sort(), ['LANG', 'PATH']);
    });

    test('the scheduler\'s run coordinator lets one replica run each slot', async () => {
      const [one, two] = [postgresRunCoordinator(db()), postgresRunCoordinator(db())];
      const key = `approvals.expire:${new Date().toISOString()}`;
      assert.deepEqual(await Promise.all([one.shouldRun(key), two.shouldRun(key), one.shouldRun(key)]).then((r) => r.filter(Boolean).length), 1);
    });

    test('min_approvals: each approver counts once, and the step runs at the second', async () => {
      await app.postWebhook(alertBody({ alertname: 'PairTest' }));
      const inc = await incidentOf('PairTest');
      const id = await approvalId(inc.id);
      const before = deploy.to('/act').length;
      await click('incident_approve', id, 'U0ALICE');
      await slack.waitFor('1 of 2', () => slack.responses.find((r) => /counted: 1 of 2/.test(String(r.body.text))));
      await click('incident_approve', id, 'U0ALICE');
      await slack.waitFor('told once is enough', () => slack.responses.find((r) => /already approved this step/.test(String(r.body.text))));
      assert.equal(await stepStatus(inc.id, 'act'), 'waiting_approval');
      await click('incident_approve', id, 'U0BOB');
      await eventually('ran', async () => (await stepStatus(inc.id, 'act')) === 'succeeded');
      assert.equal(deploy.to('/act').length, before + 1);
      assert.equal((await timeline(db(), inc.number)).filter((e) => e.kind === 'approval.vote').length, 1);
    });

    test('an interrupted step that is not idempotent waits for Retry in Slack, then runs once', async () => {
      await app.postWebhook(alertBody({ alertname: 'GateTest', run: 'interrupted' }));
      const inc = await eventually('GateTest incident', async () => (await db().query<{ id: number }>(
        `SELECT incident_id AS id FROM alerts WHERE labels->>'run' = 'interrupted'`)).rows[0]);
      const id = await approvalId(inc.id);
      // As a crash leaves it: approved, marked running, its job claimed again after the lease ran out.
      const { rows } = await db().query<{ id: number }>(`SELECT id FROM step_runs WHERE incident_id = $1 AND step_id = 'act'`, [inc.id]);
      await db().query(`UPDATE approvals SET status = 'approved' WHERE id = $1`, [id]);
      await db().query(`UPDATE step_runs SET status = 'running', attempts = 1 WHERE id = $1`, [rows[0]!.id]);
      const before = deploy.to('/act').length;
      await app.queue.enqueue(db(), stepJob(inc.id, rows[0]!.id));
      await eventually('needs attention', async () => (await stepStatus(inc.id, 'act')) === 'needs_attention');
      const message = await slack.waitFor('the Retry / Skip / Abort message', () => slack.ok('chat.postMessage').find((c) => JSON.stringify(c.args.blocks ?? '').includes(`attention_${rows[0]!.id}`)));
      assert.match(JSON.stringify(message.args.blocks), /incident_step_retry.*incident_step_skip.*incident_step_abort/);
      assert.equal(deploy.to('/act').length, before, 'not re-run by itself');
      await click('incident_step_retry', rows[0]!.id, 'U0ALICE');
      await eventually('retried and finished', async () => (await stepStatus(inc.id, 'after')) === 'succeeded');
      assert.equal(deploy.to('/act').length, before + 1);
      await slack.waitFor('the message is replaced', () => slack.responses.find((r) => r.body.replace_original === true && /runs it again/.test(String(r.body.text))));
      await click('incident_step_abort', rows[0]!.id, 'U0BOB');
      await slack.waitFor('a second choice changes nothing', () => slack.responses.find((r) => /already succeeded: nothing changed/.test(String(r.body.text))));
    });

    test('/incident playbooks, run and steps', async () => {
      const list = await command('playbooks');
      assert.match(list.text, /\*flow\*/);
      assert.match(list.text, /1 problem\(s\) in playbook files/);
      const unknown = await command('run nope INC-1');
      assert.match(unknown.text, /There is no playbook by that name\. Loaded: .*`flow`/);
      const inc = await incidentOf('OffListTest');
      const started = await command(`run gated INC-${inc.number}`);
      assert.equal(started.response_type, 'in_channel');
      assert.match(started.text, /started playbook \*gated\*/);
      await eventually('manual run waits for approval', async () =>
        (await db().query(`SELECT 1 FROM playbook_runs WHERE incident_id = $1 AND trigger = 'manual' AND requested_by = 'U0ALICE'`, [inc.id])).rowCount === 1);
      const shown = await command(`steps INC-${inc.number}`);
      assert.match(shown.text, /\*offlist\* · failed · started by its alerts/);
      assert.match(shown.text, /`call` http · failed · http: not-allowed\.example is not in/);
      assert.match(shown.text, /\*gated\* · running · started by <@U0ALICE>/);
    });
  });
}
