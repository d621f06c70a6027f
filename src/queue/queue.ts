import type { Queryable } from '../db/db.js';

/** The channel workers LISTEN on; a NOTIFY is sent with every enqueue (delivered at commit). */
export const JOBS_CHANNEL = 'firebreak_jobs';

/** A job to enqueue in the caller's transaction. */
export interface NewJob {
  kind: string;
  payload?: Record<string, unknown>;
  incidentId?: number;
  /** While a job with this key waits to run, enqueueing the same key again adds nothing. */
  uniqueKey?: string;
  runAt?: Date;
}

// The conflict target of coalescing: the partial unique index jobs_unique_pending (migration 0006).
const ON_PENDING_CONFLICT =
  'ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND lease_owner IS NULL AND failed_at IS NULL DO NOTHING';

/** Enqueues a job inside `tx`, so it exists exactly when the change that caused it commits. */
export async function enqueueJob(tx: Queryable, job: NewJob): Promise<void> {
  // One round trip; a job coalesced into a pending one wakes nobody.
  await tx.query(`WITH job AS (${enqueueJobsSql(1)}) SELECT count(pg_notify($2, kind)) FROM job`, [jobsParam([job]), JOBS_CHANNEL]);
}

/**
 * For a caller that enqueues within a larger statement: a data-modifying CTE body that enqueues
 * the jobs of parameter `$n` (a jobsParam), each coalesced into a pending job of its unique key.
 * Select `count(pg_notify(JOBS_CHANNEL, kind))` over its rows to wake workers.
 */
export function enqueueJobsSql(n: number): string {
  return `INSERT INTO jobs (kind, payload, incident_id, unique_key, run_at)
     SELECT j.kind, COALESCE(j.payload, '{}'), j.incident_id, j.unique_key, COALESCE(j.run_at, now())
       FROM jsonb_to_recordset($${n}::jsonb) AS j(kind text, payload jsonb, incident_id bigint, unique_key text, run_at timestamptz)
     ${ON_PENDING_CONFLICT}
     RETURNING kind`;
}

/** The jobs as the JSON parameter enqueueJobsSql reads. */
export function jobsParam(jobs: readonly NewJob[]): string {
  return JSON.stringify(jobs.map((j) => ({
    kind: j.kind, payload: j.payload ?? {}, incident_id: j.incidentId ?? null, unique_key: j.uniqueKey ?? null, run_at: j.runAt ?? null,
  })));
}
