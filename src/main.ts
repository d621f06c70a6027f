import { randomUUID } from 'node:crypto';
import type { Agent } from 'node:https';
import { createAccess } from './access/guard.js';
import { openPolicyWarning } from './access/permissions.js';
import { createApi } from './api/api.js';
import { createConsole } from './console/console.js';
import { createActions } from './actions/index.js';
import { createPrometheusMetricsSource } from './actions/prometheus.js';
import type { PageFn } from './actions/pagerduty-trigger.js';
import type { Config } from './config/config.js';
import { readSecret } from './config/secrets.js';
import type { Db } from './db/db.js';
import { migrate, pendingMigrations } from './db/migrate.js';
import { describeDatabase, openDatabase } from './db/open.js';
import { startHttpServer } from './http/server.js';
import { createPagerDutyWebhookHandler } from './http/pagerduty-webhook.js';
import { createWebhookHandler } from './http/webhook.js';
import { parseGrafanaNotification } from './sources/grafana/notification.js';
import { createKubernetesClient } from './kubernetes/client.js';
import { createJiraClient } from './tickets/jira.js';
import { createLinearClient } from './tickets/linear.js';
import { isIncidentOpen } from './incidents/incidents-sql.js';
import { pageIncident } from './incidents/pages-sql.js';
import { FIREBREAK_ACTOR } from './incidents/types.js';
import { countOpenIncidentsBySeverity } from './incidents/queries.js';
import { systemClock, type Clock } from './lib/clock.js';
import type { Logger } from './lib/logger.js';
import { ErrorCode, FirebreakError } from './lib/errors.js';
import { isLoopbackHost } from './lib/loopback.js';
import { createMetrics, type Metrics } from './lib/metrics.js';
import { createPagerDutyClient } from './pagerduty/client.js';
import { createOnCallLookup } from './pagerduty/oncall.js';
import { createPagerJobs } from './pagerduty/sync.js';
import { createPlaybookRegistry } from './playbooks/registry.js';
import { createPostmortemJobs } from './postmortem/draft.js';
import type { JobBinding } from './queue/job.js';
import { createQueue, type Queue, type QueueOptions } from './queue/queue.js';
import { expireApprovals } from './runner/approvals.js';
import { createRunnerJobs } from './runner/handlers.js';
import { createRetentionJobs, RETENTION_PRUNE } from './retention/jobs.js';
import { startScheduler } from './scheduler/scheduler.js';
import { createSlackApi } from './slack/api.js';
import { createSlackApp, type SlackApp, type SocketOptions } from './slack/app.js';
import { createChannelBudget, withBudget } from './slack/budget.js';
import { createSlackJobs } from './slack/card-jobs.js';
import { createDigestJobs } from './slack/digest-jobs.js';
import { createHomeJobs } from './slack/home-jobs.js';
import { createOutageWatch } from './slack/outage.js';
import { learnSlackIdentity, type IdentityLearner, type IdentityRetry } from './slack/identity.js';
import { createMessageFinder } from './slack/post-once.js';
import { createSlackChat, createSlackDirectory } from './slack/ports.js';
import { createPostmortemSlackJobs } from './slack/postmortem-jobs.js';
import { createRunnerSlackJobs } from './slack/runner-jobs.js';

/** A running firebreak. */
export interface Firebreak {
  url: string;
  db: Db;
  metrics: Metrics;
  /** The job queue (enqueueing, and the pools running in this process). */
  queue: Queue;
  /** Reads the playbook directory again (SIGHUP). */
  reloadPlaybooks(): Promise<void>;
  /** Graceful stop: no new requests, in-flight ones finish, then the database closes (unless it was handed in). */
  close(): Promise<void>;
}

/** What tests may replace: the database, the clock, outbound fetch, the job queue's pace. */
export interface FirebreakDeps {
  db?: Db;
  clock?: Clock;
  fetch?: typeof fetch;
  worker?: Pick<QueueOptions, 'pollMs' | 'backoffBaseMs' | 'backoffMaxMs' | 'shutdownGraceMs'>;
  /** Seconds field first (node-cron); tests sweep expired approvals every second. */
  approvalSweep?: string;
  /** When housekeeping queues its pruning pass (node-cron, seconds first); hourly by default. */
  housekeeping?: string;
  /** Trusts a test server's certificate for PagerDuty's Events API (https only). */
  pagerAgent?: Agent;
  /** Waits before reading unreadable approvers again (tests wait milliseconds). */
  approverReadDelaysMs?: readonly number[];
  /** Waits between attempts to learn firebreak's Slack identity. */
  slackIdentityRetry?: IdentityRetry;
  /** Socket Mode's pace (tests reconnect sooner). */
  slackSocket?: SocketOptions;
  /** Demo mode (`firebreak demo`): on this host only, the API and console open to its person, a banner on every page. */
  demo?: boolean;
}

// How long start-up waits for the first attempt to learn the Slack identity, once the HTTP server
// listens (webhooks are taken meanwhile): long enough for a reachable Slack, short enough that an
// unreachable one does not hold the start.
const IDENTITY_WAIT_MS = 3_000;

/** The composition root: wires config, database, metrics, Slack, the runner, the scheduler and the HTTP server. */
export async function startFirebreak(config: Config, logger: Logger, deps: FirebreakDeps = {}): Promise<Firebreak> {
  const clock = deps.clock ?? systemClock;
  logger.info(describeDatabase(config.database), 'opening database');
  const db = deps.db ?? (await openDatabase(config.database, logger));
  try {
    const applied = await migrate(db);
    if (applied.length) logger.info({ applied }, 'migrations applied');

    if (config.webhookUnauthenticated) {
      logger.warn('ALERTMANAGER_WEBHOOK_UNAUTHENTICATED is true: anyone who can reach firebreak can send it alerts; set ALERTMANAGER_WEBHOOK_TOKEN');
    } else if (config.webhookToken === undefined) {
      logger.warn('ALERTMANAGER_WEBHOOK_TOKEN is not set: only webhooks from this host (loopback) are accepted');
    } else if (config.webhookToken.length < 16) {
      logger.warn('ALERTMANAGER_WEBHOOK_TOKEN is shorter than 16 characters: use a long random token');
    }
    const metrics = createMetrics(() => countOpenIncidentsBySeverity(db), () => pendingMigrations(db));
    const registry = await createPlaybookRegistry(config.playbooks.dir, logger, metrics, (variable) => readSecret(variable) !== undefined);
    const jobs = config.jobs;
    const queue = createQueue({
      db, logger, registry: metrics.registry, concurrency: jobs.concurrency, leaseMs: jobs.leaseMs, soleWorker: db.kind === 'pglite',
      shutdownGraceMs: jobs.shutdownGraceMs, ...deps.worker,
    });
    // Notifications about an open incident never give up: Slack or PagerDuty will be back.
    const whileOpen = (p: { incidentId: number }) => isIncidentOpen(db, p.incidentId);
    const webhook = createWebhookHandler({
      db, queue, clock, logger, metrics, webhookToken: config.webhookToken, webhookUnauthenticated: config.webhookUnauthenticated,
      maxBytes: config.webhookMaxBytes,
      mayStartPlaybook: registry.matchesAny,
    });
    const grafanaWebhook = createWebhookHandler({
      db, queue, clock, logger, metrics, webhookToken: config.grafanaWebhookToken, webhookUnauthenticated: config.webhookUnauthenticated,
      maxBytes: config.webhookMaxBytes, mayStartPlaybook: registry.matchesAny,
      parse: (json) => parseGrafanaNotification(json), tokenVariable: 'GRAFANA_WEBHOOK_TOKEN',
    });
    const checkReady = async () => {
      const pending = await pendingMigrations(db);
      return pending > 0 ? `${pending} migration(s) not applied` : undefined;
    };

    const pd = config.pagerduty;
    const pager = pd && createPagerDutyClient({ config: pd, metrics, agent: deps.pagerAgent });
    const pagerServices = pd && pd.services.size ? [...pd.services.keys()] : undefined;
    const page: PageFn | undefined = pagerServices && ((incidentId, service) => pageIncident(db, queue, { id: incidentId }, service, pagerServices, config.routes, {
      actor: FIREBREAK_ACTOR, at: clock.now(), requestKey: `playbook-page:${randomUUID()}`, reason: 'a playbook step',
    }));
    const onCall = pd?.apiToken && pager ? createOnCallLookup({ db, pager, config: pd, clock }) : undefined;
    // Every post and edit in a channel spends that channel's budget, shared by the replicas.
    const budget = config.slack && createChannelBudget({ db, logger, ...config.slack.budget });
    const slackApi = config.slack && budget && withBudget(createSlackApi(config.slack, logger, metrics), budget);
    const directory = slackApi ? createSlackDirectory(slackApi, clock, onCall) : undefined;
    const p = config.playbooks;
    const actions = createActions({
      fetch: deps.fetch ?? fetch, clock, execAllowlist: p.execAllowlist, execPath: p.execPath, execEnv: p.execEnv, httpAllowedHosts: p.httpAllowedHosts,
      prometheusUrl: p.prometheusUrl, alertmanagerUrl: p.alertmanagerUrl,
      chat: slackApi ? createSlackChat(slackApi, db, config.slack!.incidentChannel) : undefined,
      page,
      kubernetes: {
        port: config.kubernetes && createKubernetesClient(config.kubernetes),
        namespaces: config.kubernetes?.namespaces ?? [], kinds: config.kubernetes?.kinds ?? [],
      },
      jira: config.jira && createJiraClient(config.jira),
      linear: { port: config.linear && createLinearClient(config.linear), teamId: config.linear?.teamId },
      // One byte over the evidence cap, so that a cut is known and recorded.
      captureBytes: p.evidenceMaxBytes + 1,
    });
    // The handlers of the integrations that are on: a job of one that is off is never queued.
    const bindings: JobBinding[] = [
      ...createRunnerJobs({
        db, queue, clock, logger, metrics, registry, actions, evidenceMaxBytes: p.evidenceMaxBytes, directory, secrets: readSecret,
        approverReadDelaysMs: deps.approverReadDelaysMs,
      }),
      ...(pd && pager && pagerServices ? createPagerJobs({ db, queue, clock, logger, pager, config: pd, persist: whileOpen }) : []),
      ...createRetentionJobs({ db, logger, settings: { ...config.retention, keepDoneJobsMs: jobs.keepDoneMs, keepFailedJobsMs: jobs.keepFailedMs } }),
      ...createPostmortemJobs({
        db, queue, clock, logger, metrics,
        source: p.prometheusUrl ? createPrometheusMetricsSource({ fetch: deps.fetch ?? fetch, baseUrl: p.prometheusUrl, clock }) : undefined,
      }),
    ];
    if (pd) logger.info({ services: pagerServices ?? [], eventsHost: pd.eventsHost, minSeverity: pd.minSeverity, onCall: Boolean(onCall) }, 'PagerDuty is on');

    let slackApp: SlackApp | undefined;
    let identity: IdentityLearner | undefined;
    const commandDeps = { db, queue, clock, logger, metrics, registry, access: createAccess(config.access, directory), pagerServices, routes: config.routes };
    if (config.slack && slackApi) {
      identity = learnSlackIdentity(slackApi, logger, deps.slackIdentityRetry);
      slackApp = createSlackApp(config.slack, commandDeps, identity.current, deps.slackSocket);
      const warning = openPolicyWarning(config.access);
      if (warning) logger.warn(warning);
      const finder = createMessageFinder(slackApi, logger);
      bindings.push(
        ...createSlackJobs({
          db, queue, clock, api: slackApi, slack: config.slack, routes: config.routes, finder, persist: whileOpen,
          outages: createOutageWatch({ db, queue, clock, outage: config.slack.outage }),
        }),
        ...createDigestJobs({ db, clock, api: slackApi, outage: config.slack.outage, finder, consoleUrl: config.publicUrl }),
        ...createRunnerSlackJobs({ db, queue, api: slackApi, incidentChannel: config.slack.incidentChannel, finder, persist: whileOpen }),
        ...createPostmortemSlackJobs({ db, api: slackApi, incidentChannel: config.slack.incidentChannel }),
        ...createHomeJobs({ db, api: slackApi, access: commandDeps.access, clock }),
      );
      logger.info({ mode: slackApp.mode, channel: config.slack.incidentChannel, createChannels: config.slack.createChannels }, 'Slack is on');
    } else {
      logger.info('Slack is off (SLACK_BOT_TOKEN unset): incidents are recorded but not posted');
      const gated = registry.current().filter((pb) => pb.definition.steps.some((s) => s.approval)).map((pb) => pb.definition.name);
      if (gated.length) logger.warn({ playbooks: gated }, 'Slack is off: steps that need approval cannot be approved and will expire');
    }
    await queue.start(bindings);
    const stopScheduler = startScheduler(db, logger, [
      { name: 'approvals.expire', schedule: deps.approvalSweep ?? '*/5 * * * * *', run: async () => void (await expireApprovals(db, queue, clock.now(), metrics)) },
      // Hourly, one replica per slot: queues the pruning pass, which the internal pool runs.
      { name: 'housekeeping', schedule: deps.housekeeping ?? '0 17 * * * *', run: () => db.transaction((tx) => queue.enqueue(tx, RETENTION_PRUNE.of({}))) },
    ]);
    const pagerDutyWebhook = pd?.webhookSecrets.length ? createPagerDutyWebhookHandler({ db, queue, clock, logger, secrets: pd.webhookSecrets }) : undefined;
    const socketState = slackApp?.socketState;
    const readyDetails = socketState && (() => ({ slack: { socket: socketState() } }));
    if (deps.demo && !isLoopbackHost(config.host)) throw new FirebreakError(ErrorCode.ConfigInvalid, 'demo mode listens on this host only (HOST must be a loopback address)');
    // The API's version, in its OpenAPI document (the package's own version moves with releases).
    const api = createApi(commandDeps, { tokens: deps.demo ? [] : config.apiTokens, demo: deps.demo ?? false, version: '1' });
    if (!config.apiTokens.length) logger.info('FIREBREAK_API_TOKENS is not set: the API answers clients on this host only, read-only');
    const http = await startHttpServer(
      { logger, metrics, webhook, grafanaWebhook, checkReady, readyDetails, slackEvents: slackApp?.events, pagerDutyWebhook, api: api.handle,
        console: createConsole(api, { logger, demo: deps.demo ?? false }) }, config.port, config.host,
    );
    slackApp?.start();
    logger.info({ url: http.url }, 'firebreak is listening');
    logger.info({ console: `${http.url}/` }, `the console: ${http.url}/`);
    await identity?.settled(IDENTITY_WAIT_MS);

    return {
      url: http.url,
      db,
      metrics,
      queue,
      reloadPlaybooks: () => registry.reload(),
      async close() {
        identity?.stop();
        // The pools stop taking jobs at once and the grace of running ones starts now, while the HTTP
        // server lets in-flight requests finish (within the same grace): the whole stop stays within
        // SHUTDOWN_GRACE_SECONDS plus the time to record what was interrupted.
        const stopJobs = stopScheduler().then(() => queue.stop());
        await slackApp?.stop();
        await api.close();
        await http.close(Math.min(10_000, jobs.shutdownGraceMs));
        // Calls waiting for the channel budget give up (their jobs go back to the queue, no attempt used).
        budget?.close();
        await stopJobs;
        if (!deps.db) await db.close();
        logger.info('firebreak stopped');
      },
    };
  } catch (err) {
    if (!deps.db) await db.close();
    throw err;
  }
}
