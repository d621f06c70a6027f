/**
 * bench:slack — how long after firebreak acknowledges a webhook that opens an incident the
 * incident's card reaches Slack (chat.postMessage at a local fake Slack), over many incidents,
 * on each back end. Env: BENCH_INCIDENTS (default 200 per run), BENCH_CONCURRENCY (runs, default 1,4),
 * BENCH_BACKENDS (pglite,postgres; Postgres with DATABASE_URL).
 */
import { loadConfig } from '../src/config/config.js';
import { createLogger } from '../src/lib/logger.js';
import { startFirebreak } from '../src/main.js';
import { FakeSlack } from '../test/support/fake-slack.js';
import { SIGNING_SECRET } from '../test/support/slack-requests.js';
import { backends } from './backends.js';

const INCIDENTS = Number(process.env.BENCH_INCIDENTS ?? 200);
// A steady stream (one webhook at a time), then a burst of new incidents faster than any real outage.
const CONCURRENCIES = (process.env.BENCH_CONCURRENCY ?? '1,4').split(',').map(Number);
const TOKEN = 'bench-token-0123456789';

function webhook(i: number): string {
  const labels = { alertname: `BenchAlert${i}`, service: 'bench', severity: 'critical' };
  return JSON.stringify({
    version: '4', groupKey: `{}:{alertname="BenchAlert${i}"}`, truncatedAlerts: 0, status: 'firing', receiver: 'firebreak',
    groupLabels: { alertname: labels.alertname }, commonLabels: labels, commonAnnotations: { summary: `bench ${i}` },
    externalURL: 'http://alertmanager:9093',
    alerts: [{ status: 'firing', labels, annotations: { summary: `bench ${i}` }, startsAt: new Date().toISOString(),
      endsAt: '0001-01-01T00:00:00Z', generatorURL: 'http://prometheus:9090/graph', fingerprint: i.toString(16).padStart(16, '0') }],
  });
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
if (!process.env.DATABASE_URL) console.log('postgres: skipped (set DATABASE_URL to include it)');
console.log(`load: ${INCIDENTS} new incidents per run, with ${CONCURRENCIES.join(' then ')} webhook(s) in flight`);

for (const backend of backends()) {
  const fb = await backend.open();
  const slack = await FakeSlack.start();
  const config = loadConfig({
    PORT: '0', HOST: '127.0.0.1', ALERTMANAGER_WEBHOOK_TOKEN: TOKEN, SLACK_BOT_TOKEN: 'xoxb-bench', SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl, SLACK_INCIDENT_CHANNEL: 'C0INCIDENTS',
  });
  const app = await startFirebreak(config, createLogger('silent'), { db: fb.db });
  let offset = 0;
  for (const concurrency of CONCURRENCIES) {
    const acked = new Map<number, number>(); // incident number → when the webhook was acknowledged
    const postsBefore = slack.ok('chat.postMessage').length;
    let next = 0;
    const started = performance.now();
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < INCIDENTS) {
        const i = offset + next++;
        const res = await fetch(`${app.url}/webhooks/alertmanager`, {
          method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: webhook(i),
        });
        const at = Date.now();
        const { incidents } = (await res.json()) as { incidents: string[] };
        acked.set(Number(incidents[0]!.slice(4)), at);
      }
    }));
    offset += INCIDENTS;
    await slack.waitFor('every card', () => slack.ok('chat.postMessage').length >= postsBefore + INCIDENTS, 120_000);
    const seconds = (performance.now() - started) / 1000;
    const latencies = slack.ok('chat.postMessage').slice(postsBefore)
      .map((c) => c.atMs - acked.get(Number(/^INC-(\d+) /.exec(String(c.args.text))![1]))!)
      .sort((a, b) => a - b);
    console.log(`${backend.name}, ${concurrency} webhook(s) in flight: webhook acknowledged → chat.postMessage received: ` +
      `p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms, max ${latencies.at(-1)} ms ` +
      `over ${latencies.length} incidents (${(INCIDENTS / seconds).toFixed(0)} new incidents/s; target p50 < 200 ms)`);
  }
  await app.close();
  await slack.close();
  await fb.dispose();
}
