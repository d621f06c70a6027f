import { createHash } from 'node:crypto';
import type { JiraPort, Ticket } from '../actions/jira.js';
import { linearMarker, type LinearPort } from '../actions/linear.js';

/** An action item and the issue it is tracked by. */
export interface FiledItem {
  action: string;
  ticket: Ticket;
  created: boolean;
}

/** Where action items are filed: Jira's project or Linear's team, each finding an item again its own way. */
export interface ItemTracker {
  find(label: string): Promise<Ticket | null>;
  create(p: { summary: string; description: string; label: string }): Promise<Ticket>;
}

/** A Jira project: the label is the issue's label. */
export const jiraTracker = (port: JiraPort, project: string): ItemTracker => ({
  find: (label) => port.findByLabel(label),
  create: ({ summary, description, label }) => port.create({ project, summary, description, issueType: 'Task', labels: ['firebreak', 'postmortem', label] }),
});

/** A Linear team: the label is a marker line of the description (as linear.create_issue writes it). */
export const linearTracker = (port: LinearPort, teamId: string): ItemTracker => ({
  find: (label) => port.findByMarker(linearMarker(label)),
  create: ({ summary, description, label }) => port.create({ teamId, title: summary, description: `${description}\n\n${linearMarker(label)}`, priority: undefined }),
});

/** The label of an action item's issue: the incident and the item's text, so filing it twice finds it. */
export const actionItemLabel = (incidentId: number, action: string): string =>
  `firebreak-${incidentId}-action-${createHash('sha256').update(action).digest('hex').slice(0, 12)}`;

/**
 * Files each action item of an incident's postmortem as an issue, once: an item filed before
 * (same incident, same text) is found by its label and not filed again.
 */
export async function fileActionItems(
  tracker: ItemTracker, incident: { id: number; ref: string; title: string },
  items: readonly { action: string; owner: string; due: string }[],
): Promise<FiledItem[]> {
  const filed: FiledItem[] = [];
  for (const item of items) {
    const label = actionItemLabel(incident.id, item.action);
    const found = await tracker.find(label);
    if (found) {
      filed.push({ action: item.action, ticket: found, created: false });
      continue;
    }
    const details = [item.owner && `Owner: ${item.owner}`, item.due && `Due: ${item.due}`].filter(Boolean).join('. ');
    const ticket = await tracker.create({
      summary: item.action.slice(0, 255), label,
      description: `${item.action}${details ? `\n\n${details}.` : ''}\n\nAn action item of the postmortem of ${incident.ref}: ${incident.title}`,
    });
    filed.push({ action: item.action, ticket, created: true });
  }
  return filed;
}
