import type { Queryable } from '../db/db.js';

/** The channel workers LISTEN on; a NOTIFY is sent with every enqueue (delivered at commit). */
export const JOBS_CHANNEL = 'firebreak_jobs';

/** A job to enqueue in the caller's transaction. */
export interface NewJob {
  kind: string;
  payload?: Record<string, unknown>;
  incidentId?: number;
  /** While a job with this key is pending, enqueueing the same key again adds nothing. */
  uniqueKey?: string;
  runAt?: Date;
}

/** Enqueues a job inside `tx`, so it exists exactly when the change that caused it commits. */
export async function enqueueJob(tx: Queryable, job: NewJob): Promise<void> {
  // One round trip; a job coalesced into a pending one wakes nobody.
  await tx.query(
    `WITH job AS (
       INSERT INTO jobs (kind, payload, incident_id, unique_key, run_at)
       VALUES ($1, $2::jsonb, $3, $4, COALESCE($5::timestamptz, now()))
       ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL DO NOTHING
       RETURNING kind)
     SELECT pg_notify($6, kind) FROM job`,
    [job.kind, JSON.stringify(job.payload ?? {}), job.incidentId ?? null, job.uniqueKey ?? null, job.runAt ?? null, JOBS_CHANNEL],
  );
}
