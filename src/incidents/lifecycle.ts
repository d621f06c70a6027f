import { INCIDENT_STATUSES, OPEN_STATUSES, type IncidentStatus } from './types.js';

/**
 * What happens when the last firing alert of an incident resolves. Nobody acknowledged it: it
 * resolves by itself. A human acknowledged (or mitigated) it: it stays open for that human, who may
 * still be working on the cause.
 */
export function onAllAlertsResolved(status: IncidentStatus): 'resolve' | 'keep' {
  return status === 'triggered' ? 'resolve' : 'keep';
}

/** What people can do to an incident's status. */
export type StatusAction = 'acknowledge' | 'mitigate' | 'resolve';

const ACTION_TARGET: Record<StatusAction, IncidentStatus> = {
  acknowledge: 'acknowledged',
  mitigate: 'mitigated',
  resolve: 'resolved',
};

/**
 * The outcome of a status action: a move forward; nothing, when the incident is already there or
 * past it (a double click, or a teammate was quicker); or a refusal, for an incident that is over.
 */
export function decideStatusAction(
  current: IncidentStatus, action: StatusAction,
): { kind: 'move'; to: IncidentStatus } | { kind: 'unchanged' } | { kind: 'refused'; reason: string } {
  const to = ACTION_TARGET[action];
  if (!OPEN_STATUSES.includes(current) && action !== 'resolve') return { kind: 'refused', reason: `it is already ${current}` };
  // INCIDENT_STATUSES is in lifecycle order: an incident already there or further along stays.
  if (INCIDENT_STATUSES.indexOf(current) >= INCIDENT_STATUSES.indexOf(to)) return { kind: 'unchanged' };
  return { kind: 'move', to };
}
