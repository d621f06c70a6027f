import type { Queryable } from '../db/db.js';
import { targetCondition } from '../incidents/queries.js';
import { OPEN_STATUSES_SQL, type IncidentStatus, type IncidentTarget, type Severity } from '../incidents/types.js';
import type { PlaybookAlert } from '../playbooks/select.js';

/** The incident as starting a run needs it. */
export interface StartIncident {
  id: number;
  number: number;
  severity: Severity;
  status: IncidentStatus;
}

/** The target incident, row-locked for the run about to start; with `openOnly`, only while it is open. */
export async function lockIncident(tx: Queryable, target: IncidentTarget, openOnly: boolean): Promise<StartIncident | null> {
  const [where, param] = targetCondition(target, 1);
  const { rows } = await tx.query<StartIncident>(
    `SELECT i.id, i.number, i.severity, i.status FROM incidents i
      WHERE ${where} ${openOnly ? `AND i.status IN ${OPEN_STATUSES_SQL}` : ''} FOR NO KEY UPDATE`,
    [param],
  );
  return rows[0] ?? null;
}

/** The incident's first `limit` alerts, firing ones before resolved ones, oldest first. */
export async function readIncidentAlerts(tx: Queryable, incidentId: number, limit: number): Promise<PlaybookAlert[]> {
  const { rows } = await tx.query<PlaybookAlert>(
    `SELECT labels, annotations FROM alerts WHERE incident_id = $1
      ORDER BY (status = 'firing') DESC, id LIMIT $2`,
    [incidentId, limit],
  );
  return rows;
}

/** What playbook matching reads of an incident (see readMatchState). */
export interface MatchRow {
  open: boolean;
  started: string[];
  /** [the oldest alert's id, the values of `names` (null: the label is absent)] per distinct combination. */
  kinds: [id: number, values: (string | null)[]][];
}

/**
 * Whether the incident is open, the playbooks alerts already started on it, and its firing alerts
 * as the playbooks see them: one row (the oldest alert) per distinct combination of the values of
 * the labels `names` (those the playbooks match on). A storm of 2,000 alerts of one alertname is one row.
 */
export async function readMatchState(db: Queryable, incidentId: number, names: readonly string[]): Promise<MatchRow> {
  const { rows } = await db.query<MatchRow>(
    `SELECT EXISTS (SELECT FROM incidents WHERE id = $1 AND status IN ${OPEN_STATUSES_SQL}) AS open,
            ARRAY(SELECT playbook FROM playbook_runs WHERE incident_id = $1 AND trigger = 'alert') AS started,
            COALESCE((SELECT json_agg(json_build_array(k.id, k.v) ORDER BY k.id)
                        FROM (SELECT min(a.id) AS id, v.v
                                FROM alerts a
                                CROSS JOIN LATERAL (SELECT array_agg(a.labels->>n ORDER BY o) AS v
                                                      FROM unnest($2::text[]) WITH ORDINALITY AS u(n, o)) v
                               WHERE a.incident_id = $1 AND a.status = 'firing'
                               GROUP BY v.v) k), '[]') AS kinds`,
    [incidentId, names],
  );
  return rows[0]!;
}

/** These alerts' labels and annotations, by id. */
export async function alertsById(tx: Queryable, ids: readonly number[]): Promise<Map<number, PlaybookAlert>> {
  const { rows } = await tx.query<PlaybookAlert & { id: number }>('SELECT id, labels, annotations FROM alerts WHERE id = ANY($1)', [ids]);
  return new Map(rows.map(({ id, labels, annotations }) => [id, { labels, annotations }]));
}
