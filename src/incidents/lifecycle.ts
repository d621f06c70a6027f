import type { IncidentStatus } from './types.js';

/**
 * What happens when the last firing alert of an incident resolves. Nobody acknowledged it: it
 * resolves by itself. A human acknowledged (or mitigated) it: it stays open for that human, who may
 * still be working on the cause.
 */
export function onAllAlertsResolved(status: IncidentStatus): 'resolve' | 'keep' {
  return status === 'triggered' ? 'resolve' : 'keep';
}
