import type { ActionParams } from '../playbooks/action-params.js';
import { ActionFailure, type Action } from '../runner/action.js';
import { TicketApiError, ticketLabel, type Ticket } from './jira.js';

/** The port to Linear (src/tickets implements it over @linear/sdk). A refusal throws a TicketApiError. */
export interface LinearPort {
  /** The issue whose description carries `marker`, if one was filed already. */
  findByMarker(marker: string): Promise<Ticket | null>;
  create(p: { teamId: string; title: string; description: string; priority: number | undefined }): Promise<Ticket>;
}

/** The line that makes a ticket findable again: Linear's labels are per team and made by hand, so it goes in the description. */
export const linearMarker = (label: string): string => `firebreak: ${label}`;

/**
 * `linear.create_issue`: files an issue, once per incident and step, as jira.create_issue does:
 * before creating, it looks for the issue marked for this incident and step.
 */
export function createLinearAction(deps: { port: LinearPort | undefined; teamId: string | undefined }): Action {
  return {
    async run(raw, ctx) {
      const p = raw as ActionParams['linear.create_issue'];
      if (!deps.port) throw new ActionFailure('linear: not configured here (LINEAR_API_KEY); nothing was filed', { retryable: false });
      const teamId = p.team_id ?? deps.teamId;
      if (!teamId) throw new ActionFailure('linear: the step names no team_id and LINEAR_TEAM_ID is not set; nothing was filed', { retryable: false });
      const marker = linearMarker(ticketLabel(ctx.incident.id, ctx.step?.playbook ?? 'by-hand', ctx.step?.id ?? 'ticket'));
      try {
        const found = await deps.port.findByMarker(marker);
        if (found) return { output: { ...found, created: false }, summary: `${found.key} was filed for this step already: ${found.url}` };
        const ticket = await deps.port.create({
          teamId, title: p.title, priority: p.priority,
          description: `${p.description ?? ''}${p.description ? '\n\n' : ''}Filed by firebreak for ${ctx.incident.ref}: ${ctx.incident.title}\n\n${marker}`,
        });
        return { output: { ...ticket, created: true }, summary: `${ticket.key} filed: ${ticket.url}` };
      } catch (err) {
        if (err instanceof TicketApiError) {
          throw new ActionFailure(`linear: the server answered ${err.status}: ${err.message}`, { retryable: err.status === 429 || err.status >= 500, cause: err });
        }
        throw new ActionFailure(`linear: ${(err as Error).message}`, { retryable: true, cause: err });
      }
    },
  };
}
