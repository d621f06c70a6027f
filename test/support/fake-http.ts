import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a FakeHttp received. */
export interface Received {
  method: string;
  /** The path as it arrived, without the query. */
  path: string;
  /** The request target as it arrived: path and query. */
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

type Route = (req: Received) => { status: number; body: unknown; headers?: Record<string, string> };

/**
 * A local HTTP server standing in for the services steps call (a deploy API, Prometheus,
 * Alertmanager): routes by "METHOD /path", every request recorded.
 */
export class FakeHttp {
  readonly received: Received[] = [];
  private readonly routes = new Map<string, Route>();
  private fallbackRoute: Route | undefined;
  private server!: Server;
  url = '';

  static async start(): Promise<FakeHttp> {
    const fake = new FakeHttp();
    fake.server = createServer((req, res) => void fake.handle(req, res));
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}/`;
    return fake;
  }

  /** host:port, as HTTP_ACTION_ALLOWED_HOSTS takes it. */
  get host(): string {
    return new URL(this.url).host;
  }

  route(key: string, handler: Route): this {
    this.routes.set(key, handler);
    return this;
  }

  /** Answers the requests no route takes (404 without one). */
  fallback(handler: Route): this {
    this.fallbackRoute = handler;
    return this;
  }

  to(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = req.url ?? '';
    const received = { method: req.method ?? '', path: url.split('?')[0]!, url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
    this.received.push(received);
    const route = this.routes.get(`${received.method} ${received.path}`) ?? this.fallbackRoute;
    const answer = route ? route(received) : { status: 404, body: { error: 'no such route' } };
    res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    res.end(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body));
  }
}

/** A Prometheus API answer with one series. */
export const prometheusAnswer = (resultType: 'vector' | 'matrix') => ({
  status: 200,
  body: {
    status: 'success',
    data: resultType === 'vector'
      ? { resultType, result: [{ metric: { code: '500' }, value: [1763700000, '0.42'] }] }
      : { resultType, result: [{ metric: { code: '500' }, values: [[1763700000, '0.40'], [1763700060, '0.42']] }] },
  },
});
