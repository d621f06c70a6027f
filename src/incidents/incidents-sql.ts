import { createHash } from 'node:crypto';
import type { AdvisoryLock, Queryable } from '../db/db.js';
import type { JobQueue } from '../queue/job.js';
import { postmortemJob, resolvedJob } from './jobs.js';
import { followStatusInPages } from './pages-sql.js';
import { FIREBREAK_ACTOR, OPEN_STATUSES_SQL as OPEN, type IncidentStatus, type Severity } from './types.js';

// Namespace of the per-group advisory locks.
const GROUP_LOCK_NAMESPACE = 4242;

/**
 * The lock that serializes webhooks of one group for a transaction. Without it, two deliveries of a
 * new group racing would both find no open incident; the unique index would refuse the second
 * insert, but only after it had taken an incident number.
 */
export function groupLock(groupKey: string): AdvisoryLock {
  return [GROUP_LOCK_NAMESPACE, createHash('sha256').update(groupKey).digest().readInt32BE(0)];
}

/** The few columns the intake needs of an incident. */
export interface IncidentHead {
  id: number;
  number: number;
  status: IncidentStatus;
}

/** What a new incident from Alertmanager starts with. */
export interface NewAlertIncident {
  title: string;
  severity: Severity;
  groupKey: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalUrl: string | null;
  previousIncidentId: number | null;
  at: Date;
}

export async function insertIncident(tx: Queryable, i: NewAlertIncident): Promise<IncidentHead> {
  const { rows } = await tx.query<IncidentHead>(
    `INSERT INTO incidents (title, severity, group_key, group_labels, common_labels, common_annotations,
                            external_url, previous_incident_id, opened_at, last_seen_at, notifications)
     VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6::jsonb, $7, $8, $9, $9, 1)
     RETURNING id, number, status`,
    [i.title, i.severity, i.groupKey, JSON.stringify(i.groupLabels), JSON.stringify(i.commonLabels),
      JSON.stringify(i.commonAnnotations), i.externalUrl, i.previousIncidentId, i.at],
  );
  return rows[0]!;
}

/** Records that a notification touched these incidents. */
export async function touchIncidents(tx: Queryable, ids: readonly number[], at: Date): Promise<void> {
  await tx.query('UPDATE incidents SET last_seen_at = $2, notifications = notifications + 1 WHERE id = ANY($1::bigint[])', [ids, at]);
}

/** Open incidents among `ids` with how many of their alerts still fire, row-locked. */
export async function openIncidentsWithFiring(tx: Queryable, ids: readonly number[]): Promise<(IncidentHead & { firing: number })[]> {
  const { rows } = await tx.query<IncidentHead & { firing: number }>(
    `SELECT i.id, i.number, i.status,
            (SELECT count(*) FROM alerts a WHERE a.incident_id = i.id AND a.status = 'firing')::int AS firing
       FROM incidents i
      WHERE i.id = ANY($1::bigint[]) AND i.status IN ${OPEN}
      ORDER BY i.id
        FOR NO KEY UPDATE`,
    [ids],
  );
  return rows;
}

const STATUS_TIMESTAMP: Partial<Record<IncidentStatus, string>> = {
  acknowledged: 'acknowledged_at',
  mitigated: 'mitigated_at',
  resolved: 'resolved_at',
  closed: 'closed_at',
};

/**
 * Moves the incident to `status`, stamping that status's time once; its pages follow, and a resolved
 * incident has its waiting steps cancelled and its postmortem drafted.
 */
export async function setIncidentStatus(tx: Queryable, queue: JobQueue, id: number, status: IncidentStatus, at: Date): Promise<void> {
  const column = STATUS_TIMESTAMP[status];
  if (!column) await tx.query('UPDATE incidents SET status = $2 WHERE id = $1', [id, status]);
  else await tx.query(`UPDATE incidents SET status = $2, ${column} = COALESCE(${column}, $3) WHERE id = $1`, [id, status, at]);
  await followStatusInPages(tx, queue, id, status);
  if (status === 'resolved') await queue.enqueue(tx, resolvedJob(id), postmortemJob(id, FIREBREAK_ACTOR));
}

/** The incident's commander now (null: none, or no such incident). */
export async function readIncidentCommander(db: Queryable, id: number): Promise<string | null> {
  const { rows } = await db.query<{ commander: string | null }>('SELECT commander FROM incidents WHERE id = $1', [id]);
  return rows[0]?.commander ?? null;
}

/** Sets the incident's severity (its timeline event and jobs are the caller's). */
export async function setIncidentSeverity(tx: Queryable, id: number, severity: Severity): Promise<void> {
  await tx.query('UPDATE incidents SET severity = $2 WHERE id = $1', [id, severity]);
}

/** The id of incident INC-`number`, or null when there is none. */
export async function incidentIdByNumber(db: Queryable, number: number): Promise<number | null> {
  const { rows } = await db.query<{ id: number }>('SELECT id FROM incidents WHERE number = $1', [number]);
  return rows[0]?.id ?? null;
}

/** The incident's number (INC-n), or null when there is no such incident. */
export async function readIncidentNumber(db: Queryable, id: number): Promise<number | null> {
  const { rows } = await db.query<{ number: number }>('SELECT number FROM incidents WHERE id = $1', [id]);
  return rows[0]?.number ?? null;
}

/** Whether the incident is open (triggered, acknowledged or mitigated): its notifications keep trying. */
export async function isIncidentOpen(db: Queryable, id: number): Promise<boolean> {
  const { rows } = await db.query<{ open: boolean }>(`SELECT EXISTS (SELECT FROM incidents WHERE id = $1 AND status IN ${OPEN}) AS open`, [id]);
  return rows[0]?.open ?? false;
}
