/**
 * bench:slack — two scenarios against a local fake Slack, on each back end.
 *
 * cards: how long after firebreak acknowledges a webhook that opens an incident the incident's card
 * reaches Slack (chat.postMessage), over many incidents. Outage mode is off here (threshold out of
 * reach) and the channel budget at its highest (10/s), so what is measured is firebreak's own path.
 *
 * outage: BENCH_OUTAGE_INCIDENTS (default 200) new incidents of distinct groups as fast as the
 * webhook takes them, with the defaults (outage mode after 5 in 60 s, 1 message/s per channel): how
 * long until the digest is posted and until it lists every incident, and the posts and edits the
 * channel got in each of the first minutes.
 *
 * Env: BENCH_SCENARIOS (cards,outage), BENCH_INCIDENTS (cards per run, default 200), BENCH_CONCURRENCY
 * (cards runs, default 1,4), BENCH_OUTAGE_MINUTES (default 1), BENCH_BACKENDS (pglite,postgres;
 * Postgres with DATABASE_URL).
 */
import { loadConfig } from '../src/config/config.js';
import { createLogger } from '../src/lib/logger.js';
import { startFirebreak, type Firebreak } from '../src/main.js';
import { FakeSlack } from '../test/support/fake-slack.js';
import { SIGNING_SECRET } from '../test/support/slack-requests.js';
import { backends } from './backends.js';

const SCENARIOS = (process.env.BENCH_SCENARIOS ?? 'cards,outage').split(',');
const INCIDENTS = Number(process.env.BENCH_INCIDENTS ?? 200);
// A steady stream (one webhook at a time), then a burst of new incidents faster than any real outage.
const CONCURRENCIES = (process.env.BENCH_CONCURRENCY ?? '1,4').split(',').map(Number);
const OUTAGE_INCIDENTS = Number(process.env.BENCH_OUTAGE_INCIDENTS ?? 200);
const OUTAGE_MINUTES = Number(process.env.BENCH_OUTAGE_MINUTES ?? 1);
const TOKEN = 'bench-token-0123456789';
const CHANNEL = 'C0INCIDENTS';

function webhook(i: number, severity = 'critical'): string {
  const labels = { alertname: `BenchAlert${i}`, service: 'bench', cluster: 'eu-1', severity };
  return JSON.stringify({
    version: '4', groupKey: `{}:{alertname="BenchAlert${i}"}`, truncatedAlerts: 0, status: 'firing', receiver: 'firebreak',
    groupLabels: { alertname: labels.alertname }, commonLabels: labels, commonAnnotations: { summary: `bench ${i}` },
    externalURL: 'http://alertmanager:9093',
    alerts: [{ status: 'firing', labels, annotations: { summary: `bench ${i}` }, startsAt: new Date().toISOString(),
      endsAt: '0001-01-01T00:00:00Z', generatorURL: 'http://prometheus:9090/graph', fingerprint: i.toString(16).padStart(16, '0') }],
  });
}

// As Alertmanager does, a webhook whose connection failed is sent again (a loaded machine resets some).
async function post(app: Firebreak, body: string): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetch(`${app.url}/webhooks/alertmanager`, {
        method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body,
      });
    } catch (err) {
      if (attempt >= 5) throw err;
    }
  }
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
if (!process.env.DATABASE_URL) console.log('postgres: skipped (set DATABASE_URL to include it)');

const start = async (db: Firebreak['db'], slack: FakeSlack, env: Record<string, string>) => startFirebreak(loadConfig({
  PORT: '0', HOST: '127.0.0.1', ALERTMANAGER_WEBHOOK_TOKEN: TOKEN, SLACK_BOT_TOKEN: 'xoxb-bench', SLACK_SIGNING_SECRET: SIGNING_SECRET,
  SLACK_API_URL: slack.apiUrl, SLACK_INCIDENT_CHANNEL: CHANNEL, ...env,
}), createLogger('silent'), { db });

for (const backend of backends()) {
  if (SCENARIOS.includes('cards')) {
    console.log(`cards: ${INCIDENTS} new incidents per run, with ${CONCURRENCIES.join(' then ')} webhook(s) in flight (outage mode off, budget 10/s)`);
    const fb = await backend.open();
    const slack = await FakeSlack.start();
    const app = await start(fb.db, slack, { OUTAGE_THRESHOLD: '10000', SLACK_CHANNEL_RATE: '10', SLACK_CHANNEL_BURST: '20' });
    let offset = 0;
    for (const concurrency of CONCURRENCIES) {
      const acked = new Map<number, number>(); // incident number → when the webhook was acknowledged
      const postsBefore = slack.ok('chat.postMessage').length;
      let next = 0;
      const started = performance.now();
      await Promise.all(Array.from({ length: concurrency }, async () => {
        while (next < INCIDENTS) {
          const res = await post(app, webhook(offset + next++));
          const at = Date.now();
          const { incidents } = (await res.json()) as { incidents: string[] };
          acked.set(Number(incidents[0]!.slice(4)), at);
        }
      }));
      const seconds = (performance.now() - started) / 1000;
      offset += INCIDENTS;
      await slack.waitFor('every card', () => slack.ok('chat.postMessage').length >= postsBefore + INCIDENTS, 300_000);
      const latencies = slack.ok('chat.postMessage').slice(postsBefore)
        .map((c) => c.atMs - acked.get(Number(/^INC-(\d+) /.exec(String(c.args.text))![1]))!)
        .sort((a, b) => a - b);
      console.log(`${backend.name}, ${concurrency} webhook(s) in flight: webhook acknowledged → chat.postMessage received: ` +
        `p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms, max ${latencies.at(-1)} ms ` +
        `over ${latencies.length} incidents (${(INCIDENTS / seconds).toFixed(0)} new incidents/s; the budget's 10/s paces the posts)`);
    }
    await app.close();
    await slack.close();
    await fb.dispose();
  }

  if (SCENARIOS.includes('outage')) {
    const fb = await backend.open();
    const slack = await FakeSlack.start();
    const app = await start(fb.db, slack, {});
    const started = Date.now();
    let next = 0;
    // One in fifty is critical (sev1: its own card); the rest warnings.
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (next < OUTAGE_INCIDENTS) {
        const i = next++;
        await (await post(app, webhook(100_000 + i, i % 50 === 7 ? 'critical' : 'warning'))).arrayBuffer();
      }
    }));
    const sentMs = Date.now() - started;
    const digestOf = () => slack.ok('chat.postMessage').find((c) => (c.args.metadata as { event_type?: string } | undefined)?.event_type === 'firebreak_outage_digest');
    const digest = await slack.waitFor('the digest', digestOf, 60_000);
    const digestTs = () => [...(slack.messages.get(CHANNEL)?.values() ?? [])].find((m) => m.metadata?.event_type === 'firebreak_outage_digest');
    const complete = await slack.waitFor('the digest listing every incident', () => {
      const m = digestTs();
      const listed = m ? (JSON.stringify(m.blocks).match(/\*INC-\d+\*/g) ?? []).length : 0;
      return listed >= OUTAGE_INCIDENTS && Date.now();
    }, 120_000);
    await new Promise((r) => setTimeout(r, Math.max(0, started + OUTAGE_MINUTES * 60_000 - Date.now())));
    const inChannel = slack.calls.filter((c) => c.args.channel === CHANNEL && (c.method === 'chat.postMessage' || c.method === 'chat.update'));
    const perMinute = Array.from({ length: OUTAGE_MINUTES }, (_, m) =>
      inChannel.filter((c) => c.atMs >= started + m * 60_000 && c.atMs < started + (m + 1) * 60_000));
    const cards = inChannel.filter((c) => (c.args.metadata as { event_type?: string } | undefined)?.event_type === 'firebreak_incident_card');
    console.log(`${backend.name}, outage: ${OUTAGE_INCIDENTS} new incidents sent in ${sentMs} ms (${(OUTAGE_INCIDENTS / (sentMs / 1000)).toFixed(0)}/s); ` +
      `digest posted ${digest.atMs - started} ms after the first webhook, listing all ${Date.now() > complete ? complete - started : '?'} ms after; ` +
      `posts+edits in the channel per minute: ${perMinute.map((calls) => `${calls.length} (${calls.filter((c) => c.method === 'chat.update').length} edits)`).join(', ')}; ` +
      `cards: ${cards.length}; HTTP 429s: ${slack.calls.filter((c) => c.status === 429).length}`);
    await app.close();
    await slack.close();
    await fb.dispose();
  }
}
