import type { Queryable } from '../db/db.js';

/** A channel's bucket as a take found it: the tokens it held (after refilling), and whether one was taken. */
export interface TokenTake {
  available: number;
  taken: boolean;
}

/**
 * Takes one token from `channel`'s bucket when it holds at least `need` (refilled at `perSecond`
 * up to `burst` since it was last touched), in one statement: replicas taking at once are ordered
 * by the row lock, and the database's clock is the one clock they share.
 */
export async function takeToken(db: Queryable, channel: string, perSecond: number, burst: number, need: number): Promise<TokenTake> {
  await db.query(
    `INSERT INTO slack_channel_budgets (channel, tokens, refilled_at) VALUES ($1, $2, now()) ON CONFLICT (channel) DO NOTHING`,
    [channel, burst],
  );
  const { rows } = await db.query<{ available: number }>(
    `WITH current AS (
       SELECT LEAST($2::float8, tokens + GREATEST(0, extract(epoch FROM now() - refilled_at))::float8 * $3::float8) AS available
         FROM slack_channel_budgets WHERE channel = $1 FOR UPDATE
     )
     UPDATE slack_channel_budgets b
        SET tokens = c.available - CASE WHEN c.available >= $4 THEN 1 ELSE 0 END, refilled_at = now()
       FROM current c
      WHERE b.channel = $1
     RETURNING c.available::float8 AS available`,
    [channel, burst, perSecond, need],
  );
  const available = rows[0]?.available ?? 0;
  return { available, taken: available >= need };
}

/** Slack said to wait (a 429 with Retry-After): the bucket is emptied for that long, for every replica. */
export async function pauseBudget(db: Queryable, channel: string, perSecond: number, ms: number): Promise<void> {
  await db.query(
    `UPDATE slack_channel_budgets SET tokens = LEAST(tokens, 0) - $3::float8 * $2::float8 / 1000, refilled_at = now() WHERE channel = $1`,
    [channel, ms, perSecond],
  );
}
