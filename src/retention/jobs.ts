import { z } from 'zod';
import type { Db } from '../db/db.js';
import type { Logger } from '../lib/logger.js';
import { pruneJobs } from '../queue/inspect-sql.js';
import { defineJob, handle, type JobBinding } from '../queue/job.js';
import { pruneRetained, type RetentionAges } from './retention-sql.js';

/**
 * Housekeeping: prunes what is kept for a while only (finished jobs, processed-request keys, rejected
 * webhooks, old evidence bodies and postmortem drafts). Queued by the scheduler (one replica per
 * slot) and coalesced, so one pass waits at a time whatever the number of replicas.
 */
export const RETENTION_PRUNE = defineJob({
  kind: 'retention.prune', schema: z.object({}).strict(), pool: 'internal', key: () => 'all', attempts: 3,
});

/** How long finished jobs and the other kept rows stay (configuration: JOB_KEEP_* and RETAIN_*). */
export interface RetentionSettings extends RetentionAges {
  readonly keepDoneJobsMs: number;
  readonly keepFailedJobsMs: number;
}

export function createRetentionJobs(deps: { db: Db; logger: Logger; settings: RetentionSettings }): JobBinding[] {
  const { db, settings } = deps;
  return [handle(RETENTION_PRUNE, async () => {
    // Every statement is a delete (or an emptying) that can be repeated: a pass cut short by a lost
    // lease or a shutdown is finished by the next one, so no fencing is needed.
    const jobs = await pruneJobs(db, settings.keepDoneJobsMs, settings.keepFailedJobsMs);
    const rows = await pruneRetained(db, settings);
    deps.logger.info({ jobs, ...rows }, 'housekeeping: old rows pruned');
  })];
}
