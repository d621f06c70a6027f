/**
 * bench:redos — webhooks whose `service` label is 1 MB long, against a playbook matcher
 * `service=~".*-.*-canary"`: how long each takes to be acknowledged, and /healthz's latency
 * meanwhile (asked every 10 ms by a child process), on each back end. First, the matcher alone on a
 * growing value: RE2 (firebreak's) and JavaScript's backtracking RegExp (what it used before).
 * Targets: acknowledged in under 1 s; /healthz p99 under 50 ms.
 * Half the values hold no "canary" (RE2's search rejects them at once), half a "-canary" that does not
 * end them (the whole-value match runs). Env: BENCH_WEBHOOKS (default 6), BENCH_LABEL_BYTES (default
 * 1048576), BENCH_BACKENDS.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config/config.js';
import { createLogger } from '../src/lib/logger.js';
import { startFirebreak } from '../src/main.js';
import { matches, parseMatcher } from '../src/playbooks/matchers.js';
import { backends } from './backends.js';
import type { ProbeAnswer, ProbeRequest } from './redos-probe.js';

const WEBHOOKS = Number(process.env.BENCH_WEBHOOKS ?? 6);
const LABEL_BYTES = Number(process.env.BENCH_LABEL_BYTES ?? 1024 * 1024);
const TOKEN = 'bench-token-0123456789';
const MATCHER = 'service=~".*-.*-canary"';

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};
const ms = (n: number) => `${n.toFixed(1)} ms`;
const time = (fn: () => unknown) => {
  const t = performance.now();
  fn();
  return performance.now() - t;
};

console.log(`the matcher ${MATCHER} on "x-" repeated, then "1" (no canary) or "canary-1" (a canary, not at the end):`);
const re2 = parseMatcher(MATCHER);
const backtracking = /^(?:.*-.*-canary)$/s;
for (const bytes of [10_000, 100_000, 1_000_000]) {
  const [plain, canary] = ['1', 'canary-1'].map((end) => `${'x-'.repeat(bytes / 2)}${end}`) as [string, string];
  const line = [`  ${String(bytes).padStart(9)} bytes: RE2 ${ms(time(() => matches(re2, { service: plain })))} / ${ms(time(() => matches(re2, { service: canary })))}`];
  // Quadratic: a megabyte would take minutes.
  line.push(bytes <= 100_000 ? `JavaScript RegExp ${ms(time(() => backtracking.test(plain)))} / ${ms(time(() => backtracking.test(canary)))}` : 'JavaScript RegExp (not run: minutes)');
  console.log(line.join(', '));
}

const playbooks = mkdtempSync(join(tmpdir(), 'fb-bench-redos-'));
writeFileSync(join(playbooks, 'canary.yml'), `name: canary\nmatch: ['${MATCHER}']\nsteps:\n  - id: note\n    action: wait\n    with: { duration: 1s }\n`);
if (!process.env.DATABASE_URL) console.log('postgres: skipped (set DATABASE_URL to include it)');
console.log(`\n${WEBHOOKS} webhooks, each with a ${LABEL_BYTES}-byte service label, one after another (after a small one); /healthz every 10 ms meanwhile`);

for (const backend of backends()) {
  const fb = await backend.open();
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', ALERTMANAGER_WEBHOOK_TOKEN: TOKEN, PLAYBOOKS_DIR: playbooks });
  const app = await startFirebreak(config, createLogger('silent'), { db: fb.db });
  const child = fork(fileURLToPath(new URL('./redos-probe.ts', import.meta.url)), { execArgv: ['--import', 'tsx'] });
  const answer = await new Promise<ProbeAnswer>((resolve) => {
    child.once('message', (m) => resolve(m as ProbeAnswer));
    child.send({ url: app.url, token: TOKEN, webhooks: WEBHOOKS, labelBytes: LABEL_BYTES, probeMs: 10 } satisfies ProbeRequest);
  });
  child.kill();
  await app.close();
  await fb.dispose();
  if ('error' in answer) throw new Error(answer.error);
  const { acks, statuses, probes } = answer;
  console.log(`${backend.name}: acknowledged (HTTP ${[...new Set(statuses)].join(', ')}) in ${acks.map((a) => a.toFixed(0)).join(', ')} ms ` +
    `(max ${ms(Math.max(...acks))}); /healthz over ${probes.length} probes: p50 ${ms(percentile(probes, 50))}, ` +
    `p99 ${ms(percentile(probes, 99))}, max ${ms(Math.max(...probes))}`);
}
