import type { Db, Queryable } from '../db/db.js';
import type { JobQueue } from '../queue/job.js';
import { setIncidentSeverity, setIncidentStatus } from './incidents-sql.js';
import { cardJob, commanderJob, openingJobs, pagerJob, postmortemJob } from './jobs.js';
import { decideStatusAction, type StatusAction } from './lifecycle.js';
import { targetCondition } from './queries.js';
import { oncePerRequest } from './requests.js';
import { appendTimeline } from './timeline.js';
import { incidentRef, type IncidentStatus, type IncidentTarget, type Severity, type TimelineEntry } from './types.js';

/** Who asks, when, and the key that makes a retried request change nothing twice. */
export interface RequestContext {
  /** A Slack user id. */
  actor: string;
  at: Date;
  requestKey: string;
}

/** A change people make to an incident. */
export type IncidentChange =
  | { kind: 'status'; action: StatusAction }
  | { kind: 'severity'; severity: Severity }
  | { kind: 'commander'; user: string }
  | { kind: 'note'; text: string };

/** The incident as it stands after a change (or refusal). */
export interface ChangedIncident {
  id: number;
  number: number;
  title: string;
  status: IncidentStatus;
  severity: Severity;
  commander: string | null;
}

/** How a change went. A retried request gets the outcome its first delivery got. */
export type ChangeOutcome =
  | { outcome: 'changed' | 'unchanged'; incident: ChangedIncident; previous: ChangedIncident }
  | { outcome: 'refused'; incident: ChangedIncident; reason: string }
  | { outcome: 'not_found' };

/**
 * Applies one change in one transaction with its timeline event and a card update. A change that
 * changes nothing (acknowledging twice) records nothing, so a double click is one event.
 */
export async function changeIncident(db: Db, queue: JobQueue, target: IncidentTarget, change: IncidentChange, ctx: RequestContext): Promise<ChangeOutcome> {
  return (await oncePerRequest(db, ctx.requestKey, (tx) => applyChange(tx, queue, target, change, ctx))).value;
}

async function applyChange(tx: Queryable, queue: JobQueue, target: IncidentTarget, change: IncidentChange, ctx: RequestContext): Promise<ChangeOutcome> {
  const [where, param] = targetCondition(target, 1);
  const { rows } = await tx.query<ChangedIncident>(
    `SELECT i.id, i.number, i.title, i.status, i.severity, i.commander FROM incidents i WHERE ${where} FOR NO KEY UPDATE`,
    [param],
  );
  const previous = rows[0];
  if (!previous) return { outcome: 'not_found' };
  const ref = incidentRef(previous.number);
  const event = (kind: TimelineEntry['kind'], summary: string, data: Record<string, unknown>): TimelineEntry =>
    ({ incidentId: previous.id, at: ctx.at, kind, actor: ctx.actor, summary, data });
  let incident = previous;
  let entry: TimelineEntry | undefined;

  switch (change.kind) {
    case 'status': {
      const decision = decideStatusAction(previous.status, change.action);
      if (decision.kind === 'refused') return { outcome: 'refused', incident: previous, reason: `${ref} cannot be changed: ${decision.reason}` };
      if (decision.kind === 'move') {
        await setIncidentStatus(tx, queue, previous.id, decision.to, ctx.at);
        incident = { ...previous, status: decision.to };
        entry = event('incident.status_changed', `${ref} ${decision.to} by ${ctx.actor}`, { from: previous.status, to: decision.to });
      }
      break;
    }
    case 'severity':
      if (change.severity !== previous.severity) {
        await setIncidentSeverity(tx, previous.id, change.severity);
        incident = { ...previous, severity: change.severity };
        entry = event('incident.severity_changed', `${ref} severity ${previous.severity} → ${change.severity} by ${ctx.actor}`,
          { from: previous.severity, to: change.severity });
      }
      break;
    case 'commander':
      if (change.user !== previous.commander) {
        await tx.query('UPDATE incidents SET commander = $2 WHERE id = $1', [previous.id, change.user]);
        incident = { ...previous, commander: change.user };
        entry = event('incident.commander_changed', `${ref} commander is now ${change.user} (set by ${ctx.actor})`,
          { from: previous.commander, to: change.user });
      }
      break;
    case 'note':
      entry = event('incident.note', change.text, {});
      break;
  }
  if (!entry) return { outcome: 'unchanged', incident, previous };
  await appendTimeline(tx, [entry]);
  await queue.enqueue(tx, cardJob(previous.id));
  if (change.kind === 'commander') await queue.enqueue(tx, commanderJob(previous.id, change.user));
  if (change.kind === 'severity') await queue.enqueue(tx, pagerJob(previous.id)); // a raised severity may page
  return { outcome: 'changed', incident, previous };
}

/** A new incident a person declares: they are its commander unless they name another. */
export interface Declaration {
  title: string;
  severity: Severity;
  /** What is known so far, kept on the timeline's opening event. */
  description?: string;
  /** A Slack user id; the declarer when unset. */
  commander?: string;
  /** A channel of its own or not; unset, the configuration decides. */
  ownChannel?: boolean;
}

/** Opens a declared incident (no alert group) with its timeline event and the opening job. */
export async function declareIncident(db: Db, queue: JobQueue, d: Declaration, ctx: RequestContext): Promise<{ id: number; number: number }> {
  return (await oncePerRequest(db, ctx.requestKey, async (tx): Promise<{ id: number; number: number }> => {
    const { rows } = await tx.query<{ id: number; number: number }>(
      `INSERT INTO incidents (title, severity, commander, opened_at, last_seen_at)
       VALUES ($1, $2, $3, $4, $4) RETURNING id, number`,
      [d.title, d.severity, d.commander ?? ctx.actor, ctx.at],
    );
    const created = rows[0]!;
    await appendTimeline(tx, [{
      incidentId: created.id, at: ctx.at, kind: 'incident.opened', actor: ctx.actor,
      summary: `${incidentRef(created.number)} declared by ${ctx.actor}: ${d.title} (${d.severity})`,
      data: {
        declared: true, title: d.title, severity: d.severity,
        ...(d.description ? { description: d.description } : {}), ...(d.commander ? { commander: d.commander } : {}),
        ...(d.ownChannel !== undefined ? { ownChannel: d.ownChannel } : {}),
      },
    }]);
    await queue.enqueue(tx, ...openingJobs(created.id, d.ownChannel));
    return created;
  })).value;
}

/** Queues a (re)draft of the target incident's postmortem; its number, or null when there is no such incident. */
export async function requestPostmortem(db: Db, queue: JobQueue, target: IncidentTarget, actor: string): Promise<number | null> {
  return db.transaction(async (tx) => {
    const [where, param] = targetCondition(target, 1);
    const { rows } = await tx.query<{ id: number; number: number }>(`SELECT i.id, i.number FROM incidents i WHERE ${where}`, [param]);
    if (!rows[0]) return null;
    await queue.enqueue(tx, postmortemJob(rows[0].id, actor));
    return rows[0].number;
  });
}
