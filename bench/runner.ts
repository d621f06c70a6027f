/**
 * bench:runner — the playbook runner on each back end:
 * 1. approval click → step started: an Approve click (signed, through /slack/events) until the step's
 *    `running` transaction; p50/p99 over BENCH_APPROVALS (default 100) approvals, clicked one at a time.
 * 2. steps/s: runs of a playbook of 20 no-op steps (`wait: 0s`) on BENCH_RUNS (default 20) incidents at once.
 * Env: BENCH_BACKENDS (pglite,postgres; Postgres with DATABASE_URL).
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/config.js';
import { createLogger } from '../src/lib/logger.js';
import { startFirebreak } from '../src/main.js';
import { FakeSlack } from '../test/support/fake-slack.js';
import { blockActionBody, postSlack, SIGNING_SECRET } from '../test/support/slack-requests.js';
import { alertBody } from '../test/support/playbooks.js';
import { backends } from './backends.js';

const APPROVALS = Number(process.env.BENCH_APPROVALS ?? 100);
const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const NOOP_STEPS = 20;
const TOKEN = 'bench-token-0123456789';

const dir = await mkdtemp(join(tmpdir(), 'fb-bench-playbooks-'));
await writeFile(join(dir, 'approve.yml'), `name: approve
match: ['alertname="BenchApprove"']
steps:
  - id: go
    action: wait
    approval: { approvers: [U0BENCH] }
    with: { duration: 0s }
`);
await writeFile(join(dir, 'noop.yml'), `name: noop
match: ['alertname="BenchNoop"']
steps:
${Array.from({ length: NOOP_STEPS }, (_, i) => `  - { id: s${i}, action: wait, with: { duration: 0s } }`).join('\n')}
`);

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const until = async (check: () => Promise<boolean>, what: string) => {
  for (const deadline = Date.now() + 300_000; !(await check());) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};
if (!process.env.DATABASE_URL) console.log('postgres: skipped (set DATABASE_URL to include it)');

for (const backend of backends()) {
  const fb = await backend.open();
  const slack = await FakeSlack.start();
  const config = loadConfig({
    PORT: '0', HOST: '127.0.0.1', ALERTMANAGER_WEBHOOK_TOKEN: TOKEN, SLACK_BOT_TOKEN: 'xoxb-bench', SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl, SLACK_INCIDENT_CHANNEL: 'C0INCIDENTS', PLAYBOOKS_DIR: dir,
  });
  const app = await startFirebreak(config, createLogger('silent'), { db: fb.db });
  const db = fb.db;
  const post = (body: string) => fetch(`${app.url}/webhooks/alertmanager`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body,
  });
  const count = async (sql: string) => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`)).rows[0]!.n;

  for (let i = 0; i < APPROVALS; i++) await post(alertBody({ alertname: 'BenchApprove' }));
  await until(async () => (await count(`approvals WHERE status = 'pending'`)) === APPROVALS, 'approvals requested');
  const { rows: pending } = await db.query<{ id: number; stepRunId: number }>('SELECT id, step_run_id AS "stepRunId" FROM approvals ORDER BY id');
  const clicked = new Map<number, number>();
  for (const [n, a] of pending.entries()) {
    const body = blockActionBody({ action_id: 'incident_approve', value: String(a.id), action_ts: `1.${n}` },
      { user: { id: 'U0BENCH', username: 'bench', team_id: 'T0TEAM001' }, trigger_id: `bench-${n}`, channel: { id: 'C0INCIDENTS', name: 'incidents' } },
      Number(new URL(slack.url).port));
    clicked.set(a.stepRunId, Date.now());
    await postSlack(app.url, body);
  }
  await until(async () => (await count(`step_runs s JOIN playbook_runs r ON r.id = s.run_id WHERE r.playbook = 'approve' AND s.started_at IS NOT NULL`)) === APPROVALS, 'approved steps started');
  const { rows: started } = await db.query<{ id: number; startedAt: Date }>(
    `SELECT s.id, s.started_at AS "startedAt" FROM step_runs s JOIN playbook_runs r ON r.id = s.run_id WHERE r.playbook = 'approve'`);
  const latencies = started.map((s) => s.startedAt.getTime() - clicked.get(s.id)!).sort((a, b) => a - b);
  console.log(`${backend.name}: approval click → step started: p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms, ` +
    `max ${latencies.at(-1)} ms over ${latencies.length} approvals (target p50 < 100 ms on Postgres)`);

  const t0 = performance.now();
  await Promise.all(Array.from({ length: RUNS }, () => post(alertBody({ alertname: 'BenchNoop' }))));
  await until(async () => (await count(`playbook_runs WHERE playbook = 'noop' AND status = 'succeeded'`)) === RUNS, 'no-op runs finished');
  const seconds = (performance.now() - t0) / 1000;
  console.log(`${backend.name}: ${RUNS} runs × ${NOOP_STEPS} no-op steps in ${seconds.toFixed(2)} s: ${((RUNS * NOOP_STEPS) / seconds).toFixed(0)} steps/s`);
  await app.close();
  await slack.close();
  await fb.dispose();
}
