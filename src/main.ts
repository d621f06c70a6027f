import { randomUUID } from 'node:crypto';
import type { Agent } from 'node:https';
import { createActions } from './actions/index.js';
import { createPrometheusMetricsSource } from './actions/prometheus.js';
import type { PageFn } from './actions/pagerduty-trigger.js';
import type { Config } from './config/config.js';
import type { Db } from './db/db.js';
import { migrate, pendingMigrations } from './db/migrate.js';
import { describeDatabase, openDatabase } from './db/open.js';
import { startHttpServer } from './http/server.js';
import { createPagerDutyWebhookHandler } from './http/pagerduty-webhook.js';
import { createWebhookHandler } from './http/webhook.js';
import { JOB_INCIDENT_CARD, JOB_INCIDENT_COMMANDER, JOB_INCIDENT_OPENED, JOB_PAGER_SYNC } from './incidents/jobs.js';
import { pageIncident } from './incidents/pages-sql.js';
import { FIREBREAK_ACTOR } from './incidents/types.js';
import { countOpenIncidentsBySeverity } from './incidents/queries.js';
import { systemClock, type Clock } from './lib/clock.js';
import type { Logger } from './lib/logger.js';
import { createMetrics, type Metrics } from './lib/metrics.js';
import { createPagerDutyClient } from './pagerduty/client.js';
import { createOnCallLookup } from './pagerduty/oncall.js';
import { createPagerJobs } from './pagerduty/sync.js';
import { createPlaybookRegistry } from './playbooks/registry.js';
import { createPostmortemJobs, JOB_POSTMORTEM_POST } from './postmortem/draft.js';
import { expireApprovals } from './runner/approvals.js';
import { createRunnerJobs } from './runner/handlers.js';
import { CHAT_JOB_KINDS } from './runner/jobs.js';
import { startWorker, type JobHandler, type WorkerOptions } from './queue/worker.js';
import { pruneOldRows } from './scheduler/housekeeping.js';
import { startScheduler } from './scheduler/scheduler.js';
import { createSlackApi } from './slack/api.js';
import { createSlackApp, type SlackApp } from './slack/app.js';
import { createSlackJobs, JOB_CARD_POSTED } from './slack/card-jobs.js';
import { createSlackChat, createSlackDirectory } from './slack/ports.js';
import { createPostmortemSlackJobs } from './slack/postmortem-jobs.js';
import { createRunnerSlackJobs } from './slack/runner-jobs.js';

/** A running firebreak. */
export interface Firebreak {
  url: string;
  db: Db;
  metrics: Metrics;
  /** Reads the playbook directory again (SIGHUP). */
  reloadPlaybooks(): Promise<void>;
  /** Graceful stop: no new requests, in-flight ones finish, then the database closes (unless it was handed in). */
  close(): Promise<void>;
}

/** What tests may replace: the database, the clock, outbound fetch, the worker's pace. */
export interface FirebreakDeps {
  db?: Db;
  clock?: Clock;
  fetch?: typeof fetch;
  worker?: Pick<WorkerOptions, 'pollMs' | 'backoffBaseMs'>;
  /** Seconds field first (node-cron); tests sweep expired approvals every second. */
  approvalSweep?: string;
  /** Trusts a test server's certificate for PagerDuty's Events API (https only). */
  pagerAgent?: Agent;
}

/** The composition root: wires config, database, metrics, Slack, the runner, the scheduler and the HTTP server. */
export async function startFirebreak(config: Config, logger: Logger, deps: FirebreakDeps = {}): Promise<Firebreak> {
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
    const registry = await createPlaybookRegistry(config.playbooks.dir, logger, metrics);
    const webhook = createWebhookHandler({
      db, clock, logger, metrics, webhookToken: config.webhookToken, maxBytes: config.webhookMaxBytes, cards: config.slack !== undefined,
      mayStartPlaybook: registry.matchesAny,
    });
    const checkReady = async () => {
      const pending = await pendingMigrations(db);
      if (pending > 0) throw new Error(`${pending} migration(s) not applied`);
    };

    const pd = config.pagerduty;
    const pager = pd && createPagerDutyClient({ config: pd, metrics, agent: deps.pagerAgent });
    const pagerServices = pd && pd.services.size ? [...pd.services.keys()] : undefined;
    const page: PageFn | undefined = pagerServices && ((incidentId, service) => pageIncident(db, { id: incidentId }, service, pagerServices, {
      actor: FIREBREAK_ACTOR, at: clock.now(), requestKey: `playbook-page:${randomUUID()}`, reason: 'a playbook step',
    }));
    const onCall = pd?.apiToken && pager ? createOnCallLookup({ db, pager, config: pd, clock }) : undefined;
    const slackApi = config.slack && createSlackApi(config.slack, logger, metrics);
    const directory = slackApi ? createSlackDirectory(slackApi, clock, onCall) : undefined;
    const p = config.playbooks;
    const actions = createActions({
      fetch: deps.fetch ?? fetch, clock, execAllowlist: p.execAllowlist, execPath: p.execPath, httpAllowedHosts: p.httpAllowedHosts,
      prometheusUrl: p.prometheusUrl, alertmanagerUrl: p.alertmanagerUrl,
      chat: slackApi ? createSlackChat(slackApi, db, config.slack!.incidentChannel) : undefined,
      page,
      // One byte over the evidence cap, so that a cut is known and recorded.
      captureBytes: p.evidenceMaxBytes + 1,
    });
    const nothing: JobHandler = async () => {};
    let handlers: Record<string, JobHandler> = {
      ...createRunnerJobs({ db, clock, logger, metrics, registry, actions, evidenceMaxBytes: p.evidenceMaxBytes }),
      // With PagerDuty off there is nothing to sync: the jobs complete at once rather than pile up.
      ...(pd && pager && pagerServices ? createPagerJobs({ db, clock, logger, pager, config: pd }) : { [JOB_PAGER_SYNC]: nothing }),
      ...createPostmortemJobs({
        db, clock, logger, metrics,
        source: p.prometheusUrl ? createPrometheusMetricsSource({ fetch: deps.fetch ?? fetch, baseUrl: p.prometheusUrl, clock }) : undefined,
      }),
    };
    if (pd) logger.info({ services: pagerServices ?? [], eventsHost: pd.eventsHost, minSeverity: pd.minSeverity, onCall: Boolean(onCall) }, 'PagerDuty is on');

    let slackApp: SlackApp | undefined;
    const commandDeps = { db, clock, logger, metrics, registry, directory, pagerServices };
    if (config.slack && slackApi) {
      slackApp = createSlackApp(config.slack, commandDeps);
      handlers = {
        ...handlers,
        ...createSlackJobs({ db, clock, api: slackApi, slack: config.slack }),
        ...createRunnerSlackJobs({ db, api: slackApi, incidentChannel: config.slack.incidentChannel }),
        ...createPostmortemSlackJobs({ db, api: slackApi, incidentChannel: config.slack.incidentChannel }),
      };
      logger.info({ mode: slackApp.mode, channel: config.slack.incidentChannel, createChannels: config.slack.createChannels }, 'Slack is on');
    } else {
      // Nothing to show incidents on: their jobs complete at once rather than pile up.
      for (const kind of [JOB_INCIDENT_OPENED, JOB_INCIDENT_CARD, JOB_INCIDENT_COMMANDER, JOB_CARD_POSTED, ...CHAT_JOB_KINDS, JOB_POSTMORTEM_POST]) handlers[kind] = nothing;
      logger.info('Slack is off (SLACK_BOT_TOKEN unset): incidents are recorded but not posted');
      const gated = registry.current().filter((pb) => pb.definition.steps.some((s) => s.approval)).map((pb) => pb.definition.name);
      if (gated.length) logger.warn({ playbooks: gated }, 'Slack is off: steps that need approval cannot be approved and will expire');
    }
    const worker = await startWorker({ db, handlers, logger, metrics, leaseMs: config.jobLeaseMs, soleWorker: db.kind === 'pglite', ...deps.worker });
    const stopScheduler = startScheduler(db, logger, [
      { name: 'approvals.expire', schedule: deps.approvalSweep ?? '*/5 * * * * *', run: async () => void (await expireApprovals(db, clock.now(), metrics)) },
      { name: 'housekeeping', schedule: '0 17 * * * *', run: async () => void (await pruneOldRows(db)) },
    ]);
    const pagerDutyWebhook = pd?.webhookSecrets.length ? createPagerDutyWebhookHandler({ db, clock, logger, secrets: pd.webhookSecrets }) : undefined;
    const http = await startHttpServer({ logger, metrics, webhook, checkReady, slackEvents: slackApp?.events, pagerDutyWebhook }, config.port, config.host);
    slackApp?.start();
    logger.info({ url: http.url }, 'firebreak is listening');

    return {
      url: http.url,
      db,
      metrics,
      reloadPlaybooks: () => registry.reload(),
      async close() {
        await slackApp?.stop();
        await http.close();
        await stopScheduler();
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
