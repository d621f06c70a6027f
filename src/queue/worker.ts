import type { Db } from '../db/db.js';
import { describeError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { PoolName } from './job.js';
import { claimJobs, msUntilNextJob, retryJob, type ClaimedRow } from './jobs-sql.js';

/** What one pool's worker loop is built from. */
export interface PoolOptions {
  name: PoolName;
  db: Db;
  logger: Logger;
  /** Names this process's leases (shown by the job listing). */
  owner: string;
  /** The job kinds this pool runs. */
  kinds: readonly string[];
  /** Jobs run at once by this pool in this process. */
  concurrency: number;
  leaseMs: number;
  /** Longest sleep between looks at the queue; NOTIFY wakes the pool sooner. */
  pollMs: number;
  /** Runs one claimed job to its recorded outcome; never throws. */
  run: (row: ClaimedRow) => Promise<void>;
  /** How many of this pool's jobs run now (for the metrics). */
  onRunning: (running: number) => void;
}

/** A running pool. */
export interface Pool {
  /** Looks at the queue now. */
  wake(): void;
  /** Stops claiming; resolves when the running jobs have ended. */
  stop(): Promise<void>;
}

/**
 * One pool's worker loop: claims due jobs of its kinds with SKIP LOCKED under a lease, up to its
 * concurrency; woken by the queue on NOTIFY, by a timer for the next delayed job and, as a safety
 * net, every `pollMs`.
 */
export function startPool(o: PoolOptions): Pool {
  const running = new Set<Promise<void>>();
  let stopped = false;
  let looking = false;
  let lookAgain = false;
  let timer: NodeJS.Timeout | undefined;

  const sleepFor = (ms: number) => {
    clearTimeout(timer);
    timer = setTimeout(wake, Math.max(5, Math.min(ms, o.pollMs)));
    timer.unref();
  };

  const dispatch = (row: ClaimedRow) => {
    const p = o.run(row).finally(() => {
      running.delete(p);
      o.onRunning(running.size);
      wake();
    });
    running.add(p);
    o.onRunning(running.size);
  };

  const look = async () => {
    while (!stopped && running.size < o.concurrency) {
      const rows = await claimJobs(o.db, o.owner, o.kinds, o.leaseMs, o.concurrency - running.size);
      const keys = new Set<string>();
      for (const row of rows) {
        // A job whose lease ran out and a job queued for its key since are both due; run one at a time.
        if (row.uniqueKey !== null && keys.has(row.uniqueKey)) {
          await retryJob(o.db, row, 0, null, false);
          continue;
        }
        if (row.uniqueKey !== null) keys.add(row.uniqueKey);
        dispatch(row);
      }
      if (rows.length === 0) break;
    }
    if (!stopped && running.size < o.concurrency) sleepFor((await msUntilNextJob(o.db, o.kinds)) ?? o.pollMs);
  };

  function wake() {
    if (stopped) return;
    if (looking) {
      lookAgain = true;
      return;
    }
    looking = true;
    look()
      .catch((err: unknown) => {
        o.logger.warn({ pool: o.name, err: describeError(err) }, 'job queue unavailable; will look again');
        sleepFor(o.pollMs);
      })
      .finally(() => {
        looking = false;
        if (lookAgain) {
          lookAgain = false;
          wake();
        }
      });
  }

  wake();
  return {
    wake,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await Promise.allSettled([...running]);
    },
  };
}
