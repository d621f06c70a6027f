import { Version3Client } from 'jira.js';
import { TicketApiError, type JiraPort, type Ticket } from '../actions/jira.js';
import type { JiraConfig } from '../config/config.js';

/** The JiraPort over jira.js (Jira Cloud REST API v3, basic auth with an API token). */
export function createJiraClient(config: JiraConfig): JiraPort {
  const client = new Version3Client({ host: config.url, authentication: { basic: { email: config.email, apiToken: config.apiToken } } });
  const browse = (key: string) => new URL(`browse/${encodeURIComponent(key)}`, config.url.replace(/\/?$/, '/')).toString();
  return {
    async findByLabel(label) {
      // The label is firebreak's own (letters, digits, - and _): quoted, it is one JQL value.
      const found = await jira(() => client.issueSearch.searchForIssuesUsingJqlEnhancedSearchPost({ jql: `labels = "${label}"`, fields: ['summary'], maxResults: 1 }));
      const issue = found.issues?.[0];
      return issue?.key ? { id: String(issue.id), key: issue.key, url: browse(issue.key) } : null;
    },
    async create({ project, summary, description, issueType, labels }): Promise<Ticket> {
      const created = await jira(() => client.issues.createIssue({
        fields: {
          project: { key: project }, summary, issuetype: { name: issueType }, labels,
          description: { type: 'doc', version: 1, content: description.split(/\n{2,}/).map((text) => ({ type: 'paragraph', content: [{ type: 'text', text }] })) },
        },
      }));
      return { id: String(created.id), key: created.key, url: browse(created.key) };
    },
  };
}

async function jira<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const e = err as { status?: number; response?: { status?: number; data?: { errorMessages?: string[]; errors?: Record<string, string> } }; message?: string };
    const status = e.status ?? e.response?.status;
    if (typeof status === 'number') {
      const data = e.response?.data;
      const message = [...(data?.errorMessages ?? []), ...Object.entries(data?.errors ?? {}).map(([k, v]) => `${k}: ${v}`)].join('; ') || e.message || `HTTP ${status}`;
      throw new TicketApiError(status, message);
    }
    throw err;
  }
}
