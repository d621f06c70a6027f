import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode, FirebreakError } from '../lib/errors.js';

// About a minute in all: a failover or a restart of Postgres, a dropped connection, a deadlock
// chosen as victim. A longer outage is left to the caller's own recovery.
const DELAYS_MS = [200, 500, 1_000, 2_000, 4_000, 8_000, 15_000, 30_000];

/** A database error that the same statements may not meet again: unreachable, deadlock, serialization. */
export const isTransientDatabaseError = (err: unknown): boolean =>
  err instanceof FirebreakError && err.code === ErrorCode.DatabaseUnavailable;

/**
 * Runs `op`, and again after a pause when it fails with a transient database error, for about a
 * minute at most. Stops at once when `signal` aborts (throwing the last error). Any other error is
 * thrown as it is.
 */
export async function retryTransient<T>(op: () => Promise<T>, signal?: AbortSignal, delaysMs: readonly number[] = DELAYS_MS): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await op();
    } catch (err) {
      const delay = delaysMs[i];
      if (!isTransientDatabaseError(err) || delay === undefined || signal?.aborted) throw err;
      await sleep(delay, undefined, { signal }).catch(() => {
        throw err;
      });
    }
  }
}
