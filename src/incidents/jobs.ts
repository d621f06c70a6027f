import { z } from 'zod';
import { defineJob, type NewJob } from '../queue/job.js';

/**
 * The jobs the domain enqueues with its changes; the outside-world parts (Slack, the playbook
 * runner, PagerDuty, the postmortem) bind their handlers to them. Jobs that `need` chat or pager are
 * not queued when that integration is off.
 */

/** What most jobs are about: one incident. */
export const incidentPayload = z.object({ incidentId: z.number().int().positive() });

/** The integration names job types declare as their needs. */
export const CHAT = 'chat';
export const PAGER = 'pager';

/**
 * Once per new incident: sets up where the incident is shown. `ownChannel`: whoever declared it
 * chose whether it gets a channel of its own; unset, the configuration decides.
 */
export const INCIDENT_OPENED = defineJob({
  kind: 'incident.opened', schema: incidentPayload.extend({ ownChannel: z.boolean().optional() }), pool: 'notify', needs: CHAT,
  key: (p) => p.incidentId,
});

/**
 * The incident changed: bring its card up to date. Coalesced per incident, so a storm of changes is
 * one waiting job that renders the state current when it runs.
 */
export const INCIDENT_CARD = defineJob({
  kind: 'incident.card', schema: incidentPayload, pool: 'notify', needs: CHAT, key: (p) => p.incidentId,
});

/** The incident has a new commander (people who follow it may need to let them in). */
export const INCIDENT_COMMANDER = defineJob({
  kind: 'incident.commander', schema: incidentPayload.extend({ user: z.string().min(1) }), pool: 'notify', needs: CHAT,
});

/**
 * Alerts fired on the incident (it opened, or new alerts joined it): see which playbooks match.
 * Coalesced per incident; each playbook still starts at most once per incident.
 */
export const PLAYBOOKS_MATCH = defineJob({
  kind: 'playbooks.match', schema: incidentPayload, pool: 'internal', key: (p) => p.incidentId,
});

/** The incident was resolved: steps that should not run on a resolved incident are cancelled. */
export const INCIDENT_RESOLVED = defineJob({
  kind: 'incident.resolved', schema: incidentPayload, pool: 'internal', key: (p) => p.incidentId,
});

/**
 * Bring PagerDuty in line with the incident: page it if its severity says so, and send the
 * acknowledge or resolve its pages have not yet sent. Coalesced per incident.
 */
export const PAGER_SYNC = defineJob({
  kind: 'pagerduty.sync', schema: incidentPayload, pool: 'notify', needs: PAGER, key: (p) => p.incidentId,
});

/** Draft (or redraft) the incident's postmortem; `requestedBy` is who asked, or firebreak on resolve. */
export const POSTMORTEM_DRAFT = defineJob({
  kind: 'postmortem.draft', schema: incidentPayload.extend({ requestedBy: z.string().min(1) }), pool: 'internal',
  key: (p) => p.incidentId,
});

export const openedJob = (incidentId: number, ownChannel?: boolean): NewJob =>
  INCIDENT_OPENED.of(ownChannel === undefined ? { incidentId } : { incidentId, ownChannel });

/** The jobs a new incident starts with: where it is shown, and whether it pages. */
export const openingJobs = (incidentId: number, ownChannel?: boolean): NewJob[] => [openedJob(incidentId, ownChannel), pagerJob(incidentId)];

export const cardJob = (incidentId: number): NewJob => INCIDENT_CARD.of({ incidentId });

export const commanderJob = (incidentId: number, user: string): NewJob => INCIDENT_COMMANDER.of({ incidentId, user });

export const matchJob = (incidentId: number): NewJob => PLAYBOOKS_MATCH.of({ incidentId });

export const resolvedJob = (incidentId: number): NewJob => INCIDENT_RESOLVED.of({ incidentId });

export const pagerJob = (incidentId: number): NewJob => PAGER_SYNC.of({ incidentId });

export const postmortemJob = (incidentId: number, requestedBy: string): NewJob => POSTMORTEM_DRAFT.of({ incidentId, requestedBy });
