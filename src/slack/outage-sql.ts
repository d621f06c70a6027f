import { createHash } from 'node:crypto';
import type { AdvisoryLock, Queryable } from '../db/db.js';
import type { IncidentStatus } from '../incidents/types.js';

// Namespace of the per-channel advisory locks of outage detection (4242 is the intake's groups).
const CHANNEL_LOCK_NAMESPACE = 4243;

/** Orders the arrivals of one channel: two replicas never both start its outage. */
export function channelLock(channel: string): AdvisoryLock {
  return [CHANNEL_LOCK_NAMESPACE, createHash('sha256').update(channel).digest().readInt32BE(0)];
}

/** An outage of one channel and its digest message. */
export interface OutageRow {
  id: number;
  channel: string;
  startedAt: Date;
  endedAt: Date | null;
  digestChannel: string | null;
  digestTs: string | null;
  digestHash: string | null;
  /** Milliseconds until the digest may be edited again. */
  waitMs: number;
  postStartedAt: Date | null;
  parentNumber: number | null;
}

/** An incident as the digest lists it. */
export interface DigestIncident {
  id: number;
  number: number;
  title: string;
  severity: string;
  status: IncidentStatus;
  labels: Record<string, string>;
  /** It has a card of its own (posted before the outage, or severe enough). */
  hasCard: boolean;
}

/** Notes that `incidentId` was announced in `channel`; false when it was noted before (a retried job). */
export async function recordArrival(tx: Queryable, incidentId: number, channel: string): Promise<boolean> {
  const { rowCount } = await tx.query(
    `INSERT INTO slack_arrivals (incident_id, channel, opened_at)
     SELECT id, $2, opened_at FROM incidents WHERE id = $1
     ON CONFLICT (incident_id) DO NOTHING`,
    [incidentId, channel],
  );
  return rowCount > 0;
}

/** How many incidents `channel` received since `since`. */
export async function countArrivals(tx: Queryable, channel: string, since: Date): Promise<number> {
  const { rows } = await tx.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM slack_arrivals WHERE channel = $1 AND opened_at > $2', [channel, since],
  );
  return rows[0]?.n ?? 0;
}

const OUTAGE_COLUMNS = `o.id, o.channel, o.started_at AS "startedAt", o.ended_at AS "endedAt", o.digest_channel AS "digestChannel",
  o.digest_ts AS "digestTs", o.digest_hash AS "digestHash", o.digest_post_started_at AS "postStartedAt",
  (SELECT number FROM incidents WHERE id = o.parent_incident_id) AS "parentNumber"`;

/** The open outage of `channel`, if any. */
export async function openOutage(db: Queryable, channel: string): Promise<OutageRow | null> {
  const { rows } = await db.query<OutageRow>(`SELECT ${OUTAGE_COLUMNS}, 0::float8 AS "waitMs" FROM slack_outages o WHERE channel = $1 AND ended_at IS NULL`, [channel]);
  return rows[0] ?? null;
}

/** An outage, with how long until its digest may be edited (edits spaced `spacingMs` apart). */
export async function readOutage(db: Queryable, id: number, spacingMs: number): Promise<OutageRow | null> {
  const { rows } = await db.query<OutageRow>(
    `SELECT ${OUTAGE_COLUMNS},
            COALESCE(GREATEST(0, extract(epoch FROM o.digest_synced_at + $2 * interval '1 millisecond' - now()) * 1000), 0)::float8 AS "waitMs"
       FROM slack_outages o WHERE id = $1`,
    [id, spacingMs],
  );
  return rows[0] ?? null;
}

/** Starts an outage of `channel`: its digest lists the incidents the channel received since `since`. */
export async function startOutage(tx: Queryable, channel: string, at: Date, since: Date): Promise<number> {
  const { rows } = await tx.query<{ id: number }>(
    'INSERT INTO slack_outages (channel, started_at) VALUES ($1, $2) RETURNING id::int AS id', [channel, at],
  );
  const id = rows[0]!.id;
  await tx.query(
    `INSERT INTO slack_outage_incidents (outage_id, incident_id)
     SELECT $1, incident_id FROM slack_arrivals WHERE channel = $2 AND opened_at > $3 ON CONFLICT DO NOTHING`,
    [id, channel, since],
  );
  return id;
}

export async function addToOutage(tx: Queryable, outageId: number, incidentId: number): Promise<void> {
  await tx.query('INSERT INTO slack_outage_incidents (outage_id, incident_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [outageId, incidentId]);
}

/** The outage whose digest lists `incidentId` (the newest, should there be several). */
export async function outageOfIncident(db: Queryable, incidentId: number): Promise<number | null> {
  const { rows } = await db.query<{ id: number }>(
    'SELECT max(outage_id)::int AS id FROM slack_outage_incidents WHERE incident_id = $1', [incidentId],
  );
  return rows[0]?.id ?? null;
}

/** The incidents an outage's digest lists. */
export async function readDigestIncidents(db: Queryable, outageId: number): Promise<DigestIncident[]> {
  const { rows } = await db.query<DigestIncident>(
    `SELECT i.id::int AS id, i.number, i.title, i.severity, i.status, i.common_labels AS labels, i.slack_card_ts IS NOT NULL AS "hasCard"
       FROM slack_outage_incidents m JOIN incidents i ON i.id = m.incident_id
      WHERE m.outage_id = $1 ORDER BY i.id`,
    [outageId],
  );
  return rows;
}

export async function endOutage(tx: Queryable, id: number, at: Date): Promise<void> {
  await tx.query('UPDATE slack_outages SET ended_at = $2 WHERE id = $1 AND ended_at IS NULL', [id, at]);
}

/** A post of the digest begins (noted and committed first), or surely did not happen (false). */
export async function markDigestPostStarted(db: Queryable, id: number, started: boolean): Promise<void> {
  await db.query('UPDATE slack_outages SET digest_post_started_at = CASE WHEN $2 THEN now() END WHERE id = $1', [id, started]);
}

/** The digest was posted, or found again after a lost answer (hash null: what it shows is not known). */
export async function recordDigestPosted(db: Queryable, id: number, channel: string, ts: string, hash: string | null): Promise<void> {
  await db.query(
    `UPDATE slack_outages SET digest_channel = $2, digest_ts = $3, digest_hash = $4, digest_synced_at = now(), digest_post_started_at = NULL
      WHERE id = $1`,
    [id, channel, ts, hash],
  );
}

export async function recordDigestSynced(db: Queryable, id: number, hash: string): Promise<void> {
  await db.query('UPDATE slack_outages SET digest_synced_at = now(), digest_hash = $2 WHERE id = $1', [id, hash]);
}

/** Someone deleted the digest: the next run posts it again. */
export async function forgetDigest(db: Queryable, id: number): Promise<void> {
  await db.query('UPDATE slack_outages SET digest_ts = NULL, digest_post_started_at = NULL WHERE id = $1', [id]);
}

/** Notes the outage's parent incident; false when it had one already (a second click won the race). */
export async function setOutageParent(tx: Queryable, outageId: number, parentId: number): Promise<boolean> {
  const { rowCount } = await tx.query(
    'UPDATE slack_outages SET parent_incident_id = $2 WHERE id = $1 AND parent_incident_id IS NULL', [outageId, parentId],
  );
  return rowCount > 0;
}
