import type { NewJob } from '../queue/queue.js';

/**
 * The jobs the domain enqueues with its changes; the outside-world parts (Slack, the playbook
 * runner, PagerDuty, the postmortem) handle them.
 * - incident.opened: once per new incident; sets up where the incident is shown.
 * - incident.card: the incident changed; bring its card up to date. Coalesced per incident, so a
 *   storm of changes is one pending job that renders the state current when it runs.
 */
export const JOB_INCIDENT_OPENED = 'incident.opened';
export const JOB_INCIDENT_CARD = 'incident.card';

export const openedJob = (incidentId: number): NewJob => ({
  kind: JOB_INCIDENT_OPENED, incidentId, uniqueKey: `${JOB_INCIDENT_OPENED}:${incidentId}`, payload: { incidentId },
});

/** The jobs a new incident starts with: where it is shown, and whether it pages. */
export const openingJobs = (incidentId: number): NewJob[] => [openedJob(incidentId), pagerJob(incidentId)];

export const cardJob = (incidentId: number): NewJob => ({
  kind: JOB_INCIDENT_CARD, incidentId, uniqueKey: `${JOB_INCIDENT_CARD}:${incidentId}`,
});

/** The incident has a new commander (people who follow it may need to let them in). */
export const JOB_INCIDENT_COMMANDER = 'incident.commander';

export const commanderJob = (incidentId: number, user: string): NewJob => ({
  kind: JOB_INCIDENT_COMMANDER, incidentId, payload: { user },
});

/**
 * Alerts fired on the incident (it opened, or new alerts joined it): see which playbooks match.
 * Coalesced per incident; each playbook still starts at most once per incident.
 */
export const JOB_PLAYBOOKS_MATCH = 'playbooks.match';

export const matchJob = (incidentId: number): NewJob => ({
  kind: JOB_PLAYBOOKS_MATCH, incidentId, uniqueKey: `${JOB_PLAYBOOKS_MATCH}:${incidentId}`,
});

/** The incident was resolved: steps that should not run on a resolved incident are cancelled. */
export const JOB_INCIDENT_RESOLVED = 'incident.resolved';

export const resolvedJob = (incidentId: number): NewJob => ({
  kind: JOB_INCIDENT_RESOLVED, incidentId, uniqueKey: `${JOB_INCIDENT_RESOLVED}:${incidentId}`,
});

/**
 * Bring PagerDuty in line with the incident: page it if its severity says so, and send the
 * acknowledge or resolve its pages have not yet sent. Coalesced per incident.
 */
export const JOB_PAGER_SYNC = 'pagerduty.sync';

export const pagerJob = (incidentId: number): NewJob => ({
  kind: JOB_PAGER_SYNC, incidentId, uniqueKey: `${JOB_PAGER_SYNC}:${incidentId}`,
});

/** Draft (or redraft) the incident's postmortem; `requestedBy` is who asked, or firebreak on resolve. */
export const JOB_POSTMORTEM_DRAFT = 'postmortem.draft';

export const postmortemJob = (incidentId: number, requestedBy: string): NewJob => ({
  kind: JOB_POSTMORTEM_DRAFT, incidentId, uniqueKey: `${JOB_POSTMORTEM_DRAFT}:${incidentId}`, payload: { requestedBy },
});
