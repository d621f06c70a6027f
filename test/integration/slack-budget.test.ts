import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { ErrorCode, type FirebreakError } from '../../src/lib/errors.js';
import { createLogger } from '../../src/lib/logger.js';
import { createMetrics } from '../../src/lib/metrics.js';
import { createSlackApi } from '../../src/slack/api.js';
import { createChannelBudget, withBudget, type ChannelBudget } from '../../src/slack/budget.js';
import { slackEnv } from '../support/app.js';
import { backends, type TestDatabase } from '../support/databases.js';
import { FakeSlack, type SlackCall } from '../support/fake-slack.js';

const silent = createLogger('silent');
const PER_SECOND = 4;
const BURST = 2;

/**
 * The most calls found in any `windowMs` that starts at a call: what the budget allows is the burst
 * plus the window's refill (one more for the call that starts the window).
 */
function busiestWindow(calls: SlackCall[], windowMs: number): number {
  const at = calls.map((c) => c.atMs).sort((a, b) => a - b);
  let most = 0;
  for (let i = 0; i < at.length; i++) most = Math.max(most, at.filter((t) => t >= at[i]! && t < at[i]! + windowMs).length);
  return most;
}

for (const backend of backends()) {
  describe(`Slack channel budget (${backend.name})`, () => {
    let database: TestDatabase;
    let slack: FakeSlack;
    const budgets: ChannelBudget[] = [];
    // A budgeted API, as one replica of firebreak has it; several share the database's buckets.
    const replica = () => {
      const config = loadConfig({ PORT: '0', ...slackEnv(slack.apiUrl) }).slack!;
      const budget = createChannelBudget({ db: database.db, logger: silent, perSecond: PER_SECOND, burst: BURST, normalWaitMs: 60_000 });
      budgets.push(budget);
      return withBudget(createSlackApi(config, silent, createMetrics(async () => ({}))), budget);
    };
    const inChannel = (channel: string) => slack.calls.filter((c) => c.args.channel === channel && c.method.startsWith('chat.'));

    before(async () => {
      database = await backend.create();
      slack = await FakeSlack.start();
    });
    after(async () => {
      for (const b of budgets) b.close();
      await slack.close();
      await database.close();
    });

    test('two replicas posting to two channels: no channel ever gets more than its budget, every message arrives', async () => {
      const [a, b] = [replica(), replica()];
      const posts = [];
      for (let i = 0; i < 12; i++) {
        for (const channel of ['C0BUDGETA', 'C0BUDGETB']) {
          posts.push((i % 2 ? a : b).call('chat.postMessage', { channel, text: `message ${i}` }));
        }
      }
      await Promise.all(posts);
      for (const channel of ['C0BUDGETA', 'C0BUDGETB']) {
        const calls = inChannel(channel);
        assert.equal(calls.length, 12, 'every message posted once');
        // Over any second: the burst, the second's refill, and one for a window's edges.
        assert.ok(busiestWindow(calls, 1_000) <= BURST + PER_SECOND + 1, `${channel}: ${busiestWindow(calls, 1_000)} calls in one second`);
        assert.ok(busiestWindow(calls, 2_000) <= BURST + 2 * PER_SECOND + 1, `${channel}: ${busiestWindow(calls, 2_000)} calls in two seconds`);
      }
    });

    test('a sev1 card behind 200 low-severity posts in its channel is the next message out', async () => {
      const api = replica();
      const low = Array.from({ length: 200 }, (_, i) =>
        api.call('chat.postMessage', { channel: 'C0BUSY', text: `low ${i}` }).then(() => true, () => false));
      await slack.waitFor('the first low-severity posts', () => inChannel('C0BUSY').length >= 1);
      await api.call('chat.postMessage', { channel: 'C0BUSY', text: 'sev1 card' }, { priority: 'urgent' });
      const order = inChannel('C0BUSY').map((c) => String(c.args.text));
      const at = order.indexOf('sev1 card');
      // Before it: what had a token when it came (the burst), and at most the one granted meanwhile.
      assert.ok(at >= 1 && at <= BURST + 1, `the sev1 card went out as message ${at + 1} of ${order.length}: ${order.slice(0, at + 1).join(', ')}`);
      assert.ok(order.length < 20, 'most low-severity posts still wait');
      budgets.at(-1)!.close();
      const settled = await Promise.all(low);
      assert.equal(settled.filter(Boolean).length, order.length - 1, 'the waiting posts were refused (their jobs retry), none made twice');
    });

    test('waiting edits of one message are coalesced: the newest content is the one sent, both callers get its answer', async () => {
      const api = replica();
      const posted = await api.call<{ ok: boolean; ts: string }>('chat.postMessage', { channel: 'C0EDITS', text: 'v0' });
      // Spend the burst so the edits wait.
      await Promise.all([1, 2].map((i) => api.call('chat.postMessage', { channel: 'C0EDITS', text: `filler ${i}` })));
      const edits = [1, 2, 3, 4, 5].map((v) => api.call('chat.update', { channel: 'C0EDITS', ts: posted.ts, text: `v${v}` }));
      const answers = await Promise.all(edits);
      const updates = inChannel('C0EDITS').filter((c) => c.method === 'chat.update');
      assert.ok(updates.length < 5, `${updates.length} chat.update calls for 5 edits`);
      assert.equal(updates.at(-1)!.args.text, 'v5');
      assert.equal(slack.messages.get('C0EDITS')!.get(posted.ts)!.text, 'v5');
      assert.ok(answers.every((r) => r.ok));
    });

    test('a normal call that waits too long is refused as rate limited (its job retries, no attempt used); a patient one waits its turn', async () => {
      const config = loadConfig({ PORT: '0', ...slackEnv(slack.apiUrl) }).slack!;
      const budget = createChannelBudget({ db: database.db, logger: silent, perSecond: PER_SECOND, burst: 1, normalWaitMs: 50 });
      budgets.push(budget);
      const api = withBudget(createSlackApi(config, silent, createMetrics(async () => ({}))), budget);
      const normal = await Promise.allSettled([1, 2, 3].map((i) => api.call('chat.postMessage', { channel: 'C0IMPATIENT', text: `n${i}` })));
      const refused = normal.filter((r) => r.status === 'rejected');
      assert.ok(refused.length >= 1, 'with one token and 50 ms of patience, not all three go');
      for (const r of refused) {
        const err = (r as PromiseRejectedResult).reason as FirebreakError;
        assert.equal(err.code, ErrorCode.SlackRateLimited);
        assert.ok(err.retryable && err.retryAfterMs! > 0);
        assert.match(err.message, /Slack channel C0IMPATIENT: its message budget is spent; queued again/);
      }
      assert.equal(inChannel('C0IMPATIENT').length, normal.length - refused.length, 'a refused call never reached Slack');
      const patient = await Promise.all([1, 2, 3].map((i) => api.call('chat.postMessage', { channel: 'C0PATIENT', text: `p${i}` }, { priority: 'patient' })));
      assert.equal(patient.length, 3);
      assert.equal(inChannel('C0PATIENT').length, 3);
    });

    test('a 429 from Slack empties the channel\'s bucket for its Retry-After, for every replica', async () => {
      const [a, b] = [replica(), replica()];
      slack.failNext('chat.postMessage', { status: 429, retryAfter: 2 });
      await assert.rejects(a.call('chat.postMessage', { channel: 'C0LIMITED', text: 'refused' }), /rate limited/);
      const { rows } = await database.db.query<{ tokens: number }>('SELECT tokens FROM slack_channel_budgets WHERE channel = $1', ['C0LIMITED']);
      assert.ok(rows[0]!.tokens <= -2 * PER_SECOND + 1, `tokens ${rows[0]!.tokens} after a 429 asking for 2 s`);
      await b.call('chat.postMessage', { channel: 'C0LIMITED', text: 'after the pause' });
      const calls = inChannel('C0LIMITED');
      assert.deepEqual(calls.map((c) => c.status), [429, 200]);
      assert.ok(calls[1]!.atMs - calls[0]!.atMs >= 1_500, 'the other replica waited out the Retry-After');
    });
  });
}
