import { ACTION_TEXT } from '../access/permissions.js';
import { html, markdownToHtml, safeUrl, type Html } from './html.js';

/** What every page knows: who is signed in, the form token, demo mode. */
export interface PageContext {
  /** The signed-in person's actor (`U…`, `api:name`), or the loopback reader. */
  who: string;
  mayWrite: boolean;
  signedIn: boolean;
  /** Tokens are configured: the sign-in form is offered. */
  tokens: boolean;
  csrf: string;
  demo: boolean;
}

/** A notice above the page's content: what a form did, or why it did not. */
export interface Notice {
  error: boolean;
  text: string;
}

const time = (d: string | Date | null | undefined) => (d ? html`<time datetime="${new Date(d).toISOString()}">${new Date(d).toISOString().replace('T', ' ').slice(0, 19)} UTC</time>` : html`<span class="muted">–</span>`);

/** The page around the content: header, demo banner, notice, the live-update script. */
export function layout(ctx: PageContext, title: string, main: Html, o: { notice?: Notice; incident?: string; live?: boolean; after?: number } = {}): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · firebreak</title><link rel="stylesheet" href="/console.css"></head>
<body>
<header><a class="home" href="/">firebreak</a><span class="muted">${ctx.who}${ctx.mayWrite ? '' : ' (read-only)'}</span>
${ctx.signedIn ? html`<form method="post" action="/sign-out"><input type="hidden" name="_csrf" value="${ctx.csrf}"><button>Sign out</button></form>`
    : ctx.tokens ? html`<a href="/sign-in">Sign in</a>` : ''}</header>
${ctx.demo ? html`<p class="banner" role="status"><strong>Demo mode</strong>: local only (this host), anyone here may act, approvals included. Not for real incidents.</p>` : ''}
${o.notice ? html`<p class="notice${o.notice.error ? ' error' : ''}" role="${o.notice.error ? 'alert' : 'status'}">${o.notice.text}</p>` : ''}
<main data-live="${o.live === false ? 'off' : 'on'}"${o.incident ? html` data-incident="${o.incident}"` : ''}${o.after !== undefined ? html` data-after="${String(o.after)}"` : ''}>
${main}
</main>
<script src="/console.js" defer></script>
</body></html>`.text;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- API answers, read field by field
type Json = any;

/** The incident list with its filters (a GET form: readable and bookmarkable without JavaScript). */
export function incidentListPage(ctx: PageContext, list: Json, query: Record<string, string>): Html {
  const rows = (list.incidents as Json[]).map((i) => html`<tr>
<td><a href="/incidents/${i.ref}">${i.ref}</a></td><td class="${i.severity}">${i.severity}</td><td>${i.status}</td>
<td>${i.title}</td><td>${i.firing} firing</td><td>${time(i.openedAt)}</td></tr>`);
  const next = list.next ? new URLSearchParams({ ...query, cursor: list.next }).toString() : undefined;
  return html`<h1>Incidents</h1>
<form method="get" action="/" role="search">
<label>Text <input type="text" id="q" name="q" value="${query.q ?? ''}"></label>
<label>Status <input type="text" name="status" value="${query.status ?? ''}" placeholder="triggered,acknowledged" size="24"></label>
<button>Filter</button></form>
${ctx.mayWrite ? commandBox(ctx, undefined) : ''}
<table><thead><tr><th>Incident</th><th>Severity</th><th>Status</th><th>Title</th><th>Alerts</th><th>Opened</th></tr></thead>
<tbody id="incidents">${rows.length ? rows : html`<tr><td colspan="6" class="muted">No incidents.</td></tr>`}</tbody></table>
${next ? html`<p><a href="/?${next}">Older incidents</a></p>` : ''}`;
}

/** The box that takes `/incident` syntax. */
function commandBox(ctx: PageContext, ref: string | undefined): Html {
  return html`<form method="post" action="/command">
<input type="hidden" name="_csrf" value="${ctx.csrf}">${ref ? html`<input type="hidden" name="ref" value="${ref}">` : ''}
<label for="command">/incident</label> <input type="text" id="command" name="text" placeholder="${ref ? 'ack · note looking at it · sev 2 · run restart-service' : 'declare Checkout is slow sev2'}" autocomplete="off">
<button>Run</button></form>`;
}

const evidenceLine = (e: Json) => html`<li><a href="${e.download}">evidence ${e.id}</a> <span class="muted">${e.mediaType}, ${e.size} bytes${e.truncated ? ` (cut from ${e.originalSize})` : ''}${e.redactions ? `, ${e.redactions} redactions` : ''}, SHA-256 <code>${e.sha256}</code></span></li>`;

/** One incident: the card's facts, pending approvals, steps with evidence, alerts, timeline. */
export function incidentPage(ctx: PageContext, d: Json): Html {
  const i = d.incident;
  const evidenceByStep = new Map<number | null, Json[]>();
  for (const e of d.evidence as Json[]) evidenceByStep.set(e.stepRunId, [...(evidenceByStep.get(e.stepRunId) ?? []), e]);
  const pending = (d.approvals as Json[]).filter((a) => a.status === 'pending');
  const decide = (a: Json, choice: 'approve' | 'deny') => html`<form class="inline" method="post" action="/approvals/${String(a.id)}/${choice}">
<input type="hidden" name="_csrf" value="${ctx.csrf}"><input type="hidden" name="ref" value="${i.ref}">
<button id="${choice}-${String(a.id)}">${choice === 'approve' ? 'Approve' : 'Deny'}</button></form>`;
  const generator = safeUrl(i.generatorUrl);
  const runbook = safeUrl(i.runbookUrl);
  return html`<h1>${i.ref}: ${i.title}</h1>
<dl>
<dt>Status</dt><dd id="status">${i.status}</dd><dt>Severity</dt><dd class="${i.severity}">${i.severity}</dd>
<dt>Commander</dt><dd>${i.commander ?? html`<span class="muted">nobody</span>`}</dd>
<dt>Opened</dt><dd>${time(i.openedAt)}</dd>
<dt>Alerts</dt><dd>${i.firing} firing, ${i.resolvedAlerts} resolved</dd>
${generator ? html`<dt>Graph</dt><dd><a href="${generator}" rel="noreferrer noopener">${generator}</a></dd>` : ''}
${runbook ? html`<dt>Runbook</dt><dd><a href="${runbook}" rel="noreferrer noopener">${runbook}</a></dd>` : ''}
</dl>
<p><a href="/incidents/${i.ref}/postmortem">Postmortem draft</a></p>
${ctx.mayWrite ? commandBox(ctx, i.ref) : ''}
<h2>Pending approvals</h2>
${pending.length ? html`<ul id="approvals">${pending.map((a) => html`<li>Step <strong>${a.stepId}</strong> of ${a.playbook} (${a.action}),
requested by ${a.requestedBy}, ${(a.approvedBy as string[]).length} of ${a.minApprovals} approvals, expires ${time(a.expiresAt)}
${ctx.mayWrite ? html`${decide(a, 'approve')} ${decide(a, 'deny')}` : ''}</li>`)}</ul>` : html`<p class="muted">None.</p>`}
<h2>Playbook runs</h2>
${(d.runs as Json[]).length ? (d.runs as Json[]).map((r) => html`<h3>${r.playbook} <span class="muted">${r.status}, ${r.trigger} by ${r.requestedBy}</span></h3>
<ol class="steps">${(r.steps as Json[]).map((s) => html`<li><strong>${s.stepId}</strong> (${s.action}): <span class="step-status" data-step="${s.stepId}">${s.status}</span>${s.error ? html` <span class="muted">${s.error}</span>` : ''}
${evidenceByStep.get(s.id)?.length ? html`<ul>${evidenceByStep.get(s.id)!.map(evidenceLine)}</ul>` : ''}</li>`)}</ol>`) : html`<p class="muted">None.</p>`}
<h2>Alerts</h2>
<table><thead><tr><th>Alert</th><th>Status</th><th>Labels</th><th>Since</th></tr></thead><tbody>
${(d.alerts as Json[]).map((a) => html`<tr><td>${a.alertname ?? a.fingerprint}</td><td>${a.status}</td>
<td><code>${Object.entries(a.labels as Record<string, string>).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}</code></td><td>${time(a.startsAt)}</td></tr>`)}
</tbody></table>
<h2>Timeline <span class="muted">${d.timeline.verified ? '(hash chain verified)' : `(hash chain BROKEN at event ${d.timeline.brokenAtSeq})`}</span></h2>
${d.timeline.total > d.timeline.events.length ? html`<p class="muted" id="timeline-cut">The newest ${String(d.timeline.events.length)} of ${String(d.timeline.total)} events.
The whole timeline: <a href="/api/v1/incidents/${d.incident.ref}/timeline?limit=1000">as JSON, a page at a time</a>, or <code>firebreak timeline ${d.incident.ref}</code>.</p>` : ''}
<ol id="timeline">${(d.timeline.events as Json[]).map((e) => html`<li value="${String(e.seq)}">${time(e.at)} <code>${e.kind}</code> <span class="muted">${e.actor}</span> ${e.summary}</li>`)}</ol>`;
}

/** The postmortem draft, rendered, with its charts. */
export function postmortemPage(ref: string, p: Json | undefined): Html {
  if (!p) return html`<h1>${ref}: postmortem</h1><p>No draft yet. Ask for one with <code>postmortem</code> in the incident's command box.</p>
<p><a href="/incidents/${ref}">Back to ${ref}</a></p>`;
  return html`<p><a href="/incidents/${ref}">Back to ${ref}</a> · revision ${String(p.revision)}, ${time(p.generatedAt)}, SHA-256 <code>${p.sha256}</code></p>
<article id="postmortem">${markdownToHtml(p.markdown as string)}</article>
${(p.charts as Json[]).map((c) => html`<figure><img class="chart" src="${c.png}" alt="${c.title}"><figcaption>${c.title}</figcaption></figure>`)}`;
}

/** The sign-in form: a token, kept in an HttpOnly cookie. */
export function signInPage(csrf: string): Html {
  return html`<h1>Sign in</h1>
<form method="post" action="/sign-in"><input type="hidden" name="_csrf" value="${csrf}">
<label for="token">API token (FIREBREAK_API_TOKENS)</label><br><input type="password" id="token" name="token" autocomplete="current-password" required autofocus>
<button>Sign in</button></form>`;
}

/** A refused or failed request, in words. */
export function errorText(status: number, message: string, action?: string): string {
  const what = action && action in ACTION_TEXT ? ` (you may not ${ACTION_TEXT[action as keyof typeof ACTION_TEXT]})` : '';
  return `${status === 403 ? 'Not allowed' : status === 404 ? 'Not found' : 'Not done'}${what}: ${message}`;
}

