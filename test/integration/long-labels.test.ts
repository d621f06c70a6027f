import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../support/app.js';
import { backends, type TestDatabase } from '../support/databases.js';
import { alertBody, playbookDir } from '../support/playbooks.js';
import { eventually } from '../support/wait.js';

// The matcher that backtracked for seconds on a 100 KB value; how long this takes is bench:redos's.
const PLAYBOOK = `name: canary
match: ['service=~".*-.*-canary"']
steps:
  - id: note
    action: wait
    with: { duration: 1ms }
`;
const MEGABYTE = 'x-'.repeat(512 * 1024);

for (const backend of backends()) {
  describe(`a 1 MB label against a regex matcher (${backend.name})`, () => {
    let database: TestDatabase;
    let app: TestApp;
    before(async () => {
      database = await backend.create();
      app = await startTestApp(database, { PLAYBOOKS_DIR: playbookDir({ 'canary.yml': PLAYBOOK }) });
    });
    after(async () => {
      await app.close();
      await database.close();
    });
    const runs = async () => (await database.db.query<{ service: string }>(`SELECT alert->'labels'->>'service' AS service FROM playbook_runs`)).rows;

    test('is answered like any other webhook, stored whole, and matched as Alertmanager would', async () => {
      const values = { miss: `${MEGABYTE}1`, near: `${MEGABYTE}canary-1`, hit: `${MEGABYTE}canary` };
      for (const [name, service] of Object.entries(values)) {
        const res = await app.postWebhook(alertBody({ alertname: 'Long', service, case: name }));
        assert.equal(res.status, 200, name);
        assert.deepEqual((await res.json() as { alerts: unknown }).alerts, { fired: 1, refired: 0, resolved: 0, repeat: 0 });
      }
      // A short one in between and after is answered as usual.
      assert.equal((await app.postWebhook(alertBody({ alertname: 'Short', service: 'checkout' }))).status, 200);
      const stored = (await database.db.query<{ kind: string; length: number }>(
        `SELECT labels->>'case' AS kind, length(labels->>'service') AS length FROM alerts WHERE labels->>'alertname' = 'Long' ORDER BY id`)).rows;
      assert.deepEqual(stored.map((r) => [r.kind, Number(r.length)]), Object.entries(values).map(([k, v]) => [k, v.length]));
      const started = await eventually('the matching value starts the playbook', async () => ((await runs()).length ? runs() : undefined));
      assert.deepEqual(started.map((r) => r.service.slice(-8)), ['x-canary']);
      const summaries = (await database.db.query<{ summary: string }>(`SELECT summary FROM timeline_events WHERE kind = 'alerts.fired'`)).rows;
      assert.ok(summaries.every((s) => s.summary.length < 400), 'the timeline names the value cut');
    });
  });
}
