import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends, type TestDatabase } from '../support/databases.js';
import { fixture, slackEnv, startTestApp, type TestApp } from '../support/app.js';
import { FakeSlack } from '../support/fake-slack.js';
import { blockActionBody, postSlack, slackSignature, slashCommandBody } from '../support/slack-requests.js';
import { count, incidentId, incidents, timeline } from '../support/state.js';

type Answer = { response_type: string; text: string };

for (const backend of backends()) {
  describe(`/incident and the card's buttons (${backend.name})`, () => {
    let database: TestDatabase;
    let app: TestApp;
    let slack: FakeSlack;
    let trigger = 0;
    const port = () => Number(new URL(slack.url).port);
    // A signed slash command from `user` (Alice by default) in a channel that is no incident's.
    const commandBody = (text: string, fields: Record<string, string> = {}) =>
      slashCommandBody({ text, channel_id: 'C0GENERAL', trigger_id: `trigger-${++trigger}`, ...fields }, port());
    const send = async (body: string, headers?: Record<string, string>) => {
      const res = await postSlack(app.url, body, headers);
      assert.equal(res.status, 200, await res.clone().text());
      const text = await res.text();
      return (text ? JSON.parse(text) : {}) as Answer;
    };
    const command = (text: string, fields: Record<string, string> = {}) => send(commandBody(text, fields));
    const events = async (number: number, kind: string) => (await timeline(database.db, number)).filter((e) => e.kind === kind);
    const status = async (number: number) => (await incidents(database.db)).find((i) => i.number === number)!.status;

    before(async () => {
      database = await backend.create();
      slack = await FakeSlack.start();
      app = await startTestApp(database, slackEnv(slack.apiUrl));
      await app.postWebhook(await fixture('alertmanager/firing-single.json')); // INC-1
      await app.postWebhook(await fixture('alertmanager/firing-group.json')); // INC-2
      await slack.waitFor('both cards', () => slack.ok('chat.postMessage').length === 2);
    });
    after(async () => {
      await app.close();
      await slack.close();
      await database.close();
    });

    test('a bad signature, a stale timestamp or no signature: 401, and nothing changes', async () => {
      const body = commandBody('ack INC-1');
      const old = Math.floor(Date.now() / 1000) - 6 * 60;
      for (const headers of [
        slackSignature(body, 'ffffffffffffffffffffffffffffffff'),
        slackSignature(body, undefined, old),
        slackSignature(`${body}&x=1`),
        {},
      ]) {
        const res = await postSlack(app.url, body, headers);
        assert.equal(res.status, 401, JSON.stringify(headers));
      }
      assert.equal(await status(1), 'triggered');
      assert.equal((await events(1, 'incident.status_changed')).length, 0);
    });

    test('help lists every subcommand that works, and nothing else', async () => {
      const answer = await command('help');
      assert.equal(answer.response_type, 'ephemeral');
      const subs = ['help', 'declare', 'list', 'status', 'ack', 'mitigate', 'resolve', 'sev', 'commander', 'note', 'timeline', 'run', 'playbooks', 'steps', 'page', 'postmortem', 'link'];
      for (const sub of subs) assert.ok(answer.text.includes(`/incident ${sub}`), sub);
      assert.equal(answer.text.match(/`\/incident /g)?.length, subs.length, 'nothing else');
      assert.deepEqual(await command(''), answer, 'no subcommand is help');
    });

    test('an unknown subcommand or a malformed argument: an ephemeral error with the right form', async () => {
      const unknown = await command('frobnicate INC-1');
      assert.equal(unknown.response_type, 'ephemeral');
      assert.match(unknown.text, /unknown subcommand "frobnicate"/);
      assert.ok(unknown.text.includes('/incident ack [INC-n]'));
      const badSev = await command('sev 9 INC-1');
      assert.equal(badSev.response_type, 'ephemeral');
      assert.ok(badSev.text.includes('give the severity as 1, 2, 3 or 4') && badSev.text.includes('/incident sev [INC-n] <1-4>'), badSev.text);
      const noIncident = await command('ack');
      assert.match(noIncident.text, /not an incident channel/);
      const missing = await command('ack INC-999');
      assert.match(missing.text, /There is no incident INC-999/);
      assert.equal(await count(database.db, "timeline_events WHERE actor LIKE 'U%'"), 0);
    });

    test('ack changes state and timeline once, also when Slack retries the request or it is sent again', async () => {
      const body = commandBody('ack INC-1');
      const first = await send(body);
      assert.deepEqual(first, { response_type: 'in_channel', text: '<@U0ALICE01> acknowledged *INC-1* DiskFillingUp on db' });
      // Slack's retry: the same request again, with x-slack-retry-num.
      const retried = await send(body, { ...slackSignature(body), 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' });
      assert.deepEqual(retried, first);
      const again = await command('ack INC-1'); // a second, separate /incident ack
      assert.equal(again.response_type, 'ephemeral');
      assert.match(again.text, /already acknowledged: nothing changed/);
      assert.equal(await status(1), 'acknowledged');
      const changes = await events(1, 'incident.status_changed');
      assert.deepEqual(changes.map((e) => [e.actor, e.data]), [['U0ALICE01', { from: 'triggered', to: 'acknowledged' }]]);
      await slack.waitFor('the acknowledged card', () => slack.ok('chat.update').some((c) => JSON.stringify(c.args.blocks).includes('Acknowledged')));
    });

    test('sev, commander, note, mitigate and resolve: each one change and one timeline event', async () => {
      assert.match((await command('sev INC-1 1')).text, /changed the severity of \*INC-1\* DiskFillingUp on db: sev3 → sev1/);
      assert.match((await command('commander <@U0BOB0001|bob> INC-1')).text, /^<@U0BOB0001> is now the commander of \*INC-1\*/);
      const noteBody = commandBody('note INC-1 restarted <!channel> db-1 &amp; cleared /tmp');
      const note = await send(noteBody);
      assert.equal(note.response_type, 'in_channel');
      assert.deepEqual(await send(noteBody, { ...slackSignature(noteBody), 'x-slack-retry-num': '2' }), note, 'a retried note is one note');
      assert.ok(note.text.endsWith('restarted &lt;!channel&gt; db-1 &amp; cleared /tmp'), note.text);
      assert.match((await command('mitigate INC-1')).text, /marked mitigated \*INC-1\*/);
      assert.match((await command('INC-1 resolve')).text, /resolved \*INC-1\*/);
      assert.match((await command('sev INC-1 1')).text, /already sev1/);

      const [row] = (await database.db.query<{ severity: string; commander: string; status: string }>(
        'SELECT severity, commander, status FROM incidents WHERE number = 1')).rows;
      assert.deepEqual(row, { severity: 'sev1', commander: 'U0BOB0001', status: 'resolved' });
      const mine = (await timeline(database.db, 1)).filter((e) => e.actor === 'U0ALICE01');
      assert.deepEqual(mine.map((e) => e.kind), [
        'incident.status_changed', 'incident.severity_changed', 'incident.commander_changed', 'incident.note',
        'incident.status_changed', 'incident.status_changed',
      ]);
      assert.equal(mine[3]!.summary, 'restarted <!channel> db-1 & cleared /tmp', 'stored as typed, escaped only when shown');
      const refused = await command('ack INC-1');
      assert.match(refused.text, /INC-1 cannot be changed: it is already resolved/);
    });

    test('status, list and timeline answer only the asker', async () => {
      const st = await command('status INC-2');
      assert.equal(st.response_type, 'ephemeral');
      assert.match(st.text, /\*INC-2\* HighErrorRate on checkout · sev1 · triggered · 2 firing/);
      const list = await command('list');
      assert.equal(list.response_type, 'ephemeral');
      assert.ok(list.text.includes('*INC-2*') && !list.text.includes('*INC-1*'), 'resolved incidents are not listed');
      const tl = await command('timeline INC-1');
      assert.equal(tl.response_type, 'ephemeral');
      assert.ok(tl.text.includes('<@U0ALICE01>: restarted &lt;!channel&gt;'), tl.text);
    });

    test('declare opens an incident with the declarer as commander, and its card is posted', async () => {
      const answer = await command('declare Checkout is slow for EU users sev2');
      assert.equal(answer.response_type, 'in_channel');
      assert.match(answer.text, /declared \*INC-3\* \(sev2\): Checkout is slow for EU users/);
      const row = (await database.db.query<{ title: string; severity: string; commander: string; group_key: string | null }>(
        'SELECT title, severity, commander, group_key FROM incidents WHERE number = 3')).rows[0];
      assert.deepEqual(row, { title: 'Checkout is slow for EU users', severity: 'sev2', commander: 'U0ALICE01', group_key: null });
      await slack.waitFor('the declared card', () => slack.ok('chat.postMessage').some((c) => String(c.args.text).startsWith('INC-3 [sev2]')));
      // With no title at all, declare opens the modal (slack-declare-modal.test.ts).
      assert.match((await command(`declare ${'x'.repeat(201)}`)).text, /the title is 201 characters; at most 200/);
    });

    test('buttons: a click changes state once; a double click and a retried click change nothing more', async () => {
      const id = String(await incidentId(database.db, 2));
      const click = blockActionBody({ action_id: 'incident_acknowledge', value: id, action_ts: '1763700012.000200' }, { trigger_id: 'click-1' }, port());
      assert.equal((await postSlack(app.url, click)).status, 200);
      assert.equal(await status(2), 'acknowledged');
      const retry = await postSlack(app.url, click, { ...slackSignature(click), 'x-slack-retry-num': '1' });
      assert.equal(retry.status, 200);
      const second = blockActionBody({ action_id: 'incident_acknowledge', value: id, action_ts: '1763700012.000900' }, { trigger_id: 'click-2' }, port());
      assert.equal((await postSlack(app.url, second)).status, 200);
      assert.equal((await events(2, 'incident.status_changed')).length, 1);
      const told = await slack.waitFor('the ephemeral answer', () => slack.responses.find((r) => String(r.body.text).includes('already acknowledged')));
      assert.equal(told.body.response_type, 'ephemeral');
      assert.equal(told.body.replace_original, false);

      const commander = blockActionBody({ action_id: 'incident_commander', value: id }, { trigger_id: 'click-3', user: { id: 'U0CAROL01' } }, port());
      await postSlack(app.url, commander);
      const resolve = blockActionBody({ action_id: 'incident_resolve', value: id }, { trigger_id: 'click-4' }, port());
      await postSlack(app.url, resolve);
      const rows = (await database.db.query<{ status: string; commander: string }>('SELECT status, commander FROM incidents WHERE id = $1', [id])).rows;
      assert.deepEqual(rows, [{ status: 'resolved', commander: 'U0CAROL01' }]);
      assert.deepEqual((await timeline(database.db, 2)).filter((e) => e.actor.startsWith('U')).map((e) => [e.actor, e.kind]), [
        ['U0ALICE01', 'incident.status_changed'], ['U0CAROL01', 'incident.commander_changed'], ['U0ALICE01', 'incident.status_changed'],
      ]);
      await slack.waitFor('the resolved card', () => slack.ok('chat.update').some((c) => String(c.args.text).startsWith('INC-2 [sev1] resolved')));
    });
  });
}
