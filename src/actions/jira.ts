import type { ActionParams } from '../playbooks/action-params.js';
import { ActionFailure, type Action } from '../runner/action.js';

/** A ticket filed in the tracker. */
export interface Ticket {
  id: string;
  key: string;
  url: string;
}

/** The port to Jira (src/tickets implements it over jira.js). A refusal throws a TicketApiError. */
export interface JiraPort {
  /** The issue carrying `label`, if one was filed already. */
  findByLabel(label: string): Promise<Ticket | null>;
  create(p: { project: string; summary: string; description: string; issueType: string; labels: string[] }): Promise<Ticket>;
}

/** The tracker answered with an error status. */
export class TicketApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = 'TicketApiError';
  }
}

/** The label that makes a step's ticket findable again: one per incident, playbook and step. */
export const ticketLabel = (incidentId: number, playbook: string, stepId: string): string => `firebreak-${incidentId}-${playbook}-${stepId}`;

/**
 * `jira.create_issue`: files an issue, once per incident and step. Before creating, it looks for
 * the issue labelled for this incident and step: a step run again (a retry, a crash, the playbook
 * run again by hand) finds it instead of filing a second one.
 */
export function createJiraAction(deps: { port: JiraPort | undefined }): Action {
  return {
    async run(raw, ctx) {
      const p = raw as ActionParams['jira.create_issue'];
      if (!deps.port) throw new ActionFailure('jira: not configured here (JIRA_URL, JIRA_EMAIL, JIRA_API_TOKEN); nothing was filed', { retryable: false });
      const label = ticketLabel(ctx.incident.id, ctx.step?.playbook ?? 'by-hand', ctx.step?.id ?? 'ticket');
      try {
        const found = await deps.port.findByLabel(label);
        if (found) return { output: { ...found, created: false }, summary: `${found.key} was filed for this step already: ${found.url}` };
        const ticket = await deps.port.create({
          project: p.project, summary: p.summary, issueType: p.issue_type, labels: [...(p.labels ?? []), 'firebreak', label],
          description: `${p.description ?? ''}${p.description ? '\n\n' : ''}Filed by firebreak for ${ctx.incident.ref}: ${ctx.incident.title}`,
        });
        return { output: { ...ticket, created: true }, summary: `${ticket.key} filed: ${ticket.url}` };
      } catch (err) {
        if (err instanceof TicketApiError) {
          throw new ActionFailure(`jira: the server answered ${err.status}: ${err.message}`, { retryable: err.status === 429 || err.status >= 500, cause: err });
        }
        throw new ActionFailure(`jira: ${(err as Error).message}`, { retryable: true, cause: err });
      }
    },
  };
}
