import { HttpError } from '../http/respond.js';
import { listJobs, retryFailedJob, type JobState } from '../queue/inspect-sql.js';
import type { ApiDeps } from './deps.js';
import { allow } from './guard.js';
import { route, type Route } from './router.js';
import { cursorOf, emptyBody, jobListQuery, jobParams } from './schemas.js';

/** The job queue as an operator sees it: jobs by state, and a failed one run again. */
export function jobRoutes(deps: ApiDeps): Route[] {
  return [
    route({
      method: 'GET', path: '/jobs', summary: 'Jobs in one state (failed unless asked), newest first', query: jobListQuery,
      async handle({ caller, query, req }) {
        await allow(deps, caller, 'jobs', { place: null, write: false, requestKey: deps.requestKey(req, caller) });
        const jobs = await listJobs(deps.db, { state: query.state as JobState, kind: query.kind, limit: query.limit, beforeId: query.cursor });
        const last = jobs.at(-1);
        return { jobs, next: jobs.length === query.limit && last ? cursorOf(last.id) : null };
      },
    }),
    route({
      method: 'POST', path: '/jobs/{id}/retry', summary: 'Queue a failed job again', params: jobParams, body: emptyBody,
      async handle({ caller, params, req }) {
        await allow(deps, caller, 'job.retry', { place: null, write: true, requestKey: deps.requestKey(req, caller) });
        const outcome = await retryFailedJob(deps.db, params.id);
        if (outcome === 'not_found') throw new HttpError(404, 'not_found', `there is no job ${params.id}`);
        if (outcome === 'not_failed') throw new HttpError(409, 'not_failed', `job ${params.id} has not failed: only failed jobs are retried`);
        deps.logger.info({ job: params.id, outcome, by: caller.principal.actor }, 'failed job retried through the API');
        return { outcome };
      },
    }),
  ];
}
