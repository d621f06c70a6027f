import type { Access } from '../access/guard.js';
import type { Db } from '../db/db.js';
import type { IncidentRoute } from '../incidents/routing.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import type { PlaybookRegistry } from '../playbooks/registry.js';
import type { JobQueue } from '../queue/job.js';

/** What a person's command runs on, whether it came through Slack or the HTTP API. */
export interface CommandDeps {
  db: Db;
  /** Where the jobs a command causes are queued. */
  queue: JobQueue;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  registry: PlaybookRegistry;
  /** Who may do what: asked before every command and button. */
  access: Access;
  /** The PagerDuty services that may be paged; undefined when PagerDuty is off. */
  pagerServices: readonly string[] | undefined;
  /** INCIDENT_ROUTES: an incident's own PagerDuty service, when its route names one. */
  routes: readonly IncidentRoute[];
}
