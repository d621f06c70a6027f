import type { Config } from './config/config.js';
import type { Db } from './db/db.js';
import { migrate, pendingMigrations } from './db/migrate.js';
import { describeDatabase, openDatabase } from './db/open.js';
import { startHttpServer } from './http/server.js';
import { createWebhookHandler } from './http/webhook.js';
import { countOpenIncidentsBySeverity } from './incidents/queries.js';
import { systemClock, type Clock } from './lib/clock.js';
import type { Logger } from './lib/logger.js';
import { createMetrics } from './lib/metrics.js';

/** A running firebreak. */
export interface Firebreak {
  url: string;
  db: Db;
  /** Graceful stop: no new requests, in-flight ones finish, then the database closes (unless it was handed in). */
  close(): Promise<void>;
}

/** The composition root: wires config, database, metrics and the HTTP server. */
export async function startFirebreak(config: Config, logger: Logger, deps: { db?: Db; clock?: Clock } = {}): Promise<Firebreak> {
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
      db, clock, logger, metrics, webhookToken: config.webhookToken, maxBytes: config.webhookMaxBytes,
    });
    const checkReady = async () => {
      const pending = await pendingMigrations(db);
      if (pending > 0) throw new Error(`${pending} migration(s) not applied`);
    };
    const http = await startHttpServer({ logger, metrics, webhook, checkReady }, config.port, config.host);
    logger.info({ url: http.url }, 'firebreak is listening');

    return {
      url: http.url,
      db,
      async close() {
        await http.close();
        if (!deps.db) await db.close();
        logger.info('firebreak stopped');
      },
    };
  } catch (err) {
    if (!deps.db) await db.close();
    throw err;
  }
}
