/**
 * bench:redos's client, a process of its own (as Alertmanager and a liveness probe are): sends one
 * small webhook (warm-up), then webhooks whose `service` label is `labelBytes` long, one after
 * another, while it asks /healthz every `probeMs`; answers each long webhook's acknowledge time and
 * every /healthz latency, in ms.
 */

export interface ProbeRequest { url: string; token: string; webhooks: number; labelBytes: number; probeMs: number }
export type ProbeAnswer = { acks: number[]; statuses: number[]; probes: number[] } | { error: string };

// Even: no "canary" anywhere, where a backtracking engine tries every split of the value. Odd: a
// "-canary" that does not end the value, so that RE2's search finds it and the whole match runs.
const hostile = (bytes: number, i: number) => `${'x-'.repeat(Math.floor(bytes / 2))}${i % 2 ? `canary-${i}` : i}`;

function webhook(i: number, labelBytes: number): string {
  const labels = { alertname: 'ReDoS', service: hostile(labelBytes, i), severity: 'warning' };
  return JSON.stringify({
    version: '4', groupKey: `{}:{alertname="ReDoS",i="${i}"}`, truncatedAlerts: 0, status: 'firing', receiver: 'firebreak',
    groupLabels: { alertname: 'ReDoS' }, commonLabels: labels, commonAnnotations: {}, externalURL: 'http://alertmanager:9093',
    alerts: [{ status: 'firing', labels, annotations: {}, startsAt: new Date().toISOString(), endsAt: '0001-01-01T00:00:00Z',
      generatorURL: '', fingerprint: `redos${i.toString(16).padStart(11, '0')}` }],
  });
}

async function run(r: ProbeRequest): Promise<ProbeAnswer> {
  const bodies = Array.from({ length: r.webhooks }, (_, i) => webhook(i + 1, r.labelBytes));
  await post(r, webhook(0, 16));
  const probes: number[] = [];
  let probing = true;
  const prober = (async () => {
    while (probing) {
      const t = performance.now();
      await (await fetch(`${r.url}/healthz`)).arrayBuffer();
      probes.push(performance.now() - t);
      await new Promise((resolve) => setTimeout(resolve, r.probeMs));
    }
  })();
  const acks: number[] = [];
  const statuses: number[] = [];
  for (const body of bodies) {
    const t = performance.now();
    statuses.push(await post(r, body));
    acks.push(performance.now() - t);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  probing = false;
  await prober;
  return { acks, statuses, probes };
}

async function post(r: ProbeRequest, body: string): Promise<number> {
  const res = await fetch(`${r.url}/webhooks/alertmanager`, {
    method: 'POST', headers: { authorization: `Bearer ${r.token}`, 'content-type': 'application/json' }, body,
  });
  await res.arrayBuffer();
  return res.status;
}

if (process.send) {
  process.once('message', (r: ProbeRequest) => {
    run(r).then((answer) => process.send!(answer), (err: Error) => process.send!({ error: err.message } satisfies ProbeAnswer));
  });
}
