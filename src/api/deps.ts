import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Access } from '../access/guard.js';
import type { Db } from '../db/db.js';
import type { IncidentRoute } from '../incidents/routing.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import type { PlaybookRegistry } from '../playbooks/registry.js';
import type { JobQueue } from '../queue/job.js';
import type { Caller } from './callers.js';

/** What the API's routes use: the same parts Slack's commands are built from. */
export interface ApiDeps {
  db: Db;
  queue: JobQueue;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  registry: PlaybookRegistry;
  access: Access;
  /** The PagerDuty services that may be paged; undefined when PagerDuty is off. */
  pagerServices: readonly string[] | undefined;
  /** INCIDENT_ROUTES: an incident's own PagerDuty service, when its route names one. */
  routes: readonly IncidentRoute[];
  /** A request's idempotency key: its Idempotency-Key header (per caller), else a fresh one. */
  requestKey(req: IncomingMessage, caller: Caller): string;
}

// Printable, no spaces: what RFC 9110 allows in a header value, bounded.
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

/** `api:<actor>:<Idempotency-Key>`: a client retrying a request with the same key changes nothing twice. */
export function requestKeyOf(req: IncomingMessage, caller: Caller): string {
  const given = req.headers['idempotency-key'];
  const key = typeof given === 'string' && IDEMPOTENCY_KEY.test(given) ? given : randomUUID();
  return `api:${caller.principal.actor}:${key}`;
}
