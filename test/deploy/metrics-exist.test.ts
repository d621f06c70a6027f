import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends, type TestDatabase } from '../support/databases.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { exposedNames, metricNamesIn, readAlertRules, readDashboardExpressions } from './metric-names.js';

/**
 * Names the rules and the dashboard read that a firebreak started here does not expose, and why.
 * `up` is Prometheus's own series per target.
 */
const NOT_EXPOSED_HERE: Record<string, string> = {
  up: "Prometheus's own series for each scraped target",
  firebreak_slack_socket_connected: 'exported in Socket Mode only (SLACK_APP_TOKEN); test/integration/slack-socket.test.ts reads it there',
};

for (const backend of backends()) {
  describe(`every metric the rules and the dashboard read is on /metrics (${backend.name})`, () => {
    let database: TestDatabase;
    let app: TestApp;
    let exposed: Set<string>;

    before(async () => {
      database = await backend.create();
      app = await startTestApp(database);
      const res = await fetch(`${app.url}/metrics`);
      assert.equal(res.status, 200);
      exposed = exposedNames(await res.text());
    });
    after(async () => {
      await app.close();
      await database.close();
    });

    test('the rules', async () => {
      const used = new Set((await readAlertRules()).flatMap((r) => metricNamesIn(r.expr)));
      assert.ok(used.size >= 10, `the rules read ${[...used].join(', ')}`);
      const missing = [...used].filter((n) => !exposed.has(n) && !(n in NOT_EXPOSED_HERE));
      assert.deepEqual(missing, [], 'named in deploy/prometheus/firebreak-rules.yml but not on /metrics');
    });

    test('the dashboard', async () => {
      const used = new Set((await readDashboardExpressions()).flatMap(metricNamesIn));
      assert.ok(used.size >= 15, `the dashboard reads ${[...used].join(', ')}`);
      const missing = [...used].filter((n) => !exposed.has(n) && !(n in NOT_EXPOSED_HERE));
      assert.deepEqual(missing, [], 'named in deploy/grafana/firebreak.json but not on /metrics');
    });

    test('the exceptions are used, and a name that is not exposed is caught', () => {
      assert.ok(!exposed.has('up'), 'up is not one of firebreak\'s series');
      assert.equal(exposedNames('# TYPE firebreak_x counter\nfirebreak_x 1\n').has('firebreak_y_total'), false);
      assert.deepEqual(metricNamesIn('sum by (le) (rate(firebreak_webhook_duration_seconds_bucket{job="firebreak_z", code=~"5.."}[5m]))'),
        ['firebreak_webhook_duration_seconds_bucket']);
      assert.ok(exposed.has('firebreak_webhook_duration_seconds_bucket'));
      assert.ok(exposed.has('firebreak_database_up'));
    });
  });
}
