import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { openDatabase } from '../../src/db/open.js';
import { createLogger } from '../../src/lib/logger.js';
import { INCIDENT_CHANNEL, slackEnv, TOKEN } from '../support/app.js';
import { backends } from '../support/databases.js';
import { FakeSlack } from '../support/fake-slack.js';
import { alertBody, playbookDir } from '../support/playbooks.js';
import { runCli } from '../support/process.js';

const isCardPost = (args: Record<string, unknown>) => (args.metadata as { event_type?: string } | undefined)?.event_type === 'firebreak_incident_card';

for (const backend of backends()) {
  describe(`a crash between Slack posting the card and firebreak storing it (${backend.name})`, () => {
    test('kill -9 while Slack\'s answer is on its way; after the restart there is exactly one card, and it is the one updated', async () => {
      const work = await mkdtemp(join(tmpdir(), 'fb-slack-crash-'));
      const slack = await FakeSlack.start();
      const database = backend.name === 'postgres' ? await backend.create() : undefined;
      const env = {
        ...slackEnv(slack.apiUrl), PORT: '0', HOST: '127.0.0.1', ALERTMANAGER_WEBHOOK_TOKEN: TOKEN, FIREBREAK_DATA_DIR: join(work, 'data'),
        PLAYBOOKS_DIR: playbookDir({}), JOB_LEASE_SECONDS: '2', ...(database ? { DATABASE_URL: database.url! } : {}),
      };
      const post = (url: string, body: string) => fetch(`${url}/webhooks/alertmanager`, {
        method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body,
      });
      const cards = () => [...(slack.messages.get(INCIDENT_CHANNEL)?.values() ?? [])].filter((m) => m.metadata?.event_type === 'firebreak_incident_card');
      try {
        const held = slack.holdNext('chat.postMessage', isCardPost);
        const first = runCli(['start'], env);
        const body = alertBody({ alertname: 'CrashAfterPost', severity: 'warning' }, 'firing', '{}:{crash="after-post"}');
        assert.equal((await post(await first.listening, body)).status, 200);
        await held.done; // Slack has posted the card; its answer has not left
        first.child.kill('SIGKILL');
        await first.exited;
        held.answer(); // to a connection nobody holds any more

        const second = runCli(['start'], env);
        const url = await second.listening;
        await slack.waitFor('the card looked for in the channel\'s history', () => slack.ok('conversations.history').length >= 1, 20_000);
        // A change shows on the card that was found: updated in place, never posted again.
        assert.equal((await post(url, alertBody({ alertname: 'CrashAfterPost', severity: 'warning' }, 'resolved', '{}:{crash="after-post"}'))).status, 200);
        await slack.waitFor('the card updated to resolved', () => cards()[0]?.text.includes('resolved'), 20_000);
        second.child.kill('SIGTERM');
        assert.equal(await second.exited, 0);

        assert.equal(slack.ok('chat.postMessage').filter((c) => isCardPost(c.args)).length, 1, 'the card was posted once');
        assert.equal(cards().length, 1);
        const db = await openDatabase(database ? { kind: 'postgres', url: database.url! } : { kind: 'pglite', dataDir: env.FIREBREAK_DATA_DIR }, createLogger('silent'));
        try {
          const { rows } = await db.query<{ ts: string; pending: boolean }>(
            'SELECT slack_card_ts AS ts, slack_card_post_started_at IS NOT NULL AS pending FROM incidents');
          assert.deepEqual(rows, [{ ts: cards()[0]!.ts, pending: false }]);
        } finally {
          await db.close();
        }
      } finally {
        await slack.close();
        await rm(work, { recursive: true, force: true });
        await database?.close();
      }
    });
  });
}
