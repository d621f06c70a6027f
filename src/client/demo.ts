import type { ApiCall } from './api-client.js';

/** The resolved twin of a firing webhook body: every alert ended now. */
export function resolvedBody(firing: string, now: Date): string {
  const body = JSON.parse(firing) as { status: string; alerts: { status: string; endsAt: string }[] };
  return JSON.stringify({
    ...body, status: 'resolved', alerts: body.alerts.map((a) => ({ ...a, status: 'resolved', endsAt: now.toISOString() })),
  });
}

/**
 * The demo's script: sends the storm, waits for a person to decide the gated step in the console,
 * then sends the alerts resolved (the incident resolves and its postmortem is drafted). Resolves
 * with the incident's reference; `say` narrates for the terminal.
 */
export async function runDemo(o: { url: string; storm: string; call: ApiCall; say: (line: string) => void; pollMs?: number; signal?: AbortSignal }): Promise<string> {
  const post = (body: string) => fetch(`${o.url}/webhooks/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const sent = await post(o.storm);
  const { incidents } = await sent.json() as { incidents: string[] };
  const ref = incidents[0]!;
  o.say(`an alert storm opened ${ref}: watch its playbook at ${o.url}/incidents/${ref}`);
  let announced = false;
  while (!o.signal?.aborted) {
    const d = await o.call('GET', `/incidents/${ref}`);
    const approvals = (d.body.approvals ?? []) as { id: number; status: string; stepId: string }[];
    const pending = approvals.find((a) => a.status === 'pending');
    if (pending && !announced) {
      o.say(`step ${pending.stepId} waits for your approval: Approve or Deny it at ${o.url}/incidents/${ref}`);
      announced = true;
    }
    if (approvals.some((a) => a.status !== 'pending')) break;
    await new Promise((r) => setTimeout(r, o.pollMs ?? 1000));
  }
  if (o.signal?.aborted) return ref;
  // Let the approved step run before the alerts clear.
  await new Promise((r) => setTimeout(r, 3_000));
  await post(resolvedBody(o.storm, new Date()));
  o.say(`the alerts resolved: ${ref} is resolved; its postmortem draft: ${o.url}/incidents/${ref}/postmortem`);
  return ref;
}
