import type { Queryable } from '../db/db.js';
import { targetCondition } from '../incidents/queries.js';
import type { IncidentTarget } from '../incidents/types.js';

/** What a refused request was about: the incident (however named), an approval, or a step run. */
export type RefusalPlace = { target: IncidentTarget } | { approvalId: number } | { stepRunId: number };

/** The id of the incident a refused request was about, or null when there is none. */
export async function incidentOfPlace(db: Queryable, place: RefusalPlace): Promise<number | null> {
  let sql: string;
  let param: unknown;
  if ('target' in place) {
    const [where, value] = targetCondition(place.target, 1);
    [sql, param] = [`SELECT i.id FROM incidents i WHERE ${where}`, value];
  } else if ('approvalId' in place) {
    [sql, param] = ['SELECT incident_id AS id FROM approvals WHERE id = $1', place.approvalId];
  } else {
    [sql, param] = ['SELECT incident_id AS id FROM step_runs WHERE id = $1', place.stepRunId];
  }
  const { rows } = await db.query<{ id: number }>(sql, [param]);
  return rows[0]?.id ?? null;
}
