import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { INCIDENT_CHANNEL, slackEnv, startTestApp, type TestApp } from '../support/app.js';
import { backends, type TestDatabase } from '../support/databases.js';
import { FakePagerDuty, trustingAgent } from '../support/fake-pagerduty.js';
import { FakeSlack } from '../support/fake-slack.js';
import { alertBody, playbookDir } from '../support/playbooks.js';
import { eventually } from '../support/wait.js';

const ROUTING_KEY = 'D0123456789abcdef0123456789ABCDE';
const BLOCKERS = 8; // the steps pool's default concurrency

for (const backend of backends()) {
  describe(`separate pools (${backend.name})`, () => {
    let database: TestDatabase;
    let app: TestApp;
    let slack: FakeSlack;
    let pd: FakePagerDuty;

    before(async () => {
      database = await backend.create();
      slack = await FakeSlack.start();
      pd = await FakePagerDuty.start();
      app = await startTestApp(database, slackEnv(slack.apiUrl, {
        PAGERDUTY_ROUTING_KEY: ROUTING_KEY, PAGERDUTY_EVENTS_HOST: pd.host, EXEC_ALLOWLIST: 'sleep',
        // The pools are what is tested here: nine cards in one channel get neither a digest (outage
        // mode, tested in outage-mode.test.ts) nor a wait for the channel's budget (slack-budget.test.ts).
        OUTAGE_THRESHOLD: '100', SLACK_CHANNEL_RATE: '10', SLACK_CHANNEL_BURST: '20',
        PLAYBOOKS_DIR: playbookDir({
          'blocker.yml': `name: blocker\nmatch: ['alertname="Blocker"']\nsteps:\n  - id: hold\n    action: exec\n    timeout: 2m\n    with: { argv: [sleep, "60"] }\n`,
        }),
      }), { pagerAgent: trustingAgent() });
    });
    after(async () => {
      await app.close(); // the sleeping steps are stopped after the shutdown grace period
      await pd.close();
      await slack.close();
      await database.close();
    });

    test('eight steps blocked in exec for a minute: a new incident\'s card and its PagerDuty trigger still arrive well under 2 s', async () => {
      for (let i = 0; i < BLOCKERS; i++) {
        assert.equal((await app.postWebhook(alertBody({ alertname: 'Blocker', severity: 'info', n: String(i) }))).status, 200);
      }
      await eventually('every steps worker busy in a sleep', async () =>
        (await database.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM step_runs WHERE status = 'running'`)).rows[0]!.n === BLOCKERS, 30_000);
      await eventually('the blockers\' cards posted', async () => slack.ok('chat.postMessage').length >= BLOCKERS, 15_000);

      const res = await app.postWebhook(alertBody({ alertname: 'CheckoutDown', severity: 'critical' }));
      const t0 = Date.now();
      assert.equal(res.status, 200);
      const number = Number(((await res.json()) as { incidents: string[] }).incidents[0]!.slice(4));
      const card = () => [...(slack.messages.get(INCIDENT_CHANNEL)?.values() ?? [])].some((m) => m.text.startsWith(`INC-${number} `));
      const paged = () => pd.accepted().some((e) => e.event_action === 'trigger' && e.payload?.summary?.toString().startsWith(`INC-${number} `));
      let cardMs: number | undefined;
      let pageMs: number | undefined;
      while ((cardMs === undefined || pageMs === undefined) && Date.now() - t0 < 10_000) {
        if (cardMs === undefined && card()) cardMs = Date.now() - t0;
        if (pageMs === undefined && paged()) pageMs = Date.now() - t0;
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.ok(cardMs !== undefined && cardMs < 2_000, `the card arrived after ${cardMs} ms`);
      assert.ok(pageMs !== undefined && pageMs < 2_000, `the trigger arrived after ${pageMs} ms`);
      const { rows } = await database.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM step_runs WHERE status = 'running'`);
      assert.equal(rows[0]!.n, BLOCKERS, 'the blockers still run');
    });
  });
}
