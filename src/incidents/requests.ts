import type { Db, Queryable } from '../db/db.js';

/**
 * Claims a request key (a Slack trigger id, say) inside the transaction of the change it causes.
 * Returns null when the key is new; the stored answer when the request was handled before (Slack
 * retried it), in which case the caller changes nothing and answers the same again. Concurrent
 * duplicates wait on the first one's row lock and then see its answer.
 */
async function claimRequest<T extends object>(tx: Queryable, key: string): Promise<T | null> {
  const inserted = await tx.query('INSERT INTO processed_requests (key) VALUES ($1) ON CONFLICT (key) DO NOTHING RETURNING 1', [key]);
  if (inserted.rowCount > 0) return null;
  // A statement of its own: its snapshot includes the first request's commit the insert waited for.
  const { rows } = await tx.query<{ response: T }>('SELECT response FROM processed_requests WHERE key = $1', [key]);
  return rows[0]?.response ?? ({} as T);
}

/** Stores the answer given to a claimed request, for its retries. */
async function saveResponse(tx: Queryable, key: string, response: object): Promise<void> {
  await tx.query('UPDATE processed_requests SET response = $2::jsonb WHERE key = $1', [key, JSON.stringify(response)]);
}

/**
 * Runs `change` in one transaction, once per request key: a retried request (Slack retrying, a
 * client resending its Idempotency-Key) changes nothing and gets the first answer again. `first`:
 * whether this call made the change.
 */
export async function oncePerRequest<T extends object>(db: Db, key: string, change: (tx: Queryable) => Promise<T>): Promise<{ value: T; first: boolean }> {
  return db.transaction(async (tx) => {
    const before = await claimRequest<T>(tx, key);
    if (before) return { value: before, first: false };
    const value = await change(tx);
    await saveResponse(tx, key, value);
    return { value, first: true };
  });
}
