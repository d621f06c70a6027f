import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { backends } from '../support/databases.js';
import { startTestApp, TOKEN } from '../support/app.js';
import { freePort } from '../support/process.js';
import { alerts, incidents, timeline } from '../support/state.js';

const ALERTMANAGER = '/usr/bin/prometheus-alertmanager';
const SKIP = existsSync(ALERTMANAGER) ? false : `skipped: ${ALERTMANAGER} is not installed (apt-get install prometheus-alertmanager; .ci/run does)`;

async function eventually<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) assert.fail(`${what}: still ${JSON.stringify(v)} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

for (const backend of backends()) {
  describe(`a real Alertmanager posting to firebreak (${backend.name})`, () => {
    test('alerts posted to Alertmanager arrive as an incident, and their resolve resolves it', { skip: SKIP }, async () => {
      const database = await backend.create();
      const app = await startTestApp(database);
      const dir = await mkdtemp(join(tmpdir(), 'fb-am-'));
      const amPort = await freePort();
      await writeFile(join(dir, 'alertmanager.yml'), `
route:
  receiver: firebreak
  group_by: [alertname, service]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: firebreak
    webhook_configs:
      - url: ${app.url}/webhooks/alertmanager
        send_resolved: true
        http_config:
          authorization: { type: Bearer, credentials: ${TOKEN} }
`);
      const am = spawn(ALERTMANAGER, [
        `--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${amPort}`, '--cluster.listen-address=',
      ], { stdio: 'ignore' });
      const amUrl = `http://127.0.0.1:${amPort}`;
      const startsAt = new Date(Date.now() - 60_000).toISOString();
      const postAlerts = async (endsAt?: string) => {
        const body = ['web-1', 'web-2'].map((instance) => ({
          labels: { alertname: 'E2EHighLatency', service: 'web', severity: 'critical', instance },
          annotations: { summary: `Latency high on ${instance}` },
          startsAt,
          ...(endsAt ? { endsAt } : {}),
        }));
        const res = await fetch(`${amUrl}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        assert.equal(res.status, 200, await res.text());
      };
      try {
        await eventually('alertmanager ready', () => fetch(`${amUrl}/-/ready`).then((r) => r.status, () => 0), (s) => s === 200);
        await postAlerts();
        const [opened] = await eventually('incident opened', () => incidents(database.db), (rows) => rows.length === 1);
        assert.equal(opened!.title, 'E2EHighLatency on web');
        assert.equal(opened!.severity, 'sev1');
        assert.equal(opened!.group_key, '{}:{alertname="E2EHighLatency", service="web"}');
        await eventually('both alerts stored', () => alerts(database.db), (rows) => rows.length === 2);

        await postAlerts(new Date(Date.now() - 1000).toISOString());
        const [resolved] = await eventually('incident resolved', () => incidents(database.db), (rows) => rows[0]?.status === 'resolved');
        assert.equal(resolved!.number, 1);
        assert.deepEqual((await alerts(database.db)).map((a) => a.status), ['resolved', 'resolved']);
        const kinds = (await timeline(database.db, 1)).map((e) => e.kind);
        assert.deepEqual([kinds[0], ...kinds.slice(-2)], ['incident.opened', 'alerts.all_resolved', 'incident.status_changed']);
        assert.ok(app.logs.lines().some((l) => l.msg === 'webhook' && l.status === 200), 'firebreak logged the deliveries');
      } finally {
        am.kill('SIGTERM');
        await new Promise((r) => am.once('exit', r));
        await app.close();
        await database.close();
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
}
