import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export const LINEAR_KEY = 'lin_api_fake0123456789abcdefghij';
export const LINEAR_TEAM = '3c0a7a1e-4f1b-4b8e-9d2a-6f0e2b1c5d7a';

/** An issue the fake holds. */
export interface FakeLinearIssue {
  id: string;
  identifier: string;
  url: string;
  teamId: string;
  title: string;
  description: string;
  priority: number;
}

/**
 * A local Linear GraphQL API answering the operations @linear/sdk sends for linear.create_issue
 * (`issues` filtered by description, `createIssue`, then `issue` by id), keyed by the operation's
 * name as the SDK writes its documents, with the API key in Authorization as Linear expects it.
 */
export class FakeLinear {
  readonly issues: FakeLinearIssue[] = [];
  readonly requests: { operation: string; authorization: string | undefined; variables: Record<string, unknown> }[] = [];
  /** Teams that exist: a create for another team is refused as Linear refuses it. */
  readonly teams = new Map([[LINEAR_TEAM, 'OPS']]);
  /** Answer the next create with this HTTP status instead (a 503). */
  failNext: number | undefined;

  private constructor(private readonly server: Server, readonly url: string) {}

  static async start(): Promise<FakeLinear> {
    const ref: { fake?: FakeLinear } = {};
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const [status, body] = req.method === 'POST' && new URL(req.url ?? '/', 'http://x').pathname === '/graphql'
          ? ref.fake!.handle(req.headers.authorization, Buffer.concat(chunks).toString('utf8'))
          : [404, { errors: [{ message: 'not found' }] }] as const;
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    ref.fake = new FakeLinear(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`);
    return ref.fake;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private node(i: FakeLinearIssue) {
    const at = '2026-12-03T10:00:00.000Z';
    return { __typename: 'Issue', id: i.id, identifier: i.identifier, url: i.url, title: i.title, description: i.description, priority: i.priority, number: Number(i.identifier.split('-')[1]), createdAt: at, updatedAt: at, team: { id: i.teamId }, labelIds: [], reactions: [], reactionData: [],
      sharedAccess: { __typename: 'IssueSharedAccess', isShared: false, sharedWithCount: 0, viewerHasOnlySharedAccess: false, disallowedIssueFields: [], sharedWithUsers: [] },
    };
  }

  private handle(authorization: string | undefined, text: string): [number, unknown] {
    const { query, variables = {} } = JSON.parse(text) as { query: string; variables?: Record<string, unknown> };
    const operation = /^\s*(?:query|mutation)\s+(\w+)/.exec(query)?.[1] ?? '';
    this.requests.push({ operation, authorization, variables });
    if (authorization !== LINEAR_KEY) {
      return [400, { errors: [{ message: 'Authentication required, not authenticated', extensions: { type: 'authentication error', userError: true, userPresentableMessage: 'Authentication required, not authenticated.' } }] }];
    }
    if (operation === 'issues') {
      const contains = (variables.filter as { description?: { contains?: string } } | undefined)?.description?.contains;
      if (typeof contains !== 'string') return [400, { errors: [{ message: 'the fake answers issues filtered by description only' }] }];
      const found = this.issues.filter((i) => i.description.includes(contains)).slice(0, Number(variables.first ?? 50));
      return [200, { data: { issues: { __typename: 'IssueConnection', nodes: found.map((i) => this.node(i)), pageInfo: { __typename: 'PageInfo', hasNextPage: false, hasPreviousPage: false } } } }];
    }
    if (operation === 'createIssue') {
      if (this.failNext) {
        const status = this.failNext;
        this.failNext = undefined;
        return [status, { errors: [{ message: 'Service Unavailable' }] }];
      }
      const input = variables.input as { teamId: string; title: string; description?: string; priority?: number };
      const key = this.teams.get(input.teamId);
      if (!key) {
        return [400, { errors: [{ message: 'Argument Validation Error', extensions: { type: 'invalid input', userError: true, userPresentableMessage: 'Team not found: the team does not exist or you do not have access to it.' } }] }];
      }
      const n = this.issues.filter((i) => i.teamId === input.teamId).length + 1;
      const issue = {
        id: `0b7e4f7a-0000-4000-8000-${String(this.issues.length + 1).padStart(12, '0')}`, identifier: `${key}-${n}`,
        url: `https://linear.app/example/issue/${key}-${n}`, teamId: input.teamId, title: input.title, description: input.description ?? '', priority: input.priority ?? 0,
      };
      this.issues.push(issue);
      return [200, { data: { issueCreate: { __typename: 'IssuePayload', lastSyncId: this.issues.length, success: true, issue: { id: issue.id } } } }];
    }
    if (operation === 'issue') {
      const issue = this.issues.find((i) => i.id === variables.id || i.identifier === variables.id);
      if (!issue) return [200, { data: null, errors: [{ message: 'Entity not found', extensions: { type: 'invalid input', userError: true, userPresentableMessage: 'Could not find referenced Issue.' } }] }];
      return [200, { data: { issue: this.node(issue) } }];
    }
    return [400, { errors: [{ message: `the fake does not answer ${operation || 'this operation'}` }] }];
  }
}
