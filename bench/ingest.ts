/**
 * npm run bench:ingest — Alertmanager-shaped load against firebreak, on PGlite and (with
 * DATABASE_URL) on Postgres, compared with a floor: a minimal receiver that only parses the JSON
 * and does one multi-row upsert per webhook into an equivalent table (see FLOORS). The receivers
 * run in this process, the load generator in a child process (load-sender.ts).
 *
 * Env: BENCH_WEBHOOKS (400 per round), BENCH_ALERTS (50 per webhook), BENCH_CONCURRENCY (16), BENCH_GROUPS (40),
 * BENCH_ROUNDS (9: single rounds vary by ±10% on a shared 2-core machine), BENCH_BACKENDS (pglite,postgres).
 */
import { fork } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config/config.js';
import type { Db } from '../src/db/db.js';
import { createLogger } from '../src/lib/logger.js';
import { migrate } from '../src/db/migrate.js';
import { startFirebreak } from '../src/main.js';
import { backends } from './backends.js';
import type { LoadAnswer, SenderRequest } from './load-sender.js';

const WEBHOOKS = Number(process.env.BENCH_WEBHOOKS ?? 400);
const ALERTS = Number(process.env.BENCH_ALERTS ?? 50);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const GROUPS = Number(process.env.BENCH_GROUPS ?? 40);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const TOKEN = 'bench-token-0123456789abcdef';
const silent = createLogger('silent');

// The load comes from a process of its own, as Alertmanager's does (see load-sender.ts).
const sender = fork(fileURLToPath(new URL('./load-sender.ts', import.meta.url)));
function ask(request: SenderRequest): Promise<{ seconds: number; latencies: number[] }> {
  return new Promise((resolve, reject) => {
    sender.once('message', (answer: LoadAnswer) => ('error' in answer ? reject(new Error(answer.error)) : resolve(answer)));
    sender.send(request);
  });
}
const send = async (url: string, body: string) => (await ask({ kind: 'send', url, token: TOKEN, body })).latencies[0]!;

/** CPU seconds used so far by the local Postgres server's processes (Linux /proc; 0 elsewhere). */
function postgresCpuSeconds(): number {
  let ticks = 0;
  try {
    for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        if (!stat.includes('(postgres)')) continue;
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        ticks += Number(fields[11]) + Number(fields[12]); // utime + stime
      } catch {
        // the process ended while we looked
      }
    }
  } catch {
    return 0;
  }
  return ticks / 100; // USER_HZ is 100 on Linux
}

/** Webhooks first..first+count-1 sent to url; what the receiver process and Postgres spent on them. */
async function load(url: string, first: number, count: number) {
  const cpu = process.cpuUsage();
  const pgCpu = postgresCpuSeconds();
  const { seconds, latencies } = await ask({ kind: 'load', url, token: TOKEN, first, count, alerts: ALERTS, groups: GROUPS, concurrency: CONCURRENCY });
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!;
  const used = process.cpuUsage(cpu);
  return {
    alertsPerSecond: (count * ALERTS) / seconds, p50: pct(50), p99: pct(99),
    // Per webhook: this process (the receivers: the sender is a process of its own) and the Postgres server.
    receiverCpuMs: (used.user + used.system) / 1000 / count,
    pgCpuMs: ((postgresCpuSeconds() - pgCpu) * 1000) / count,
  };
}

/**
 * The floors: parse, then one multi-row upsert per webhook. Nothing else. The floor the target is
 * measured against writes an equivalent table: `alerts`' own columns, constraints and indexes
 * (LIKE … INCLUDING ALL, which copies no triggers: the floor keeps no incidents to check). The bare floor,
 * shown for reference, writes a 9-column table with 2 indexes.
 */
const FLOORS = {
  floor: {
    table: 'CREATE TABLE floor_alerts (LIKE alerts INCLUDING ALL)',
    upsert: `INSERT INTO floor_alerts (incident_id, fingerprint, starts_at, ends_at, status, alertname, labels, annotations,
                                       generator_url, first_seen_at, last_seen_at)
             SELECT 0, r."fingerprint", r."startsAt", r."endsAt", r.status, r.labels->>'alertname', r.labels, r.annotations,
                    r."generatorURL", now(), now()
               FROM jsonb_to_recordset($1::jsonb) AS r("fingerprint" text, "startsAt" timestamptz, "endsAt" timestamptz,
                                                       status text, labels jsonb, annotations jsonb, "generatorURL" text)
             ON CONFLICT (fingerprint, starts_at) DO UPDATE SET last_seen_at = now(), times_received = floor_alerts.times_received + 1`,
  },
  'bare floor': {
    table: `CREATE TABLE bare_floor_alerts (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, fingerprint text NOT NULL, starts_at timestamptz NOT NULL,
      status text NOT NULL, labels jsonb NOT NULL, annotations jsonb NOT NULL, generator_url text,
      last_seen_at timestamptz NOT NULL, times_received int NOT NULL DEFAULT 1, UNIQUE (fingerprint, starts_at))`,
    upsert: `INSERT INTO bare_floor_alerts (fingerprint, starts_at, status, labels, annotations, generator_url, last_seen_at)
             SELECT r."fingerprint", r."startsAt", r.status, r.labels, r.annotations, r."generatorURL", now()
               FROM jsonb_to_recordset($1::jsonb) AS r("fingerprint" text, "startsAt" timestamptz, status text, labels jsonb, annotations jsonb, "generatorURL" text)
             ON CONFLICT (fingerprint, starts_at) DO UPDATE SET last_seen_at = now(), times_received = bare_floor_alerts.times_received + 1`,
  },
};
type FloorName = keyof typeof FLOORS;

/** A floor's receiver, on a database migrated like firebreak's (so that `alerts` is there to copy). */
async function startFloor(db: Db, { table, upsert }: (typeof FLOORS)[FloorName]): Promise<Server> {
  await db.exec(table);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString()) as { alerts: unknown[] };
      db.query(upsert, [JSON.stringify(body.alerts)])
        .then(() => { res.writeHead(200); res.end('{}'); }, (err: Error) => { res.writeHead(500); res.end(err.message); });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server;
}

const fmt = (n: number, digits = 1) => n.toFixed(digits);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
/** The first webhook of round r: no earlier round (nor the warm-up) sent its alerts, so every alert is an insert. */
const roundStart = (r: number) => (r + 1) * 1_000_000;
const storm = await readFile(new URL('../test/fixtures/alertmanager/storm-2000.json', import.meta.url), 'utf8');
console.log(`load: ${WEBHOOKS} webhooks x ${ALERTS} new alerts in ${GROUPS} groups, ${CONCURRENCY} in flight; ` +
  `${ROUNDS} rounds, firebreak and the floors taking turns, medians shown`);
if (!process.env.DATABASE_URL) console.log('postgres: skipped (set DATABASE_URL to include it)');

type Load = Awaited<ReturnType<typeof load>>;
for (const backend of backends()) {
  const fb = await backend.open();
  const app = await startFirebreak(loadConfig({ PORT: '0', HOST: '127.0.0.1', ALERTMANAGER_WEBHOOK_TOKEN: TOKEN }), silent, { db: fb.db });
  const url = `${app.url}/webhooks/alertmanager`;
  const floorDb = await backend.open();
  await migrate(floorDb.db);
  const floors = await Promise.all((Object.keys(FLOORS) as FloorName[]).map(async (name) => {
    const server = await startFloor(floorDb.db, FLOORS[name]);
    return { name, server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
  }));
  // Enough webhooks for V8 to optimize each receiver's code: after 16, firebreak's first round was
  // often its slowest.
  for (const u of [url, ...floors.map((f) => f.url)]) await load(u, 100_000, 200);

  // Taking turns spreads the machine's drifts (other tenants, Postgres's background work) over all,
  // and the order flips every round: whoever goes first meets what the last one left behind (dirty
  // buffers, autovacuum of the tables it just filled).
  const runs: Record<'firebreak' | FloorName, Load>[] = [];
  const receivers = [{ name: 'firebreak' as const, url }, ...floors];
  for (let r = 0; r < ROUNDS; r++) {
    const run = {} as Record<'firebreak' | FloorName, Load>;
    for (const { name, url: to } of r % 2 ? [...receivers].reverse() : receivers) run[name] = await load(to, roundStart(r), WEBHOOKS);
    runs.push(run);
  }
  const stormNew = await send(url, storm);
  const stormRepeat = await send(url, storm);
  await app.close();
  await fb.dispose();
  for (const f of floors) await new Promise((r) => f.server.close(r));
  await floorDb.dispose();

  const summary = (name: 'firebreak' | FloorName) => {
    const of = (f: (l: Load) => number) => median(runs.map((run) => f(run[name])));
    return { alertsPerSecond: of((l) => l.alertsPerSecond), p50: of((l) => l.p50), p99: of((l) => l.p99), receiverCpuMs: of((l) => l.receiverCpuMs), pgCpuMs: of((l) => l.pgCpuMs) };
  };
  const cpu = (r: ReturnType<typeof summary>) =>
    `CPU/webhook: receiver ${fmt(r.receiverCpuMs, 2)} ms` + (backend.name === 'postgres' ? `, postgres ${fmt(r.pgCpuMs, 2)} ms` : '');
  for (const name of ['firebreak', ...floors.map((f) => f.name)] as const) {
    const r = summary(name);
    console.log(`${backend.name}: ${name.padEnd(10)} ${fmt(r.alertsPerSecond, 0)} alerts/s, ack p50 ${fmt(r.p50)} ms, p99 ${fmt(r.p99)} ms; ${cpu(r)}`);
  }
  for (const f of floors) {
    const ratios = runs.map((run) => run.firebreak.alertsPerSecond / run[f.name].alertsPerSecond);
    console.log(`${backend.name}: firebreak / ${f.name} = ${fmt(median(ratios), 2)} (rounds: ${ratios.map((x) => fmt(x, 2)).join(', ')})`);
  }
  console.log(`${backend.name}: storm-2000.json acknowledged in ${fmt(stormNew, 0)} ms (new), ${fmt(stormRepeat, 0)} ms (re-sent)`);
}
sender.disconnect();
