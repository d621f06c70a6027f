import type { ChangeOutcome, IncidentChange } from '../../incidents/commands.js';
import type { TimelineLine } from '../../incidents/queries.js';
import { incidentRef, type IncidentSummary } from '../../incidents/types.js';
import { cut, safeMrkdwn } from '../../lib/mrkdwn.js';
import { mention, slackDate } from './common.js';

/** What firebreak answers to a command: visible to the asker only, or to the channel. */
export interface Reply {
  response_type: 'ephemeral' | 'in_channel';
  text: string;
}

// A reply is one text of at most 4,000 characters (Slack's limit for message text is higher, but
// an ephemeral answer longer than a screen helps nobody).
const REPLY_MAX = 4000;
export const ephemeral = (text: string): Reply => ({ response_type: 'ephemeral', text: cut(text, REPLY_MAX) });
export const inChannel = (text: string): Reply => ({ response_type: 'in_channel', text: cut(text, REPLY_MAX) });

const title = (i: { number: number; title: string }) => `*${incidentRef(i.number)}* ${safeMrkdwn(i.title, 200)}`;

/** One line per incident for `/incident list`. */
export function summaryLine(i: IncidentSummary): string {
  return `${title(i)} · ${i.severity} · ${i.status} · ${i.firing} firing · commander ${i.commander ? mention(i.commander) : 'nobody'}`;
}

export function statusText(i: IncidentSummary): string {
  const times = [
    `opened ${slackDate(i.openedAt)}`,
    i.acknowledgedAt && `acknowledged ${slackDate(i.acknowledgedAt)}`,
    i.mitigatedAt && `mitigated ${slackDate(i.mitigatedAt)}`,
    i.resolvedAt && `resolved ${slackDate(i.resolvedAt)}`,
  ].filter(Boolean).join(', ');
  return `${summaryLine(i)}\n${i.firing} alerts firing, ${i.resolvedAlerts} resolved; ${times}`;
}

export function timelineText(i: { number: number; title: string }, lines: readonly TimelineLine[], total: number): string {
  const shown = lines.map((l) => `\`${l.at.toISOString().slice(0, 19)}Z\` ${l.actor.startsWith('U') ? mention(l.actor) : safeMrkdwn(l.actor, 40)}: ${safeMrkdwn(l.summary, 300)}`);
  const more = total > lines.length ? `\n_${total - lines.length} earlier events not shown_` : '';
  return `Timeline of ${title(i)}:\n${shown.join('\n')}${more}`;
}

const DONE: Record<string, string> = { acknowledged: 'acknowledged', mitigated: 'marked mitigated', resolved: 'resolved' };

/** The answer to a change: the channel hears about real changes, the asker alone about the rest. */
export function changeReply(outcome: ChangeOutcome, change: IncidentChange, actor: string, notFound: string): Reply {
  if (outcome.outcome === 'not_found') return ephemeral(notFound);
  if (outcome.outcome === 'refused') return ephemeral(`:warning: ${safeMrkdwn(outcome.reason, 300)}`);
  const i = outcome.incident;
  if (outcome.outcome === 'unchanged') {
    const state = change.kind === 'severity' ? `already ${i.severity}` : change.kind === 'commander' ? `already led by ${mention(change.user)}` : `already ${i.status}`;
    return ephemeral(`${title(i)} is ${state}: nothing changed.`);
  }
  const who = mention(actor);
  switch (change.kind) {
    case 'status': return inChannel(`${who} ${DONE[i.status] ?? i.status} ${title(i)}`);
    case 'severity': return inChannel(`${who} changed the severity of ${title(i)}: ${outcome.previous.severity} → ${i.severity}`);
    case 'commander': return inChannel(`${mention(change.user)} is now the commander of ${title(i)} (set by ${who})`);
    case 'note': return inChannel(`${who} noted on ${title(i)}: ${safeMrkdwn(change.text, 3000)}`);
  }
}
