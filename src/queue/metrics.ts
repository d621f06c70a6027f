import { Counter, Gauge, type Registry } from 'prom-client';
import { POOLS, type PoolName } from './job.js';
import type { JobStateCount } from './inspect-sql.js';

/** The queue's instruments. The job counts are read from the database at scrape time, so all replicas agree. */
export interface QueueMetrics {
  runs: Counter<'pool' | 'kind' | 'outcome'>;
  running: Gauge<'pool'>;
}

/** The states `firebreak_jobs` counts (done jobs are kept for inspection, not counted). */
export const GAUGED_STATES = ['waiting', 'due', 'running', 'failed'] as const;

/**
 * Registers the queue's metrics: job runs by outcome, each pool's concurrency and running jobs in
 * this process, and from the database the jobs by state and the age of each pool's oldest due job.
 */
export function createQueueMetrics(registry: Registry, o: {
  concurrency: Readonly<Record<PoolName, number>>;
  kinds: ReadonlyMap<string, PoolName>;
  readStates: () => Promise<JobStateCount[]>;
}): QueueMetrics {
  const concurrency = new Gauge({
    name: 'firebreak_job_pool_concurrency', help: 'Jobs a pool runs at once in this process (JOB_<POOL>_CONCURRENCY).',
    labelNames: ['pool'], registers: [registry],
  });
  for (const pool of POOLS) concurrency.set({ pool }, o.concurrency[pool]);

  // A scrape during a database outage answers without these gauges, as firebreak_open_incidents does.
  const read = () => o.readStates().catch(() => undefined);
  const poolOf = (kind: string) => o.kinds.get(kind) ?? 'unknown';
  new Gauge({
    name: 'firebreak_jobs', help: 'Jobs in the queue by pool, kind and state (waiting: not due yet; due; running; failed: kept for inspection).',
    labelNames: ['pool', 'kind', 'state'], registers: [registry],
    async collect() {
      this.reset();
      const counts = await read();
      if (!counts) return;
      for (const [kind, pool] of o.kinds) for (const state of GAUGED_STATES) this.set({ pool, kind, state }, 0);
      for (const c of counts) this.set({ pool: poolOf(c.kind), kind: c.kind, state: c.state }, c.jobs);
    },
  });
  new Gauge({
    name: 'firebreak_jobs_oldest_due_seconds', help: 'How long the oldest due job of each pool has been waiting to run (0: none waits).',
    labelNames: ['pool'], registers: [registry],
    async collect() {
      this.reset();
      const counts = await read();
      if (!counts) return;
      const oldest = new Map<string, number>(POOLS.map((p) => [p, 0]));
      for (const c of counts) {
        if (c.state === 'due') oldest.set(poolOf(c.kind), Math.max(oldest.get(poolOf(c.kind)) ?? 0, c.oldestDueSeconds));
      }
      for (const [pool, seconds] of oldest) this.set({ pool }, seconds);
    },
  });
  return {
    runs: new Counter({
      name: 'firebreak_job_runs_total',
      help: 'Job attempts by pool, kind and outcome (done, postponed, retried, rate_limited, failed, lease_lost, interrupted).',
      labelNames: ['pool', 'kind', 'outcome'], registers: [registry],
    }),
    running: new Gauge({
      name: 'firebreak_job_pool_running', help: 'Jobs a pool is running now in this process.', labelNames: ['pool'], registers: [registry],
    }),
  };
}
