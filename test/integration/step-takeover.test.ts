import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { metricValue, slackEnv, startTestApp, type TestApp } from '../support/app.js';
import { backends, type TestDatabase } from '../support/databases.js';
import { FakeSlack } from '../support/fake-slack.js';
import { alertBody, playbookDir } from '../support/playbooks.js';
import { blockActionBody, postSlack } from '../support/slack-requests.js';
import { stallable, type StallableDb } from '../support/stall.js';
import { eventually } from '../support/wait.js';

// A non-idempotent step that takes 3 s: interrupted, it asks a person.
const PLAYBOOKS = { 'slow.yml': `name: slow\nmatch: ['alertname="Stalled"']\nsteps:\n  - id: act\n    action: exec\n    with: { argv: [sleep, "3"] }\n` };

for (const backend of backends()) {
  describe(`a worker that stalled longer than its lease (${backend.name})`, () => {
    let database: TestDatabase;
    let slack: FakeSlack;
    let stalled: StallableDb;
    let a: TestApp;
    let b: TestApp | undefined;
    const db = () => database.db;
    const step = async () => (await db().query<{ id: number; status: string; startedAt: Date | null }>(
      `SELECT id, status, started_at AS "startedAt" FROM step_runs WHERE step_id = 'act'`)).rows[0];
    const env = () => slackEnv(slack.apiUrl, { PLAYBOOKS_DIR: playbookDir(PLAYBOOKS), EXEC_ALLOWLIST: 'sleep', JOB_LEASE_SECONDS: '2' });

    before(async () => {
      database = await backend.create();
      slack = await FakeSlack.start();
      stalled = stallable(database.db);
      a = await startTestApp({ ...database, db: stalled }, env());
    });
    after(async () => {
      stalled.resume();
      await b?.close();
      await a.close();
      await slack.close();
      await database.close();
    });

    test('another worker takes the step over; a person skips it; the stalled worker, back, writes nothing: the Skip stands', async () => {
      assert.equal((await a.postWebhook(alertBody({ alertname: 'Stalled' }))).status, 200);
      const running = await eventually('the step running on worker A', async () => (await step())?.status === 'running' && (await step()));
      stalled.stall();
      // Worker B: a replica (Postgres: once A's lease has run out) or the same database reopened (PGlite).
      b = await startTestApp(database, env());
      await eventually('B to find the step interrupted', async () => (await step())?.status === 'needs_attention');
      const body = blockActionBody({ action_id: 'incident_step_skip', value: String(running.id), action_ts: '1763700200.1' },
        { user: { id: 'U0ALICE', username: 'alice', team_id: 'T0TEAM001' }, trigger_id: 'skip-1' }, Number(new URL(slack.url).port));
      assert.equal((await postSlack(b.url, body)).status, 200);
      await eventually('the step skipped', async () => (await step())?.status === 'skipped');
      // A's sleep ended while it was stalled: its result is waiting to be written.
      await new Promise((r) => setTimeout(r, Math.max(0, running.startedAt!.getTime() + 3_500 - Date.now())));
      stalled.resume();
      await eventually('A to give up its attempt', async () =>
        (await metricValue(a, 'firebreak_job_runs_total', { kind: 'playbook.step', outcome: 'lease_lost' })) === 1);
      assert.equal((await step())?.status, 'skipped');
      const { rows } = await db().query<{ kind: string }>(`SELECT kind FROM timeline_events WHERE kind LIKE 'step.%' ORDER BY seq`);
      assert.deepEqual(rows.map((r) => r.kind), ['step.started', 'step.needs_attention', 'step.attention_resolved'], 'no step.succeeded from A');
    });
  });
}
