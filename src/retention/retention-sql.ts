import type { Queryable } from '../db/db.js';

/** How long each kind of row is kept (milliseconds). Timelines are never pruned. */
export interface RetentionAges {
  /** Slack requests already handled (their keys make a retried request change nothing twice). */
  readonly processedRequestsMs: number;
  /** Webhook bodies refused as unacceptable, kept for an operator to look at. */
  readonly rejectedWebhooksMs: number;
  /** Evidence bodies of incidents over (resolved or closed) for this long; the rows and hashes stay. */
  readonly evidenceBodiesMs: number;
  /** Postmortem drafts and their charts of incidents over for this long (a new draft can be asked for). */
  readonly postmortemsMs: number;
}

/** Rows removed (or evidence bodies emptied) by one pass, by what they were. */
export interface Pruned {
  processedRequests: number;
  schedulerSlots: number;
  rejectedWebhooks: number;
  evidenceBodies: number;
  postmortems: number;
}

// A scheduler slot's key only has to outlive the slot (at most an hour here) on every replica.
const KEEP_SCHEDULER_SLOTS_MS = 24 * 3_600_000;

// "Over": resolved or closed; an incident that is over is never reopened (a new alert opens a new one).
const OVER_SINCE = `coalesce(i.closed_at, i.resolved_at)`;
const OVER = `i.status IN ('resolved', 'closed') AND ${OVER_SINCE} < now() - $1 * interval '1 millisecond'`;

/**
 * Deletes (in batches of `batch` rows, each its own statement, so no long lock is held) what is
 * older than its age. Evidence bodies are emptied, not deleted: the timeline and the postmortem name
 * evidence by id and hash. Each statement can run again at any time: a pass stopped halfway is
 * finished by the next one.
 */
export async function pruneRetained(db: Queryable, ages: RetentionAges, batch = 5_000): Promise<Pruned> {
  const repeat = async (sql: string, ageMs: number) => {
    let total = 0;
    for (;;) {
      const { rowCount } = await db.query(sql, [ageMs, batch]);
      total += rowCount;
      if (rowCount < batch) return total;
    }
  };
  const processedRequests = await repeat(
    `DELETE FROM processed_requests WHERE key IN (
       SELECT key FROM processed_requests WHERE received_at < now() - $1 * interval '1 millisecond' LIMIT $2)`, ages.processedRequestsMs);
  const schedulerSlots = await repeat(
    `DELETE FROM scheduler_runs WHERE key IN (
       SELECT key FROM scheduler_runs WHERE ran_at < now() - $1 * interval '1 millisecond' LIMIT $2)`, KEEP_SCHEDULER_SLOTS_MS);
  const rejectedWebhooks = await repeat(
    `DELETE FROM rejected_webhooks WHERE id IN (
       SELECT id FROM rejected_webhooks WHERE received_at < now() - $1 * interval '1 millisecond' LIMIT $2)`, ages.rejectedWebhooksMs);
  const evidenceBodies = await repeat(
    `UPDATE evidence SET body = '\\x'::bytea, pruned_at = now() WHERE id IN (
       SELECT e.id FROM evidence e JOIN incidents i ON i.id = e.incident_id
        WHERE e.pruned_at IS NULL AND ${OVER} LIMIT $2)`, ages.evidenceBodiesMs);
  const postmortems = await repeat(
    `WITH old AS (
       SELECT p.incident_id FROM postmortems p JOIN incidents i ON i.id = p.incident_id WHERE ${OVER} LIMIT $2
     ), charts AS (
       DELETE FROM postmortem_charts WHERE incident_id IN (SELECT incident_id FROM old)
     )
     DELETE FROM postmortems WHERE incident_id IN (SELECT incident_id FROM old)`, ages.postmortemsMs);
  return { processedRequests, schedulerSlots, rejectedWebhooks, evidenceBodies, postmortems };
}
