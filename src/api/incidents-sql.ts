import type { Queryable } from '../db/db.js';
import { SUMMARY_COLUMNS } from '../incidents/queries.js';
import type { IncidentStatus, IncidentSummary, Severity } from '../incidents/types.js';

/** Which incidents a list shows. */
export interface IncidentFilter {
  status?: readonly IncidentStatus[];
  severity?: readonly Severity[];
  /** Found in the title or in a label name or value, case-insensitively. */
  text?: string;
  /** Opened at or after `since`, and before `until`. */
  since?: Date;
  until?: Date;
  /** Keyset: only incidents older (smaller id) than this one. */
  beforeId?: number;
  limit: number;
}

// A LIKE pattern that finds `text` anywhere, its wildcards taken literally.
const containing = (text: string) => `%${text.replace(/[\\%_]/g, '\\$&')}%`;

// The three searched texts in one, exactly as migration 0019's trigram index spells it. Whatever one
// of them contains, this contains too: a condition on it finds candidates through the index, and the
// per-field condition after it decides (a match across two fields' border is not one).
const SEARCHED = `(i.title || ' ' || i.common_labels::text || ' ' || i.group_labels::text)`;

/**
 * Incidents newest first, one page. Keyset pagination on the id: incidents opened while someone
 * pages through get larger ids, so they never shift the pages that follow.
 */
export async function listIncidents(db: Queryable, f: IncidentFilter): Promise<IncidentSummary[]> {
  const { rows } = await db.query<IncidentSummary>(
    `SELECT ${SUMMARY_COLUMNS} FROM incidents i
      WHERE ($1::text[] IS NULL OR i.status = ANY ($1))
        AND ($2::text[] IS NULL OR i.severity = ANY ($2))
        AND ($3::text IS NULL OR (${SEARCHED} ILIKE $3
             AND (i.title ILIKE $3 OR i.common_labels::text ILIKE $3 OR i.group_labels::text ILIKE $3)))
        AND ($4::timestamptz IS NULL OR i.opened_at >= $4)
        AND ($5::timestamptz IS NULL OR i.opened_at < $5)
        AND ($6::bigint IS NULL OR i.id < $6)
      ORDER BY i.id DESC LIMIT $7`,
    [f.status ?? null, f.severity ?? null, f.text ? containing(f.text) : null, f.since ?? null, f.until ?? null, f.beforeId ?? null, f.limit],
  );
  return rows;
}

/** One alert of an incident. */
export interface AlertRow {
  id: number;
  fingerprint: string;
  status: 'firing' | 'resolved';
  alertname: string | null;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  generatorUrl: string | null;
  startsAt: Date;
  resolvedAt: Date | null;
  timesReceived: number;
}

export async function incidentAlerts(db: Queryable, incidentId: number, limit: number): Promise<AlertRow[]> {
  const { rows } = await db.query<AlertRow>(
    `SELECT id, fingerprint, status, alertname, labels, annotations, generator_url AS "generatorUrl", starts_at AS "startsAt",
            resolved_at AS "resolvedAt", times_received AS "timesReceived"
       FROM alerts WHERE incident_id = $1 ORDER BY id LIMIT $2`,
    [incidentId, limit],
  );
  return rows;
}

/** A timeline event as the API shows it. */
export interface EventRow {
  id: number;
  incidentId: number;
  incidentNumber: number;
  seq: number;
  at: Date;
  kind: string;
  actor: string;
  summary: string;
  data: Record<string, unknown>;
}

const EVENT_COLUMNS = `e.id, e.incident_id AS "incidentId", i.number AS "incidentNumber", e.seq, e.at, e.kind, e.actor, e.summary, e.data`;

/** The newest `limit` events of an incident, oldest first, and how many it has. */
export async function incidentEvents(db: Queryable, incidentId: number, limit: number): Promise<{ events: EventRow[]; total: number }> {
  const { rows } = await db.query<EventRow & { total: number }>(
    `SELECT * FROM (
       SELECT ${EVENT_COLUMNS}, count(*) OVER ()::int AS total
         FROM timeline_events e JOIN incidents i ON i.id = e.incident_id
        WHERE e.incident_id = $1 ORDER BY e.seq DESC LIMIT $2) t ORDER BY seq`,
    [incidentId, limit],
  );
  return { events: rows.map(({ total: _, ...e }) => e), total: rows[0]?.total ?? 0 };
}

/** The incident's events after `afterSeq`, oldest first, at most `limit`. */
export async function incidentEventsAfter(db: Queryable, incidentId: number, afterSeq: number, limit: number): Promise<EventRow[]> {
  const { rows } = await db.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM timeline_events e JOIN incidents i ON i.id = e.incident_id
      WHERE e.incident_id = $1 AND e.seq > $2 ORDER BY e.seq LIMIT $3`,
    [incidentId, afterSeq, limit],
  );
  return rows;
}

/** Events with ids in [first, last] (one NOTIFY's span), or after `afterId` (catching up), oldest first. */
export async function eventsBetween(db: Queryable, first: number, last: number, limit: number): Promise<EventRow[]> {
  const { rows } = await db.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM timeline_events e JOIN incidents i ON i.id = e.incident_id
      WHERE e.id BETWEEN $1 AND $2 ORDER BY e.id LIMIT $3`,
    [first, last, limit],
  );
  return rows;
}

/** The id of the newest timeline event (0 when there is none). */
export async function lastEventId(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ id: number | null }>('SELECT max(id)::bigint AS id FROM timeline_events');
  return Number(rows[0]?.id ?? 0);
}

/** Evidence metadata: what a step captured, without its body. */
export interface EvidenceMeta {
  id: number;
  stepRunId: number | null;
  kind: string;
  mediaType: string;
  sha256: string;
  size: number;
  originalSize: number;
  truncated: boolean;
  redactions: number;
  createdAt: Date;
}

export async function incidentEvidence(db: Queryable, incidentId: number): Promise<EvidenceMeta[]> {
  const { rows } = await db.query<EvidenceMeta>(
    `SELECT id, step_run_id AS "stepRunId", kind, media_type AS "mediaType", sha256, size, original_size AS "originalSize",
            truncated, redactions, created_at AS "createdAt"
       FROM evidence WHERE incident_id = $1 ORDER BY id`,
    [incidentId],
  );
  return rows;
}

/** One piece of evidence with its body, found through its incident (so a wrong pairing is not found). */
export async function evidenceBody(db: Queryable, incidentId: number, id: number): Promise<{ mediaType: string; sha256: string; body: Buffer } | null> {
  const { rows } = await db.query<{ mediaType: string; sha256: string; body: Buffer }>(
    'SELECT media_type AS "mediaType", sha256, body FROM evidence WHERE incident_id = $1 AND id = $2',
    [incidentId, id],
  );
  return rows[0] ?? null;
}

/** An approval as the API lists it. */
export interface ApprovalRowView {
  id: number;
  stepRunId: number;
  status: string;
  stepId: string;
  playbook: string;
  action: string;
  approvers: unknown;
  minApprovals: number;
  requestedBy: string;
  approvedBy: string[];
  decidedBy: string | null;
  requestedAt: Date;
  expiresAt: Date;
}

export async function incidentApprovals(db: Queryable, incidentId: number): Promise<ApprovalRowView[]> {
  const { rows } = await db.query<ApprovalRowView>(
    `SELECT a.id, a.step_run_id AS "stepRunId", a.status, s.step_id AS "stepId", r.playbook, s.action, a.approvers,
            (a.policy->>'min_approvals')::int AS "minApprovals", a.requested_by AS "requestedBy", a.approved_by AS "approvedBy",
            a.decided_by AS "decidedBy", a.requested_at AS "requestedAt", a.expires_at AS "expiresAt"
       FROM approvals a JOIN step_runs s ON s.id = a.step_run_id JOIN playbook_runs r ON r.id = s.run_id
      WHERE a.incident_id = $1 ORDER BY a.id`,
    [incidentId],
  );
  return rows;
}

/** The postmortem draft of an incident: Markdown, and its charts' titles (PNGs by position). */
export interface PostmortemView {
  markdown: string;
  sha256: string;
  generatedAt: Date;
  requestedBy: string;
  revision: number;
  charts: { position: number; title: string }[];
}

export async function incidentPostmortem(db: Queryable, incidentId: number): Promise<PostmortemView | null> {
  const { rows } = await db.query<PostmortemView>(
    `SELECT p.markdown, p.sha256, p.generated_at AS "generatedAt", p.requested_by AS "requestedBy", p.revision,
            COALESCE((SELECT jsonb_agg(jsonb_build_object('position', c.position, 'title', c.title) ORDER BY c.position)
                        FROM postmortem_charts c WHERE c.incident_id = p.incident_id), '[]'::jsonb) AS charts
       FROM postmortems p WHERE p.incident_id = $1`,
    [incidentId],
  );
  return rows[0] ?? null;
}

export async function postmortemChart(db: Queryable, incidentId: number, position: number): Promise<Buffer | null> {
  const { rows } = await db.query<{ png: Buffer }>('SELECT png FROM postmortem_charts WHERE incident_id = $1 AND position = $2', [incidentId, position]);
  return rows[0]?.png ?? null;
}
