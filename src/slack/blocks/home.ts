import type { IncidentSummary } from '../../incidents/types.js';
import { incidentRef } from '../../incidents/types.js';
import { cut, safeMrkdwn } from '../../lib/mrkdwn.js';
import type { ApprovalView } from '../../runner/views.js';
import { approvalButtons } from './approval.js';
import { incidentButtons } from './card.js';
import { mention, slackDate, type Block } from './common.js';

/** What one person's Home tab shows. */
export interface HomeContent {
  userId: string;
  /** Pending approvals whose frozen approver set holds this person, worst incident first. */
  approvals: readonly ApprovalView[];
  /** Open incidents, worst first; undefined when the person may not see incidents (permission `read`). */
  incidents: readonly IncidentSummary[] | undefined;
  /** Open incidents not shown (past the Home's limit). */
  moreIncidents: number;
  at: Date;
}

// A Home tab holds at most 100 blocks: 2 per approval and per incident, 6 around them.
export const HOME_APPROVALS_MAX = 15;
export const HOME_INCIDENTS_MAX = 30;

const header = (text: string): Block => ({ type: 'header', text: { type: 'plain_text', text: cut(text, 150) } });
const section = (text: string): Block => ({ type: 'section', text: { type: 'mrkdwn', text: cut(text, 3000) } });

/** The Home tab (views.publish): approvals waiting for the person, then open incidents, their own first; the same buttons as the cards. Pure. */
export function homeView(h: HomeContent): Block {
  const blocks: Block[] = [];
  const approvals = h.approvals.slice(0, HOME_APPROVALS_MAX);
  if (approvals.length) {
    blocks.push(header(`Waiting for your approval (${h.approvals.length})`));
    for (const a of approvals) {
      blocks.push(section(`*${incidentRef(a.incidentNumber)}* · playbook *${safeMrkdwn(a.playbook, 100)}* · step *${safeMrkdwn(a.stepId, 100)}* runs \`${safeMrkdwn(a.action, 60)}\`` +
        ` · expires ${slackDate(a.expiresAt)}`));
      blocks.push({ type: 'actions', block_id: `home_approval_${a.id}`, elements: approvalButtons(a) });
    }
  }
  if (!h.incidents) {
    blocks.push(section(':no_entry: You may not see incidents here (permission `read`).'));
  } else {
    const own = h.incidents.filter((i) => i.commander === h.userId).slice(0, HOME_INCIDENTS_MAX);
    const others = h.incidents.filter((i) => i.commander !== h.userId).slice(0, Math.max(0, HOME_INCIDENTS_MAX - own.length));
    const more = h.moreIncidents + h.incidents.length - own.length - others.length;
    const list = (title: string, incidents: readonly IncidentSummary[]) => {
      if (!incidents.length) return;
      blocks.push(header(title));
      for (const i of incidents) {
        blocks.push(section(`*${incidentRef(i.number)}* ${safeMrkdwn(i.title, 200)}\n${i.severity} · ${i.status} · ${i.firing} firing · ` +
          `commander ${i.commander ? mention(i.commander) : 'nobody'} · opened ${slackDate(i.openedAt)}`));
        blocks.push({ type: 'actions', block_id: `home_incident_${i.id}`, elements: incidentButtons(i) });
      }
    };
    list(`Your incidents (${own.length})`, own);
    list('Open incidents', others);
    if (!own.length && !others.length) blocks.push(section(approvals.length ? 'No open incidents.' : 'No open incidents, and nothing waits for your approval.'));
    if (more > 0) blocks.push(section(`${more} more open: \`/incident list\``));
  }
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `Updated ${slackDate(h.at)}` }] });
  return { type: 'home', blocks };
}
