import type { TableAction } from '../access/permissions.js';
import { HttpError } from '../http/respond.js';
import { changeIncident, declareIncident, requestPostmortem, type ChangeOutcome, type IncidentChange } from '../incidents/commands.js';
import { linkIncidents } from '../incidents/links.js';
import { pageIncident } from '../incidents/pages-sql.js';
import { incidentRef } from '../incidents/types.js';
import { decideApproval, type ApprovalOutcome } from '../runner/approvals.js';
import { runPlaybookByHand } from '../runner/start.js';
import type { Caller } from './callers.js';
import type { ApiDeps } from './deps.js';
import { allow, forbidden } from './guard.js';
import { route, type Route } from './router.js';
import { approvalParams, commanderBody, declareBody, emptyBody, linkBody, noteBody, pageBody, refParams, runBody, severityBody } from './schemas.js';

const notFound = (number: number) => new HttpError(404, 'not_found', `there is no incident ${incidentRef(number)}`);

function changeAnswer(o: ChangeOutcome, number: number) {
  if (o.outcome === 'not_found') throw notFound(number);
  if (o.outcome === 'refused') throw new HttpError(409, 'conflict', o.reason);
  return { outcome: o.outcome, incident: { ref: incidentRef(o.incident.number), ...o.incident } };
}

/** What an approval decision answers: 200 for a decision or a counted vote, an error for the rest. */
function approvalAnswer(o: ApprovalOutcome, id: number, choice: 'approve' | 'deny') {
  switch (o.outcome) {
    case 'approved': case 'denied': case 'vote': return o;
    case 'refused': throw forbidden(o.refusal, choice);
    case 'not_found': throw new HttpError(404, 'not_found', `there is no approval ${id}`);
    case 'expired': throw new HttpError(409, 'expired', `approval ${id} has expired: nothing was run`);
    case 'already': throw new HttpError(409, 'already_decided', `approval ${id} is already ${o.status}${o.by ? ` (by ${o.by})` : ''}`, { status: o.status });
    case 'voted_before': throw new HttpError(409, 'voted_before', `you already approved step of approval ${id}: your approval is counted once`);
  }
}

/**
 * The changes `/incident` makes, through the functions Slack's commands call, after the same
 * permission check with the token's person as principal; the timeline records them as its actor.
 */
export function actionRoutes(deps: ApiDeps): Route[] {
  const ctxOf = async (caller: Caller, action: TableAction, number: number | null, key: string) => {
    await allow(deps, caller, action, { place: number === null ? null : { target: { number } }, write: true, requestKey: key });
    return { actor: caller.principal.actor, at: deps.clock.now(), requestKey: key };
  };
  const change = (path: string, summary: string, action: TableAction, toChange: (body: never) => IncidentChange, body: Route['body'] = emptyBody) => route({
    method: 'POST', path: `/incidents/{ref}/${path}`, summary, params: refParams, body,
    async handle({ caller, params, body: b, req }) {
      const ctx = await ctxOf(caller, action, params.ref, deps.requestKey(req, caller));
      return changeAnswer(await changeIncident(deps.db, deps.queue, { number: params.ref }, toChange(b as never), ctx), params.ref);
    },
  });

  return [
    route({
      method: 'POST', path: '/incidents', summary: 'Declare an incident (`/incident declare`): the caller is its commander', body: declareBody,
      async handle({ caller, body, req }) {
        const ctx = await ctxOf(caller, 'declare', null, deps.requestKey(req, caller));
        const created = await declareIncident(deps.db, deps.queue, body, ctx);
        return { outcome: 'declared', ref: incidentRef(created.number), number: created.number };
      },
    }),
    change('ack', 'Acknowledge (`/incident ack`)', 'ack', () => ({ kind: 'status', action: 'acknowledge' })),
    change('mitigate', 'Mark mitigated (`/incident mitigate`)', 'mitigate', () => ({ kind: 'status', action: 'mitigate' })),
    change('resolve', 'Resolve (`/incident resolve`)', 'resolve', () => ({ kind: 'status', action: 'resolve' })),
    change('severity', 'Change the severity (`/incident sev`)', 'sev', (b: { severity: 'sev1' }) => ({ kind: 'severity', severity: b.severity }), severityBody),
    change('notes', 'Add a note to the timeline (`/incident note`)', 'note', (b: { text: string }) => ({ kind: 'note', text: b.text }), noteBody),
    route({
      method: 'POST', path: '/incidents/{ref}/commander', summary: 'Hand command to a Slack user (`/incident commander`); naming yourself is taking command',
      params: refParams, body: commanderBody,
      async handle({ caller, params, body, req }) {
        const action = body.user === caller.principal.slackUserId ? 'commander.claim' : 'commander';
        const ctx = await ctxOf(caller, action, params.ref, deps.requestKey(req, caller));
        return changeAnswer(await changeIncident(deps.db, deps.queue, { number: params.ref }, { kind: 'commander', user: body.user }, ctx), params.ref);
      },
    }),
    route({
      method: 'POST', path: '/incidents/{ref}/links', summary: 'Link incidents to this one as their parent (`/incident link`)', params: refParams, body: linkBody,
      async handle({ caller, params, body, req }) {
        const ctx = await ctxOf(caller, 'link', params.ref, deps.requestKey(req, caller));
        const o = await linkIncidents(deps.db, deps.queue, params.ref, body.children, ctx);
        if (o.outcome === 'refused') throw new HttpError(409, 'conflict', o.reason);
        return { outcome: o.outcome, parent: incidentRef(o.parent), linked: o.linked.map(incidentRef), already: o.already.map(incidentRef) };
      },
    }),
    route({
      method: 'POST', path: '/incidents/{ref}/runs', summary: 'Start a playbook by hand (`/incident run`)', params: refParams, body: runBody,
      async handle({ caller, params, body, req }) {
        const ctx = await ctxOf(caller, 'run', params.ref, deps.requestKey(req, caller));
        const o = await runPlaybookByHand(deps.db, deps.queue, deps.registry, { number: params.ref }, body.playbook, ctx);
        if (o.outcome === 'not_found') throw notFound(params.ref);
        if (o.outcome === 'unknown_playbook') throw new HttpError(404, 'unknown_playbook', `there is no playbook ${body.playbook}`, { field: 'playbook', known: o.known });
        if (o.outcome === 'closed') throw new HttpError(409, 'conflict', `${incidentRef(o.incident)} is ${o.status}: playbooks run on open incidents only`);
        return o;
      },
    }),
    route({
      method: 'POST', path: '/incidents/{ref}/pages', summary: 'Page PagerDuty (`/incident page`)', params: refParams, body: pageBody,
      async handle({ caller, params, body, req }) {
        const ctx = await ctxOf(caller, 'page', params.ref, deps.requestKey(req, caller));
        if (!deps.pagerServices?.length) throw new HttpError(409, 'pagerduty_off', 'PagerDuty is not set up here (PAGERDUTY_ROUTING_KEY or PAGERDUTY_SERVICES): nobody was paged');
        const o = await pageIncident(deps.db, deps.queue, { number: params.ref }, body.service, deps.pagerServices, deps.routes, { ...ctx, reason: `asked by ${ctx.actor}` });
        if (o.outcome === 'not_found') throw notFound(params.ref);
        if (o.outcome === 'unknown_service') throw new HttpError(400, 'invalid_request', `body service: must be one of ${o.known.join(', ')}`, { field: 'service', known: o.known });
        if (o.outcome === 'not_open') throw new HttpError(409, 'conflict', `${incidentRef(o.number)} is ${o.status}: only open incidents are paged`);
        return o;
      },
    }),
    route({
      method: 'POST', path: '/incidents/{ref}/postmortem', summary: 'Draft (again) the postmortem (`/incident postmortem`)', params: refParams, body: emptyBody,
      async handle({ caller, params, req }) {
        const ctx = await ctxOf(caller, 'postmortem', params.ref, deps.requestKey(req, caller));
        const number = await requestPostmortem(deps.db, deps.queue, { number: params.ref }, ctx.actor);
        if (number === null) throw notFound(params.ref);
        return { outcome: 'drafting', ref: incidentRef(number) };
      },
    }),
    ...(['approve', 'deny'] as const).map((choice) => route({
      method: 'POST', path: `/approvals/{id}/${choice}`, summary: `${choice === 'approve' ? 'Approve' : 'Deny'} a gated step: its frozen approver set decides`,
      params: approvalParams, body: emptyBody,
      async handle({ caller, params, req }) {
        if (!caller.mayWrite) {
          throw new HttpError(403, 'forbidden', `the API is read-only without FIREBREAK_API_TOKENS (to ${choice}, be one of the approval's approvers through a token)`,
            { permission: choice, holders: [] });
        }
        const o = await decideApproval(deps.db, deps, {
          approvalId: params.id, who: caller.principal, choice, at: deps.clock.now(), requestKey: deps.requestKey(req, caller),
        });
        return approvalAnswer(o, params.id, choice);
      },
    })),
  ];
}
