import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { backends } from '../support/databases.js';
import { startTestApp, TOKEN } from '../support/app.js';
import { freePort } from '../support/process.js';
import { incidents } from '../support/state.js';
import { eventually } from '../support/wait.js';
import { DEPLOY } from './metric-names.js';

const run = promisify(execFile);
const COMPOSE = fileURLToPath(new URL('compose/', DEPLOY));

interface ComposeService {
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  secrets?: { source: string }[];
  environment?: Record<string, string>;
  volumes?: string[];
  build?: { context: string; dockerfile?: string };
}

describe('deploy/compose', () => {
  test('docker-compose accepts the file; services start in order, each after the ones it needs are healthy', async () => {
    const { stdout } = await run('docker-compose', ['config'], { cwd: COMPOSE, env: { ...process.env, SLACK_BOT_TOKEN: '' } });
    const config = parse(stdout) as { services: Record<string, ComposeService> };
    const services = config.services;
    assert.deepEqual(Object.keys(services).sort(), ['alertmanager', 'firebreak', 'postgres', 'prometheus', 'pushgateway']);
    for (const [name, s] of Object.entries(services)) {
      for (const [needed, { condition }] of Object.entries(s.depends_on ?? {})) {
        assert.equal(condition, 'service_healthy', `${name} waits for ${needed} to be healthy`);
        assert.ok(services[needed]?.healthcheck?.test.length, `${needed} has a healthcheck`);
      }
    }
    assert.deepEqual(Object.keys(services.firebreak!.depends_on ?? {}), ['postgres']);
    assert.deepEqual(Object.keys(services.alertmanager!.depends_on ?? {}), ['firebreak']);
    assert.deepEqual(Object.keys(services.prometheus!.depends_on ?? {}).sort(), ['alertmanager', 'firebreak', 'pushgateway']);
    // Built from the repository's Dockerfile; the token reaches firebreak and Alertmanager from one secret.
    assert.equal(services.firebreak!.build?.context, fileURLToPath(new URL('../', DEPLOY)).replace(/\/$/, ''));
    assert.match(services.firebreak!.healthcheck!.test.join(' '), /\/readyz/);
    for (const name of ['firebreak', 'alertmanager']) assert.deepEqual(services[name]!.secrets?.map((s) => s.source), ['webhook_token'], name);
    assert.match(services.firebreak!.environment!.DATABASE_URL!, /^postgres:\/\/firebreak:[^@]+@postgres:5432\/firebreak$/);
    assert.ok(services.prometheus!.volumes!.some((v) => v.endsWith('/deploy/prometheus/firebreak-rules.yml:/etc/prometheus/firebreak-rules.yml:ro')));
  });

  test('docker-compose refuses a file with a mistake in it (the check can fail)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fb-compose-'));
    const text = await readFile(join(COMPOSE, 'docker-compose.yml'), 'utf8');
    await writeFile(join(dir, 'docker-compose.yml'), text.replace('condition: service_healthy', 'condition: service_happy'));
    await copyFile(join(COMPOSE, 'webhook-token'), join(dir, 'webhook-token'));
    await assert.rejects(run('docker-compose', ['config'], { cwd: dir }), /service_happy/);
  });

  test('promtool accepts the Prometheus config and its rules; the demo alert fires on the push', async () => {
    // Laid out as the container sees it: both rule files beside prometheus.yml.
    const dir = await mkdtemp(join(tmpdir(), 'fb-compose-prom-'));
    for (const f of ['prometheus.yml', 'demo-rules.yml', 'demo-rules.test.yml']) await copyFile(join(COMPOSE, f), join(dir, f));
    await copyFile(fileURLToPath(new URL('prometheus/firebreak-rules.yml', DEPLOY)), join(dir, 'firebreak-rules.yml'));
    const checked = await run('promtool', ['check', 'config', 'prometheus.yml'], { cwd: dir });
    assert.match(checked.stdout, /SUCCESS: 2 rule files found/);
    assert.match((await run('promtool', ['test', 'rules', 'demo-rules.test.yml'], { cwd: dir })).stdout, /SUCCESS/);
  });

  test('amtool accepts the Alertmanager config', async () => {
    const { stdout } = await run('amtool', ['check-config', 'alertmanager.yml'], { cwd: COMPOSE });
    assert.match(stdout, /SUCCESS/);
    assert.match(stdout, /1 receivers/);
  });
});

for (const backend of backends()) {
  describe(`the compose Alertmanager config, on a real Alertmanager, reaches firebreak with the token file (${backend.name})`, () => {
    test('an alert posted to it becomes an incident', async () => {
      const database = await backend.create();
      const app = await startTestApp(database);
      const dir = await mkdtemp(join(tmpdir(), 'fb-compose-am-'));
      const port = await freePort();
      // Only the addresses change: firebreak's, and where the secret is mounted.
      await writeFile(join(dir, 'webhook_token'), `${TOKEN}\n`);
      const config = (await readFile(join(COMPOSE, 'alertmanager.yml'), 'utf8'))
        .replace('http://firebreak:3000', app.url).replace('/run/secrets/webhook_token', join(dir, 'webhook_token'));
      await writeFile(join(dir, 'alertmanager.yml'), config);
      const am = spawn('prometheus-alertmanager', [
        `--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=',
      ], { stdio: 'ignore' });
      try {
        const body = JSON.stringify([{ labels: { alertname: 'DemoServiceBroken', service: 'demo', severity: 'critical' }, annotations: { summary: 'demo' } }]);
        await eventually('Alertmanager to take the alert', async () => {
          const res = await fetch(`http://127.0.0.1:${port}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
            .catch(() => undefined);
          return res?.status === 200;
        }, 20_000);
        const found = await eventually('the incident', async () => {
          const list = await incidents(database.db);
          return list.length === 1 && list;
        }, 30_000);
        assert.equal(found[0]!.title, 'DemoServiceBroken on demo');
        const metrics = await (await fetch(`${app.url}/metrics`)).text();
        assert.doesNotMatch(metrics, /firebreak_webhook_requests_total\{code="401"\}/, 'the token was accepted');
      } finally {
        am.kill();
        await app.close();
        await database.close();
      }
    });
  });
}
