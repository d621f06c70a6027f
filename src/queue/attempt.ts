import type { Db, Queryable } from '../db/db.js';
import { retryTransient } from '../db/retry.js';
import { describeError, ErrorCode, FirebreakError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { backoffMs } from './backoff.js';
import { payloadRefused, type Job, type JobBinding } from './job.js';
import { completeJob, extendLease, failJob, holdsLease, retryJob, type ClaimedRow, type Lease } from './jobs-sql.js';
import type { QueueMetrics } from './metrics.js';

/** What every attempt of a queue shares. */
export interface AttemptContext {
  db: Db;
  logger: Logger;
  metrics: QueueMetrics;
  leaseMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  random: () => number;
  /** Aborted when the process stops and running jobs are to give up. */
  stopping: AbortSignal;
}

const leaseLost = (lease: Lease) => new FirebreakError(ErrorCode.JobLeaseLost, `job ${lease.id}: this attempt no longer holds the job`);
const isLeaseLost = (err: unknown) => err instanceof FirebreakError && err.code === ErrorCode.JobLeaseLost;

/** The payload's numbers (the ids a job is about), for its log lines. */
const idsOf = (payload: unknown) =>
  Object.fromEntries(Object.entries(payload && typeof payload === 'object' ? payload : {}).filter(([, v]) => typeof v === 'number'));

/** The transaction of Job.transaction: fenced by the lease token, retried on transient errors. */
function fencedTransaction<T>(db: Db, lease: Lease, signal: AbortSignal, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return retryTransient(() => db.transaction(async (tx) => {
    // Sent first and read last: on Postgres the check travels with the transaction's first statements.
    const held = holdsLease(tx, lease);
    held.catch(() => {}); // read below, unless fn fails first
    const result = await fn(tx);
    if (!(await held)) throw leaseLost(lease);
    return result;
  }), signal);
}

/**
 * Runs one claimed job: renews its lease while the handler works (a lost lease aborts the job's
 * signal), then records the outcome, fenced by the lease token so that a worker whose job was taken
 * over records nothing.
 */
export async function runAttempt(ctx: AttemptContext, binding: JobBinding, row: ClaimedRow): Promise<void> {
  const { type } = binding;
  const log = ctx.logger.child({ job: row.id, kind: row.kind, attempt: row.attempts, ...idsOf(row.payload) });
  const count = (outcome: string) => ctx.metrics.runs.inc({ pool: type.pool, kind: row.kind, outcome });
  const lost = new AbortController();
  const signal = AbortSignal.any([lost.signal, ctx.stopping]);
  const heartbeat = setInterval(() => {
    extendLease(ctx.db, row, ctx.leaseMs).then(
      (held) => {
        if (held || lost.signal.aborted) return;
        log.warn('lost the lease of a running job (another worker took it over): stopping it');
        lost.abort(leaseLost(row));
      },
      (err: unknown) => log.warn({ err: describeError(err) }, 'could not renew a job lease'),
    );
  }, ctx.leaseMs / 3);
  heartbeat.unref();
  // Recording an outcome is retried over a database blip; should it still fail, the lease runs out
  // and the job is taken over: it runs again, nothing is lost.
  const record = async (write: () => Promise<boolean>) => {
    try {
      if (!(await retryTransient(write))) log.warn('the job was taken over meanwhile: its outcome here is not recorded');
    } catch (err) {
      log.warn({ err: describeError(err) }, 'could not record the job outcome');
    }
  };

  const started = performance.now();
  let payload: unknown;
  try {
    const parsed = type.schema.safeParse(row.payload);
    if (!parsed.success) throw payloadRefused(row.kind, 'the stored payload', parsed.error);
    payload = parsed.data;
    const job: Job<unknown> = {
      id: row.id, kind: row.kind, payload, attempts: row.attempts, signal,
      transaction: (fn) => fencedTransaction(ctx.db, row, signal, fn),
    };
    const result = await binding.handler(job);
    if (result && 'postponeMs' in result) {
      await record(() => retryJob(ctx.db, row, result.postponeMs, null, false));
      count('postponed');
    } else {
      await record(() => completeJob(ctx.db, row));
      count('done');
      log.debug({ ms: Math.round(performance.now() - started) }, 'job done');
    }
  } catch (err) {
    await recordFailure(err);
  } finally {
    clearInterval(heartbeat);
  }

  async function recordFailure(err: unknown): Promise<void> {
    const message = describeError(err);
    if (lost.signal.aborted || isLeaseLost(err)) {
      count('lease_lost');
      log.warn({ err: message }, 'the job was taken over by another worker: this attempt wrote nothing');
      return;
    }
    if (ctx.stopping.aborted) {
      // Stopped mid-run: back in the queue at once, for the next process (no attempt used up).
      await record(() => retryJob(ctx.db, row, 0, `interrupted: firebreak stopped while it ran (${message})`, false));
      count('interrupted');
      log.warn({ err: message }, 'job interrupted by shutdown; queued again');
      return;
    }
    const coded = err instanceof FirebreakError ? err : undefined;
    if (coded?.retryable && coded.retryAfterMs !== undefined) {
      // The other side said when to come back (a 429's Retry-After): waiting is not failing.
      await record(() => retryJob(ctx.db, row, coded.retryAfterMs!, message, false));
      count('rate_limited');
      log.warn({ err: message, retryInMs: coded.retryAfterMs }, 'job rate limited; will retry');
      return;
    }
    const permanent = coded !== undefined && !coded.retryable;
    const exhausted = row.attempts >= type.attempts;
    if (permanent || (exhausted && !(await persists()))) {
      await record(() => failJob(ctx.db, row, message));
      count('failed');
      log.error({ err: message }, permanent ? 'job failed and will not be retried' : 'job failed after its last attempt');
      return;
    }
    const delay = backoffMs(row.attempts, ctx.random, ctx.backoffBaseMs, ctx.backoffMaxMs);
    await record(() => retryJob(ctx.db, row, delay, message));
    count('retried');
    log.warn({ err: message, retryInMs: delay, ...(exhausted ? { persisting: true } : {}) }, 'job failed; will retry');
  }

  async function persists(): Promise<boolean> {
    if (!binding.persist) return false;
    try {
      return await binding.persist(payload);
    } catch (err) {
      // Not knowing is no reason to give up: ask again after the next attempt.
      log.warn({ err: describeError(err) }, 'could not tell whether to keep retrying the job; it will');
      return true;
    }
  }
}
