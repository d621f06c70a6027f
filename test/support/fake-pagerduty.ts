import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { Agent } from 'node:https';
import type { AddressInfo } from 'node:net';

const TLS = new URL('./tls/', import.meta.url);
const CERT = readFileSync(new URL('cert.pem', TLS));

/** An agent that trusts the fake's self-signed certificate (the real client's TLS checks stay on). */
export const trustingAgent = (): Agent => new Agent({ ca: CERT });

/** One Events API v2 request the fake received, and what it answered. */
export interface PagerDutyEvent {
  body: { routing_key: string; event_action: string; dedup_key: string; payload?: Record<string, unknown>; links?: unknown[]; client?: string };
  status: number;
  userAgent: string | undefined;
}

/** One person on call, as GET /oncalls lists them (with include[]=users). */
export interface FakeOnCall {
  policy: string;
  level: number;
  name: string;
  email: string;
}

/**
 * A local PagerDuty over HTTPS (a self-signed certificate: pdjs's Events API client speaks https
 * only): POST /v2/enqueue as the Events API v2 answers it, GET /oncalls as the REST API does, every
 * request recorded, failures on demand.
 */
export class FakePagerDuty {
  readonly events: PagerDutyEvent[] = [];
  readonly oncallRequests: { url: URL; authorization: string | undefined }[] = [];
  readonly oncalls: FakeOnCall[] = [];
  private readonly failures: { status: number; body: unknown; headers?: Record<string, string> }[] = [];
  /** While true, requests are read and never answered (a PagerDuty that hangs). */
  hang = false;
  /** Awaited once, before the next Events API answer (then cleared): what happens while a page is in flight. */
  beforeNextAnswer: ((body: PagerDutyEvent['body']) => Promise<void>) | undefined;
  private server!: Server;
  host = '';

  static async start(): Promise<FakePagerDuty> {
    const fake = new FakePagerDuty();
    fake.server = createServer({ cert: CERT, key: readFileSync(new URL('key.pem', TLS)) }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (fake.hang) return;
        const url = new URL(req.url ?? '/', 'https://fake');
        const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
          res.writeHead(status, { 'content-type': 'application/json', ...headers });
          res.end(JSON.stringify(body));
        };
        if (req.method === 'POST' && url.pathname === '/v2/enqueue') {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as PagerDutyEvent['body'];
          const reply = () => fake.answerEvent(body, req.headers['user-agent'], answer);
          const hook = fake.beforeNextAnswer;
          fake.beforeNextAnswer = undefined;
          return void (hook ? hook(body).then(reply) : reply());
        }
        if (req.method === 'GET' && url.pathname === '/oncalls') {
          fake.oncallRequests.push({ url, authorization: req.headers.authorization });
          const policies = url.searchParams.getAll('escalation_policy_ids[]');
          const oncalls = fake.oncalls.filter((o) => policies.includes(o.policy)).map((o) => ({
            escalation_policy: { id: o.policy, type: 'escalation_policy_reference' },
            escalation_level: o.level,
            user: { id: `P${o.name.toUpperCase().slice(0, 5)}`, type: 'user', summary: o.name, name: o.name, email: o.email },
            schedule: null, start: null, end: null,
          }));
          return answer(200, { oncalls, limit: 25, offset: 0, more: false, total: null });
        }
        answer(404, { error: { message: 'Not Found', code: 2100 } });
      });
    });
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    fake.host = `127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    return fake;
  }

  private answerEvent(body: PagerDutyEvent['body'], userAgent: string | undefined, answer: (status: number, body: unknown, headers?: Record<string, string>) => void): void {
    const forced = this.failures.shift();
    const status = forced?.status ?? this.validate(body);
    this.events.push({ body, status, userAgent });
    if (forced) return answer(forced.status, forced.body, forced.headers);
    if (status === 400) return answer(400, { status: 'invalid event', message: 'Event object is invalid', errors: ['\'payload.summary\' is missing or blank'] });
    return answer(202, { status: 'success', message: 'Event processed', dedup_key: body.dedup_key });
  }

  /** The next `times` events get this answer instead (500, 429 with Retry-After, a 400 refusal…). */
  failNext(status: number, times = 1, body: unknown = { status: 'error', message: `forced ${status}` }, headers?: Record<string, string>): void {
    for (let i = 0; i < times; i++) this.failures.push({ status, body, headers });
  }

  /** PagerDuty's own checks of an event (the documented required fields): 202 or 400. */
  private validate(body: PagerDutyEvent['body']): number {
    if (!/^[A-Za-z0-9]{32}$/.test(body.routing_key ?? '')) return 400;
    if (!['trigger', 'acknowledge', 'resolve'].includes(body.event_action)) return 400;
    if (body.event_action !== 'trigger') return body.dedup_key ? 202 : 400;
    const p = body.payload as { summary?: string; source?: string; severity?: string } | undefined;
    if (!p?.summary || p.summary.length > 1024 || !p.source || !['critical', 'error', 'warning', 'info'].includes(p.severity ?? '')) return 400;
    return 202;
  }

  /** Accepted events (202), in order. */
  accepted(): PagerDutyEvent['body'][] {
    return this.events.filter((e) => e.status === 202).map((e) => e.body);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
