import type { Directory } from '../access/directory.js';
import type { Db } from '../db/db.js';
import { INCIDENT_RESOLVED, PLAYBOOKS_MATCH } from '../incidents/jobs.js';
import { readIncidentNumber } from '../incidents/incidents-sql.js';
import { FIREBREAK_ACTOR } from '../incidents/types.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import type { ActionName } from '../playbooks/action-params.js';
import type { PlaybookRegistry } from '../playbooks/registry.js';
import type { SecretReader } from '../playbooks/secrets.js';
import { handle, type JobBinding, type JobQueue } from '../queue/job.js';
import type { Action } from './action.js';
import { createStepHandler } from './interpreter.js';
import { PLAYBOOK_STEP } from './jobs.js';
import { cancelForResolvedIncident } from './progress.js';
import { createMatchHandler } from './start.js';

/** The runner's job handlers: matching playbooks, running steps, cancelling on resolution. */
export function createRunnerJobs(deps: {
  db: Db; queue: JobQueue; clock: Clock; logger: Logger; metrics: Metrics; registry: PlaybookRegistry;
  actions: Readonly<Record<ActionName, Action>>; evidenceMaxBytes: number; directory: Directory | undefined;
  secrets: SecretReader; approverReadDelaysMs?: readonly number[]; random?: () => number;
}): JobBinding[] {
  const { clock, queue } = deps;
  return [
    handle(PLAYBOOKS_MATCH, createMatchHandler(deps)),
    handle(PLAYBOOK_STEP, createStepHandler(deps)),
    handle(INCIDENT_RESOLVED, async (job) => {
      const { incidentId } = job.payload;
      await job.transaction(async (tx) => {
        const number = await readIncidentNumber(tx, incidentId);
        if (number !== null) await cancelForResolvedIncident(tx, queue, incidentId, number, clock.now(), FIREBREAK_ACTOR);
      });
    }),
  ];
}
