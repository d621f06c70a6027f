/**
 * bench:console — the API and the console over a big history: 10,000 incidents (one alert each)
 * and 200,000 timeline events (through the hash-chain trigger). Times, over HTTP against the real
 * server, BENCH_ROUNDS requests each (default 50): the incident list (API and console page) and one
 * incident (API and console page); then a webhook's arrival on an open event stream (the console's
 * live view), BENCH_ROUNDS/2 times. Prints p50 and p95 in milliseconds.
 * Env: BENCH_BACKENDS (default postgres; pglite too), DATABASE_URL for Postgres.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate } from '../src/db/migrate.js';
import { loadConfig } from '../src/config/config.js';
import { createLogger } from '../src/lib/logger.js';
import { startFirebreak } from '../src/main.js';
import { backends } from './backends.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 50);
const INCIDENTS = 10_000;
const EVENTS = 200_000;
const wanted = (process.env.BENCH_BACKENDS ?? 'postgres').split(',');

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;
const figures = (xs: number[]) => `p50 ${percentile(xs, 0.5).toFixed(1)} ms, p95 ${percentile(xs, 0.95).toFixed(1)} ms (${xs.length} requests)`;

async function timed(url: string): Promise<number> {
  const start = performance.now();
  const res = await fetch(url);
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`${url}: ${res.status}`);
  return performance.now() - start;
}

for (const backend of backends().filter((b) => wanted.includes(b.name))) {
  const { db, dispose } = await backend.open();
  try {
    await migrate(db);
    let t = performance.now();
    await db.query(
      `INSERT INTO incidents (title, severity, status, group_key, common_labels, opened_at, last_seen_at)
       SELECT 'Alert ' || g || ' on service-' || (g % 97), 'sev' || (1 + g % 4), (ARRAY['triggered','acknowledged','mitigated','resolved'])[1 + g % 4],
              'group-' || g, jsonb_build_object('alertname', 'Alert' || (g % 50), 'service', 'service-' || (g % 97), 'namespace', 'prod'),
              now() - (${INCIDENTS} - g) * interval '1 minute', now()
         FROM generate_series(1, ${INCIDENTS}) g`,
    );
    await db.query(
      `INSERT INTO alerts (incident_id, fingerprint, starts_at, status, alertname, labels, annotations, first_seen_at, last_seen_at)
       SELECT i.id, 'fp' || i.id, i.opened_at, 'firing', i.common_labels->>'alertname', i.common_labels, '{}', i.opened_at, i.opened_at FROM incidents i`,
    );
    // In slices, so that no statement holds every incident's chain head at once.
    for (let from = 0; from < EVENTS; from += 20_000) {
      await db.query(
        `INSERT INTO timeline_events (incident_id, at, kind, actor, summary, data)
         SELECT 1 + (g % ${INCIDENTS}), now() - interval '1 hour' + g * interval '1 millisecond', 'incident.note', 'U0BENCH',
                'note ' || g || ' about what was seen', '{}'
           FROM generate_series($1::int, $2::int) g ORDER BY g`,
        [from, from + 19_999],
      );
    }
    await db.query('ANALYZE');
    console.log(`${backend.name}: stored ${INCIDENTS} incidents and ${EVENTS} timeline events in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', PLAYBOOKS_DIR: await mkdtemp(join(tmpdir(), 'fb-bench-no-playbooks-')) });
    const app = await startFirebreak(config, createLogger('silent'), { db });
    try {
      const pick = () => 1 + Math.floor(Math.random() * INCIDENTS);
      for (const [what, path] of [
        ['API  GET /api/v1/incidents (50 newest)', () => '/api/v1/incidents'],
        ['API  GET /api/v1/incidents?q=service-42&status=triggered', () => '/api/v1/incidents?q=service-42&status=triggered'],
        ['API  GET /api/v1/incidents/INC-n (about 20 events each)', () => `/api/v1/incidents/INC-${pick()}`],
        ['page GET / (the console list)', () => '/'],
        ['page GET /incidents/INC-n (the console incident page)', () => `/incidents/INC-${pick()}`],
      ] as const) {
        for (let i = 0; i < 5; i++) await timed(`${app.url}${path()}`); // warm-up
        const xs: number[] = [];
        for (let i = 0; i < ROUNDS; i++) xs.push(await timed(`${app.url}${path()}`));
        console.log(`${backend.name}: ${what}: ${figures(xs)}`);
      }

      // Webhook → event stream: from sending the webhook to its incident's first event arriving.
      const res = await fetch(`${app.url}/api/v1/events`);
      const reader = res.body!.getReader();
      let buffered = '';
      const waitFor = async (text: string) => {
        while (!buffered.includes(text)) {
          const { value, done } = await reader.read();
          if (done) throw new Error('the stream ended');
          buffered += Buffer.from(value).toString('utf8');
        }
        buffered = '';
      };
      const latencies: number[] = [];
      for (let i = 0; i < Math.max(5, ROUNDS / 2); i++) {
        const name = `BenchLive${i}x${Date.now()}`;
        const body = JSON.stringify({
          version: '4', groupKey: `{}:{alertname="${name}"}`, truncatedAlerts: 0, status: 'firing', receiver: 'firebreak',
          groupLabels: { alertname: name }, commonLabels: { alertname: name }, commonAnnotations: {}, externalURL: 'http://alertmanager:9093',
          alerts: [{ status: 'firing', labels: { alertname: name }, annotations: {}, startsAt: new Date().toISOString(), endsAt: '0001-01-01T00:00:00Z', generatorURL: '', fingerprint: `f${i}${Date.now()}` }],
        });
        t = performance.now();
        const sent = fetch(`${app.url}/webhooks/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        await waitFor(`opened: ${name}`);
        latencies.push(performance.now() - t);
        await sent;
      }
      await reader.cancel();
      console.log(`${backend.name}: webhook → event on an open stream: ${figures(latencies)}`);
    } finally {
      await app.close();
    }
  } finally {
    await dispose();
  }
}
