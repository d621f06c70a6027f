import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { INCIDENT_CHANNEL, slackEnv, startTestApp, type TestApp } from '../support/app.js';
import { backends, type TestDatabase } from '../support/databases.js';
import { FakeSlack, type FakeMessage } from '../support/fake-slack.js';
import { alertBody, playbookDir } from '../support/playbooks.js';
import { eventually } from '../support/wait.js';

const PLAYBOOK = {
  'gated.yml': `name: gated
match: ['alertname=~"Outage.*|Lost.*"']
steps:
  - id: act
    action: wait
    approval: { approvers: [U0ALICE] }
    with: { duration: 0s }
`,
};

for (const backend of backends()) {
  describe(`Slack messages with buttons exist once, whatever Slack does (${backend.name})`, () => {
    let database: TestDatabase;
    let app: TestApp;
    let slack: FakeSlack;
    const db = () => database.db;
    const jobAttempts = async (kind: string) =>
      (await db().query<{ attempts: number }>('SELECT attempts FROM jobs WHERE kind = $1 AND done_at IS NULL AND failed_at IS NULL', [kind])).rows[0]?.attempts ?? 0;
    const posted = (what: (m: FakeMessage) => boolean) => [...(slack.messages.get(INCIDENT_CHANNEL)?.values() ?? [])].filter(what);
    const isCard = (number: number) => (m: FakeMessage) => m.text.startsWith(`INC-${number} `) && m.metadata?.event_type === 'firebreak_incident_card';
    const isApproval = (m: FakeMessage) => m.metadata?.event_type === 'firebreak_approval';
    const metadataOf = (type: string) => (args: Record<string, unknown>) => (args.metadata as { event_type?: string } | undefined)?.event_type === type;
    const numberOf = async (res: Response) => Number(((await res.json()) as { incidents: string[] }).incidents[0]!.slice(4));

    before(async () => {
      database = await backend.create();
      slack = await FakeSlack.start();
      app = await startTestApp(database, slackEnv(slack.apiUrl, { PLAYBOOKS_DIR: playbookDir(PLAYBOOK) }));
    });
    after(async () => {
      await app.close();
      await slack.close();
      await database.close();
    });

    test('an outage of 500s and 429s longer than 25 attempts: when Slack is back, the card and the approval request arrive, once each', async () => {
      slack.down({ status: 500 });
      const number = await numberOf(await app.postWebhook(alertBody({ alertname: 'OutageTest' })));
      await eventually('the card and approval jobs past 27 attempts', async () =>
        (await jobAttempts('incident.card')) > 27 && (await jobAttempts('approval.post')) > 27, 60_000);
      // Rate limits meanwhile: waited out, and no attempt used up.
      slack.down({ status: 429, retryAfter: 1 });
      const [card, approval] = [await jobAttempts('incident.card'), await jobAttempts('approval.post')];
      await eventually('a few 429s answered', async () => slack.calls.filter((c) => c.status === 429).length >= 4);
      assert.ok((await jobAttempts('incident.card')) <= card + 1, 'a 429 uses up no attempt (one 500 may have been in flight)');
      assert.ok((await jobAttempts('approval.post')) <= approval + 1);
      slack.recover();
      await slack.waitFor('the card and the approval request', () => posted(isCard(number)).length && posted(isApproval).length, 20_000);
      await new Promise((r) => setTimeout(r, 1_500));
      assert.equal(posted(isCard(number)).length, 1);
      assert.equal(posted(isApproval).length, 1);
      const { rows } = await db().query<{ n: number }>('SELECT count(*)::int AS n FROM jobs WHERE failed_at IS NOT NULL');
      assert.equal(rows[0]!.n, 0, 'no job gave up');
    });

    test('a post whose answer was lost is found in the channel\'s history, not posted again: the card and the approval request', async () => {
      const heldCard = slack.holdNext('chat.postMessage', metadataOf('firebreak_incident_card'));
      const heldApproval = slack.holdNext('chat.postMessage', metadataOf('firebreak_approval'));
      const number = await numberOf(await app.postWebhook(alertBody({ alertname: 'LostAnswerTest' })));
      // Slack posted them, and firebreak never heard.
      for (const held of [heldCard, heldApproval]) {
        await held.done;
        held.answer({ status: 500 });
      }
      await eventually('the approval request recorded', async () =>
        (await db().query<{ ts: string | null }>('SELECT slack_ts AS ts FROM approvals ORDER BY id DESC LIMIT 1')).rows[0]?.ts);
      const cardTs = await eventually('the card recorded', async () =>
        (await db().query<{ ts: string | null }>('SELECT slack_card_ts AS ts FROM incidents WHERE number = $1', [number])).rows[0]?.ts);
      assert.deepEqual(posted(isCard(number)).map((m) => m.ts), [cardTs], 'one card: the one posted first');
      const { rows } = await db().query<{ id: number; ts: string }>('SELECT id, slack_ts AS ts FROM approvals ORDER BY id DESC LIMIT 1');
      const ofIt = posted(isApproval).filter((m) => String(m.metadata!.event_payload.firebreak_id).startsWith(`${rows[0]!.id}:`));
      assert.deepEqual(ofIt.map((m) => m.ts), [rows[0]!.ts], 'one approval request: the one posted first');
      // The found card is brought up to date in place.
      await slack.waitFor('the card updated in place', () => slack.ok('chat.update').some((c) => c.args.ts === cardTs));
    });

    test('a bot outside the channel joins it to read the history', async () => {
      slack.outside.add(INCIDENT_CHANNEL);
      const held = slack.holdNext('chat.postMessage', metadataOf('firebreak_incident_card'));
      const number = await numberOf(await app.postWebhook(alertBody({ alertname: 'LostAgainTest' })));
      await held.done;
      held.answer({ status: 500 });
      await slack.waitFor('the join', () => slack.ok('conversations.join').length === 1);
      await eventually('the card recorded', async () =>
        (await db().query<{ ts: string | null }>('SELECT slack_card_ts AS ts FROM incidents WHERE number = $1', [number])).rows[0]?.ts);
      assert.equal(posted(isCard(number)).length, 1);
    });
  });
}
