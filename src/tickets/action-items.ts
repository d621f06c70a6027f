import { createHash } from 'node:crypto';
import type { JiraPort, Ticket } from '../actions/jira.js';

/** An action item and the issue it is tracked by. */
export interface FiledItem {
  action: string;
  ticket: Ticket;
  created: boolean;
}

/** The label of an action item's issue: the incident and the item's text, so filing it twice finds it. */
export const actionItemLabel = (incidentId: number, action: string): string =>
  `firebreak-${incidentId}-action-${createHash('sha256').update(action).digest('hex').slice(0, 12)}`;

/**
 * Files each action item of an incident's postmortem as a Jira issue, once: an item filed before
 * (same incident, same text) is found by its label and not filed again.
 */
export async function fileActionItems(
  port: JiraPort, incident: { id: number; ref: string; title: string }, project: string,
  items: readonly { action: string; owner: string; due: string }[],
): Promise<FiledItem[]> {
  const filed: FiledItem[] = [];
  for (const item of items) {
    const label = actionItemLabel(incident.id, item.action);
    const found = await port.findByLabel(label);
    if (found) {
      filed.push({ action: item.action, ticket: found, created: false });
      continue;
    }
    const details = [item.owner && `Owner: ${item.owner}`, item.due && `Due: ${item.due}`].filter(Boolean).join('. ');
    const ticket = await port.create({
      project, summary: item.action.slice(0, 255), issueType: 'Task', labels: ['firebreak', 'postmortem', label],
      description: `${item.action}${details ? `\n\n${details}.` : ''}\n\nAn action item of the postmortem of ${incident.ref}: ${incident.title}`,
    });
    filed.push({ action: item.action, ticket, created: true });
  }
  return filed;
}
