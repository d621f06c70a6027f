import type { Db, Queryable } from '../db/db.js';
import { JOBS_CHANNEL } from './jobs-sql.js';

/** Where a job is: waiting (not due yet), due, running (under a live lease), done, or failed (for good). */
export type JobState = 'waiting' | 'due' | 'running' | 'done' | 'failed';
/** The states a job can be listed by. */
export const JOB_STATES: readonly JobState[] = ['waiting', 'due', 'running', 'done', 'failed'];

// A job's state from its columns. A job whose lease ran out is due (any worker may take it over).
const STATE = `CASE WHEN j.failed_at IS NOT NULL THEN 'failed'
                    WHEN j.done_at IS NOT NULL THEN 'done'
                    WHEN j.lease_owner IS NOT NULL AND j.lease_until >= now() THEN 'running'
                    WHEN j.lease_owner IS NULL AND j.run_at > now() THEN 'waiting'
                    ELSE 'due' END`;
// When a due job became due: its run time, or when the lease of its dead worker ran out.
const DUE_SINCE = 'CASE WHEN j.lease_owner IS NULL THEN j.run_at ELSE j.lease_until END';

/** Jobs of one kind in one state, and how long the oldest of them has been due (state `due`). */
export interface JobStateCount {
  kind: string;
  state: Exclude<JobState, 'done'>;
  jobs: number;
  oldestDueSeconds: number;
}

/** Unfinished and failed jobs by kind and state (the metrics' read; done jobs are not counted). */
export async function countJobs(db: Queryable): Promise<JobStateCount[]> {
  const { rows } = await db.query<JobStateCount>(
    `SELECT j.kind, ${STATE} AS state, count(*)::int AS jobs,
            COALESCE(extract(epoch FROM now() - min(${DUE_SINCE})), 0)::float8 AS "oldestDueSeconds"
       FROM jobs j WHERE j.done_at IS NULL GROUP BY 1, 2`,
  );
  return rows.map((r) => (r.state === 'due' ? r : { ...r, oldestDueSeconds: 0 }));
}

/** A job as an operator sees it. */
export interface JobView {
  id: number;
  kind: string;
  state: JobState;
  payload: unknown;
  uniqueKey: string | null;
  attempts: number;
  runAt: Date;
  lastError: string | null;
  /** The worker holding it, while it runs. */
  leaseOwner: string | null;
  createdAt: Date;
  doneAt: Date | null;
  failedAt: Date | null;
}

/** Jobs in one state, newest first; `beforeId` pages on from an earlier answer's last id. */
export async function listJobs(db: Queryable, o: { state: JobState; kind?: string; limit: number; beforeId?: number }): Promise<JobView[]> {
  const { rows } = await db.query<JobView>(
    `SELECT * FROM (
       SELECT j.id, j.kind, ${STATE} AS state, j.payload, j.unique_key AS "uniqueKey", j.attempts, j.run_at AS "runAt",
              j.last_error AS "lastError", CASE WHEN j.lease_until >= now() THEN j.lease_owner END AS "leaseOwner",
              j.created_at AS "createdAt", j.done_at AS "doneAt", j.failed_at AS "failedAt"
         FROM jobs j
        WHERE ($2::text IS NULL OR j.kind = $2) AND ($4::bigint IS NULL OR j.id < $4)) v
      WHERE v.state = $1 ORDER BY v.id DESC LIMIT $3`,
    [o.state, o.kind ?? null, o.limit, o.beforeId ?? null],
  );
  return rows;
}

/** How asking to run a failed job again went. */
export type RetryOutcome = 'queued' | 'covered' | 'not_failed' | 'not_found';

/**
 * Queues a failed job again, its attempts counted afresh. `covered`: a job with its unique key
 * already waits to do the same work; the failed one is marked done instead.
 */
export async function retryFailedJob(db: Db, id: number): Promise<RetryOutcome> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ failed: boolean; covered: boolean }>(
      `SELECT j.failed_at IS NOT NULL AS failed,
              EXISTS (SELECT 1 FROM jobs o WHERE o.unique_key = j.unique_key AND o.id <> j.id
                         AND o.lease_owner IS NULL AND o.failed_at IS NULL AND o.done_at IS NULL) AS covered
         FROM jobs j WHERE j.id = $1 FOR UPDATE`,
      [id],
    );
    const job = rows[0];
    if (!job) return 'not_found';
    if (!job.failed) return 'not_failed';
    if (job.covered) {
      await tx.query('UPDATE jobs SET failed_at = NULL, done_at = now() WHERE id = $1', [id]);
      return 'covered';
    }
    await tx.query(
      `WITH job AS (UPDATE jobs SET failed_at = NULL, attempts = 0, run_at = now() WHERE id = $1 RETURNING kind)
       SELECT pg_notify($2, kind) FROM job`,
      [id, JOBS_CHANNEL],
    );
    return 'queued';
  });
}

/**
 * Deletes done jobs older than `keepDoneMs` and failed ones older than `keepFailedMs`, in batches so
 * that no statement holds many rows. Returns how many went.
 */
export async function pruneJobs(db: Queryable, keepDoneMs: number, keepFailedMs: number, batch = 5_000): Promise<number> {
  let pruned = 0;
  for (;;) {
    const { rowCount } = await db.query(
      `DELETE FROM jobs WHERE id IN (
         SELECT id FROM jobs WHERE done_at < now() - $1 * interval '1 millisecond'
         UNION ALL
         SELECT id FROM jobs WHERE failed_at < now() - $2 * interval '1 millisecond'
         LIMIT $3)`,
      [keepDoneMs, keepFailedMs, batch],
    );
    pruned += rowCount;
    if (rowCount < batch) return pruned;
  }
}
