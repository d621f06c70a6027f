import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { alertBody } from '../support/playbooks.js';
import { fixture, INCIDENT_CHANNEL, metricValue, slackEnv, startTestApp, type TestApp } from '../support/app.js';
import { backends, type TestDatabase } from '../support/databases.js';
import { FakeSlack } from '../support/fake-slack.js';
import { FakeViews } from '../support/fake-slack-views.js';
import { FakeSocketMode } from '../support/fake-socket-mode.js';
import { blockActionPayload, homeOpenedPayload, slashCommandPayload, viewSubmissionPayload } from '../support/slack-payloads.js';
import { timeline } from '../support/state.js';
import { eventually } from '../support/wait.js';

const APP_TOKEN = 'xapp-1-A0APP0001-0000-test';

// firebreak in Socket Mode, its real Bolt app and @slack/socket-mode client connected over a real
// WebSocket to a local Slack: what people send arrives as envelopes, and answers go back as acks.
for (const backend of backends()) {
  describe(`Socket Mode, live over a WebSocket (${backend.name})`, () => {
    let database: TestDatabase;
    let app: TestApp;
    let slack: FakeSlack;
    let socket: FakeSocketMode;
    let views: FakeViews;
    let seq = 0;
    const port = () => Number(new URL(slack.url).port);
    const command = (text: string, fields: Record<string, string> = {}) =>
      socket.send('slash_commands', slashCommandPayload({ text, channel_id: 'C0GENERAL', trigger_id: `sock-${++seq}`, ...fields }, port()));
    const click = (actionId: string, value: number) => socket.send('interactive', blockActionPayload(
      { action_id: actionId, value: String(value), action_ts: `1763700600.${++seq}` },
      { trigger_id: `sockc-${seq}`, channel: { id: INCIDENT_CHANNEL, name: 'incidents' } }, port()));
    const incident = async (number: number) => (await database.db.query<{ status: string; severity: string; commander: string | null }>(
      'SELECT status, severity, commander FROM incidents WHERE number = $1', [number])).rows[0];
    const events = async (number: number, kind: string) => (await timeline(database.db, number)).filter((e) => e.kind === kind);
    const readyz = async () => (await (await fetch(`${app.url}/readyz`)).json()) as { status: string; slack?: { socket: string } };
    const connected = () => metricValue(app, 'firebreak_slack_socket_connected', {});

    before(async () => {
      database = await backend.create();
      slack = await FakeSlack.start();
      socket = await FakeSocketMode.start(slack, APP_TOKEN);
      views = FakeViews.install(slack);
      app = await startTestApp(database, slackEnv(slack.apiUrl, { SLACK_APP_TOKEN: APP_TOKEN }));
      await socket.waitConnected();
      await app.postWebhook(await fixture('alertmanager/firing-single.json')); // INC-1
      await app.postWebhook(await fixture('alertmanager/firing-group.json')); // INC-2
    });
    after(async () => {
      await app.close();
      await socket.close();
      await slack.close();
      await database.close();
    });

    test('connects with the app-level token; the gauge and /readyz say connected', async () => {
      const opens = slack.ok('apps.connections.open');
      assert.equal(opens.length, 1);
      assert.equal(opens[0]!.token, APP_TOKEN, 'apps.connections.open takes the app-level token, not the bot token');
      assert.equal(socket.connections, 1);
      await eventually('the gauge at 1', async () => (await connected()) === 1);
      assert.deepEqual(await readyz(), { status: 'ready', slack: { socket: 'connected' } });
      const res = await fetch(`${app.url}/slack/events`, { method: 'POST', body: '' });
      assert.equal(res.status, 404, 'no HTTP endpoint for Slack in Socket Mode');
    });

    test('a slash command over the socket changes the incident once and is acknowledged with its answer', async () => {
      const sent = command('ack INC-1');
      const answer = await sent.acked;
      assert.equal(answer.response_type, 'in_channel');
      assert.match(String(answer.text), /acknowledged \*INC-1\*/);
      assert.equal((await incident(1))!.status, 'acknowledged');
      assert.equal((await events(1, 'incident.status_changed')).length, 1);
      assert.equal(sent.acks.length, 1);

      // Slack sends the same envelope again (its ack was lost on the way): answered again, changed once.
      socket.redeliver(sent);
      await eventually('the second ack', async () => sent.acks.length === 2);
      assert.equal(sent.deliveries, 2);
      assert.deepEqual(sent.acks[1], sent.acks[0], 'the same answer');
      assert.equal((await events(1, 'incident.status_changed')).length, 1, 'changed once');
    });

    test('a bad command over the socket gets its error as the ack, and nothing changes', async () => {
      const answer = await command('sev 9 INC-2').acked;
      assert.equal(answer.response_type, 'ephemeral');
      assert.ok(String(answer.text).includes('give the severity as 1, 2, 3 or 4'), String(answer.text));
      assert.equal((await events(2, 'incident.severity_changed')).length, 0);
    });

    test('a button click over the socket changes the incident once and is acknowledged; a redelivery changes nothing', async () => {
      const before = await events(2, 'incident.status_changed');
      const sent = click('incident_mitigate', await incidentIdOf(2));
      assert.deepEqual(await sent.acked, {}, 'a click is acknowledged with an empty payload');
      await eventually('INC-2 mitigated', async () => (await incident(2))!.status === 'mitigated');
      assert.equal((await events(2, 'incident.status_changed')).length, before.length + 1);
      socket.redeliver(sent);
      await eventually('the second ack', async () => sent.acks.length === 2);
      assert.equal((await events(2, 'incident.status_changed')).length, before.length + 1, 'changed once');
    });

    test('a dropped connection: the gauge falls, firebreak reconnects, and a command sent meanwhile arrives once', async () => {
      const opened = socket.connections;
      socket.drop();
      await eventually('the gauge at 0', async () => (await connected()) === 0);
      const sent = command('sev 4 INC-1'); // queued by Slack while the app is away
      const answer = await sent.acked;
      assert.ok(socket.connections > opened, 'a new connection');
      assert.equal(slack.ok('apps.connections.open').length, socket.opened, 'each connection with a fresh URL');
      assert.match(String(answer.text), /sev4/);
      assert.equal((await incident(1))!.severity, 'sev4');
      assert.equal((await events(1, 'incident.severity_changed')).length, 1);
      await eventually('the gauge back at 1', async () => (await connected()) === 1);
      assert.equal((await readyz()).slack?.socket, 'connected');
    });

    test('a command whose connection drops before its ack is delivered again and changes the incident once', async () => {
      const opened = socket.connections;
      const sent = command('note INC-1 the socket dropped here');
      socket.drop(); // whether or not firebreak read it, it never acknowledged it on that connection
      const answer = await sent.acked;
      assert.ok(socket.connections > opened);
      assert.ok(sent.deliveries >= 2, 'delivered again on the new connection');
      assert.match(String(answer.text), /note/i);
      const notes = (await events(1, 'incident.note')).filter((e) => e.summary.includes('the socket dropped here'));
      assert.equal(notes.length, 1);
    });

    test('refresh_requested: firebreak reconnects on a new URL and loses no command', async () => {
      const opened = socket.connections;
      socket.refresh();
      const sent = command('commander <@U0CAROL01|carol> INC-2');
      await sent.acked;
      await socket.waitConnected(opened + 1);
      const after = command('ack INC-2');
      await after.acked;
      assert.equal((await incident(2))!.commander, 'U0CAROL01');
      assert.equal((await events(2, 'incident.commander_changed')).length, 1);
      assert.equal(socket.sent.filter((s) => s.acks.length === 0).length, 0, 'every envelope acknowledged');
    });

    test('the declare modal over the socket: opened by the command, submitted as an interactive envelope, declared once', async () => {
      const opening = command('declare sev2');
      assert.deepEqual(await opening.acked, {}, 'the command is acknowledged with no message');
      assert.equal(views.opened.length, 1);
      assert.equal(views.opened[0]!.triggerId, opening.envelope.payload.trigger_id);
      const submitted = socket.send('interactive', viewSubmissionPayload({ title: 'Declared over the socket', severity: 'sev2' }, { view: { id: 'V0SOCK001' } }));
      const answer = await submitted.acked as { response_action: string; view: { blocks: { text: { text: string } }[] } };
      assert.equal(answer.response_action, 'update');
      assert.match(answer.view.blocks[0]!.text.text, /declared \*INC-3\* \(sev2\): Declared over the socket/);
      const invalid = await socket.send('interactive', viewSubmissionPayload({ title: '' }, { view: { id: 'V0SOCK002' } })).acked;
      assert.deepEqual(invalid, { response_action: 'errors', errors: { title: 'Give the incident a title.' } });
      socket.redeliver(submitted);
      await eventually('the second ack', async () => submitted.acks.length === 2);
      const declared = await database.db.query<{ n: number }>("SELECT count(*)::int AS n FROM incidents WHERE title = 'Declared over the socket'");
      assert.equal(declared.rows[0]!.n, 1);
    });

    test('app_home_opened as an events_api envelope: acknowledged, the Home published; its redelivery is acknowledged again', async () => {
      const sent = socket.send('events_api', homeOpenedPayload('U0ALICE01'));
      assert.deepEqual(await sent.acked, {});
      await eventually('the Home published', async () => views.home('U0ALICE01'));
      const blocks = views.home('U0ALICE01')!.blocks as { block_id?: string }[];
      const inc2 = await incidentIdOf(2);
      assert.ok(blocks.some((b) => b.block_id === `home_incident_${inc2}`), 'open INC-2 in it');
      socket.redeliver(sent);
      await eventually('the second ack', async () => sent.acks.length === 2);
      assert.equal(sent.deliveries, 2);
    });

    test('a refused apps.connections.open while reconnecting (a revoked app token): firebreak keeps running and tries again', async () => {
      // The client's own reconnection let this rejection go unhandled, and Node stops on that.
      const open = slack.extraMethods.get('apps.connections.open')!;
      let refused = 0;
      slack.extraMethods.set('apps.connections.open', () => ({ ok: false, error: (refused++, 'invalid_auth') }));
      socket.drop();
      await eventually('two refused attempts', async () => refused >= 2);
      assert.equal(await connected(), 0);
      assert.equal((await readyz()).slack?.socket, 'disconnected');
      const res = await app.postWebhook(alertBody({ alertname: 'WhileAway', severity: 'warning' }));
      assert.equal(res.status, 200, 'webhooks still land');
      assert.ok(app.logs.lines().some((l) => l.msg === 'Slack Socket Mode could not connect: trying again'));
      const opened = socket.connections;
      slack.extraMethods.set('apps.connections.open', open); // the token is good again
      const sent = command('list');
      assert.match(String((await sent.acked).text), /WhileAway/);
      assert.ok(socket.connections > opened);
    });

    async function incidentIdOf(number: number): Promise<number> {
      return (await database.db.query<{ id: number }>('SELECT id FROM incidents WHERE number = $1', [number])).rows[0]!.id;
    }
  });
}
