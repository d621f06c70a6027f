import { LinearClient } from '@linear/sdk';
import { TicketApiError, type Ticket } from '../actions/jira.js';
import type { LinearPort } from '../actions/linear.js';
import type { LinearConfig } from '../config/config.js';

/** The LinearPort over @linear/sdk (Linear's GraphQL API, a personal API key). */
export function createLinearClient(config: LinearConfig): LinearPort {
  const client = new LinearClient({ apiKey: config.apiKey, apiUrl: config.apiUrl });
  return {
    async findByMarker(marker) {
      const found = await linear(() => client.issues({ filter: { description: { contains: marker } }, first: 1, includeArchived: true }));
      const issue = found.nodes[0];
      return issue ? { id: issue.id, key: issue.identifier, url: issue.url } : null;
    },
    async create({ teamId, title, description, priority }): Promise<Ticket> {
      const payload = await linear(() => client.createIssue({ teamId, title, description, ...(priority === undefined ? {} : { priority }) }));
      const issue = await linear(async () => payload.issue);
      if (!payload.success || !issue) throw new TicketApiError(500, 'Linear did not say the issue was created');
      return { id: issue.id, key: issue.identifier, url: issue.url };
    },
  };
}

async function linear<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const e = err as { status?: number; errors?: { message?: string }[]; message?: string };
    if (Array.isArray(e.errors) && (typeof e.status === 'number' || e.errors.length)) {
      const status = typeof e.status === 'number' && e.status !== 200 ? e.status : 400;
      const message = e.errors.map((x) => x.message).filter(Boolean).join('; ') || e.message || `HTTP ${status}`;
      throw new TicketApiError(status, message);
    }
    throw err;
  }
}
