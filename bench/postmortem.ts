/**
 * bench:postmortem — drafting the postmortem of a big incident: 2,000 alerts (storm-2000.json, through
 * the real intake) and 5,000 timeline events, plus a playbook run with two Prometheus steps. Times the
 * draft without charts (no Prometheus) and with charts (a local Prometheus stand-in answering 5 series
 * × 300 points per query: the two step queries, two charts), BENCH_ROUNDS times each (default 5); prints min/median.
 * Env: BENCH_BACKENDS (pglite,postgres; Postgres with DATABASE_URL).
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPrometheusMetricsSource } from '../src/actions/prometheus.js';
import { migrate } from '../src/db/migrate.js';
import { ingestNotification } from '../src/incidents/intake.js';
import { appendTimeline } from '../src/incidents/timeline.js';
import type { TimelineEntry } from '../src/incidents/types.js';
import { parseNotification } from '../src/sources/alertmanager/notification.js';
import { Registry } from 'prom-client';
import { systemClock } from '../src/lib/clock.js';
import { createLogger } from '../src/lib/logger.js';
import { draftPostmortem } from '../src/postmortem/draft.js';
import { createQueue } from '../src/queue/queue.js';
import { backends } from './backends.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const EVENTS = 5000;

const storm = parseNotification(JSON.parse(await readFile(new URL('../test/fixtures/alertmanager/storm-2000.json', import.meta.url), 'utf8')));
if (!storm.ok) throw new Error('storm-2000.json did not parse');

// A Prometheus stand-in: every range query gets 5 series of 300 points across the asked window.
const prometheus = createServer((req, res) => {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString()));
  req.on('end', () => {
    const p = new URLSearchParams(body);
    const [start, end] = [Number(p.get('start')), Number(p.get('end'))];
    const step = (end - start) / 299;
    const result = Array.from({ length: 5 }, (_, s) => ({
      metric: { pod: `checkout-${s}` },
      values: Array.from({ length: 300 }, (_, i) => [start + i * step, String(Math.sin(i / 20 + s) * 50 + 60)]),
    }));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: 'success', data: { resultType: 'matrix', result } }));
  });
});
await new Promise<void>((resolve) => prometheus.listen(0, '127.0.0.1', resolve));
const source = createPrometheusMetricsSource({
  fetch, baseUrl: `http://127.0.0.1:${(prometheus.address() as AddressInfo).port}/`, clock: systemClock,
});

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

for (const backend of backends()) {
  const { db, dispose } = await backend.open();
  try {
    await migrate(db);
    const opened = new Date(Date.now() - 3600_000);
    // A queue that runs nothing: the storm only needs storing (its jobs for Slack and PagerDuty, which
    // are off here, are not even queued).
    const queue = createQueue({ db, logger: createLogger('silent'), registry: new Registry(), concurrency: { steps: 0, notify: 0, internal: 0 }, leaseMs: 30_000 });
    await queue.start([]);
    await ingestNotification(db, storm.value, opened, { queue, mayStartPlaybook: () => false });
    const { rows } = await db.query<{ id: number }>('SELECT id FROM incidents ORDER BY id LIMIT 1');
    const incidentId = rows[0]!.id;
    for (let i = 0; i < EVENTS; i += 500) {
      const batch: TimelineEntry[] = Array.from({ length: 500 }, (_, k) => ({
        incidentId, at: new Date(opened.getTime() + (i + k) * 500), kind: 'incident.note', actor: 'U0BENCH', summary: `note ${i + k}: pod checkout-${k % 7} restarted`,
      }));
      await appendTimeline(db, batch);
    }
    const { rows: run } = await db.query<{ id: number }>(
      `INSERT INTO playbook_runs (incident_id, playbook, playbook_hash, definition, alert, trigger, requested_by, status, started_at, finished_at)
       VALUES ($1, 'bench', 'x', '{}', '{}', 'alert', 'alertmanager', 'succeeded', $2, $2) RETURNING id`, [incidentId, opened]);
    for (const [k, query] of ['sum(rate(http_requests_total{code=~"5.."}[5m]))', 'histogram_quantile(0.99, rate(latency_bucket[5m]))'].entries()) {
      await db.query(
        `INSERT INTO step_runs (run_id, incident_id, position, step_id, action, params, status, attempts, started_at, finished_at)
         VALUES ($1, $2, $3, $4, 'prometheus.query_range', $5::jsonb, 'succeeded', 1, $6, $6)`,
        [run[0]!.id, incidentId, k, `q${k}`, JSON.stringify({ query }), opened],
      );
    }
    await db.query(`UPDATE incidents SET status = 'resolved', resolved_at = $2 WHERE id = $1`, [incidentId, new Date()]);

    for (const [label, metrics] of [['without charts', undefined], ['with charts', source]] as const) {
      const times: number[] = [];
      let size = 0;
      let charts = 0;
      for (let r = 0; r < ROUNDS; r++) {
        const t0 = performance.now();
        const draft = await draftPostmortem(db, incidentId, metrics, new Date());
        times.push(performance.now() - t0);
        size = draft!.markdown.length;
        charts = draft!.charts.length;
      }
      console.log(`${backend.name}: draft ${label}: median ${median(times).toFixed(0)} ms, min ${Math.min(...times).toFixed(0)} ms ` +
        `(${ROUNDS} rounds; 2,000 alerts, ${EVENTS + 3} timeline events; ${(size / 1024).toFixed(0)} KiB of Markdown, ${charts} charts)`);
    }
  } finally {
    await dispose();
  }
}
prometheus.close();
