import type { Queryable } from '../db/db.js';
import type { AlertNotice } from '../ingest/notification.js';
import type { AlertLookup, AlertStep, KnownAlert } from './plan.js';

/**
 * For each notice, its exact row (same fingerprint and startsAt) and the fingerprint's latest row
 * (its firing one if any). One round trip for the whole notification. startsAt is compared in SQL,
 * where it has Postgres's microsecond precision, not JavaScript's milliseconds.
 */
export async function lookupAlerts(tx: Queryable, alerts: readonly AlertNotice[]): Promise<AlertLookup[]> {
  // Every stored instance of each fingerprint (almost always none or one), best "latest" first.
  const { rows } = await tx.query<KnownAlert & { i: number; exact: boolean }>(
    `SELECT k.i::int AS i, a.starts_at = k.sa AS exact, a.id, a.incident_id AS "incidentId",
            inc.number AS "incidentNumber", a.status
       FROM unnest($1::text[], $2::timestamptz[]) WITH ORDINALITY AS k(fp, sa, i)
       JOIN alerts a ON a.fingerprint = k.fp
       JOIN incidents inc ON inc.id = a.incident_id
      ORDER BY k.i, (a.status = 'firing') DESC, a.starts_at DESC`,
    [alerts.map((a) => a.fingerprint), alerts.map((a) => a.startsAt)],
  );
  const lookups: AlertLookup[] = alerts.map(() => ({}));
  for (const { i, exact, ...known } of rows) {
    const lookup = lookups[i - 1]!;
    lookup.latest ??= known;
    if (exact) lookup.exact = known;
  }
  return lookups;
}

/**
 * Applies the plan's alert steps: first the superseded rows are closed (at most one firing row per
 * fingerprint), then existing rows updated, then new rows inserted; one statement each.
 */
export async function writeAlerts(
  tx: Queryable,
  alerts: readonly AlertNotice[],
  steps: readonly AlertStep[],
  incidentOf: (s: AlertStep) => number,
  at: Date,
): Promise<void> {
  const updates = (superseded: boolean) =>
    steps
      .filter((s) => s.rowId !== undefined && Boolean(s.superseded) === superseded)
      .map((s) => {
        const a = alerts[s.index]!;
        return superseded
          ? { id: s.rowId, status: 'resolved', ends_at: a.startsAt, incident_id: incidentOf(s), received: 0, repeat: false }
          : { id: s.rowId, status: s.status, ends_at: a.endsAt, labels: a.labels, annotations: a.annotations,
              generator_url: a.generatorUrl, incident_id: incidentOf(s), received: 1, repeat: s.outcome === 'repeat' };
      });
  for (const rows of [updates(true), updates(false)]) {
    if (rows.length === 0) continue;
    await tx.query(
      // A repeat keeps status and end time: a stale firing notice must not revive a resolved row.
      `UPDATE alerts a SET
          status = CASE WHEN u.repeat THEN a.status ELSE u.status END,
          ends_at = CASE WHEN u.repeat THEN a.ends_at ELSE u.ends_at END,
          labels = COALESCE(u.labels, a.labels),
          annotations = COALESCE(u.annotations, a.annotations),
          generator_url = COALESCE(u.generator_url, a.generator_url),
          incident_id = u.incident_id,
          last_seen_at = $2,
          resolved_at = CASE WHEN u.repeat THEN a.resolved_at WHEN u.status = 'resolved' THEN COALESCE(a.resolved_at, $2) END,
          times_received = a.times_received + u.received
         FROM jsonb_to_recordset($1::jsonb) AS u(id bigint, status text, ends_at timestamptz, labels jsonb,
                                                 annotations jsonb, generator_url text, incident_id bigint, received int,
                                                 repeat boolean)
        WHERE a.id = u.id`,
      [JSON.stringify(rows), at],
    );
  }

  const inserts = steps
    .filter((s) => s.rowId === undefined)
    .map((s) => {
      const a = alerts[s.index]!;
      return { incident_id: incidentOf(s), fingerprint: a.fingerprint, starts_at: a.startsAt, ends_at: a.endsAt,
        status: a.status, labels: a.labels, annotations: a.annotations, generator_url: a.generatorUrl };
    });
  if (inserts.length === 0) return;
  // ON CONFLICT only matters if another group's webhook inserted the same alert since the lookup.
  await tx.query(
    `INSERT INTO alerts (incident_id, fingerprint, starts_at, ends_at, status, alertname, labels, annotations,
                         generator_url, first_seen_at, last_seen_at, resolved_at)
     SELECT r.incident_id, r.fingerprint, r.starts_at, r.ends_at, r.status, r.labels->>'alertname', r.labels,
            r.annotations, r.generator_url, $2, $2, CASE WHEN r.status = 'resolved' THEN $2::timestamptz END
       FROM jsonb_to_recordset($1::jsonb) AS r(incident_id bigint, fingerprint text, starts_at timestamptz,
                                               ends_at timestamptz, status text, labels jsonb, annotations jsonb,
                                               generator_url text)
     ON CONFLICT (fingerprint, starts_at) DO UPDATE
        SET last_seen_at = EXCLUDED.last_seen_at, times_received = alerts.times_received + 1`,
    [JSON.stringify(inserts), at],
  );
}
