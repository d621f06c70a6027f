import type { NewJob } from '../runner/queue.js';

/**
 * The jobs the domain enqueues with its changes; the outside-world parts (Slack now, playbooks and
 * PagerDuty later) handle them.
 * - incident.opened: once per new incident; sets up where the incident is shown.
 * - incident.card: the incident changed; bring its card up to date. Coalesced per incident, so a
 *   storm of changes is one pending job that renders the state current when it runs.
 */
export const JOB_INCIDENT_OPENED = 'incident.opened';
export const JOB_INCIDENT_CARD = 'incident.card';

export const openedJob = (incidentId: number): NewJob => ({
  kind: JOB_INCIDENT_OPENED, incidentId, uniqueKey: `${JOB_INCIDENT_OPENED}:${incidentId}`, payload: { incidentId },
});

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
