import { mkdtempSync } from 'node:fs';
import type { Agent } from 'node:https';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/config.js';
import type { Clock } from '../../src/lib/clock.js';
import type { Logger } from '../../src/lib/logger.js';
import type { IdentityRetry } from '../../src/slack/identity.js';
import { startFirebreak, type Firebreak } from '../../src/main.js';
import type { TestDatabase } from './databases.js';
import { captureLogs } from './logs.js';
import { SIGNING_SECRET } from './slack-requests.js';

/** test/fixtures/: captured Alertmanager payloads and Slack request bodies (each folder's README says where from). */
export const FIXTURES = new URL('../fixtures/', import.meta.url);
export const TOKEN = 'test-token-0123456789abcdef';

/** A fixture file's text. */
export const fixture = (path: string): Promise<string> => readFile(new URL(path, FIXTURES), 'utf8');

/** A running firebreak on a test database, on a random loopback port. */
export interface TestApp extends Firebreak {
  logs: ReturnType<typeof captureLogs>;
  /** POSTs a body to the Alertmanager webhook, with the bearer token unless `token: null`. */
  postWebhook(body: string, init?: { token?: string | null; contentType?: string }): Promise<Response>;
}

// Tests that are not about playbooks run with none (the repository's examples would run otherwise).
const NO_PLAYBOOKS = mkdtempSync(join(tmpdir(), 'firebreak-no-playbooks-'));

export async function startTestApp(
  database: TestDatabase,
  env: Record<string, string> = {},
  options: { clock?: Clock; logger?: Logger; fetch?: typeof fetch; pagerAgent?: Agent; slackIdentityRetry?: IdentityRetry } = {},
): Promise<TestApp> {
  // Retries (backoff capped at 250 ms) and polls fast, so that failure tests take seconds (production
  // waits seconds to minutes); running jobs get a second at close; expired approvals are swept every
  // second; unreadable approvers are read again after milliseconds.
  const worker = { pollMs: 500, backoffBaseMs: 100, backoffMaxMs: 250, shutdownGraceMs: 1_000 };
  const config = loadConfig({
    PORT: '0', HOST: '127.0.0.1', ALERTMANAGER_WEBHOOK_TOKEN: TOKEN, LOG_LEVEL: 'debug', PLAYBOOKS_DIR: NO_PLAYBOOKS, ...env,
  });
  const logs = captureLogs();
  const app = await startFirebreak(config, options.logger ?? logs.logger, {
    db: database.db, clock: options.clock, worker, fetch: options.fetch, pagerAgent: options.pagerAgent, approvalSweep: '* * * * * *',
    approverReadDelaysMs: [50, 100], slackIdentityRetry: options.slackIdentityRetry,
    // Socket Mode reconnects sooner after a drop (production: 1 s, doubling up to a minute).
    slackSocket: { clientPingTimeoutMs: 2_000, reconnect: { firstDelayMs: 200, maxDelayMs: 1_000 } },
  });
  return {
    ...app,
    logs,
    postWebhook(body, init = {}) {
      const token = init.token === undefined ? TOKEN : init.token;
      return fetch(`${app.url}/webhooks/alertmanager`, {
        method: 'POST',
        headers: {
          'content-type': init.contentType ?? 'application/json',
          ...(token === null ? {} : { authorization: `Bearer ${token}` }),
        },
        body,
      });
    },
  };
}

/** The environment that points firebreak's Slack side at a FakeSlack. */
export function slackEnv(apiUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: 'xoxb-test-0000', SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: apiUrl,
    SLACK_INCIDENT_CHANNEL: INCIDENT_CHANNEL, ...extra,
  };
}

/** The main incident channel of the Slack tests. */
export const INCIDENT_CHANNEL = 'C0INCIDENTS';

/** A counter's value in the app's metrics (0 when absent). */
export async function metricValue(app: Firebreak, name: string, labels: Record<string, string>): Promise<number> {
  const metric = await app.metrics.registry.getSingleMetric(name)?.get();
  const found = metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return found?.value ?? 0;
}
