/**
 * bench:ingest's load generator, a child process of the bench as Alertmanager is a process of its
 * own. Run inside the bench process it shared the receivers' one event loop and spent as much of
 * it per webhook (building requests, fetch, reading answers) as the floor's receiver did.
 *
 * Asked for a load, it builds webhooks first..first+count-1, sends them with `concurrency` in
 * flight, and answers `{ seconds, latencies }`; asked to send one body, it answers its latency in
 * `latencies`. A failure answers `{ error }`. The webhooks are built before the clock starts.
 */

export type SenderRequest = LoadRequest | { kind: 'send'; url: string; token: string; body: string };

export interface LoadRequest {
  kind: 'load';
  url: string;
  token: string;
  /** Index of the first webhook: webhook i always has the same alerts, so indices never sent before give new alerts. */
  first: number;
  count: number;
  alerts: number;
  groups: number;
  concurrency: number;
}

export type LoadAnswer = { seconds: number; latencies: number[] } | { error: string };

/** Webhook i: group i % groups, `alerts` alerts of its own (every one an insert the first time). */
function webhook(i: number, alerts: number, groups: number): string {
  const group = `svc-${i % groups}`;
  const startsAt = new Date(Date.UTC(2026, 10, 21, 8, 0, 0) + i).toISOString();
  return JSON.stringify({
    receiver: 'firebreak', status: 'firing',
    alerts: Array.from({ length: alerts }, (_, j) => ({
      status: 'firing',
      labels: { alertname: 'BenchAlert', service: group, pod: `${group}-${i}-${j}`, severity: 'warning' },
      annotations: { summary: `pod ${group}-${i}-${j} is unhappy`, description: 'x'.repeat(80) },
      startsAt, endsAt: '0001-01-01T00:00:00Z', generatorURL: 'http://prometheus:9090/graph?g0.expr=up',
      fingerprint: `${i.toString(16).padStart(8, '0')}${j.toString(16).padStart(8, '0')}`,
    })),
    groupLabels: { alertname: 'BenchAlert', service: group },
    commonLabels: { alertname: 'BenchAlert', service: group, severity: 'warning' }, commonAnnotations: {},
    externalURL: 'http://alertmanager:9093', version: '4', groupKey: `{}:{alertname="BenchAlert", service="${group}"}`, truncatedAlerts: 0,
  });
}

/** Posts one body; its acknowledge latency in ms. Anything but 200 fails the run. */
async function send(url: string, token: string, body: string): Promise<number> {
  const t = performance.now();
  const res = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`HTTP ${res.status} from ${url}`);
  return performance.now() - t;
}

async function run(r: SenderRequest): Promise<LoadAnswer> {
  if (r.kind === 'send') return { seconds: 0, latencies: [await send(r.url, r.token, r.body)] };
  const bodies = Array.from({ length: r.count }, (_, k) => webhook(r.first + k, r.alerts, r.groups));
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: r.concurrency }, async () => {
    while (next < bodies.length) latencies.push(await send(r.url, r.token, bodies[next++]!));
  }));
  return { seconds: (performance.now() - started) / 1000, latencies };
}

if (process.send) {
  process.on('message', (r: SenderRequest) => {
    run(r).then(
      (answer) => process.send!(answer),
      (err: Error) => process.send!({ error: err.message } satisfies LoadAnswer),
    );
  });
}
