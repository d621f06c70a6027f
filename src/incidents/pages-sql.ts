import type { Db, Queryable } from '../db/db.js';
import type { JobQueue } from '../queue/job.js';
import { pagerJob } from './jobs.js';
import { DEFAULT_PAGER_SERVICE, dedupKeyOf, desiredAction, serviceFor, type PagerAction } from './paging.js';
import { targetCondition } from './queries.js';
import type { IncidentRoute } from './routing.js';
import { oncePerRequest } from './requests.js';
import { appendTimeline } from './timeline.js';
import { incidentRef, OPEN_STATUSES_SQL, type IncidentStatus, type IncidentTarget } from './types.js';

/** A page as the sync job reads it. */
export interface PageRow {
  id: number;
  service: string;
  dedupKey: string;
  desired: PagerAction;
  sent: PagerAction | null;
}

export type PageRequestOutcome =
  | { outcome: 'requested'; number: number; service: string; dedupKey: string }
  | { outcome: 'already_paged'; number: number; service: string; at: Date; by: string }
  | { outcome: 'not_open'; number: number; status: IncidentStatus }
  | { outcome: 'not_found' };

/**
 * Asks for `service` to be paged about the incident, in the caller's transaction, with its timeline
 * event and the sync job. A service is paged once per incident; a page PagerDuty refused may be asked again.
 */
export async function requestPage(
  tx: Queryable, queue: JobQueue, incidentId: number, service: string, ctx: { actor: string; at: Date; reason: string },
): Promise<PageRequestOutcome> {
  const { rows: found } = await tx.query<{ number: number; status: IncidentStatus; open: boolean }>(
    `SELECT number, status, status IN ${OPEN_STATUSES_SQL} AS open FROM incidents WHERE id = $1 FOR NO KEY UPDATE`, [incidentId],
  );
  const incident = found[0];
  if (!incident) return { outcome: 'not_found' };
  if (!incident.open) return { outcome: 'not_open', number: incident.number, status: incident.status };
  const dedupKey = dedupKeyOf(incidentId);
  const { rows } = await tx.query<{ id: number }>(
    `INSERT INTO pages (incident_id, service, dedup_key, requested_by, requested_at, desired)
     VALUES ($1, $2, $3, $4, $5, 'trigger')
     ON CONFLICT (incident_id, service) DO UPDATE
       SET desired = 'trigger', sent = NULL, sent_at = NULL, rejected = NULL, requested_by = $4, requested_at = $5
       WHERE pages.rejected IS NOT NULL
     RETURNING id`,
    [incidentId, service, dedupKey, ctx.actor, ctx.at],
  );
  if (!rows.length) {
    const { rows: existing } = await tx.query<{ at: Date; by: string }>(
      'SELECT requested_at AS at, requested_by AS by FROM pages WHERE incident_id = $1 AND service = $2', [incidentId, service],
    );
    return { outcome: 'already_paged', number: incident.number, service, ...existing[0]! };
  }
  await appendTimeline(tx, [{
    incidentId, at: ctx.at, kind: 'pagerduty.requested', actor: ctx.actor,
    summary: `Paging ${service} on PagerDuty about ${incidentRef(incident.number)} (${ctx.reason})`,
    data: { service, dedupKey, reason: ctx.reason },
  }]);
  await queue.enqueue(tx, pagerJob(incidentId));
  return { outcome: 'requested', number: incident.number, service, dedupKey };
}

/** A page asked for by a person or a playbook; `service` unset: the one the incident would page by itself. */
export type PageOutcome = PageRequestOutcome | { outcome: 'unknown_service'; service: string | null; known: readonly string[] };

/**
 * Pages the target incident by hand, once per request key (a retried Slack request pages once).
 * The services are those configured; an unnamed service is the incident's own (its `service` label,
 * else the default, else the only one).
 */
export async function pageIncident(
  db: Db, queue: JobQueue, target: IncidentTarget, service: string | undefined, services: readonly string[], routes: readonly IncidentRoute[],
  ctx: { actor: string; at: Date; requestKey: string; reason: string },
): Promise<PageOutcome> {
  return (await oncePerRequest(db, ctx.requestKey, async (tx): Promise<PageOutcome> => {
    const [where, param] = targetCondition(target, 1);
    const { rows } = await tx.query<{ id: number; labels: Record<string, string> }>(
      `SELECT i.id, i.common_labels AS labels FROM incidents i WHERE ${where}`, [param],
    );
    const incident = rows[0];
    let outcome: PageOutcome;
    if (!incident) outcome = { outcome: 'not_found' };
    else {
      const chosen = service ?? serviceFor(incident.labels, new Set(services), DEFAULT_PAGER_SERVICE, routes) ?? (services.length === 1 ? services[0] : undefined);
      outcome = chosen && services.includes(chosen)
        ? await requestPage(tx, queue, incident.id, chosen, ctx)
        : { outcome: 'unknown_service', service: service ?? null, known: services };
    }
    return outcome;
  })).value;
}

/**
 * The incident moved to `status`: what its pages should tell PagerDuty follows (never backwards),
 * and the sync job is queued. Called in the transaction of the change.
 */
export async function followStatusInPages(tx: Queryable, queue: JobQueue, incidentId: number, status: IncidentStatus): Promise<void> {
  const desired = desiredAction(status);
  await tx.query(
    `UPDATE pages SET desired = $2
      WHERE incident_id = $1 AND array_position(ARRAY['trigger','acknowledge','resolve'], desired) < array_position(ARRAY['trigger','acknowledge','resolve'], $2::text)`,
    [incidentId, desired],
  );
  await queue.enqueue(tx, pagerJob(incidentId));
}

/** The incident's pages PagerDuty does not yet know in their desired state. */
export async function pagesToSync(db: Queryable, incidentId: number): Promise<PageRow[]> {
  const { rows } = await db.query<PageRow>(
    `SELECT id, service, dedup_key AS "dedupKey", desired, sent FROM pages
      WHERE incident_id = $1 AND rejected IS NULL AND sent IS DISTINCT FROM desired ORDER BY id`,
    [incidentId],
  );
  return rows;
}

/** The incident a PagerDuty incident_key (our dedup key) belongs to, if firebreak paged it. */
export async function incidentOfDedupKey(db: Queryable, dedupKey: string): Promise<number | null> {
  const { rows } = await db.query<{ incidentId: number }>(
    'SELECT incident_id AS "incidentId" FROM pages WHERE dedup_key = $1 LIMIT 1', [dedupKey],
  );
  return rows[0]?.incidentId ?? null;
}
