import type { Queryable } from '../db/db.js';
import type { GrafanaExtras } from '../sources/model.js';
import type { OnCallPerson, PagerAction } from './paging.js';
import { OPEN_STATUSES_SQL, type IncidentStatus, type IncidentSummary, type IncidentTarget } from './types.js';

/** Open incidents by severity, for the firebreak_open_incidents gauge. */
export async function countOpenIncidentsBySeverity(db: Queryable): Promise<Record<string, number>> {
  const { rows } = await db.query<{ severity: string; n: number }>(
    `SELECT severity, count(*)::int AS n FROM incidents
      WHERE status IN ${OPEN_STATUSES_SQL} GROUP BY severity`,
  );
  return Object.fromEntries(rows.map((r) => [r.severity, r.n]));
}

// The columns of an IncidentSummary, from incidents aliased `i`.
export const SUMMARY_COLUMNS = `
  i.id, i.number, i.title, i.severity, i.status, i.commander, i.opened_at AS "openedAt",
  i.acknowledged_at AS "acknowledgedAt", i.mitigated_at AS "mitigatedAt", i.resolved_at AS "resolvedAt",
  i.slack_channel_id AS "slackChannelId",
  (SELECT count(*) FROM alerts a WHERE a.incident_id = i.id AND a.status = 'firing')::int AS firing,
  (SELECT count(*) FROM alerts a WHERE a.incident_id = i.id AND a.status = 'resolved')::int AS "resolvedAlerts"`;

/** The WHERE condition and parameter that find a target incident in `incidents i`, from `$n`. */
export function targetCondition(target: IncidentTarget, n: number): [sql: string, param: unknown] {
  if ('id' in target) return [`i.id = $${n}`, target.id];
  if ('number' in target) return [`i.number = $${n}`, target.number];
  // A channel's incident: the newest one that lives there.
  return [`i.id = (SELECT max(id) FROM incidents WHERE slack_channel_id = $${n})`, target.channelId];
}

export async function findIncident(db: Queryable, target: IncidentTarget): Promise<IncidentSummary | null> {
  const [where, param] = targetCondition(target, 1);
  const { rows } = await db.query<IncidentSummary>(`SELECT ${SUMMARY_COLUMNS} FROM incidents i WHERE ${where}`, [param]);
  return rows[0] ?? null;
}

/** Open incidents, worst severity first, then newest. */
export async function listOpenIncidents(db: Queryable, limit: number): Promise<IncidentSummary[]> {
  const { rows } = await db.query<IncidentSummary>(
    `SELECT ${SUMMARY_COLUMNS} FROM incidents i WHERE i.status IN ${OPEN_STATUSES_SQL}
      ORDER BY i.severity, i.id DESC LIMIT $1`,
    [limit],
  );
  return rows;
}

/** One timeline event as people read it. */
export interface TimelineLine {
  seq: number;
  at: Date;
  kind: string;
  actor: string;
  summary: string;
}

/** The newest `limit` events of an incident, oldest first. */
export async function recentTimeline(db: Queryable, incidentId: number, limit: number): Promise<{ lines: TimelineLine[]; total: number }> {
  const { rows } = await db.query<TimelineLine & { total: number }>(
    `SELECT * FROM (
       SELECT seq, at, kind, actor, summary, count(*) OVER ()::int AS total
         FROM timeline_events WHERE incident_id = $1 ORDER BY seq DESC LIMIT $2) t
      ORDER BY seq`,
    [incidentId, limit],
  );
  return { lines: rows.map(({ total: _, ...line }) => line), total: rows[0]?.total ?? 0 };
}

/** Everything the incident card shows. */
export interface IncidentView extends IncidentSummary {
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalUrl: string | null;
  /** Of the incident's first alert: its Prometheus link and runbook annotation. */
  generatorUrl: string | null;
  runbookUrl: string | null;
  /** Grafana's links of the first alert, when Grafana sent it. */
  grafana: GrafanaExtras | null;
  /** PagerDuty services paged about it, oldest first. */
  pages: { service: string; sent: PagerAction | null; rejected: boolean; oncall: OnCallPerson[] }[];
  /** The incidents linked to it as their parent (links.ts), by number. */
  children?: { number: number; status: IncidentStatus }[];
  /** The parent incident it is part of. */
  parentNumber?: number | null;
}

export async function incidentView(db: Queryable, id: number): Promise<IncidentView | null> {
  const { rows } = await db.query<IncidentView>(
    `SELECT ${SUMMARY_COLUMNS}, i.common_labels AS "commonLabels", i.common_annotations AS "commonAnnotations",
            i.external_url AS "externalUrl", first.generator_url AS "generatorUrl", first.grafana,
            COALESCE(i.common_annotations->>'runbook_url', first.annotations->>'runbook_url') AS "runbookUrl",
            COALESCE((SELECT jsonb_agg(jsonb_build_object('service', p.service, 'sent', p.sent, 'rejected', p.rejected IS NOT NULL,
                                                          'oncall', p.oncall) ORDER BY p.id)
                        FROM pages p WHERE p.incident_id = i.id), '[]'::jsonb) AS pages,
            COALESCE((SELECT jsonb_agg(jsonb_build_object('number', c.number, 'status', c.status) ORDER BY c.number)
                        FROM incident_links l JOIN incidents c ON c.id = l.child_id WHERE l.parent_id = i.id), '[]'::jsonb) AS children,
            (SELECT p.number FROM incident_links l JOIN incidents p ON p.id = l.parent_id WHERE l.child_id = i.id) AS "parentNumber"
       FROM incidents i
       LEFT JOIN LATERAL (SELECT generator_url, annotations, grafana FROM alerts WHERE incident_id = i.id ORDER BY id LIMIT 1) first ON true
      WHERE i.id = $1`,
    [id],
  );
  return rows[0] ?? null;
}
