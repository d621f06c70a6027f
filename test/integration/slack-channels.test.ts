import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends, type TestDatabase } from '../support/databases.js';
import { fixture, INCIDENT_CHANNEL, slackEnv, startTestApp, type TestApp } from '../support/app.js';
import { FakeSlack } from '../support/fake-slack.js';
import { postSlack, slashCommandBody } from '../support/slack-requests.js';
import { timeline } from '../support/state.js';

for (const backend of backends()) {
  describe(`incident channels, SLACK_CREATE_CHANNELS=true (${backend.name})`, () => {
    let database: TestDatabase;
    let app: TestApp;
    let slack: FakeSlack;
    const port = () => Number(new URL(slack.url).port);

    before(async () => {
      database = await backend.create();
      slack = await FakeSlack.start();
      app = await startTestApp(database, slackEnv(slack.apiUrl, { SLACK_CREATE_CHANNELS: 'true' }));
    });
    after(async () => {
      await app.close();
      await slack.close();
      await database.close();
    });

    test('a declared incident gets its channel: named by the rules, topic set, commander in, card pinned, link from the main channel', async () => {
      // Someone already has the name firebreak would pick first.
      slack.channels.set('C0TAKEN01', { id: 'C0TAKEN01', name: 'inc-1-database-is-on-fire-eu-west', members: new Set(), pins: new Set() });
      const body = slashCommandBody({ text: 'declare Database is ON FIRE (eu-west) sev1', channel_id: 'C0GENERAL', trigger_id: 'declare-1' }, port());
      const res = await postSlack(app.url, body);
      assert.match(((await res.json()) as { text: string }).text, /declared \*INC-1\*/);

      const channel = await slack.waitFor('the channel', () => [...slack.channels.values()].find((c) => c.id !== 'C0TAKEN01'));
      assert.equal(channel.name, 'inc-1-database-is-on-fire-eu-west-2');
      await slack.waitFor('the link back', () => slack.ok('chat.postMessage').some((c) => c.args.channel === INCIDENT_CHANNEL));
      assert.equal(channel.topic, 'INC-1 · sev1 · Database is ON FIRE (eu-west)');
      assert.ok(channel.members.has('U0ALICE01'), 'the commander is invited');
      const posts = slack.ok('chat.postMessage');
      const card = posts.find((c) => c.args.channel === channel.id)!;
      assert.match(String(card.args.text), /^INC-1 \[sev1\] triggered/);
      const cardTs = [...slack.messages.get(channel.id)!.keys()][0]!;
      assert.deepEqual([...channel.pins], [cardTs]);
      const link = posts.find((c) => c.args.channel === INCIDENT_CHANNEL)!;
      assert.equal(link.args.text, `INC-1 (sev1) Database is ON FIRE (eu-west): follow it in <#${channel.id}>`);
      assert.deepEqual(slack.calls.filter((c) => c.method === 'conversations.create').map((c) => [c.args.name, c.status]), [
        ['inc-1-database-is-on-fire-eu-west', 200], ['inc-1-database-is-on-fire-eu-west-2', 200],
      ]);
      assert.ok((await timeline(database.db, 1)).some((e) => e.kind === 'slack.channel_created' && e.summary === `Slack channel #${channel.name} created`));
    });

    test('in the incident channel the incident is implied; a new commander is invited', async () => {
      const channel = [...slack.channels.values()].find((c) => c.name.endsWith('-2'))!;
      const ack = slashCommandBody({ text: 'ack', channel_id: channel.id, trigger_id: 'ack-1', user_id: 'U0BOB0001' }, port());
      assert.match(((await (await postSlack(app.url, ack)).json()) as { text: string }).text, /<@U0BOB0001> acknowledged \*INC-1\*/);
      const handover = slashCommandBody({ text: 'commander <@U0DAVE001>', channel_id: channel.id, trigger_id: 'cmd-1' }, port());
      await postSlack(app.url, handover);
      await slack.waitFor('the new commander invited', () => channel.members.has('U0DAVE001'));
      await slack.waitFor('the card updated', () => JSON.stringify([...slack.messages.get(channel.id)!.values()]).includes('<@U0DAVE001>'));
    });

    test('an incident from Alertmanager gets a channel too', async () => {
      await app.postWebhook(await fixture('alertmanager/firing-group.json'));
      const channel = await slack.waitFor('its channel', () => [...slack.channels.values()].find((c) => c.name.startsWith('inc-2-')));
      assert.equal(channel.name, 'inc-2-higherrorrate-on-checkout');
      await slack.waitFor('its pinned card', () => channel.pins.size === 1);
    });
  });
}
