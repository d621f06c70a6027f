import type { Db, Queryable } from '../db/db.js';
import { isUniqueViolation } from '../db/errors.js';

/** The channel workers LISTEN on; a NOTIFY with the job's kind is sent with every enqueue (delivered at commit). */
export const JOBS_CHANNEL = 'firebreak_jobs';

/** A job row to insert: its payload already checked against its type's schema. */
export interface JobRow {
  kind: string;
  payload: unknown;
  uniqueKey: string | null;
  runAt: Date | null;
}

/**
 * Inserts jobs in one statement, each coalesced into a waiting job with its unique key (the partial
 * unique index jobs_unique_pending), and wakes the workers of the jobs actually added.
 */
export async function insertJobs(tx: Queryable, jobs: readonly JobRow[]): Promise<void> {
  await tx.query(
    `WITH job AS (
       INSERT INTO jobs (kind, payload, unique_key, run_at)
       SELECT j.kind, j.payload, j.unique_key, COALESCE(j.run_at, now())
         FROM jsonb_to_recordset($1::jsonb) AS j(kind text, payload jsonb, unique_key text, run_at timestamptz)
       ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND lease_owner IS NULL AND failed_at IS NULL AND done_at IS NULL
       DO NOTHING
       RETURNING kind)
     SELECT count(pg_notify($2, kind)) AS woken FROM job`,
    [JSON.stringify(jobs.map((j) => ({ kind: j.kind, payload: j.payload, unique_key: j.uniqueKey, run_at: j.runAt }))), JOBS_CHANNEL],
  );
}

/** One attempt's hold on a job: what its writes are fenced with. */
export interface Lease {
  id: number;
  token: string;
  uniqueKey: string | null;
}

/** A claimed job as stored (its payload not yet parsed). */
export interface ClaimedRow extends Lease {
  kind: string;
  payload: unknown;
  /** Including this one. */
  attempts: number;
}

/**
 * Claims up to `limit` of the oldest due jobs of the given kinds for `owner` until the lease ends,
 * each with a new lease token. A job whose lease ran out (its worker died or stalled) is due again.
 * A job waits while another job with its unique key runs, so the runs for one key (one incident's
 * card, say) do not overlap or overtake each other.
 */
export async function claimJobs(db: Queryable, owner: string, kinds: readonly string[], leaseMs: number, limit: number): Promise<ClaimedRow[]> {
  const { rows } = await db.query<ClaimedRow>(
    `UPDATE jobs j SET lease_owner = $1, lease_token = gen_random_uuid(), lease_until = now() + $2 * interval '1 millisecond',
                       attempts = j.attempts + 1
      WHERE j.id IN (
        SELECT c.id FROM jobs c
         WHERE c.kind = ANY($3::text[]) AND c.failed_at IS NULL AND c.done_at IS NULL AND c.run_at <= now()
           AND (c.lease_owner IS NULL OR c.lease_until < now())
           AND (c.unique_key IS NULL OR NOT EXISTS (
                 SELECT 1 FROM jobs r
                  WHERE r.unique_key = c.unique_key AND r.id <> c.id
                    AND r.lease_owner IS NOT NULL AND r.lease_until >= now()))
         ORDER BY c.run_at, c.id
         LIMIT $4
         FOR UPDATE SKIP LOCKED)
      RETURNING j.id, j.kind, j.payload, j.unique_key AS "uniqueKey", j.attempts, j.lease_token AS token`,
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
      WHERE c.kind = ANY($1::text[]) AND c.failed_at IS NULL AND c.done_at IS NULL
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
export async function extendLease(db: Queryable, lease: Lease, leaseMs: number): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE jobs SET lease_until = now() + $3 * interval '1 millisecond' WHERE id = $1 AND lease_token = $2`, [lease.id, lease.token, leaseMs],
  );
  return rowCount > 0;
}

/**
 * Whether the attempt still holds the job, the job's row locked until the transaction ends: no
 * other worker can claim it meanwhile, so what the transaction writes is this attempt's alone.
 */
export async function holdsLease(tx: Queryable, lease: Lease): Promise<boolean> {
  const { rowCount } = await tx.query('SELECT 1 FROM jobs WHERE id = $1 AND lease_token = $2 FOR NO KEY UPDATE', [lease.id, lease.token]);
  return rowCount > 0;
}

/**
 * Frees every lease. Only for the embedded database, which one process owns: leases held at start
 * are a previous, dead process's, and need not be waited out. A freed job that a waiting job with
 * its key (or an older freed one) covers is dropped rather than queued twice.
 */
export async function releaseAllLeases(db: Queryable): Promise<number> {
  const { rowCount } = await db.query(
    `WITH covered AS (
       DELETE FROM jobs l
        WHERE l.lease_owner IS NOT NULL AND l.unique_key IS NOT NULL AND EXISTS (
              SELECT 1 FROM jobs o
               WHERE o.unique_key = l.unique_key AND o.id <> l.id AND o.failed_at IS NULL AND o.done_at IS NULL
                 AND (o.lease_owner IS NULL OR o.id < l.id))
       RETURNING id)
     UPDATE jobs SET lease_owner = NULL, lease_token = NULL, lease_until = NULL
      WHERE lease_owner IS NOT NULL AND id NOT IN (SELECT id FROM covered)`,
  );
  return rowCount;
}

/** The attempt's job is done: kept, with its time, until housekeeping prunes it. */
export async function completeJob(db: Queryable, lease: Lease): Promise<boolean> {
  const { rowCount } = await db.query(
    'UPDATE jobs SET done_at = now(), lease_owner = NULL, lease_token = NULL, lease_until = NULL WHERE id = $1 AND lease_token = $2',
    [lease.id, lease.token],
  );
  return rowCount > 0;
}

/**
 * Puts the attempt's job back to run at `delayMs` from now. `countAttempt: false` for a deliberate
 * postponement or a rate limit. When a job with the same unique key was queued meanwhile, that one
 * covers it and this one is done; the other then waits at least as long (a Retry-After applies to
 * it too). False when the attempt no longer held the job.
 */
export async function retryJob(db: Db, lease: Lease, delayMs: number, error: string | null, countAttempt = true): Promise<boolean> {
  const delay = Math.max(0, Math.round(delayMs));
  try {
    const { rowCount } = await db.query(
      `UPDATE jobs SET lease_owner = NULL, lease_token = NULL, lease_until = NULL, run_at = now() + $3 * interval '1 millisecond',
                       last_error = COALESCE($4, last_error), attempts = attempts - $5
        WHERE id = $1 AND lease_token = $2`,
      [lease.id, lease.token, delay, error, countAttempt ? 0 : 1],
    );
    return rowCount > 0;
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    return db.transaction(async (tx) => {
      await tx.query(
        `UPDATE jobs SET run_at = GREATEST(run_at, now() + $2 * interval '1 millisecond')
          WHERE unique_key = $1 AND lease_owner IS NULL AND failed_at IS NULL AND done_at IS NULL`,
        [lease.uniqueKey, delay],
      );
      return completeJob(tx, lease);
    });
  }
}

/** The attempt's job will not succeed: kept, with its error, for an operator. */
export async function failJob(db: Queryable, lease: Lease, error: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE jobs SET failed_at = now(), lease_owner = NULL, lease_token = NULL, lease_until = NULL, last_error = $3
      WHERE id = $1 AND lease_token = $2`,
    [lease.id, lease.token, error],
  );
  return rowCount > 0;
}
