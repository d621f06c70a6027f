import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../support/app.js';
import { backends, type TestDatabase } from '../support/databases.js';
import { FakeHttp, prometheusAnswer, type Received } from '../support/fake-http.js';
import { DOT_SEGMENTS, HOSTILE } from '../support/hostile.js';
import { alertBody, playbookDir } from '../support/playbooks.js';
import { eventually } from '../support/wait.js';

// One step per context a label lands in; every one goes on when another fails.
const playbook = (fake: string) => `name: hostile
match: ['alertname="Hostile"']
steps:
  - id: path
    action: http
    on_failure: continue
    with: { method: POST, url: "${fake}api/v1/services/{{ alert.labels.service }}/rollback", headers: { X-Incident: "{{ incident.ref }}" } }
  - id: query
    action: http
    on_failure: continue
    with:
      url: "${fake}api/v1/rollback?service={{ alert.labels.service }}&dry_run=true"
      headers: { X-Incident: "{{ incident.ref }}", X-Service: "{{ alert.labels.service }}" }
  - id: promql
    action: prometheus.query
    on_failure: continue
    with: { query: 'up{service="{{ alert.labels.service }}"}' }
  - id: silence
    action: alertmanager.silence
    on_failure: continue
    with: { duration: 1h, matchers: ['service="{{ alert.labels.service }}"'] }
`;

// Everything the steps may reach: the template's path prefixes, Prometheus's and Alertmanager's APIs.
const ALLOWED = /^(\/api\/v1\/services\/[^/]*\/rollback|\/api\/v1\/rollback|\/api\/v1\/query|\/api\/v2\/silences)$/;
const unquote = (body: string) => body.replace(/\\(.)/g, (_m, c: string) => ({ n: '\n', r: '\r', t: '\t' } as Record<string, string>)[c] ?? c);

for (const backend of backends()) {
  describe(`hostile label values through the server (${backend.name})`, () => {
    let database: TestDatabase;
    let app: TestApp;
    let fake: FakeHttp;

    before(async () => {
      database = await backend.create();
      fake = await FakeHttp.start();
      fake.route('POST /api/v1/query', () => prometheusAnswer('vector'));
      fake.route('POST /api/v2/silences', () => ({ status: 200, body: { silenceID: 'sil-1' } }));
      fake.fallback(() => ({ status: 200, body: { ok: true } }));
      app = await startTestApp(database, {
        PLAYBOOKS_DIR: playbookDir({ 'hostile.yml': playbook(fake.url) }), HTTP_ACTION_ALLOWED_HOSTS: fake.host,
        PROMETHEUS_URL: fake.url, ALERTMANAGER_URL: fake.url,
      });
    });
    after(async () => {
      await app.close();
      await fake.close();
      await database.close();
    });

    for (const { name, value } of HOSTILE) {
      test(`${name}: each context gets the value as data, or the step fails with nothing sent`, async () => {
        const mark = fake.received.length;
        assert.equal((await app.postWebhook(alertBody({ alertname: 'Hostile', service: value }))).status, 200);
        const run = await eventually('the run finishes', async () => (await database.db.query<{ incident: number; status: string }>(
          `SELECT i.number AS incident, r.status FROM playbook_runs r JOIN incidents i ON i.id = r.incident_id
            WHERE r.alert->'labels'->>'service' = $1 AND r.status <> 'running'`, [value])).rows[0], 30_000);
        const steps = new Map((await database.db.query<{ step_id: string; status: string; error: string | null }>(
          `SELECT s.step_id, s.status, s.error FROM step_runs s JOIN incidents i ON i.id = s.incident_id WHERE i.number = $1`, [run.incident])).rows
          .map((s) => [s.step_id, s]));
        const arrived = fake.received.slice(mark);
        const mine = (r: Received) => r.headers['x-incident'] === `INC-${run.incident}`;
        for (const r of arrived) assert.match(r.path, ALLOWED, `nothing arrives outside the templates' prefixes: ${r.url}`);

        const path = arrived.filter((r) => mine(r) && r.method === 'POST');
        if (DOT_SEGMENTS.has(value)) {
          assert.equal(steps.get('path')!.status, 'failed');
          assert.match(steps.get('path')!.error!, /the URL's path has a \. or \.\. segment/);
          assert.equal(path.length, 0);
        } else {
          assert.equal(steps.get('path')!.status, 'succeeded');
          assert.equal(path.length, 1);
          assert.equal(decodeURIComponent(/^\/api\/v1\/services\/([^/]*)\/rollback$/.exec(path[0]!.path)![1]!), value);
        }

        const query = arrived.filter((r) => mine(r) && r.method === 'GET');
        if (/[^\t\x20-\x7e]/.test(value)) {
          // The value is also a header's, which can carry no line break and nothing beyond U+00FF.
          assert.equal(steps.get('query')!.status, 'failed');
          assert.match(steps.get('query')!.error!, /holds a line break|holds a character no header value can carry/);
          assert.equal(query.length, 0);
        } else {
          assert.equal(query.length, 1);
          const sent = new URL(query[0]!.url, fake.url);
          assert.deepEqual([sent.pathname, [...sent.searchParams]], ['/api/v1/rollback', [['service', value], ['dry_run', 'true']]]);
          assert.equal(query[0]!.headers['x-service'], value);
        }

        const promql = arrived.filter((r) => r.path === '/api/v1/query');
        assert.equal(promql.length, 1);
        const sentQuery = new URLSearchParams(promql[0]!.body).get('query')!;
        const literal = /^up\{service="((?:[^"\\]|\\.)*)"\}$/.exec(sentQuery);
        assert.ok(literal, `one selector, one string: ${sentQuery}`);
        assert.equal(unquote(literal[1]!), value);

        const silences = arrived.filter((r) => r.path === '/api/v2/silences');
        assert.equal(silences.length, 1);
        assert.deepEqual((JSON.parse(silences[0]!.body) as { matchers: unknown }).matchers, [{ name: 'service', value, isRegex: false, isEqual: true }]);
      });
    }
  });
}
