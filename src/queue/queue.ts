import { randomUUID } from 'node:crypto';
import type { Registry } from 'prom-client';
import type { Db, Queryable } from '../db/db.js';
import { describeError, ErrorCode, FirebreakError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { runAttempt, type AttemptContext } from './attempt.js';
import { countJobs } from './inspect-sql.js';
import { payloadRefused, POOLS, type JobBinding, type JobQueue, type NewJob, type PoolName } from './job.js';
import { insertJobs, JOBS_CHANNEL, releaseAllLeases, type JobRow } from './jobs-sql.js';
import { createQueueMetrics } from './metrics.js';
import { startPool, type Pool } from './worker.js';

/** How the queue runs; every duration in milliseconds. */
export interface QueueOptions {
  db: Db;
  logger: Logger;
  /** Where the queue's metrics are registered. */
  registry: Registry;
  /** Jobs each pool runs at once in this process; 0: the pool runs nowhere here (another replica's work). */
  concurrency: Readonly<Record<PoolName, number>>;
  /** A running job's lease; renewed every third of it. A job whose worker stopped renewing is taken over once it runs out. */
  leaseMs: number;
  /** Longest sleep between looks at the queue; NOTIFY wakes the pools sooner. */
  pollMs?: number;
  /** The first retry's delay; later ones double (see backoffMs) up to backoffMaxMs. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** The embedded database: this process is the only one, so leases left at start are free at once. */
  soleWorker?: boolean;
  /** On stop, how long running jobs may take to finish before they are aborted and queued again. */
  shutdownGraceMs?: number;
  random?: () => number;
}

/** The durable job queue of this process: enqueueing, and the pools that run the jobs. */
export interface Queue extends JobQueue {
  /** Binds the handlers (each job type once) and starts the pools. Enqueueing works from then on. */
  start(bindings: readonly JobBinding[]): Promise<void>;
  /** The pool of a job kind this process handles (for listings). */
  poolOf(kind: string): PoolName | undefined;
  /** Stops claiming; running jobs get the grace period, then are aborted and queued again. */
  stop(): Promise<void>;
}

/** Creates the queue; nothing runs and nothing may be enqueued until start(). */
export function createQueue(o: QueueOptions): Queue {
  const owner = `firebreak-${randomUUID()}`;
  const bindings = new Map<string, JobBinding>();
  const needed = new Set<string>();
  const stopping = new AbortController();
  const pools = new Map<PoolName, Pool>();
  let started = false;
  let unlisten = async () => {};

  const refuse = (message: string) => new FirebreakError(ErrorCode.JobInvalid, message);

  const rowOf = (job: NewJob): JobRow | undefined => {
    const { type } = job;
    const bound = bindings.get(type.kind);
    if (!bound) {
      // A job for an integration that is off here (Slack or PagerDuty not configured) is not queued.
      if (type.needs !== undefined && !needed.has(type.needs)) return undefined;
      throw refuse(`job ${type.kind}: nothing in this process handles it`);
    }
    if (bound.type !== type) throw refuse(`job ${type.kind} is declared twice`);
    const parsed = type.schema.safeParse(job.payload);
    if (!parsed.success) throw payloadRefused(type.kind, 'the payload', parsed.error);
    return { kind: type.kind, payload: parsed.data, uniqueKey: type.key(parsed.data) ?? null, runAt: job.runAt ?? null };
  };

  return {
    async enqueue(tx: Queryable, ...jobs: NewJob[]) {
      if (!started) throw refuse('the job queue is not started: its handlers are not known yet');
      const rows = jobs.map(rowOf).filter((r): r is JobRow => r !== undefined);
      if (rows.length) await insertJobs(tx, rows);
    },

    poolOf: (kind) => bindings.get(kind)?.type.pool,

    async start(list) {
      for (const b of list) {
        if (bindings.has(b.type.kind)) throw refuse(`job ${b.type.kind} has two handlers`);
        bindings.set(b.type.kind, b);
        if (b.type.needs !== undefined) needed.add(b.type.needs);
      }
      started = true;
      const kinds = new Map([...bindings.values()].map((b) => [b.type.kind, b.type.pool]));
      const metrics = createQueueMetrics(o.registry, { concurrency: o.concurrency, kinds, readStates: () => countJobs(o.db) });
      const ctx: AttemptContext = {
        db: o.db, logger: o.logger, metrics, leaseMs: o.leaseMs, backoffBaseMs: o.backoffBaseMs ?? 1_000,
        backoffMaxMs: o.backoffMaxMs ?? 5 * 60_000, random: o.random ?? Math.random, stopping: stopping.signal,
      };
      if (o.soleWorker) {
        const freed = await releaseAllLeases(o.db);
        if (freed) o.logger.info({ jobs: freed }, 'took over jobs a previous run of firebreak left unfinished');
      }
      for (const name of POOLS) {
        const ofPool = [...bindings.values()].filter((b) => b.type.pool === name);
        if (!ofPool.length || o.concurrency[name] <= 0) continue;
        pools.set(name, startPool({
          name, db: o.db, logger: o.logger, owner, kinds: ofPool.map((b) => b.type.kind), concurrency: o.concurrency[name],
          leaseMs: o.leaseMs, pollMs: o.pollMs ?? 5_000,
          run: (row) => runAttempt(ctx, bindings.get(row.kind)!, row),
          onRunning: (n) => metrics.running.set({ pool: name }, n),
        }));
      }
      if (pools.size) {
        // The payload is the kind queued: only its pool looks. '' (the LISTEN connection is back): all look.
        unlisten = await o.db.listen(JOBS_CHANNEL, (kind) => {
          const pool = bindings.get(kind)?.type.pool;
          if (pool) pools.get(pool)?.wake();
          else if (kind === '') for (const p of pools.values()) p.wake();
        });
      }
      o.logger.info({ pools: Object.fromEntries([...pools.keys()].map((p) => [p, o.concurrency[p]])) }, 'job pools started');
    },

    async stop() {
      await unlisten().catch((err: unknown) => o.logger.warn({ err: describeError(err) }, 'could not stop listening for jobs'));
      const drained = Promise.allSettled([...pools.values()].map((p) => p.stop()));
      const grace = setTimeout(() => stopping.abort(), o.shutdownGraceMs ?? 20_000);
      await drained;
      clearTimeout(grace);
    },
  };
}
