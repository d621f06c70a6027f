import type { PageOutcome } from '../incidents/pages-sql.js';
import type { ActionParams } from '../playbooks/action-params.js';
import { ActionFailure, type Action } from '../runner/action.js';

/** Pages a service about an incident (queued: the pagerduty.sync job delivers it). */
export type PageFn = (incidentId: number, service: string | undefined) => Promise<PageOutcome>;

/**
 * `pagerduty.trigger`: pages PagerDuty about the incident. The step succeeds once the page is in
 * the database (delivery is the job queue's, with retries); a service already paged is not paged twice.
 */
export function createPagerDutyTriggerAction(deps: { page: PageFn | undefined }): Action {
  return {
    async run(raw, ctx) {
      const { service } = raw as ActionParams['pagerduty.trigger'];
      if (!deps.page) throw new ActionFailure('PagerDuty is not set up (PAGERDUTY_ROUTING_KEY or PAGERDUTY_SERVICES): nobody can be paged', { retryable: false });
      const outcome = await deps.page(ctx.incident.id, service);
      switch (outcome.outcome) {
        case 'requested':
          return { output: { paged: true, service: outcome.service, dedup_key: outcome.dedupKey }, summary: `paging ${outcome.service} on PagerDuty` };
        case 'already_paged':
          return { output: { paged: false, service: outcome.service }, summary: `${outcome.service} was already paged` };
        case 'unknown_service':
          throw new ActionFailure(`no PagerDuty service "${outcome.service ?? '(the incident\'s own)'}": the services are ${outcome.known.join(', ')}`, { retryable: false });
        case 'not_open':
          throw new ActionFailure(`the incident is ${outcome.status}: nobody was paged`, { retryable: false });
        case 'not_found':
          throw new ActionFailure('the incident no longer exists', { retryable: false });
      }
    },
  };
}
