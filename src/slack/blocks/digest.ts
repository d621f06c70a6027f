import { incidentRef, OPEN_STATUSES, SEVERITIES, type IncidentStatus } from '../../incidents/types.js';
import { formatDuration } from '../../lib/duration.js';
import { safeMrkdwn } from '../../lib/mrkdwn.js';
import { ACTION, type Block, slackDate } from './common.js';

/** An incident as the outage digest lists it. */
export interface DigestLine {
  number: number;
  title: string;
  severity: string;
  status: IncidentStatus;
  labels: Readonly<Record<string, string>>;
  /** It has a card of its own in the channel. */
  hasCard: boolean;
}

/** Everything the digest of one outage shows. */
export interface DigestView {
  outageId: number;
  startedAt: Date;
  endedAt: Date | null;
  threshold: number;
  windowMs: number;
  ownCardSeverity: string;
  /** The parent incident, once the outage was declared one. */
  parentNumber: number | null;
  incidents: readonly DigestLine[];
  /** FIREBREAK_PUBLIC_URL: where people open the console; each incident then links to its page. */
  consoleUrl?: string;
}

const STATUS_ICON: Record<IncidentStatus, string> = {
  triggered: ':red_circle:', acknowledged: ':large_orange_circle:', mitigated: ':large_yellow_circle:',
  resolved: ':white_check_mark:', closed: ':white_circle:',
};
// Slack: 50 blocks a message, 3,000 characters a section. The list gets what the rest leaves.
const SECTION_MAX = 2_900;
const LIST_BLOCKS = 40;
const TITLE_MAX = 70;
const LABEL_MAX = 60;
// A label splits the incidents when it has between 2 and this many values among them.
const SPLIT_MAX_VALUES = 8;
const SPLIT_SHOWN_VALUES = 5;
const SPLIT_SHOWN_LABELS = 4;
const SHARED_SHOWN = 8;
// Labels that say nothing about a cause when shared (every alert of a severity carries it).
const NOT_A_CAUSE = new Set(['severity']);

const rank = (status: IncidentStatus) => (OPEN_STATUSES.includes(status) ? 0 : 1);
/** Worst first: open before resolved, then severity, then the oldest. */
export const worstFirst = (a: DigestLine, b: DigestLine): number =>
  rank(a.status) - rank(b.status) || a.severity.localeCompare(b.severity) || a.number - b.number;

const label = (name: string, value: string) => `\`${safeMrkdwn(name, LABEL_MAX)}="${safeMrkdwn(value, LABEL_MAX)}"\``;

/** The label pairs every incident carries: a likely common cause. */
export function sharedLabels(incidents: readonly DigestLine[]): [string, string][] {
  const [first, ...rest] = incidents;
  if (!first) return [];
  return Object.entries(first.labels)
    .filter(([k, v]) => !NOT_A_CAUSE.has(k) && rest.every((i) => i.labels[k] === v))
    .sort(([a], [b]) => a.localeCompare(b));
}

/** Labels every incident carries with a few different values, and how many incidents have each value. */
export function splittingLabels(incidents: readonly DigestLine[]): { name: string; values: [string, number][] }[] {
  const names = new Set(incidents.flatMap((i) => Object.keys(i.labels)));
  const splits: { name: string; values: [string, number][] }[] = [];
  for (const name of [...names].sort()) {
    if (!incidents.every((i) => name in i.labels)) continue;
    const counts = new Map<string, number>();
    for (const i of incidents) counts.set(i.labels[name]!, (counts.get(i.labels[name]!) ?? 0) + 1);
    if (counts.size < 2 || counts.size > SPLIT_MAX_VALUES) continue;
    splits.push({ name, values: [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])) });
  }
  return splits;
}

/** The notification text of the digest: short, escaped (it holds no label text). */
export function digestText(v: DigestView): string {
  const open = v.incidents.filter((i) => OPEN_STATUSES.includes(i.status)).length;
  return `${v.endedAt ? 'Outage over' : 'Outage'}: ${v.incidents.length} incidents in this channel, ${open} open`;
}

/** The outage digest: one message, edited in place while the outage lasts. */
export function outageDigest(v: DigestView): Block[] {
  const n = v.incidents.length;
  const bySeverity = SEVERITIES.map((s) => `${s}: ${v.incidents.filter((i) => i.severity === s).length}`).join(' · ');
  const statuses = [...new Set(v.incidents.map((i) => i.status))];
  const byStatus = statuses.map((s) => `${s}: ${v.incidents.filter((i) => i.status === s).length}`).join(' · ');
  const shared = sharedLabels(v.incidents);
  const splits = splittingLabels(v.incidents).slice(0, SPLIT_SHOWN_LABELS);
  const when = v.endedAt
    ? `Outage mode from ${slackDate(v.startedAt)} to ${slackDate(v.endedAt)}: this is its final state.`
    : `Outage mode since ${slackDate(v.startedAt)}: more than ${v.threshold} new incidents within ${formatDuration(v.windowMs)} in this channel.`;
  const blocks: Block[] = [
    { type: 'header', text: { type: 'plain_text', text: `${v.endedAt ? 'Outage over' : 'Outage'}: ${n} incidents`, emoji: true } },
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `${when} Incidents below ${v.ownCardSeverity} are listed here rather than getting a card each; ` +
          '`/incident status INC-n` and the other commands work for every one.' +
          (v.parentNumber ? `\nDeclared as *${incidentRef(v.parentNumber)}*, which links them.` : ''),
      },
    },
    {
      type: 'section',
      fields: [{ type: 'mrkdwn', text: `*By severity*\n${bySeverity}` }, { type: 'mrkdwn', text: `*By status*\n${byStatus || '–'}` }],
    },
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: shared.length
          ? `*Likely common cause*: every incident carries ${shared.slice(0, SHARED_SHOWN).map(([k, val]) => label(k, val)).join(', ')}` +
            (shared.length > SHARED_SHOWN ? ` and ${shared.length - SHARED_SHOWN} more labels` : '')
          : '*Likely common cause*: no label is shared by every incident',
      },
    },
  ];
  if (splits.length) {
    const lines = splits.map((s) => `${safeMrkdwn(s.name, LABEL_MAX)}: ` + s.values.slice(0, SPLIT_SHOWN_VALUES)
      .map(([value, count]) => `\`${safeMrkdwn(value, LABEL_MAX)}\` ${count}`).join(', ') +
      (s.values.length > SPLIT_SHOWN_VALUES ? `, ${s.values.length - SPLIT_SHOWN_VALUES} more` : ''));
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `*Split by*\n${lines.join('\n')}` } });
  }
  blocks.push(...listSections([...v.incidents].sort(worstFirst), v.consoleUrl));
  if (!v.endedAt && !v.parentNumber) {
    blocks.push({
      type: 'actions',
      elements: [{
        type: 'button', action_id: ACTION.declareOutage, value: String(v.outageId), style: 'danger',
        text: { type: 'plain_text', text: 'Declare outage' },
        confirm: {
          title: { type: 'plain_text', text: 'Declare an outage?' },
          text: { type: 'mrkdwn', text: `Opens a sev1 parent incident that links these ${n} incidents.` },
          confirm: { type: 'plain_text', text: 'Declare' }, deny: { type: 'plain_text', text: 'Cancel' },
        },
      }],
    });
  }
  return blocks;
}

/** One line per incident, worst first, in as many sections as it takes; what does not fit is counted. */
function listSections(sorted: readonly DigestLine[], consoleUrl: string | undefined): Block[] {
  const sections: string[] = [];
  let current = '';
  let listed = 0;
  for (const i of sorted) {
    // The base URL is the operator's (validated at start); the reference is INC- and digits.
    const ref = consoleUrl ? `<${consoleUrl}/incidents/${incidentRef(i.number)}|${incidentRef(i.number)}>` : incidentRef(i.number);
    const line = `${STATUS_ICON[i.status]} *${ref}* ${i.severity} · ${i.status} · ${safeMrkdwn(i.title, TITLE_MAX)}` +
      (i.hasCard ? ' _(own card)_' : '');
    if (current.length + line.length + 1 > SECTION_MAX) {
      sections.push(current);
      current = '';
      if (sections.length === LIST_BLOCKS) break;
    }
    current += (current ? '\n' : '') + line;
    listed++;
  }
  if (current) sections.push(current); // empty after a break: the list is full
  const blocks: Block[] = sections.map((text) => ({ type: 'section', text: { type: 'mrkdwn', text } }));
  if (listed < sorted.length) {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `…and ${sorted.length - listed} more, the least severe (\`/incident list\` shows them)` }] });
  }
  return blocks;
}
