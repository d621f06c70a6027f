import { Registry } from 'prom-client';
import { z } from 'zod';
import type { Db } from '../../src/db/db.js';
import { createLogger } from '../../src/lib/logger.js';
import { defineJob, type JobBinding, type JobType, type PoolName } from '../../src/queue/job.js';
import { createQueue, type Queue, type QueueOptions } from '../../src/queue/queue.js';

/** A payload for test jobs: a number to tell them apart, an optional key. */
export const testPayload = z.object({ n: z.number().int(), key: z.string().optional() });
/** What a test job carries. */
export type TestPayload = z.infer<typeof testPayload>;

/** A job type for a test: coalesced when the payload has a key. */
export const testJob = (kind: string, o: { pool?: PoolName; attempts?: number; needs?: string } = {}): JobType<TestPayload> =>
  defineJob({ kind, schema: testPayload, pool: o.pool ?? 'internal', attempts: o.attempts, needs: o.needs, key: (p) => p.key });

/** A started queue over `db` with fast retries and a poll a minute away (NOTIFY must wake it), and its registry. */
export async function startTestQueue(db: Db, bindings: readonly JobBinding[], o: Partial<QueueOptions> = {}): Promise<Queue & { registry: Registry }> {
  const registry = new Registry();
  const queue = createQueue({
    db, logger: createLogger('silent'), registry, concurrency: { steps: 2, notify: 2, internal: 2 }, leaseMs: 60_000, pollMs: 60_000,
    backoffBaseMs: 10, backoffMaxMs: 50, shutdownGraceMs: 100, ...o,
  });
  await queue.start(bindings);
  return Object.assign(queue, { registry });
}

/** Polls `check` every 10 ms until it holds; throws naming `what` after `timeoutMs`. */
export async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
