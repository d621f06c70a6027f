import { incidentRef } from '../incidents/types.js';
import { safeUrl } from '../lib/mrkdwn.js';
import type { PostmortemData } from './gather.js';
import type { MetricSection } from './metrics.js';

/** What the metrics part of a draft shows: sections, or why there are none. */
export type MetricsPart = { kind: 'collected'; sections: MetricSection[] } | { kind: 'unavailable'; reason: string };

/** The file name of a draft's n-th chart (1-based), as posted and as the Markdown names it. */
export const chartName = (number: number, n: number): string => `${incidentRef(number)}-chart-${n}.png`;

/**
 * The postmortem draft as Markdown. Pure and deterministic: the same data gives the same text
 * (no clock, no randomness). Text from alerts and people is escaped, so it stays text.
 */
export function renderPostmortem(d: PostmortemData, metrics: MetricsPart): string {
  const i = d.incident;
  const ref = incidentRef(i.number);
  const out: string[] = [];
  const line = (s = '') => out.push(s);

  line(`# Postmortem draft: ${ref} ${md(i.title)}`);
  line();
  line('> Drafted by firebreak from what it recorded of the incident: the times, alerts, timeline, playbook runs, approvals,');
  line('> evidence and metrics below are as they happened. The sections at the end are for people to write.');
  line();
  line('## Summary');
  line();
  table(out, ['', ''], [
    ['Incident', ref],
    ['Title', md(i.title)],
    ['Severity', i.severity],
    ['Status', i.status],
    ['Commander', i.commander ? md(i.commander) : 'nobody'],
    ...(i.groupKey ? [['Alert group', code(i.groupKey)]] : []),
    ...(i.previousNumber ? [['Follows', `${incidentRef(i.previousNumber)} (the same alert group fired again after it)`]] : []),
    ...(i.commonAnnotations.summary ? [['Alert summary', md(i.commonAnnotations.summary)]] : []),
    ...(i.commonAnnotations.description ? [['Alert description', md(i.commonAnnotations.description)]] : []),
    ['Duration', i.resolvedAt ? duration(i.resolvedAt.getTime() - i.openedAt.getTime()) : 'still open when drafted'],
  ]);
  line();

  line('## Key times (UTC)');
  line();
  const moments: [string, Date | null][] = [
    ['First alert started', i.firstAlertAt], ['Opened', i.openedAt], ['Acknowledged', i.acknowledgedAt],
    ['Mitigated', i.mitigatedAt], ['Resolved', i.resolvedAt],
  ];
  table(out, ['Moment', 'Time (UTC)', 'Relative to opening'],
    moments.map(([name, at]) => [name, at ? utc(at) : '—', at ? relative(at.getTime() - i.openedAt.getTime()) : '—']));
  line();
  const between = (a: Date | null, b: Date | null) => (a && b ? duration(b.getTime() - a.getTime()) : '—');
  table(out, ['Measure', 'Duration'], [
    ['Time to detect (first alert started → opened)', between(i.firstAlertAt, i.openedAt)],
    ['Time to acknowledge (opened → acknowledged)', between(i.openedAt, i.acknowledgedAt)],
    ['Time to mitigate (opened → mitigated)', between(i.openedAt, i.mitigatedAt)],
    ['Time to resolve (opened → resolved)', between(i.openedAt, i.resolvedAt)],
  ]);
  line();

  if (d.children?.length) {
    line('## Linked incidents');
    line();
    line(`${ref} is the parent of ${d.children.length} incidents: this postmortem covers them.`);
    line();
    table(out, ['Incident', 'Title', 'Severity', 'Status', 'Opened (UTC)', 'Resolved (UTC)'], d.children.map((c) => [
      incidentRef(c.number), md(c.title), c.severity, c.status, utc(c.openedAt), c.resolvedAt ? utc(c.resolvedAt) : '—',
    ]));
    line();
  }

  line('## Alerts involved');
  line();
  const total = d.alertGroups.reduce((n, g) => n + g.count, 0);
  const firing = d.alertGroups.reduce((n, g) => n + g.firing, 0);
  if (!total) line('_No alerts: the incident was declared by hand._');
  else {
    line(`${total} alert${total === 1 ? '' : 's'} under ${d.alertGroups.length} alert name${d.alertGroups.length === 1 ? '' : 's'}; ${firing} still firing when drafted.`);
    line();
    table(out, ['Alert', 'Alerts', 'Firing', 'First started', 'Last ended', 'Shared labels', 'Varying labels'], d.alertGroups.map((g) => [
      md(g.alertname), String(g.count), String(g.firing), utc(g.firstStartedAt), g.lastEndedAt ? utc(g.lastEndedAt) : '—',
      Object.entries(g.common).map(([k, v]) => code(`${k}=${v}`)).join(' ') || '—',
      g.varying.map((v) => `${code(v.label)} (${v.distinct}: ${v.values.map((x) => code(x)).join(', ')}${v.distinct > v.values.length ? ', …' : ''})`).join('; ') || '—',
    ]));
  }
  line();
  const grafana = d.grafanaLinks.map((g) => [md(g.alertname), mdLink('Silence', g.silenceUrl), mdLink('Dashboard', g.dashboardUrl), mdLink('Panel', g.panelUrl)]);
  if (grafana.some((row) => row.slice(1).some(Boolean))) {
    line('Grafana links:');
    line();
    for (const [name, ...links] of grafana) if (links.some(Boolean)) line(`- ${name}: ${links.filter(Boolean).join(' · ')}`);
    line();
  }

  if (d.pages.length) {
    line('## Paging');
    line();
    table(out, ['PagerDuty service', 'Requested by', 'Requested', 'Last event sent', 'On call when paged'], d.pages.map((p) => [
      md(p.service), md(p.requestedBy), utc(p.requestedAt), p.rejected ? `refused: ${md(p.rejected)}` : p.sent ?? 'none',
      p.oncall.map((o) => `${md(o.name)} (level ${o.level})`).join(', ') || '—',
    ]));
    line();
  }

  line('## Timeline');
  line();
  table(out, ['Time (UTC)', 'Actor', 'Event', 'What happened'], d.timeline.map((e) => [utc(e.at), md(e.actor), code(e.kind), md(e.summary)]));
  line();

  line('## Playbook runs');
  line();
  if (!d.runs.length) line('_No playbook ran._');
  for (const r of d.runs) {
    line(`### ${md(r.playbook)}`);
    line();
    line(`Started ${utc(r.startedAt)} (${r.trigger === 'alert' ? 'by the alerts' : `by ${md(r.requestedBy)}`}); ${r.status}` +
      `${r.finishedAt ? ` at ${utc(r.finishedAt)}, after ${duration(r.finishedAt.getTime() - r.startedAt.getTime())}` : ''}.`);
    line();
    table(out, ['Step', 'Action', 'Outcome', 'Duration', 'Attempts', 'Retries', 'Error'], r.steps.map((s) => [
      md(s.stepId), code(s.action), s.status, s.startedAt && s.finishedAt ? duration(s.finishedAt.getTime() - s.startedAt.getTime()) : '—',
      String(s.attempts), String(Math.max(0, s.attempts - 1)), s.error ? md(s.error) : '—',
    ]));
    line();
  }

  line('## Approvals');
  line();
  if (!d.approvals.length) line('_No step needed an approval._');
  else {
    table(out, ['Playbook', 'Step', 'Outcome', 'Requested by', 'Requested', 'Decided by', 'Approvers', 'Wait'], d.approvals.map((a) => [
      md(a.playbook), md(a.stepId), a.status, md(a.requestedBy), utc(a.requestedAt), a.decidedBy ? md(a.decidedBy) : '—',
      a.approvedBy.map((x) => md(x)).join(', ') || '—', a.decidedAt ? duration(a.decidedAt.getTime() - a.requestedAt.getTime()) : '—',
    ]));
  }
  line();

  line('## Evidence');
  line();
  if (!d.evidence.length) line('_No evidence was captured._');
  else {
    table(out, ['Playbook', 'Step', 'Kind', 'Media type', 'Size', 'SHA-256'], d.evidence.map((e) => [
      e.playbook ? md(e.playbook) : '—', e.stepId ? md(e.stepId) : '—', md(e.kind), md(e.mediaType),
      `${bytes(e.size)}${e.truncated ? ` (cut from ${bytes(e.originalSize)})` : ''}${e.redactions ? `, ${e.redactions} secret${e.redactions === 1 ? '' : 's'} redacted` : ''}`,
      code(e.sha256),
    ]));
  }
  line();

  line('## Metrics');
  line();
  if (metrics.kind === 'unavailable') line(`_No metrics: ${md(metrics.reason)}._`);
  else if (!metrics.sections.length) line('_No metrics: neither the playbooks nor the alert rules of this incident name a Prometheus query._');
  let chart = 0;
  for (const [k, s] of (metrics.kind === 'collected' ? metrics.sections : []).entries()) {
    line(`### ${k + 1}. ${code(s.query)}`);
    line();
    line(`From ${md(s.source)}; ${utc(s.window.start)} to ${utc(s.window.end)}, one point every ${duration(s.window.stepSeconds * 1000)}.`);
    line();
    if (s.outcome.kind === 'failed') line(`_The query failed: ${md(s.outcome.reason)}._`);
    else if (s.outcome.kind === 'empty') line('_The query returned no data for this window._');
    else {
      line(`Chart: ${code(chartName(i.number, ++chart))} (opening and resolution are the dashed lines).`);
      line();
      table(out, ['Series', 'Line', 'Peak', 'Peak at', 'Mean', 'At opening', 'At resolution'], s.outcome.series.map((x) => [
        md(seriesName(x.labels)), x.color, num(x.peak), utc(x.peakAt), num(x.mean), x.atOpen === null ? '—' : num(x.atOpen),
        x.atResolve === null ? '—' : num(x.atResolve),
      ]));
      if (s.outcome.hidden) line(`\n_${s.outcome.hidden} more series not shown: these are the ${s.outcome.series.length} with the highest peaks._`);
    }
    line();
  }

  for (const title of ['Impact', 'Root cause', 'Contributing factors']) {
    line(`## ${title}`);
    line();
    line('_To be written._');
    line();
  }
  line('## Action items');
  line();
  table(out, ['Action', 'Owner', 'Due'], [['_to be written_', '', '']]);
  line();
  line('## Lessons learned');
  line();
  line('_To be written._');
  return `${out.join('\n')}\n`;
}

function table(out: string[], head: string[], rows: string[][]): void {
  out.push(`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`));
}

/** Untrusted text made Markdown-inert for a table cell: one line, markup characters escaped, cut. */
/**
 * A Markdown link to an http(s) URL from an alert (untrusted): written as <…>, which no character
 * of a parsed URL can close (URL escapes < and >, spaces and line breaks); anything else is left out.
 */
function mdLink(text: string, url: string | null): string {
  const safe = safeUrl(url);
  return safe ? `[${text}](<${safe}>)` : '';
}

export function md(text: string, max = 500): string {
  const one = text.replace(/\s+/g, ' ').trim();
  const cut = one.length > max ? `${one.slice(0, max - 1)}…` : one;
  return cut.replace(/[\\`*_{}[\]()#+!|<>~]/g, (c) => `\\${c}`).replace(/&/g, '&amp;');
}

/** Text in a code span, whatever backticks it holds. */
export function code(text: string): string {
  const one = text.replace(/\s+/g, ' ').trim().slice(0, 500).replace(/\|/g, '\\|');
  const fence = '`'.repeat(Math.max(0, ...[...one.matchAll(/`+/g)].map((m) => m[0].length)) + 1);
  return fence.length > 1 || one.startsWith('`') || one.endsWith('`') ? `${fence} ${one} ${fence}` : `${fence}${one}${fence}`;
}

const utc = (at: Date) => at.toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, '');

/** 45s, 4m 12s, 2h 3m, 1d 2h. */
export function duration(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 ? ` ${s % 60}s` : ''}`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60) ? ` ${Math.floor((s % 3600) / 60)}m` : ''}`;
  return `${Math.floor(s / 86400)}d${Math.floor((s % 86400) / 3600) ? ` ${Math.floor((s % 86400) / 3600)}h` : ''}`;
}

const relative = (ms: number) => (ms === 0 ? '0s' : ms < 0 ? `${duration(ms)} before` : `+${duration(ms)}`);
const num = (v: number) => String(Number(v.toPrecision(4)));
const bytes = (n: number) => (n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`);
const seriesName = (labels: Record<string, string>) =>
  Object.keys(labels).length ? `{${Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}="${v}"`).join(', ')}}` : '(no labels)';
