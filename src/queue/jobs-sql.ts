import type { Db, Queryable } from '../db/db.js';
import { isUniqueViolation } from '../db/errors.js';

/** A claimed job, as a handler sees it. */
export interface Job {
  id: number;
  kind: string;
  payload: Record<string, unknown>;
  incidentId: number | null;
  uniqueKey: string | null;
  /** Including this run. */
  attempts: number;
  maxAttempts: number;
}

/**
 * Claims up to `limit` of the oldest due jobs of the given kinds for `owner` until the lease ends. A job whose lease
 * ran out (its worker died) is due again. A job waits while another job with its unique key runs,
 * so the runs for one key (one incident's card, say) never overlap or overtake each other.
 */
export async function claimJobs(db: Queryable, owner: string, kinds: readonly string[], leaseMs: number, limit: number): Promise<Job[]> {
  const { rows } = await db.query<Job>(
    `UPDATE jobs j SET lease_owner = $1, lease_until = now() + $2 * interval '1 millisecond', attempts = j.attempts + 1
      WHERE j.id IN (
        SELECT c.id FROM jobs c
         WHERE c.kind = ANY($3::text[]) AND c.failed_at IS NULL AND c.run_at <= now()
           AND (c.lease_owner IS NULL OR c.lease_until < now())
           AND (c.unique_key IS NULL OR NOT EXISTS (
                 SELECT 1 FROM jobs r
                  WHERE r.unique_key = c.unique_key AND r.id <> c.id
                    AND r.lease_owner IS NOT NULL AND r.lease_until >= now()))
         ORDER BY c.run_at, c.id
         LIMIT $4
         FOR UPDATE SKIP LOCKED)
      RETURNING j.id, j.kind, j.payload, j.incident_id AS "incidentId", j.unique_key AS "uniqueKey",
                j.attempts, j.max_attempts AS "maxAttempts"`,
    [owner, leaseMs, kinds, limit],
  );
  return rows.sort((a, b) => a.id - b.id);
}

/**
 * Milliseconds until a job of these kinds may next be claimed (0: now), or null when none waits. A
 * job waiting behind a running job with its key is left out: that run's end wakes the worker.
 */
export async function msUntilNextJob(db: Queryable, kinds: readonly string[]): Promise<number | null> {
  const { rows } = await db.query<{ ms: number | null }>(
    // Not GREATEST(0, ...) in SQL: GREATEST skips NULLs, so an empty queue would read as "due now"
    // and an idle worker would look every few milliseconds.
    `SELECT (extract(epoch FROM min(CASE WHEN c.lease_owner IS NULL THEN c.run_at ELSE c.lease_until END) - now()) * 1000)::float8 AS ms
       FROM jobs c
      WHERE c.kind = ANY($1::text[]) AND c.failed_at IS NULL
        AND NOT (c.lease_owner IS NULL AND c.unique_key IS NOT NULL AND EXISTS (
              SELECT 1 FROM jobs r
               WHERE r.unique_key = c.unique_key AND r.id <> c.id
                 AND r.lease_owner IS NOT NULL AND r.lease_until >= now()))`,
    [kinds],
  );
  const ms = rows[0]?.ms ?? null;
  return ms === null ? null : Math.max(0, ms);
}

/** Keeps a running job's lease alive (the heartbeat of a long step). False when it was lost. */
export async function extendLease(db: Queryable, job: Job, owner: string, leaseMs: number): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE jobs SET lease_until = now() + $3 * interval '1 millisecond' WHERE id = $1 AND lease_owner = $2`, [job.id, owner, leaseMs],
  );
  return rowCount > 0;
}

/**
 * Frees every lease. Only for the embedded database, which one process owns: leases held at start
 * are a previous, dead process's, and need not be waited out.
 */
export async function releaseAllLeases(db: Queryable): Promise<number> {
  const { rowCount } = await db.query('UPDATE jobs SET lease_owner = NULL, lease_until = NULL WHERE lease_owner IS NOT NULL');
  return rowCount;
}

/** A job done: it leaves the queue. */
export async function completeJob(db: Queryable, job: Job, owner: string): Promise<void> {
  await db.query('DELETE FROM jobs WHERE id = $1 AND lease_owner = $2', [job.id, owner]);
}

/**
 * Puts a job back to run at `delayMs` from now. `countAttempt: false` for a deliberate postponement.
 * When a job with the same unique key was queued meanwhile, that one covers it and this one goes;
 * the other then waits at least as long (a Retry-After applies to it too).
 */
export async function retryJob(
  db: Db, job: Job, owner: string, delayMs: number, error: string | null, countAttempt = true,
): Promise<void> {
  const delay = Math.max(0, Math.round(delayMs));
  try {
    await db.query(
      `UPDATE jobs SET lease_owner = NULL, lease_until = NULL, run_at = now() + $3 * interval '1 millisecond',
                       last_error = COALESCE($4, last_error), attempts = attempts - $5
        WHERE id = $1 AND lease_owner = $2`,
      [job.id, owner, delay, error, countAttempt ? 0 : 1],
    );
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    await db.transaction(async (tx) => {
      await tx.query(
        `UPDATE jobs SET run_at = GREATEST(run_at, now() + $2 * interval '1 millisecond')
          WHERE unique_key = $1 AND lease_owner IS NULL AND failed_at IS NULL`,
        [job.uniqueKey, delay],
      );
      await completeJob(tx, job, owner);
    });
  }
}

/** A job that will not succeed: kept, with its error, for an operator. */
export async function failJob(db: Queryable, job: Job, owner: string, error: string): Promise<void> {
  await db.query(
    'UPDATE jobs SET failed_at = now(), lease_owner = NULL, lease_until = NULL, last_error = $3 WHERE id = $1 AND lease_owner = $2',
    [job.id, owner, error],
  );
}
