import type { Queryable } from '../db/db.js';

// A Slack retry comes within minutes; a day covers every retry with a wide margin.
const KEEP_REQUESTS = '1 day';

/** Deletes remembered requests and scheduler slots too old to matter. Returns the rows removed. */
export async function pruneOldRows(db: Queryable): Promise<number> {
  const a = await db.query(`DELETE FROM processed_requests WHERE received_at < now() - interval '${KEEP_REQUESTS}'`);
  const b = await db.query(`DELETE FROM scheduler_runs WHERE ran_at < now() - interval '${KEEP_REQUESTS}'`);
  return a.rowCount + b.rowCount;
}
