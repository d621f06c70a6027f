import type { Queryable } from '../db/db.js';
import type { AlertNotice } from '../sources/model.js';
import { OPEN_STATUSES_SQL as OPEN } from './types.js';
import type { IncidentHead } from './incidents-sql.js';
import type { AlertLookup, AlertStep } from './plan.js';

// The intake's own statements: one read, and one write of the alerts. Each webhook costs a round
// trip per statement not sent together with others (the read shares BEGIN's), and on a loaded
// server round trips, not rows, are what intake spends (see bench:ingest's CPU per webhook).

/** What the database holds for a notification's group and alerts. */
export interface GroupState {
  /** The group's open incident, row-locked and touched (last seen, notification count). */
  open: IncidentHead | null;
  /** The group's most recent incident, open or not. */
  latest: IncidentHead | null;
  lookups: AlertLookup[];
}

/**
 * Touches the group's open incident and reads, for each notice, its exact row (same fingerprint
 * and startsAt) and the fingerprint's latest row (its firing one if any). startsAt is compared in
 * SQL, at Postgres's microsecond precision rather than JavaScript's milliseconds.
 */
export async function readGroupState(tx: Queryable, groupKey: string, alerts: readonly AlertNotice[], at: Date): Promise<GroupState> {
  type Found = [i: number, exact: boolean, id: number, incidentId: number, incidentNumber: number, status: 'firing' | 'resolved', startsAt: string];
  const { rows } = await tx.query<{ open: IncidentHead | null; latest: IncidentHead | null; found: Found[] }>(
    `WITH touched AS (
       UPDATE incidents SET last_seen_at = $3, notifications = notifications + 1
        WHERE group_key = $4 AND status IN ${OPEN}
        RETURNING id, number, status),
     latest AS (
       SELECT id, number, status FROM incidents WHERE group_key = $4 ORDER BY id DESC LIMIT 1),
     -- One index probe per fingerprint, whatever the statistics say. As a plain join (or a LATERAL
     -- the planner flattens into one) a fast-growing, not yet analyzed alerts table made the planner
     -- hash-join a scan of every alert on each webhook, a cost growing with the table. OFFSET 0
     -- keeps the subquery from being flattened.
     found AS (
       SELECT k.i, a.starts_at = k.sa AS exact, a.id, a.incident_id, a.number, a.status, a.starts_at
         FROM unnest($1::text[], $2::timestamptz[]) WITH ORDINALITY AS k(fp, sa, i)
         CROSS JOIN LATERAL (
           SELECT a.id, a.starts_at, a.incident_id, a.status, inc.number
             FROM alerts a JOIN incidents inc ON inc.id = a.incident_id
            WHERE a.fingerprint = k.fp
           OFFSET 0) a)
     SELECT (SELECT row_to_json(t) FROM touched t) AS open,
            (SELECT row_to_json(l) FROM latest l) AS latest,
            -- Every stored instance of each fingerprint (almost always none or one), best "latest" first.
            COALESCE((SELECT json_agg(json_build_array(f.i, f.exact, f.id, f.incident_id, f.number, f.status,
                                                       to_char(f.starts_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
                                      ORDER BY f.i, f.status = 'firing' DESC, f.starts_at DESC)
                        FROM found f), '[]') AS found`,
    [alerts.map((a) => a.fingerprint), alerts.map((a) => a.startsAt), at, groupKey],
  );
  const { open, latest, found } = rows[0]!;
  const lookups: AlertLookup[] = alerts.map(() => ({}));
  for (const [i, exact, id, incidentId, incidentNumber, status, startsAt] of found) {
    const known = { id, incidentId, incidentNumber, status, startsAt };
    const lookup = lookups[i - 1]!;
    lookup.latest ??= known;
    if (exact) lookup.exact = known;
  }
  return { open, latest, lookups };
}

/**
 * Applies the plan's alert steps. Superseded rows are closed in a statement of their own first (at
 * most one firing row per fingerprint: the new instance must not meet the old one in the index);
 * the other updates and the inserts are one statement.
 */
export async function writeAlerts(
  tx: Queryable,
  alerts: readonly AlertNotice[],
  steps: readonly AlertStep[],
  incidentOf: (s: AlertStep) => number,
  at: Date,
): Promise<void> {
  const superseded = steps.filter((s) => s.superseded).map((s) => ({
    id: s.rowId, status: 'resolved', ends_at: alerts[s.index]!.startsAt, incident_id: incidentOf(s), received: 0, repeat: false,
  }));
  const updates = steps.filter((s) => s.rowId !== undefined && !s.superseded).map((s) => {
    const a = alerts[s.index]!;
    return { id: s.rowId, status: s.status, ends_at: a.endsAt, labels: a.labels, annotations: a.annotations,
      generator_url: a.generatorUrl, grafana: a.grafana, incident_id: incidentOf(s), received: 1, repeat: s.outcome === 'repeat' };
  });
  const inserts = steps.filter((s) => s.rowId === undefined).map((s) => {
    const a = alerts[s.index]!;
    return { incident_id: incidentOf(s), fingerprint: a.fingerprint, starts_at: a.startsAt, ends_at: a.endsAt,
      status: a.status, labels: a.labels, annotations: a.annotations, generator_url: a.generatorUrl, grafana: a.grafana };
  });

  if (superseded.length) await tx.query(`WITH upd AS (${updateAlertsSql(1, 2)}) SELECT 1`, [JSON.stringify(superseded), at]);
  // Only the parts this notification needs: each part costs Postgres its set-up even with no rows
  // (typically only the inserts are left).
  if (updates.length && inserts.length) {
    await tx.query(`WITH upd AS (${updateAlertsSql(1, 3)}), ins AS (${insertAlertsSql(2, 3)}) SELECT 1`,
      [JSON.stringify(updates), JSON.stringify(inserts), at]);
  } else if (updates.length) {
    await tx.query(`WITH upd AS (${updateAlertsSql(1, 2)}) SELECT 1`, [JSON.stringify(updates), at]);
  } else if (inserts.length) {
    await tx.query(insertAlertsSql(1, 2), [JSON.stringify(inserts), at]);
  }
}

/**
 * Updates the alert rows of parameter `$rows` at time `$now`. A repeat keeps status and end time: a
 * stale firing notice must not revive a resolved row.
 */
const updateAlertsSql = (rows: number, now: number) => `
  UPDATE alerts a SET
     status = CASE WHEN u.repeat THEN a.status ELSE u.status END,
     ends_at = CASE WHEN u.repeat THEN a.ends_at ELSE u.ends_at END,
     labels = COALESCE(u.labels, a.labels),
     annotations = COALESCE(u.annotations, a.annotations),
     generator_url = COALESCE(u.generator_url, a.generator_url),
     grafana = COALESCE(u.grafana, a.grafana),
     incident_id = u.incident_id,
     last_seen_at = $${now},
     resolved_at = CASE WHEN u.repeat THEN a.resolved_at WHEN u.status = 'resolved' THEN COALESCE(a.resolved_at, $${now}) END,
     times_received = a.times_received + u.received
    FROM jsonb_to_recordset($${rows}::jsonb) AS u(id bigint, status text, ends_at timestamptz, labels jsonb, annotations jsonb,
                                            generator_url text, grafana jsonb, incident_id bigint, received int, repeat boolean)
   WHERE a.id = u.id`;

/**
 * Inserts the alert rows of parameter `$rows` at time `$now`: rows the read found none of. A plain
 * INSERT, not an upsert: checking each row for a conflict first was a large share of Postgres's
 * time per webhook in bench:ingest (CHANGELOG). Should another group's notification have written the same alert since
 * the read (an alert routed to two groups), the insert fails with a unique violation and
 * ingestNotification runs the transaction again.
 */
const insertAlertsSql = (rows: number, now: number) => `
  INSERT INTO alerts (incident_id, fingerprint, starts_at, ends_at, status, alertname, labels, annotations,
                      generator_url, grafana, first_seen_at, last_seen_at, resolved_at)
  SELECT r.incident_id, r.fingerprint, r.starts_at, r.ends_at, r.status, r.labels->>'alertname', r.labels,
         r.annotations, r.generator_url, r.grafana, $${now}, $${now}, CASE WHEN r.status = 'resolved' THEN $${now}::timestamptz END
    FROM jsonb_to_recordset($${rows}::jsonb) AS r(incident_id bigint, fingerprint text, starts_at timestamptz,
                                            ends_at timestamptz, status text, labels jsonb, annotations jsonb,
                                            generator_url text, grafana jsonb)`;
