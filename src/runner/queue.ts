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
  await tx.query(
    `INSERT INTO jobs (kind, payload, incident_id, unique_key, run_at)
     VALUES ($1, $2::jsonb, $3, $4, COALESCE($5::timestamptz, now()))
     ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL DO NOTHING`,
    [job.kind, JSON.stringify(job.payload ?? {}), job.incidentId ?? null, job.uniqueKey ?? null, job.runAt ?? null],
  );
  await tx.query('SELECT pg_notify($1, $2)', [JOBS_CHANNEL, job.kind]);
}
