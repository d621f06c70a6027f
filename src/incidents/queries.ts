import type { Queryable } from '../db/db.js';
import { OPEN_STATUSES_SQL } from './types.js';

/** Open incidents by severity, for the firebreak_open_incidents gauge. */
export async function countOpenIncidentsBySeverity(db: Queryable): Promise<Record<string, number>> {
  const { rows } = await db.query<{ severity: string; n: number }>(
    `SELECT severity, count(*)::int AS n FROM incidents
      WHERE status IN ${OPEN_STATUSES_SQL} GROUP BY severity`,
  );
  return Object.fromEntries(rows.map((r) => [r.severity, r.n]));
}
