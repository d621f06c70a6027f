import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export const JIRA_EMAIL = 'firebreak@example.com';
export const JIRA_TOKEN = 'jira-api-token-0123';

/** An issue the fake holds. */
export interface FakeIssue {
  id: string;
  key: string;
  fields: { project: { key: string }; summary: string; issuetype: { name: string }; labels: string[]; description: unknown };
}

/**
 * A local Jira Cloud REST API v3 speaking what jira.create_issue asks (create an issue, the
 * enhanced JQL search by label), with basic auth, as Jira answers them.
 */
export class FakeJira {
  readonly issues: FakeIssue[] = [];
  readonly requests: { method: string; path: string; authorization: string | undefined; body: unknown }[] = [];
  /** Answer the next create with this status instead (a 400 refusal, a 503). */
  failNext: { status: number; body: unknown } | undefined;

  private constructor(private readonly server: Server, readonly url: string) {}

  static async start(): Promise<FakeJira> {
    const ref: { fake?: FakeJira } = {};
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const [status, body] = ref.fake!.handle(req.method ?? '', new URL(req.url ?? '/', 'http://x').pathname, req.headers.authorization, Buffer.concat(chunks).toString('utf8'));
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    ref.fake = new FakeJira(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return ref.fake;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private handle(method: string, path: string, authorization: string | undefined, text: string): [number, unknown] {
    const body = text ? JSON.parse(text) as Record<string, unknown> : undefined;
    this.requests.push({ method, path, authorization, body });
    if (authorization !== `Basic ${Buffer.from(`${JIRA_EMAIL}:${JIRA_TOKEN}`).toString('base64')}`) return [401, { errorMessages: ['Unauthorized'] }];
    if (method === 'POST' && path === '/rest/api/3/search/jql') {
      const m = /^labels = "([^"]+)"$/.exec(String(body?.jql ?? ''));
      if (!m) return [400, { errorMessages: [`Error in the JQL Query: ${String(body?.jql)}`] }];
      const found = this.issues.filter((i) => i.fields.labels.includes(m[1]!)).slice(0, Number(body?.maxResults ?? 50));
      return [200, { issues: found.map((i) => ({ id: i.id, key: i.key, fields: { summary: i.fields.summary } })), isLast: true }];
    }
    if (method === 'POST' && path === '/rest/api/3/issue') {
      if (this.failNext) {
        const { status, body: answer } = this.failNext;
        this.failNext = undefined;
        return [status, answer];
      }
      const fields = body!.fields as FakeIssue['fields'];
      const id = String(10000 + this.issues.length);
      const key = `${fields.project.key}-${this.issues.length + 1}`;
      this.issues.push({ id, key, fields });
      return [201, { id, key, self: `${this.url}/rest/api/3/issue/${id}` }];
    }
    return [404, { errorMessages: [`no route ${method} ${path}`] }];
  }
}
