/**
 * Glossary
 * - Job type: one kind of work, declared once with defineJob by the module that asks for it: its
 *   kind, payload schema, coalescing key, pool and attempts. The module that does the work binds
 *   its handler to that declaration with handle(), so the handler reads a typed payload.
 * - Job: one row of the queue: a payload to be handled at least once.
 * - Pool: the workers of one kind of work, with a concurrency of their own, so that slow work
 *   (playbook steps) never holds the slots of urgent work (Slack and PagerDuty).
 * - Attempt: one claim of a job by a worker, under a lease that the worker renews while it runs. A
 *   job whose worker stopped renewing is claimed again once the lease runs out (a takeover).
 * - Lease token: what one attempt holds. Every write of the attempt checks it (fencing), so a
 *   worker that lost its lease writes nothing.
 * - Coalescing: while a job with a key waits to run, enqueueing the same key adds nothing.
 * - Needs: the integration (chat, pager) a job type talks to. A job whose integration has no
 *   handler in this process (Slack or PagerDuty is not configured) is never queued.
 */
import type { z } from 'zod';
import type { Queryable } from '../db/db.js';
import { ErrorCode, FirebreakError } from '../lib/errors.js';

/** The pools, each with its own concurrency (configuration: JOB_<POOL>_CONCURRENCY). */
export const POOLS = ['steps', 'notify', 'internal'] as const;
/** Which pool runs a job type: `steps` playbook steps, `notify` Slack and PagerDuty, `internal` the rest. */
export type PoolName = (typeof POOLS)[number];

/** Attempts a job gets before it fails for good, unless its type says otherwise. */
export const DEFAULT_ATTEMPTS = 25;

/** One kind of job, declared once. */
export interface JobType<P> {
  readonly kind: string;
  readonly schema: z.ZodType<P>;
  readonly pool: PoolName;
  /** The coalescing key of a payload (unique across kinds: it starts with the kind); undefined: not coalesced. */
  readonly key: (payload: P) => string | undefined;
  readonly attempts: number;
  readonly needs: string | undefined;
  /** A job of this type to enqueue; the payload is checked against the schema when it is enqueued. */
  of(payload: P, options?: { runAt?: Date }): NewJob;
}

/** A job to enqueue in the caller's transaction. */
export interface NewJob {
  type: JobType<unknown>;
  payload: unknown;
  runAt?: Date;
}

/** Declares a job type. `key` makes it coalescing: one waiting job per key (a payload without one is not coalesced). */
export function defineJob<P>(d: {
  kind: string;
  schema: z.ZodType<P>;
  pool: PoolName;
  key?: (payload: P) => string | number | undefined;
  attempts?: number;
  needs?: string;
}): JobType<P> {
  const key = d.key;
  const type: JobType<P> = {
    kind: d.kind,
    schema: d.schema,
    pool: d.pool,
    key: (payload) => {
      const k = key?.(payload);
      return k === undefined ? undefined : `${d.kind}:${k}`;
    },
    attempts: d.attempts ?? DEFAULT_ATTEMPTS,
    needs: d.needs,
    of: (payload, options = {}) => ({ type: type as JobType<unknown>, payload, ...options }),
  };
  return type;
}

/** The error for a payload its job type's schema refuses (`what`: where it was found), naming each bad field. */
export function payloadRefused(kind: string, what: string, error: z.ZodError): FirebreakError {
  const fields = error.issues.map((i) => `${['payload', ...i.path.map(String)].join('.')}: ${i.message}`);
  return new FirebreakError(ErrorCode.JobInvalid, `job ${kind}: ${what} is refused: ${fields.join('; ')}`);
}

/** A claimed job, as its handler sees it. */
export interface Job<P> {
  id: number;
  kind: string;
  payload: P;
  /** Including this one. */
  attempts: number;
  /** Aborted when this attempt loses its lease, or the process stops: stop, and write nothing. */
  signal: AbortSignal;
  /**
   * Runs `fn` in a transaction that commits only while this attempt still holds the job (else it
   * throws JobLeaseLost and nothing of `fn` is kept). A transient database error is retried in
   * process, so that work already done is recorded rather than repeated; as a lost answer to COMMIT
   * is one, `fn` must find out from the rows whether it already ran (a step's outcome is written
   * only while the step is still running).
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
}

/**
 * Does one job's work. Throws to retry later (with backoff; after the error's retryAfterMs without
 * using up an attempt; a FirebreakError that is not retryable fails the job at once). Returns
 * `{ postponeMs }` to run it again later without using up an attempt (the work is not due yet).
 */
export type JobHandler<P> = (job: Job<P>) => Promise<void | { postponeMs: number }>;

/** A handler bound to its job type, as the queue is given it. */
export interface JobBinding {
  type: JobType<unknown>;
  handler: JobHandler<unknown>;
  /**
   * Asked when a job has used up its attempts: true keeps it retrying at the longest backoff (a
   * notification about an incident that is still open). Unset: it fails.
   */
  persist?: (payload: unknown) => Promise<boolean>;
}

/** Binds `handler` to `type`: the handler receives the payload as the type's schema parsed it. */
export function handle<P>(type: JobType<P>, handler: JobHandler<P>, options: { persist?: (payload: P) => Promise<boolean> } = {}): JobBinding {
  return {
    type: type as JobType<unknown>,
    handler: handler as JobHandler<unknown>,
    ...(options.persist ? { persist: options.persist as (payload: unknown) => Promise<boolean> } : {}),
  };
}

/** The enqueueing side of the queue: what the code that changes things is handed. */
export interface JobQueue {
  /**
   * Enqueues jobs inside `tx`, so they exist exactly when the change that caused them commits. A
   * payload its schema refuses throws JobInvalid (and the transaction should roll back); a job
   * whose integration is off here is left out.
   */
  enqueue(tx: Queryable, ...jobs: NewJob[]): Promise<void>;
}
