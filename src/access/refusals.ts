import type { Db } from '../db/db.js';
import { oncePerRequest } from '../incidents/requests.js';
import { appendTimeline } from '../incidents/timeline.js';
import type { Metrics } from '../lib/metrics.js';
import type { Principal } from './principal.js';
import { refusalEvent, type Refusal } from './refusal.js';
import { incidentOfPlace, type RefusalPlace } from './refusals-sql.js';

/** A refused request, as recordRefusal takes it. */
export interface RefusedRequest {
  who: Principal;
  refusal: Refusal;
  /** What it was about; null when it named no incident (`/incident list`, say). */
  place: RefusalPlace | null;
  at: Date;
  /** The request's idempotency key: a retried request is recorded and counted once. */
  requestKey: string;
}

/**
 * Records a refusal decided before any change: on the incident's timeline (`access.refused`) when
 * the request was about one, and in firebreak_access_refused_total. Changes nothing else. A retry of
 * the same request gets the first refusal back and records nothing more.
 */
export async function recordRefusal(db: Db, metrics: Metrics, r: RefusedRequest): Promise<Refusal> {
  // A key of its own: should a later delivery of the request be allowed, it must not find this
  // refusal where its outcome is kept.
  const key = `${r.requestKey}:refused`;
  const recorded = await oncePerRequest(db, key, async (tx) => {
    const incidentId = r.place && (await incidentOfPlace(tx, r.place));
    if (incidentId !== null) await appendTimeline(tx, [refusalEvent(incidentId, r.at, r.who, r.refusal)]);
    return r.refusal;
  });
  if (recorded.first) countRefusal(metrics, r.refusal);
  return recorded.value;
}

/** Counts a refusal in firebreak_access_refused_total{action}. For refusals recorded inside the transaction of a decision. */
export function countRefusal(metrics: Metrics, refusal: Refusal): void {
  metrics.accessRefused.inc({ action: refusal.action });
}
