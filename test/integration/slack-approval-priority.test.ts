import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { INCIDENT_CHANNEL, slackEnv, startTestApp, type TestApp } from '../support/app.js';
import { backends, type TestDatabase } from '../support/databases.js';
import { FakeSlack } from '../support/fake-slack.js';
import { alertBody, playbookDir } from '../support/playbooks.js';

const PLAYBOOK = {
  'gated.yml': `name: gated
match: ['alertname="PriorityGated"']
steps:
  - id: act
    action: wait
    approval: { approvers: [U0ALICE] }
    with: { duration: 0s }
`,
};
const LOW_CARDS = 12;

for (const backend of backends()) {
  describe(`a busy incident channel (${backend.name})`, () => {
    let database: TestDatabase;
    let app: TestApp;
    let slack: FakeSlack;

    before(async () => {
      database = await backend.create();
      slack = await FakeSlack.start();
      // One message a second in the channel; no outage digest (this is about the order of single cards).
      app = await startTestApp(database, slackEnv(slack.apiUrl, {
        PLAYBOOKS_DIR: playbookDir(PLAYBOOK), SLACK_CHANNEL_RATE: '1', SLACK_CHANNEL_BURST: '1', OUTAGE_THRESHOLD: '10000',
      }));
    });
    after(async () => {
      await app.close();
      await slack.close();
      await database.close();
    });

    test('an approval request goes before the low-severity cards waiting for the channel\'s budget', async (t) => {
      const posts = () => slack.calls.filter((c) => c.method === 'chat.postMessage' && c.args.channel === INCIDENT_CHANNEL && c.status === 200);
      const isLowCard = (c: { args: Record<string, unknown> }) => String(c.args.text).includes('PriorityLow');
      const isApproval = (c: { args: Record<string, unknown> }) => (c.args.metadata as { event_type?: string } | undefined)?.event_type === 'firebreak_approval';
      for (let i = 0; i < LOW_CARDS; i++) {
        assert.equal((await app.postWebhook(alertBody({ alertname: `PriorityLow${i}`, severity: 'warning' }))).status, 200);
      }
      await slack.waitFor('the first low-severity card', () => posts().some(isLowCard), 20_000);
      assert.equal((await app.postWebhook(alertBody({ alertname: 'PriorityGated', severity: 'warning' }))).status, 200);
      await slack.waitFor('the approval request', () => posts().some(isApproval), 30_000);
      const { rows } = await database.db.query<{ at: Date }>('SELECT requested_at AS at FROM approvals');
      const askedAt = rows[0]!.at.getTime();
      await slack.waitFor('every low-severity card', () => posts().filter(isLowCard).length === LOW_CARDS, 40_000);
      const order = posts();
      const waiting = order.filter((c) => isLowCard(c) && c.atMs > askedAt).length;
      const overtook = order.slice(0, order.findIndex(isApproval)).filter((c) => isLowCard(c) && c.atMs > askedAt).length;
      t.diagnostic(`${waiting} low-severity cards went out after the approval was asked; ${overtook} of them before its request`);
      assert.ok(waiting >= 5, `the channel was busy when the approval was asked (${waiting} cards still to go)`);
      // At most the one holding the channel's token and those whose jobs held the notify pool's slots.
      assert.ok(overtook <= 3, `${overtook} low-severity cards went before the approval request`);
    });
  });
}
