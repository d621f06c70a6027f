import type { ApiCall, ClientAnswer } from './api-client.js';

/** What a command prints and its exit code. */
export interface ClientResult {
  out: string;
  err: string;
  code: number;
}

export const CLIENT_USAGE = `  incidents list [--status s,…] [--severity s,…] [--q text] [--since t] [--until t] [--limit n]
                                         incidents, newest first (t: ISO 8601, like 2026-12-01T00:00:00Z)
  incidents show INC-n                   one incident: facts, alerts, steps, approvals
  timeline INC-n                         its timeline, and whether its hash chain verifies
  approve <approval> | deny <approval>   decide a step waiting for approval (as FIREBREAK_TOKEN's person)
  jobs list [--state failed] [--kind k]  jobs in one state
  jobs retry <job>                       queue a failed job again`;

const fail = (a: ClientAnswer): ClientResult => ({ out: '', err: `firebreak: ${a.status}: ${a.body.message ?? JSON.stringify(a.body)}\n`, code: 1 });
const usage = (text: string): ClientResult => ({ out: '', err: `firebreak: usage: ${text}\n`, code: 2 });
const when = (t: string | null | undefined) => (t ? t.replace('T', ' ').slice(0, 19) : '-');

/** `--name value` options and the rest. */
function options(args: string[], names: readonly string[]): { opts: Record<string, string>; rest: string[] } | undefined {
  const opts: Record<string, string> = {};
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const m = /^--([a-z]+)(?:=(.*))?$/.exec(args[i]!);
    if (!m) rest.push(args[i]!);
    else if (!names.includes(m[1]!)) return undefined;
    else if (m[2] !== undefined) opts[m[1]!] = m[2];
    else if (i + 1 < args.length) opts[m[1]!] = args[++i]!;
    else return undefined;
  }
  return { opts, rest };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- API JSON
type Json = any;

export const incidentLines = (incidents: Json[]): string =>
  incidents.map((i) => `${i.ref}\t${i.severity}\t${i.status}\t${when(i.openedAt)}\t${i.title}`).join('\n') + (incidents.length ? '\n' : '');

export const timelineLines = (events: Json[]): string => events.map((e) => `${String(e.seq).padStart(4)}  ${when(e.at)}  ${e.kind}  ${e.actor}  ${e.summary}`).join('\n') + (events.length ? '\n' : '');

/** The commands that talk to a running server. Throws NoServer when none answers (the caller may fall back). */
export async function clientCommand(call: ApiCall, command: string, args: string[]): Promise<ClientResult | undefined> {
  const ref = (s: string | undefined) => (/^(inc-)?\d{1,9}$/i.test(s ?? '') ? `INC-${s!.replace(/^inc-/i, '')}` : undefined);
  if (command === 'incidents' && args[0] === 'list') {
    const o = options(args.slice(1), ['status', 'severity', 'q', 'since', 'until', 'limit']);
    if (!o || o.rest.length) return usage('incidents list [--status s,…] [--severity s,…] [--q text] [--since t] [--until t] [--limit n]');
    const a = await call('GET', `/incidents?${new URLSearchParams(o.opts)}`);
    return a.status === 200 ? { out: incidentLines(a.body.incidents), err: '', code: 0 } : fail(a);
  }
  if (command === 'incidents' && args[0] === 'show') {
    const r = ref(args[1]);
    if (!r || args.length !== 2) return usage('incidents show INC-n');
    const a = await call('GET', `/incidents/${r}`);
    if (a.status !== 200) return fail(a);
    const d = a.body;
    const i = d.incident;
    const lines = [
      `${i.ref}: ${i.title}`, `status ${i.status}, ${i.severity}, commander ${i.commander ?? 'nobody'}, opened ${when(i.openedAt)}`,
      `alerts: ${i.firing} firing, ${i.resolvedAlerts} resolved`,
      ...d.runs.flatMap((run: Json) => [`playbook ${run.playbook}: ${run.status}`, ...run.steps.map((s: Json) => `  ${s.stepId} (${s.action}): ${s.status}`)]),
      ...d.approvals.filter((x: Json) => x.status === 'pending').map((x: Json) => `approval ${x.id}: step ${x.stepId} of ${x.playbook} waits (firebreak approve ${x.id})`),
      `timeline: ${d.timeline.total} events, hash chain ${d.timeline.verified ? 'verified' : `BROKEN at ${d.timeline.brokenAtSeq}`}`,
    ];
    return { out: `${lines.join('\n')}\n`, err: '', code: 0 };
  }
  if (command === 'timeline') {
    const r = ref(args[0]);
    if (!r || args.length !== 1) return usage('timeline INC-n');
    // Page by page, so that a long incident's timeline is printed whole.
    const events: Json[] = [];
    let page: ClientAnswer;
    for (let after = 0; ; after = page.body.next) {
      page = await call('GET', `/incidents/${r}/timeline?after=${after}&limit=1000`);
      if (page.status !== 200) return fail(page);
      events.push(...page.body.events);
      if (page.body.next === null) break;
    }
    const t = page.body;
    return { out: timelineLines(events), err: t.verified ? '' : `firebreak: the hash chain is BROKEN at event ${t.brokenAtSeq}\n`, code: t.verified ? 0 : 1 };
  }
  if (command === 'approve' || command === 'deny') {
    if (!/^\d{1,15}$/.test(args[0] ?? '') || args.length !== 1) return usage(`${command} <approval id>`);
    const a = await call('POST', `/approvals/${args[0]}/${command}`);
    if (a.status !== 200) return fail(a);
    const b = a.body;
    const text = b.outcome === 'vote' ? `approval counted: ${b.votes} of ${b.needed}` : `step ${b.step} of ${b.playbook} ${b.outcome}`;
    return { out: `${text}\n`, err: '', code: 0 };
  }
  if (command === 'jobs' && args[0] === 'list') {
    const o = options(args.slice(1), ['state', 'kind', 'limit']);
    if (!o || o.rest.length) return usage('jobs list [--state failed] [--kind k] [--limit n]');
    const a = await call('GET', `/jobs?${new URLSearchParams(o.opts)}`);
    if (a.status !== 200) return fail(a);
    const jobs: Json[] = a.body.jobs;
    return { out: jobs.map((j) => `${j.id}\t${j.kind}\t${j.state}\t${j.attempts} attempts\t${j.lastError ?? ''}`).join('\n') + (jobs.length ? '\n' : ''), err: '', code: 0 };
  }
  if (command === 'jobs' && args[0] === 'retry') {
    if (!/^\d{1,15}$/.test(args[1] ?? '') || args.length !== 2) return usage('jobs retry <job id>');
    const a = await call('POST', `/jobs/${args[1]}/retry`);
    return a.status === 200 ? { out: `job ${args[1]}: ${a.body.outcome}\n`, err: '', code: 0 } : fail(a);
  }
  return undefined;
}

/** `postmortem INC-n` over the API: drafts it again and prints the new revision's Markdown. */
export async function postmortemOverApi(call: ApiCall, ref: string, waitMs = 30_000): Promise<ClientResult> {
  const before = await call('GET', `/incidents/${ref}/postmortem`);
  if (before.status !== 200 && before.status !== 404) return fail(before);
  const asked = await call('POST', `/incidents/${ref}/postmortem`);
  if (asked.status !== 200) return fail(asked);
  const revision = before.status === 200 ? before.body.revision as number : 0;
  for (const until = Date.now() + waitMs; Date.now() < until;) {
    const now = await call('GET', `/incidents/${ref}/postmortem`);
    if (now.status === 200 && now.body.revision > revision) return { out: now.body.markdown, err: '', code: 0 };
    await new Promise((r) => setTimeout(r, 250));
  }
  return { out: '', err: `firebreak: the server did not draft ${ref}'s postmortem within ${waitMs / 1000} s\n`, code: 1 };
}
