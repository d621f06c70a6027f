import { randomUUID } from 'node:crypto';
import type { Db } from '../db/db.js';
import { describeError, FirebreakError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import { backoffMs } from './backoff.js';
import { claimJobs, completeJob, extendLease, failJob, msUntilNextJob, releaseAllLeases, retryJob, type Job } from './jobs-sql.js';
import { JOBS_CHANNEL } from './queue.js';

/**
 * Does one job's work. Throws to retry later (with backoff, or after the error's retryAfterMs; a
 * FirebreakError that is not retryable fails the job at once). Returns `{ postponeMs }` to run it
 * again later without counting an attempt (the work is not due yet).
 */
export type JobHandler = (job: Job) => Promise<void | { postponeMs: number }>;

export interface WorkerOptions {
  db: Db;
  handlers: Readonly<Record<string, JobHandler>>;
  logger: Logger;
  metrics: Metrics;
  /** Jobs run at once by this process. */
  concurrency?: number;
  /**
   * A running job's lease is renewed every third of this; a job whose worker stopped renewing it
   * (the process died) is taken over once it runs out.
   */
  leaseMs?: number;
  /** The embedded database: this process is the only one, so leases left at start are free at once. */
  soleWorker?: boolean;
  /** Longest sleep between looks at the queue; NOTIFY wakes the worker sooner. */
  pollMs?: number;
  /** The first retry's delay; later ones double (see backoffMs). */
  backoffBaseMs?: number;
}

/** A running worker. */
export interface Worker {
  /** Looks at the queue now. */
  wake(): void;
  /** Stops claiming, and waits for running jobs to finish. */
  stop(): Promise<void>;
}

/**
 * Runs jobs from the durable queue: claimed with SKIP LOCKED under a lease, woken by LISTEN/NOTIFY,
 * and by a timer for the next delayed job and, as a safety net, every `pollMs`.
 */
export async function startWorker(options: WorkerOptions): Promise<Worker> {
  const { db, handlers, logger, metrics, concurrency = 8, leaseMs = 60_000, pollMs = 5_000, backoffBaseMs = 1_000 } = options;
  const owner = `worker-${randomUUID()}`;
  const kinds = Object.keys(handlers);
  const running = new Set<Promise<void>>();
  let stopped = false;
  let looking = false;
  let lookAgain = false;
  let timer: NodeJS.Timeout | undefined;

  const sleepFor = (ms: number) => {
    clearTimeout(timer);
    timer = setTimeout(wake, Math.max(5, Math.min(ms, pollMs)));
    timer.unref();
  };

  const run = async (job: Job) => {
    const log = logger.child({ job: job.id, kind: job.kind, incidentId: job.incidentId ?? undefined, attempt: job.attempts });
    const started = performance.now();
    const heartbeat = setInterval(() => {
      extendLease(db, job, owner, leaseMs).then(
        (held) => { if (!held) log.warn('lost the lease of a running job: another worker may run it'); },
        (err: unknown) => log.warn({ err: describeError(err) }, 'could not renew a job lease'),
      );
    }, leaseMs / 3);
    heartbeat.unref();
    try {
      const result = await handlers[job.kind]!(job);
      if (result && 'postponeMs' in result) {
        await retryJob(db, job, owner, result.postponeMs, null, false);
        metrics.jobs.inc({ kind: job.kind, outcome: 'postponed' });
      } else {
        await completeJob(db, job, owner);
        metrics.jobs.inc({ kind: job.kind, outcome: 'done' });
        log.debug({ ms: Math.round(performance.now() - started) }, 'job done');
      }
    } catch (err) {
      const message = describeError(err);
      const coded = err instanceof FirebreakError ? err : undefined;
      const permanent = coded !== undefined && !coded.retryable;
      try {
        if (permanent || job.attempts >= job.maxAttempts) {
          await failJob(db, job, owner, message);
          metrics.jobs.inc({ kind: job.kind, outcome: 'failed' });
          log.error({ err: message }, permanent ? 'job failed and will not be retried' : 'job failed after its last attempt');
        } else {
          const delay = coded?.retryAfterMs ?? backoffMs(job.attempts, Math.random, backoffBaseMs);
          await retryJob(db, job, owner, delay, message);
          metrics.jobs.inc({ kind: job.kind, outcome: 'retried' });
          log.warn({ err: message, retryInMs: delay }, 'job failed; will retry');
        }
      } catch (dbErr) {
        // The lease runs out and the job is taken over: nothing is lost, it only runs later.
        log.warn({ err: describeError(dbErr) }, 'could not record the job outcome');
      }
    } finally {
      clearInterval(heartbeat);
    }
  };

  const look = async () => {
    while (!stopped && running.size < concurrency) {
      const jobs = await claimJobs(db, owner, kinds, leaseMs, concurrency - running.size);
      for (const job of jobs) {
        const p = run(job).finally(() => {
          running.delete(p);
          wake();
        });
        running.add(p);
      }
      if (jobs.length === 0) break;
    }
    if (!stopped && running.size < concurrency) {
      const next = await msUntilNextJob(db, kinds);
      sleepFor(next ?? pollMs);
    }
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
        logger.warn({ err: describeError(err) }, 'job queue unavailable; will look again');
        sleepFor(pollMs);
      })
      .finally(() => {
        looking = false;
        if (lookAgain) {
          lookAgain = false;
          wake();
        }
      });
  }

  if (options.soleWorker) {
    const freed = await releaseAllLeases(db);
    if (freed) logger.info({ jobs: freed }, 'took over jobs a previous run of firebreak left unfinished');
  }
  const unlisten = kinds.length ? await db.listen(JOBS_CHANNEL, wake) : async () => {};
  if (kinds.length) wake();

  return {
    wake,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await unlisten();
      await Promise.allSettled([...running]);
    },
  };
}
