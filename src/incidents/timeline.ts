import type { Queryable } from '../db/db.js';
import type { TimelineEntry } from './types.js';

/**
 * The one function that writes the timeline. Call it inside the transaction of the change it
 * records. Sequence numbers and the hash chain are set by the database (migration 0003), so no
 * writer can get them wrong; entries are appended in the order given.
 */
export async function appendTimeline(tx: Queryable, entries: readonly TimelineEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await tx.query(
    `INSERT INTO timeline_events (incident_id, at, kind, actor, summary, data)
     SELECT e.incident_id, e.at, e.kind, e.actor, e.summary, COALESCE(e.data, '{}')
       FROM jsonb_to_recordset($1::jsonb) AS e(ord int, incident_id bigint, at timestamptz, kind text,
                                               actor text, summary text, data jsonb)
      ORDER BY e.ord`,
    [JSON.stringify(entries.map((e, ord) => ({
      ord, incident_id: e.incidentId, at: e.at, kind: e.kind, actor: e.actor, summary: e.summary, data: e.data ?? {},
    })))],
  );
}

/** The seq of the first timeline event that fails verification, or null when the chain is intact. */
export async function verifyTimeline(db: Queryable, incidentId: number): Promise<number | null> {
  const { rows } = await db.query<{ broken: number | null }>('SELECT timeline_verify($1) AS broken', [incidentId]);
  return rows[0]?.broken ?? null;
}

/** Every incident whose timeline fails verification, with the seq of its first bad event (after a restore). */
export async function verifyAllTimelines(db: Queryable): Promise<{ checked: number; broken: { number: number; seq: number }[] }> {
  const { rows } = await db.query<{ number: number; seq: number | null }>(
    'SELECT number, timeline_verify(id) AS seq FROM incidents ORDER BY number');
  const broken = rows.filter((r): r is { number: number; seq: number } => r.seq !== null);
  return { checked: rows.length, broken };
}
