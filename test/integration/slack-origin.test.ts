import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fixture, INCIDENT_CHANNEL, metricValue, slackEnv, startTestApp, type TestApp } from '../support/app.js';
import { backends, type TestDatabase } from '../support/databases.js';
import { FakeSlack } from '../support/fake-slack.js';
import { blockActionBody, clickAnswer, postSlack, slashCommandBody } from '../support/slack-requests.js';
import { timeline } from '../support/state.js';
import { eventually } from '../support/wait.js';

for (const backend of backends()) {
  describe(`where Slack requests come from (${backend.name})`, () => {
    let database: TestDatabase;
    let app: TestApp;
    let slack: FakeSlack;
    let seq = 0;
    const port = () => Number(new URL(slack.url).port);
    const command = async (text: string, fields: Record<string, string> = {}, to = () => app) => {
      const res = await postSlack(to().url, slashCommandBody({ text, channel_id: 'C0GENERAL', trigger_id: `orig-${++seq}`, ...fields }, port()));
      assert.equal(res.status, 200);
      return ((await res.json()) as { text: string }).text;
    };
    const click = (actionId: string, value: number, fields: Record<string, unknown>, to = () => app) => clickAnswer(to().url, slack, blockActionBody(
      { action_id: actionId, value: String(value), action_ts: `1763700500.${++seq}` },
      { trigger_id: `origc-${seq}`, channel: { id: INCIDENT_CHANNEL, name: 'incidents' }, ...fields }, port()));
    const state = async () => (await database.db.query<{ status: string; commander: string | null }>(
      'SELECT status, commander FROM incidents WHERE number = 1')).rows[0];

    before(async () => {
      database = await backend.create();
      slack = await FakeSlack.start();
      app = await startTestApp(database, slackEnv(slack.apiUrl, { SLACK_ALLOWED_TEAM_IDS: 'T0FRIEND1' }));
      await app.postWebhook(await fixture('alertmanager/firing-single.json')); // INC-1
    });
    after(async () => {
      await app.close();
      await slack.close();
      await database.close();
    });

    test('firebreak learns its workspace and app from auth.test and bots.info', () => {
      assert.equal(slack.ok('auth.test').length, 1);
      assert.deepEqual(slack.ok('bots.info').map((c) => c.args.bot), ['B0FIREBRK']);
    });

    test('another team_id, another api_app_id, an external user: refused, recorded, counted; nothing changes', async () => {
      const refusals: [string, string, RegExp][] = [
        ['another workspace (command)', await command('ack INC-1', { team_id: 'T0OTHER01' }), /a request from firebreak's own Slack workspace \(T0TEAM001\)\. This request came from workspace T0OTHER01/],
        ['another app (command)', await command('ack INC-1', { api_app_id: 'A0OTHER01' }), /a request to firebreak's own Slack app \(A0APP0001\)\. This request was for app A0OTHER01/],
        ['another workspace (click)', await click('incident_acknowledge', 1, { team: { id: 'T0OTHER01', domain: 'other' } }), /This request came from workspace T0OTHER01/],
        ['another app (click)', await click('incident_resolve', 1, { api_app_id: 'A0OTHER01' }), /This request was for app A0OTHER01/],
        ['an external user (click)', await click('incident_commander', 1, { user: { id: 'U0EXT0001', username: 'ext', team_id: 'T0PARTNER' } }),
          /to be a member of firebreak's own Slack workspace \(T0TEAM001\)\. You belong to T0PARTNER \(Slack Connect\)/],
      ];
      for (const [what, answer, expected] of refusals) {
        assert.match(answer, /^:no_entry: You may not /, what);
        assert.match(answer, expected, what);
        assert.match(answer, /Nothing was changed\.$/, what);
      }
      assert.deepEqual(await state(), { status: 'triggered', commander: null });
      const events = (await timeline(database.db, 1)).filter((e) => e.kind === 'access.refused');
      assert.deepEqual(events.map((e) => e.data.action), ['ack', 'ack', 'ack', 'resolve', 'commander.claim']);
      assert.equal(await metricValue(app, 'firebreak_access_refused_total', { action: 'ack' }), 3);
      assert.equal(await metricValue(app, 'firebreak_access_refused_total', { action: 'commander.claim' }), 1);
    });

    test('a view submission from another workspace is stopped before any listener, and counted', async () => {
      const payload = {
        type: 'view_submission', team: { id: 'T0OTHER01', domain: 'other' }, user: { id: 'U0OTHER01', username: 'o', team_id: 'T0OTHER01' },
        api_app_id: 'A0APP0001', trigger_id: 'view-1', view: { id: 'V0VIEW001', type: 'modal', callback_id: 'anything', state: { values: {} } },
      };
      const res = await postSlack(app.url, `payload=${encodeURIComponent(JSON.stringify(payload))}`);
      assert.equal(res.status, 200);
      assert.equal(await metricValue(app, 'firebreak_access_refused_total', { action: 'other' }), 1);
    });

    test('a listed workspace is accepted, and so are its people', async () => {
      assert.match(await command('ack INC-1', { team_id: 'T0FRIEND1', user_id: 'U0FRIEND1' }), /acknowledged \*INC-1\*/);
      assert.equal(await click('incident_commander', 1, { user: { id: 'U0FRIEND1', username: 'friend', team_id: 'T0FRIEND1' } }), '');
      assert.deepEqual(await state(), { status: 'acknowledged', commander: 'U0FRIEND1' });
    });

    test('until firebreak knows who it is in Slack, it takes webhooks and refuses Slack requests; then it accepts them', async () => {
      const other = await backend.create();
      slack.down({ status: 503 });
      const learning = await startTestApp(other, slackEnv(slack.apiUrl, { SLACK_ALLOW_EXTERNAL_USERS: 'true' }), { slackIdentityRetry: { firstMs: 50, maxMs: 200 } });
      try {
        assert.equal((await learning.postWebhook(await fixture('alertmanager/firing-single.json'))).status, 200);
        const refused = await command('ack INC-1', {}, () => learning);
        assert.match(refused, /^:no_entry: You may not acknowledge incidents: that needs a request firebreak can check\. firebreak has not yet confirmed its own Slack workspace and app/);
        assert.ok(learning.logs.lines().some((l) => String(l.msg).startsWith('could not learn firebreak\'s Slack identity')));
        assert.equal((await other.db.query<{ status: string }>('SELECT status FROM incidents WHERE number = 1')).rows[0]!.status, 'triggered');

        slack.recover();
        await eventually('the identity learned', async () => learning.logs.lines().some((l) => String(l.msg).startsWith('Slack identity confirmed')));
        assert.match(await command('ack INC-1', {}, () => learning), /acknowledged \*INC-1\*/);
        // SLACK_ALLOW_EXTERNAL_USERS=true: a Slack Connect partner's click is taken.
        assert.equal(await click('incident_commander', 1, { user: { id: 'U0EXT0001', username: 'ext', team_id: 'T0PARTNER' } }, () => learning), '');
        assert.equal((await other.db.query<{ commander: string }>('SELECT commander FROM incidents WHERE number = 1')).rows[0]!.commander, 'U0EXT0001');
      } finally {
        slack.recover();
        await learning.close();
        await other.close();
      }
    });
  });
}
