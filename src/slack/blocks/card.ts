import type { IncidentView } from '../../incidents/queries.js';
import { incidentRef, OPEN_STATUSES, type IncidentStatus } from '../../incidents/types.js';
import { cut, safeMrkdwn, safeUrl } from '../../lib/mrkdwn.js';
import { familyBlocks } from './links.js';
import { pagesLine } from './paging.js';
import { ACTION, type Block, type Button, mention, slackDate } from './common.js';

const STATUS_LABEL: Record<IncidentStatus, string> = {
  triggered: ':red_circle: Triggered',
  acknowledged: ':large_orange_circle: Acknowledged',
  mitigated: ':large_yellow_circle: Mitigated',
  resolved: ':white_check_mark: Resolved',
  closed: ':white_circle: Closed',
};

// The labels people look for first; the rest follow, up to MAX_LABELS. `severity` is its own field.
const LABEL_ORDER = ['alertname', 'service', 'namespace', 'cluster', 'job', 'instance', 'pod', 'team'];
const MAX_LABELS = 8;
// Slack limits: header 150, section text 3,000, field 2,000 characters.
const HEADER_MAX = 150;
const SECTION_MAX = 3000;
const LABEL_VALUE_MAX = 200;

/** The notification text of the card (what a phone shows), escaped and short. */
export function cardText(i: IncidentView): string {
  return safeMrkdwn(`${incidentRef(i.number)} [${i.severity}] ${i.status}: ${i.title}`, 300);
}

/** The incident card: one message per incident, updated in place as the incident changes. */
export function incidentCard(i: IncidentView): Block[] {
  const open = OPEN_STATUSES.includes(i.status);
  const blocks: Block[] = [
    { type: 'header', text: { type: 'plain_text', text: cut(`${incidentRef(i.number)} · ${i.title}`, HEADER_MAX), emoji: false } },
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Severity*\n${i.severity}` },
        { type: 'mrkdwn', text: `*Status*\n${STATUS_LABEL[i.status]}` },
        { type: 'mrkdwn', text: `*Commander*\n${i.commander ? mention(i.commander) : '_nobody yet_'}` },
        { type: 'mrkdwn', text: `*Alerts*\n${i.firing} firing, ${i.resolvedAlerts} resolved` },
        { type: 'mrkdwn', text: `*Started*\n${slackDate(i.openedAt)}` },
        ...(i.resolvedAt ? [{ type: 'mrkdwn', text: `*Resolved*\n${slackDate(i.resolvedAt)}` }]
          : i.mitigatedAt ? [{ type: 'mrkdwn', text: `*Mitigated*\n${slackDate(i.mitigatedAt)}` }]
            : i.acknowledgedAt ? [{ type: 'mrkdwn', text: `*Acknowledged*\n${slackDate(i.acknowledgedAt)}` }] : []),
      ],
    },
  ];

  const summary = [i.commonAnnotations.summary, i.commonAnnotations.description].filter(Boolean).join('\n');
  if (summary) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: safeMrkdwn(summary, SECTION_MAX) } });

  const labels = usefulLabels(i.commonLabels);
  if (labels.length) {
    const text = labels.map(([k, v]) => `*${safeMrkdwn(k, 100)}*: ${safeMrkdwn(v, LABEL_VALUE_MAX)}`).join('   ');
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: cut(text, SECTION_MAX) }] });
  }

  if (i.pages.length) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: cut(pagesLine(i.pages), SECTION_MAX) }] });

  const links: Button[] = [];
  const link = (id: string, text: string, url: string | null | undefined) => {
    const safe = safeUrl(url);
    if (safe) links.push({ type: 'button', action_id: id, text: { type: 'plain_text', text }, url: safe });
  };
  link(ACTION.linkRunbook, 'Runbook', i.runbookUrl);
  if (i.grafana) {
    // A Grafana-managed alert: Grafana itself, the rule, and the links Grafana gives.
    link(ACTION.linkAlertmanager, 'Grafana', i.externalUrl);
    link(ACTION.linkGenerator, 'Alert rule', i.generatorUrl);
    link(ACTION.linkSilence, 'Silence', i.grafana.silenceUrl);
    link(ACTION.linkDashboard, 'Dashboard', i.grafana.dashboardUrl);
    link(ACTION.linkPanel, 'Panel', i.grafana.panelUrl);
  } else {
    link(ACTION.linkAlertmanager, 'Alertmanager', i.externalUrl);
    link(ACTION.linkGenerator, 'Prometheus', i.generatorUrl);
  }

  if (open) blocks.push({ type: 'actions', block_id: 'incident_actions', elements: incidentButtons(i) });
  blocks.push(...familyBlocks(i));
  if (links.length) blocks.push({ type: 'actions', block_id: 'incident_links', elements: links });
  if (!open) {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `This incident is ${i.status}. Its timeline: \`/incident timeline ${incidentRef(i.number)}\`` }] });
  }
  return blocks;
}

/** The buttons of an open incident, on its card and in the Home tab. */
export function incidentButtons(i: Pick<IncidentView, 'id' | 'number' | 'status'>): Button[] {
  const value = String(i.id);
  const buttons: Button[] = [];
  if (i.status === 'triggered') buttons.push({ type: 'button', action_id: ACTION.acknowledge, text: { type: 'plain_text', text: 'Acknowledge' }, style: 'primary', value });
  if (i.status !== 'mitigated') buttons.push({ type: 'button', action_id: ACTION.mitigate, text: { type: 'plain_text', text: 'Mitigated' }, value });
  buttons.push({
    type: 'button', action_id: ACTION.resolve, text: { type: 'plain_text', text: 'Resolve' }, style: 'danger', value,
    confirm: {
      title: { type: 'plain_text', text: 'Resolve this incident?' },
      text: { type: 'plain_text', text: cut(`${incidentRef(i.number)} will be marked resolved.`, 300) },
      confirm: { type: 'plain_text', text: 'Resolve' },
      deny: { type: 'plain_text', text: 'Cancel' },
    },
  });
  buttons.push({ type: 'button', action_id: ACTION.commander, text: { type: 'plain_text', text: "I'm commander" }, value });
  return buttons;
}

function usefulLabels(labels: Record<string, string>): [string, string][] {
  const entries = Object.entries(labels).filter(([k]) => k !== 'severity');
  const rank = (k: string) => (LABEL_ORDER.includes(k) ? LABEL_ORDER.indexOf(k) : LABEL_ORDER.length);
  return entries.sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b)).slice(0, MAX_LABELS);
}
