import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends, type TestDatabase } from '../support/databases.js';
import { fixture, INCIDENT_CHANNEL, metricValue, slackEnv, startTestApp, type TestApp } from '../support/app.js';
import { FakeSlack } from '../support/fake-slack.js';
import { cardJob } from '../../src/incidents/jobs.js';
import { incidentId, openJobs, timeline } from '../support/state.js';

type Blocks = { type: string; text?: { text: string }; fields?: { text: string }[]; elements?: { text?: unknown; action_id?: string }[] }[];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// The number of the incident a webhook answer names (intake answers 200 only after commit).
async function openedNumber(res: Response): Promise<number> {
  assert.equal(res.status, 200, 'intake does not depend on Slack');
  const body = (await res.json()) as { incidents: string[] };
  return Number(body.incidents[0]!.replace('INC-', ''));
}

for (const backend of backends()) {
  describe(`Slack incident card (${backend.name})`, () => {
    let database: TestDatabase;
    let app: TestApp;
    let slack: FakeSlack;
    // The card of incident `number` as the fake Slack holds it now.
    const card = (number: number) => {
      for (const [channel, byTs] of slack.messages) {
        for (const [ts, m] of byTs) {
          if ((m.blocks as Blocks)[0]?.text?.text.startsWith(`INC-${number} `)) return { channel, ...m, ts, blocks: m.blocks as Blocks };
        }
      }
      return undefined;
    };
    const cardText = (number: number) => JSON.stringify(card(number)?.blocks ?? []);

    before(async () => {
      database = await backend.create();
      slack = await FakeSlack.start();
      app = await startTestApp(database, slackEnv(slack.apiUrl));
    });
    after(async () => {
      await app.close();
      await slack.close();
      await database.close();
    });

    test('a webhook opens an incident whose card is posted once, with its facts and buttons', async () => {
      assert.equal((await app.postWebhook(await fixture('alertmanager/firing-single.json'))).status, 200);
      const posted = await slack.waitFor('the card', () => card(1));
      assert.equal(posted.channel, INCIDENT_CHANNEL);
      assert.match(posted.text, /^INC-1 \[sev3\] triggered: /);
      const text = JSON.stringify(posted.blocks);
      for (const expected of ['*Severity*\\nsev3', ':red_circle: Triggered', '1 firing, 0 resolved', 'Disk on db-1 will fill in 4h', '*service*: db']) {
        assert.ok(text.includes(expected), `card lacks ${expected}: ${text}`);
      }
      const actions = posted.blocks.find((b) => b.type === 'actions')!.elements!.map((e) => e.action_id);
      assert.deepEqual(actions, ['incident_acknowledge', 'incident_mitigate', 'incident_resolve', 'incident_commander']);
      assert.equal(slack.calls[0]!.token, 'xoxb-test-0000');
      await sleep(2_500); // longer than the update spacing: a second post or a needless update would show
      // firebreak's identity, learned once at start, then one post.
      assert.deepEqual(slack.calls.map((c) => c.method), ['auth.test', 'bots.info', 'chat.postMessage']);
      assert.equal(await openJobs(database.db), 0);
    });

    test('resolving shows on the same card, and the buttons go', async () => {
      await app.postWebhook(await fixture('alertmanager/resolved-single.json'));
      await slack.waitFor('the resolved card', () => cardText(1).includes(':white_check_mark: Resolved'));
      assert.equal(slack.ok('chat.postMessage').length, 1);
      assert.equal(slack.ok('chat.update').length, 1);
      assert.ok(!card(1)!.blocks.some((b) => b.type === 'actions' && b.elements!.some((e) => e.action_id === 'incident_acknowledge')));
      assert.ok(cardText(1).includes('0 firing, 1 resolved'));
    });

    test('a 2,000-alert storm in 20 deliveries costs at most 3 Slack calls and ends on the true count', async () => {
      const storm = JSON.parse(await fixture('alertmanager/storm-2000.json')) as { alerts: unknown[] };
      const before = slack.calls.length;
      for (let i = 0; i < 20; i++) {
        const res = await app.postWebhook(JSON.stringify({ ...storm, alerts: storm.alerts.slice(0, (i + 1) * 100) }));
        assert.equal(res.status, 200);
      }
      const number = 2;
      await slack.waitFor('the storm card at 2000', () => cardText(number).includes('2000 firing'), 15_000);
      await sleep(2_500); // longer than the update spacing: a late extra call would show
      // The card's calls (the postmortem of an incident resolved earlier may be uploaded meanwhile).
      const calls = slack.calls.slice(before).filter((c) => c.method.startsWith('chat.'));
      assert.ok(calls.length <= 3, `storm cost ${calls.length} calls: ${calls.map((c) => c.method).join(', ')}`);
      assert.ok(cardText(number).includes('2000 firing'));
    });

    test('Slack answering 429 is waited out (Retry-After), then the card appears', async () => {
      slack.failNext('chat.postMessage', { status: 429, retryAfter: 1 });
      const body = (await fixture('alertmanager/firing-single.json')).replaceAll('DiskFillingUp', 'RateLimitedCase').replace('db0ad9e2af2646ea', '429a429a429a429a');
      const number = await openedNumber(await app.postWebhook(body));
      const posted = await slack.waitFor('the card after 429', () => card(number));
      const attempts = slack.calls.filter((c) => c.method === 'chat.postMessage' && JSON.stringify(c.args).includes(`INC-${number} `));
      assert.deepEqual(attempts.map((c) => c.status), [429, 200]);
      assert.ok(attempts[1]!.atMs - attempts[0]!.atMs >= 950, 'the retry waited for Retry-After');
      assert.ok(posted);
      assert.equal(await metricValue(app, 'firebreak_slack_api_calls_total', { method: 'chat.postMessage', outcome: 'rate_limited' }), 1);
    });

    test('a Slack outage loses nothing: the card appears when Slack is back, showing what happened meanwhile', async () => {
      slack.down({ status: 500 });
      const body = (await fixture('alertmanager/firing-group.json')).replaceAll('HighErrorRate', 'OutageCase').replaceAll('"fingerprint": "', '"fingerprint": "0');
      const number = await openedNumber(await app.postWebhook(body));
      await slack.waitFor('three failed attempts', () => slack.calls.filter((c) => c.status === 500).length >= 3);
      // Meanwhile, the alerts resolve.
      await app.postWebhook(body.replaceAll('"firing"', '"resolved"'));
      slack.recover();
      await slack.waitFor('the caught-up card', () => cardText(number).includes(':white_check_mark: Resolved'), 15_000);
      assert.ok(cardText(number).includes('0 firing, 2 resolved'));
      // The first post failed with a 500, which does not say whether Slack posted it: each later
      // attempt looked for it in the channel's history first (asking Slack who firebreak's bot is,
      // which failed too), and then posted it once.
      assert.equal(await metricValue(app, 'firebreak_slack_api_calls_total', { method: 'chat.postMessage', outcome: 'http_error' }), 1);
      assert.deepEqual([...new Set(slack.calls.filter((c) => c.status === 500).map((c) => c.method))].sort(), ['auth.test', 'chat.postMessage']);
      assert.equal(slack.ok('chat.postMessage').filter((c) => String(c.args.text).startsWith(`INC-${number} `)).length, 1);
      assert.equal((await timeline(database.db, number)).filter((e) => e.kind === 'incident.opened').length, 1);
    });

    test('a card someone deleted is posted again at the next change', async () => {
      const old = card(1)!;
      slack.messages.get(old.channel)!.delete(old.ts);
      // INC-1 is resolved; a note is a change that shows nowhere on the card, so change the severity.
      await database.db.transaction(async (tx) => {
        await tx.query("UPDATE incidents SET severity = 'sev2' WHERE number = 1");
        await app.queue.enqueue(tx, cardJob(await incidentId(tx, 1)));
      });
      const again = await slack.waitFor('the card posted again', () => card(1));
      assert.notEqual(again.ts, old.ts);
      assert.ok(JSON.stringify(again.blocks).includes('*Severity*\\nsev2'));
      assert.ok(slack.calls.some((c) => c.method === 'chat.update' && c.args.ts === old.ts), 'the update was tried first');
    });

    test('hostile labels and a 10 KB annotation: escaped, cut to size, and accepted by Slack', async () => {
      const notification = JSON.parse(await fixture('alertmanager/firing-single.json')) as { groupKey: string; groupLabels: object; commonLabels: object; commonAnnotations: object; alerts: Record<string, unknown>[] };
      const hostile = { alertname: 'Hostile', service: '<!channel>', team: '<https://evil.example|click> & <@U0BOSS>' };
      const annotations = { summary: '<!here> look', description: 'x'.repeat(10_000), runbook_url: 'javascript:alert(1)' };
      notification.groupKey = '{}:{alertname="Hostile"}';
      notification.groupLabels = { alertname: 'Hostile' };
      notification.commonLabels = { ...hostile, severity: 'critical' };
      notification.commonAnnotations = annotations;
      notification.alerts[0] = { ...notification.alerts[0], labels: { ...hostile, severity: 'critical' }, annotations, fingerprint: 'feedfacefeedface' };
      const number = await openedNumber(await app.postWebhook(JSON.stringify(notification)));
      const posted = await slack.waitFor('the hostile card', () => card(number));
      const text = JSON.stringify(posted.blocks);
      assert.ok(!text.includes('<!channel>') && !text.includes('<!here>') && !text.includes('<https://evil') && !text.includes('<@U0BOSS>'), text.slice(0, 500));
      assert.ok(text.includes('&lt;!channel&gt;'));
      assert.ok(text.includes('&lt;https://evil.example|click&gt; &amp; &lt;@U0BOSS&gt;'));
      assert.ok(!text.includes('javascript:'), 'only http(s) links become buttons');
      const summary = posted.blocks.find((b) => b.type === 'section' && b.text?.text.includes('look'))!;
      assert.ok(summary.text!.text.length <= 3000 && summary.text!.text.endsWith('…'));
    });
  });
}
