import type { Db } from '../db/db.js';
import { JOB_INCIDENT_RESOLVED, JOB_PLAYBOOKS_MATCH } from '../incidents/jobs.js';
import { FIREBREAK_ACTOR } from '../incidents/types.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import type { ActionName } from '../playbooks/action-params.js';
import type { PlaybookRegistry } from '../playbooks/registry.js';
import type { Action } from './action.js';
import { createStepHandler } from './interpreter.js';
import { JOB_STEP } from './jobs.js';
import { cancelForResolvedIncident } from './progress.js';
import { createMatchHandler } from './start.js';
import type { JobHandler } from '../queue/worker.js';

/** The runner's job handlers: matching playbooks, running steps, cancelling on resolution. */
export function createRunnerJobs(deps: {
  db: Db; clock: Clock; logger: Logger; metrics: Metrics; registry: PlaybookRegistry;
  actions: Readonly<Record<ActionName, Action>>; evidenceMaxBytes: number; random?: () => number;
}): Record<string, JobHandler> {
  const { db, clock } = deps;
  const resolved: JobHandler = async (job) => {
    await db.transaction(async (tx) => {
      const { rows } = await tx.query<{ number: number }>('SELECT number FROM incidents WHERE id = $1', [job.incidentId]);
      if (rows[0]) await cancelForResolvedIncident(tx, job.incidentId!, rows[0].number, clock.now(), FIREBREAK_ACTOR);
    });
  };
  return {
    [JOB_PLAYBOOKS_MATCH]: createMatchHandler({ db, clock, registry: deps.registry }),
    [JOB_STEP]: createStepHandler(deps),
    [JOB_INCIDENT_RESOLVED]: resolved,
  };
}
