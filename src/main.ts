import type { Config } from './config/config.js';
import type { Db } from './db/db.js';
import { migrate, pendingMigrations } from './db/migrate.js';
import { describeDatabase, openDatabase } from './db/open.js';
import { startHttpServer } from './http/server.js';
import { createWebhookHandler } from './http/webhook.js';
import { JOB_INCIDENT_CARD, JOB_INCIDENT_COMMANDER, JOB_INCIDENT_OPENED } from './incidents/jobs.js';
import { countOpenIncidentsBySeverity } from './incidents/queries.js';
import { systemClock, type Clock } from './lib/clock.js';
import type { Logger } from './lib/logger.js';
import { createMetrics, type Metrics } from './lib/metrics.js';
import { startWorker, type JobHandler, type WorkerOptions } from './runner/worker.js';
import { createSlackApi } from './slack/api.js';
import { createSlackApp, type SlackApp } from './slack/app.js';
import { createSlackJobs } from './slack/card-jobs.js';

/** A running firebreak. */
export interface Firebreak {
  url: string;
  db: Db;
  metrics: Metrics;
  /** Graceful stop: no new requests, in-flight ones finish, then the database closes (unless it was handed in). */
  close(): Promise<void>;
}

/** The composition root: wires config, database, metrics and the HTTP server. */
export async function startFirebreak(
  config: Config,
  logger: Logger,
  deps: { db?: Db; clock?: Clock; worker?: Pick<WorkerOptions, 'pollMs' | 'backoffBaseMs'> } = {},
): Promise<Firebreak> {
  const clock = deps.clock ?? systemClock;
  logger.info(describeDatabase(config.database), 'opening database');
  const db = deps.db ?? (await openDatabase(config.database, logger));
  try {
    const applied = await migrate(db);
    if (applied.length) logger.info({ applied }, 'migrations applied');

    if (config.webhookToken === undefined) {
      logger.warn('ALERTMANAGER_WEBHOOK_TOKEN is not set: only webhooks from this host (loopback) are accepted');
    } else if (config.webhookToken.length < 16) {
      logger.warn('ALERTMANAGER_WEBHOOK_TOKEN is shorter than 16 characters: use a long random token');
    }
    const metrics = createMetrics(() => countOpenIncidentsBySeverity(db));
    const webhook = createWebhookHandler({
      db, clock, logger, metrics, webhookToken: config.webhookToken, maxBytes: config.webhookMaxBytes, cards: config.slack !== undefined,
    });
    const checkReady = async () => {
      const pending = await pendingMigrations(db);
      if (pending > 0) throw new Error(`${pending} migration(s) not applied`);
    };

    let slackApp: SlackApp | undefined;
    let handlers: Record<string, JobHandler>;
    if (config.slack) {
      slackApp = createSlackApp(config.slack, { db, clock, logger });
      handlers = createSlackJobs({ db, clock, api: createSlackApi(config.slack, logger, metrics), slack: config.slack });
      logger.info({ mode: slackApp.mode, channel: config.slack.incidentChannel, createChannels: config.slack.createChannels }, 'Slack is on');
    } else {
      // Nothing to show incidents on: their jobs complete at once rather than pile up.
      const nothing: JobHandler = async () => {};
      handlers = { [JOB_INCIDENT_OPENED]: nothing, [JOB_INCIDENT_CARD]: nothing, [JOB_INCIDENT_COMMANDER]: nothing };
      logger.info('Slack is off (SLACK_BOT_TOKEN unset): incidents are recorded but not posted');
    }
    const worker = await startWorker({ db, handlers, logger, metrics, ...deps.worker });
    const http = await startHttpServer({ logger, metrics, webhook, checkReady, slackEvents: slackApp?.events }, config.port, config.host);
    slackApp?.start();
    logger.info({ url: http.url }, 'firebreak is listening');

    return {
      url: http.url,
      db,
      metrics,
      async close() {
        await slackApp?.stop();
        await http.close();
        await worker.stop();
        if (!deps.db) await db.close();
        logger.info('firebreak stopped');
      },
    };
  } catch (err) {
    if (!deps.db) await db.close();
    throw err;
  }
}
