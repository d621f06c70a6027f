import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describeError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import { sendJson } from './respond.js';

/** A route handler. */
export type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** What the one HTTP server serves. */
export interface HttpDeps {
  logger: Logger;
  metrics: Metrics;
  webhook: Handler;
  /** Grafana's webhook contact point. */
  grafanaWebhook: Handler;
  /** Slack's requests (HTTP mode); undefined when Slack is off or in Socket Mode. */
  slackEvents?: Handler;
  /** PagerDuty's v3 webhooks; undefined when PAGERDUTY_WEBHOOK_SECRET is unset. */
  pagerDutyWebhook?: Handler;
  /** Everything under /api/ (src/api). */
  api?: Handler;
  /** The web console (src/console): every other path. */
  console?: Handler;
  /**
   * Resolves with nothing when the database is reachable and migrated, or with a reason firebreak
   * words itself (migrations pending); throws when the database cannot answer.
   */
  checkReady: () => Promise<string | undefined>;
  /**
   * What /readyz reports beside readiness without deciding it (Slack's Socket Mode connection):
   * a firebreak whose Slack connection is down still takes Alertmanager's webhooks, so it stays ready.
   */
  readyDetails?: () => Record<string, unknown>;
}

/** The running server, and its graceful stop. */
export interface HttpServer {
  server: Server;
  url: string;
  /** Stops accepting, lets in-flight requests finish (up to `graceMs`), then closes the rest. */
  close(graceMs?: number): Promise<void>;
}

export async function startHttpServer(deps: HttpDeps, port: number, host: string): Promise<HttpServer> {
  let stopping = false;
  const routes: Record<string, Handler> = {
    'POST /webhooks/alertmanager': deps.webhook,
    'POST /webhooks/grafana': deps.grafanaWebhook,
    'POST /slack/events': deps.slackEvents ?? (async (_req, res) =>
      sendJson(res, 404, { error: 'slack_off', message: 'Slack is not set up over HTTP here (SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET unset, or Socket Mode)' })),
    'POST /webhooks/pagerduty': deps.pagerDutyWebhook ?? (async (_req, res) =>
      sendJson(res, 404, { error: 'pagerduty_webhooks_off', message: 'PagerDuty webhooks are not set up here (PAGERDUTY_WEBHOOK_SECRET unset)' })),
    'GET /healthz': async (_req, res) => sendJson(res, 200, { status: 'ok' }),
    'GET /readyz': async (_req, res) => {
      if (stopping) return sendJson(res, 503, { status: 'stopping' });
      let reason: string | undefined;
      try {
        reason = await deps.checkReady();
      } catch (err) {
        // The database's own words (host names, user names, versions) are for the log, not for whoever asks.
        deps.logger.warn({ err: describeError(err) }, 'not ready: the database cannot answer');
        reason = 'database unavailable';
      }
      const details = deps.readyDetails?.() ?? {};
      if (reason) sendJson(res, 503, { status: 'not ready', reason, ...details });
      else sendJson(res, 200, { status: 'ready', ...details });
    },
    'GET /metrics': async (_req, res) => {
      const text = await deps.metrics.registry.metrics();
      res.writeHead(200, { 'content-type': deps.metrics.registry.contentType });
      res.end(text);
    },
  };

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    let handler = routes[`${req.method} ${path}`];
    if (!handler) {
      const allowed = Object.keys(routes).filter((r) => r.endsWith(` ${path}`)).map((r) => r.split(' ')[0]!);
      if (allowed.length) return sendJson(res, 405, { error: 'method_not_allowed', message: `use ${allowed.join(', ')}` }, { allow: allowed.join(', ') });
      handler = path.startsWith('/api/') ? deps.api : deps.console;
      if (!handler) return sendJson(res, 404, { error: 'not_found', message: `no route ${req.method} ${path}` });
    }
    handler(req, res).catch((err: unknown) => {
      deps.logger.error({ err: (err as Error).message, path }, 'request failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal', message: 'internal error' });
      else res.destroy();
    });
  });
  // Alertmanager's default webhook timeout is generous, but a client trickling bytes must not hold
  // a socket forever.
  server.requestTimeout = 60_000;
  server.headersTimeout = 20_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    server,
    url: `http://${shownHost === '0.0.0.0' ? '127.0.0.1' : shownHost}:${address.port}`,
    async close(graceMs = 10_000) {
      stopping = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), graceMs);
      await closed;
      clearTimeout(timer);
    },
  };
}
