/**
 * bench:socket — a slash command's round trip over Socket Mode: from the envelope leaving a local
 * Socket Mode server to firebreak's acknowledgement (with the command's answer) arriving back, over
 * a real WebSocket, through the real Bolt app and @slack/socket-mode client, on each back end. A
 * read (`status`) and a write (`note`, a timeline event in a transaction). Env: BENCH_COMMANDS
 * (default 300 of each), BENCH_BACKENDS (pglite,postgres; Postgres with DATABASE_URL).
 */
import { loadConfig } from '../src/config/config.js';
import { createLogger } from '../src/lib/logger.js';
import { startFirebreak } from '../src/main.js';
import { FakeSlack } from '../test/support/fake-slack.js';
import { FakeSocketMode } from '../test/support/fake-socket-mode.js';
import { slashCommandPayload } from '../test/support/slack-payloads.js';
import { backends } from './backends.js';

const COMMANDS = Number(process.env.BENCH_COMMANDS ?? 300);
const APP_TOKEN = 'xapp-1-bench';
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
if (!process.env.DATABASE_URL) console.log('postgres: skipped (set DATABASE_URL to include it)');
console.log(`load: ${COMMANDS} commands of each kind, one at a time`);

for (const backend of backends()) {
  const fb = await backend.open();
  const slack = await FakeSlack.start();
  const socket = await FakeSocketMode.start(slack, APP_TOKEN);
  const config = loadConfig({
    PORT: '0', HOST: '127.0.0.1', ALERTMANAGER_WEBHOOK_TOKEN: 'bench-token-0123456789', SLACK_BOT_TOKEN: 'xoxb-bench', SLACK_APP_TOKEN: APP_TOKEN,
    SLACK_API_URL: slack.apiUrl, SLACK_INCIDENT_CHANNEL: 'C0INCIDENTS',
  });
  const app = await startFirebreak(config, createLogger('silent'), { db: fb.db });
  await socket.waitConnected();
  const port = Number(new URL(slack.url).port);
  let seq = 0;
  const send = (text: string) => socket.send('slash_commands', slashCommandPayload({ text, channel_id: 'C0GENERAL', trigger_id: `bench-${++seq}` }, port));
  await send('declare Bench incident sev3').acked; // INC-1
  for (const [kind, text] of [['read (status)', 'status INC-1'], ['write (note)', 'note INC-1 bench note']] as const) {
    const latencies: number[] = [];
    const started = performance.now();
    for (let i = 0; i < COMMANDS; i++) {
      const t0 = performance.now();
      const answer = await send(text).acked;
      latencies.push(performance.now() - t0);
      if (!String(answer.text).includes('INC-1')) throw new Error(`unexpected answer: ${JSON.stringify(answer)}`);
    }
    const seconds = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    console.log(`${backend.name}, ${kind}: envelope sent → ack received: p50 ${percentile(latencies, 50).toFixed(1)} ms, ` +
      `p99 ${percentile(latencies, 99).toFixed(1)} ms, max ${latencies.at(-1)!.toFixed(1)} ms over ${COMMANDS} (${(COMMANDS / seconds).toFixed(0)} commands/s)`);
  }
  await app.close();
  await socket.close();
  await slack.close();
  await fb.dispose();
}
