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
  await tx.query(
    `WITH job AS (
       INSERT INTO jobs (kind, payload, incident_id, unique_key, run_at)
       VALUES ($1, $2::jsonb, $3, $4, COALESCE($5::timestamptz, now()))
       ${ON_PENDING_CONFLICT}
       RETURNING kind)
     SELECT pg_notify($6, kind) FROM job`,
    [job.kind, JSON.stringify(job.payload ?? {}), job.incidentId ?? null, job.uniqueKey ?? null, job.runAt ?? null, JOBS_CHANNEL],
  );
}

/**
 * For a caller that enqueues within a larger statement: a data-modifying CTE body that enqueues one
 * job of the kind in parameter `$kind` per incident id in parameter `$ids` (a bigint[]), each
 * coalesced under the key `<kind>:<id>`. Select `count(pg_notify(…))` over its rows to wake workers.
 */
export function enqueuePerIncidentSql(kind: number, ids: number): string {
  return `INSERT INTO jobs (kind, incident_id, unique_key)
     SELECT $${kind}::text, id, $${kind}::text || ':' || id FROM unnest($${ids}::bigint[]) AS id
     ${ON_PENDING_CONFLICT}
     RETURNING kind`;
}
