import type { PagerDutyConfig } from '../config/config.js';
import type { Db } from '../db/db.js';
import { cardJob, PAGER_SYNC } from '../incidents/jobs.js';
import { pagesToSync, requestPage, type PageRow } from '../incidents/pages-sql.js';
import { DEFAULT_PAGER_SERVICE, eventsToSend, PAGER_SEVERITY, pagesBySeverity, serviceFor, type Pager, type PagerAction, type PagerEvent } from '../incidents/paging.js';
import { appendTimeline } from '../incidents/timeline.js';
import { FIREBREAK_ACTOR, incidentRef, OPEN_STATUSES, type IncidentSummary } from '../incidents/types.js';
import type { Clock } from '../lib/clock.js';
import { describeError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { handle, type JobBinding, type JobQueue } from '../queue/job.js';

/** What an event says of the incident. */
type PagedIncident = Pick<IncidentSummary, 'id' | 'number' | 'title' | 'severity' | 'status' | 'commander' | 'openedAt' | 'firing'>
  & { commonLabels: Record<string, string>; externalUrl: string | null };

const SUMMARY_MAX = 1024; // Events API v2 limit

const PAST: Record<PagerAction, string> = { trigger: 'paged', acknowledge: 'acknowledged', resolve: 'resolved' };

/**
 * The pagerduty.sync job: pages an incident whose severity reaches PAGERDUTY_MIN_SEVERITY (once),
 * then sends each page the events it has not sent. A refusal (4xx but 429) is recorded on the page
 * and the timeline and never retried; 429, 5xx and network errors throw, so the queue retries.
 */
export function createPagerJobs(deps: {
  db: Db; queue: JobQueue; clock: Clock; logger: Logger; pager: Pager; config: PagerDutyConfig; persist: (p: { incidentId: number }) => Promise<boolean>;
}): JobBinding[] {
  const { db, queue, clock, pager, config } = deps;

  // LOCK ORDER: a transaction that changes an incident and its pages locks the incident row before
  // the page rows, as a status change does (followStatusInPages). Appending to the timeline locks
  // the incident row, so it comes first. In the other order a status change from PagerDuty's
  // webhook and this job deadlocked, and Postgres aborted one of them (seen in CI).
  const sync = async (incidentId: number) => {
    const incident = await readIncident(db, incidentId);
    if (!incident) return;
    const auto = serviceFor(incident.commonLabels, new Set(config.services.keys()), DEFAULT_PAGER_SERVICE, config.routes);
    if (auto && OPEN_STATUSES.includes(incident.status) && pagesBySeverity(incident.severity, config.minSeverity)) {
      await db.transaction(async (tx) => {
        const { rows } = await tx.query('SELECT 1 FROM pages WHERE incident_id = $1 AND service = $2', [incident.id, auto]);
        if (!rows.length) await requestPage(tx, queue, incident.id, auto, { actor: FIREBREAK_ACTOR, at: clock.now(), reason: `severity ${incident.severity}` });
      });
    }
    for (const page of await pagesToSync(db, incident.id)) await syncPage(incident, page);
  };

  async function syncPage(incident: PagedIncident, page: PageRow): Promise<void> {
    const service = config.services.get(page.service);
    const ref = incidentRef(incident.number);
    if (!service) {
      await recordRejected(incident.id, page, `service "${page.service}" is no longer configured (PAGERDUTY_SERVICES)`);
      return;
    }
    const events = eventsToSend(page.sent, page.desired);
    if (!events.length) {
      // Over before the page went out: nobody is woken for it.
      await db.query('UPDATE pages SET sent = desired, sent_at = $2 WHERE id = $1', [page.id, clock.now()]);
      return;
    }
    for (const action of events) {
      const answer = await pager.send(eventFor(incident, page, service.routingKey, action));
      if (!answer.ok) {
        await recordRejected(incident.id, page, answer.message);
        return;
      }
      await db.transaction(async (tx) => {
        await appendTimeline(tx, [{ // first: see LOCK ORDER
          incidentId: incident.id, at: clock.now(), kind: 'pagerduty.sent', actor: FIREBREAK_ACTOR,
          summary: `PagerDuty ${page.service}: ${ref} ${PAST[action]}`, data: { service: page.service, action, dedupKey: page.dedupKey },
        }]);
        await tx.query('UPDATE pages SET sent = $2, sent_at = $3 WHERE id = $1', [page.id, action, clock.now()]);
        await queue.enqueue(tx, cardJob(incident.id));
      });
      if (action === 'trigger') await recordOnCall(incident.id, page, service.escalationPolicy);
    }
  }

  async function recordRejected(incidentId: number, page: PageRow, message: string): Promise<void> {
    deps.logger.error({ incidentId, service: page.service, reason: message }, 'PagerDuty refused the event: it is not retried');
    await db.transaction(async (tx) => {
      await appendTimeline(tx, [{ // first: see LOCK ORDER
        incidentId, at: clock.now(), kind: 'pagerduty.rejected', actor: FIREBREAK_ACTOR,
        summary: `PagerDuty refused to ${page.sent === null ? 'page' : 'update'} ${page.service}: ${message.slice(0, 300)}`,
        data: { service: page.service, desired: page.desired, message },
      }]);
      await tx.query('UPDATE pages SET rejected = $2 WHERE id = $1', [page.id, message.slice(0, 2000)]);
      await queue.enqueue(tx, cardJob(incidentId));
    });
  }

  // Who was woken, kept with the page for the card; a failed lookup only costs the names.
  async function recordOnCall(incidentId: number, page: PageRow, policy: string | undefined): Promise<void> {
    if (!policy || !config.apiToken) return;
    try {
      const people = await pager.onCall(policy);
      await db.transaction(async (tx) => {
        await tx.query('UPDATE pages SET oncall = $2::jsonb WHERE id = $1', [page.id, JSON.stringify(people)]);
        await queue.enqueue(tx, cardJob(incidentId));
      });
    } catch (err) {
      deps.logger.warn({ incidentId, service: page.service, err: describeError(err) }, 'on-call lookup failed');
    }
  }

  // A page keeps being retried while its incident is open: giving up would wake nobody.
  return [handle(PAGER_SYNC, (job) => sync(job.payload.incidentId), { persist: deps.persist })];
}

async function readIncident(db: Db, id: number): Promise<PagedIncident | undefined> {
  const { rows } = await db.query<PagedIncident>(
    `SELECT i.id, i.number, i.title, i.severity, i.status, i.commander, i.opened_at AS "openedAt",
            i.common_labels AS "commonLabels", i.external_url AS "externalUrl",
            (SELECT count(*) FROM alerts a WHERE a.incident_id = i.id AND a.status = 'firing')::int AS firing
       FROM incidents i WHERE i.id = $1`,
    [id],
  );
  return rows[0];
}

/** The Events API v2 event; only a trigger carries the payload. */
function eventFor(incident: PagedIncident, page: PageRow, routingKey: string, action: PagerAction): PagerEvent {
  const base = { routingKey, action, dedupKey: page.dedupKey };
  if (action !== 'trigger') return base;
  const labels = incident.commonLabels;
  const links = incident.externalUrl && /^https?:\/\//.test(incident.externalUrl) ? [{ href: incident.externalUrl, text: 'Alertmanager' }] : [];
  return {
    ...base,
    payload: {
      summary: `${incidentRef(incident.number)} [${incident.severity}] ${incident.title}`.slice(0, SUMMARY_MAX),
      source: labels.instance ?? labels.cluster ?? 'firebreak',
      severity: PAGER_SEVERITY[incident.severity],
      timestamp: incident.openedAt.toISOString(),
      ...(labels.service ? { component: labels.service } : {}),
      ...(labels.namespace ?? labels.job ? { group: labels.namespace ?? labels.job } : {}),
      ...(labels.alertname ? { class: labels.alertname } : {}),
      custom_details: {
        incident: incidentRef(incident.number), severity: incident.severity, status: incident.status,
        commander: incident.commander, firing_alerts: incident.firing, labels,
      },
    },
    links,
  };
}
