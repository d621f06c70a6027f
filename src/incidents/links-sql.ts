import type { Queryable } from '../db/db.js';
import type { IncidentStatus, Severity } from './types.js';

/** An incident as linking reads it: whether it already has a parent, or children. */
export interface LinkCandidate {
  id: number;
  number: number;
  title: string;
  severity: Severity;
  status: IncidentStatus;
  parentNumber: number | null;
  children: number;
}

/** The incidents with these numbers, locked against concurrent changes, with their links. */
export async function readLinkCandidates(tx: Queryable, numbers: readonly number[]): Promise<LinkCandidate[]> {
  const { rows } = await tx.query<LinkCandidate>(
    `SELECT i.id::int AS id, i.number, i.title, i.severity, i.status,
            (SELECT p.number FROM incident_links l JOIN incidents p ON p.id = l.parent_id WHERE l.child_id = i.id) AS "parentNumber",
            (SELECT count(*) FROM incident_links l WHERE l.parent_id = i.id)::int AS children
       FROM incidents i WHERE i.number = ANY($1::int[]) ORDER BY i.number FOR NO KEY UPDATE OF i`,
    [numbers],
  );
  return rows;
}

export async function insertLinks(tx: Queryable, parentId: number, childIds: readonly number[], by: string, at: Date): Promise<void> {
  await tx.query(
    `INSERT INTO incident_links (child_id, parent_id, linked_by, linked_at)
     SELECT c, $1, $3, $4 FROM unnest($2::bigint[]) AS c ON CONFLICT (child_id) DO NOTHING`,
    [parentId, childIds, by, at],
  );
}

/** A linked incident as its parent's card and postmortem show it. */
export interface LinkedChild {
  id: number;
  number: number;
  title: string;
  severity: Severity;
  status: IncidentStatus;
  openedAt: Date;
  resolvedAt: Date | null;
}

/** The incidents linked to `parentId`, oldest first; `open` keeps the open ones, locked for a change. */
export async function readChildren(db: Queryable, parentId: number, o: { open?: boolean } = {}): Promise<LinkedChild[]> {
  const { rows } = await db.query<LinkedChild>(
    `SELECT i.id::int AS id, i.number, i.title, i.severity, i.status, i.opened_at AS "openedAt", i.resolved_at AS "resolvedAt"
       FROM incident_links l JOIN incidents i ON i.id = l.child_id
      WHERE l.parent_id = $1 ${o.open ? "AND i.status IN ('triggered', 'acknowledged', 'mitigated')" : ''}
      ORDER BY i.number ${o.open ? 'FOR NO KEY UPDATE OF i' : ''}`,
    [parentId],
  );
  return rows;
}

/** Opens a parent incident declared by a person (no alert group): they are its commander. */
export async function insertDeclaredIncident(tx: Queryable, title: string, severity: Severity, commander: string, at: Date): Promise<{ id: number; number: number }> {
  const { rows } = await tx.query<{ id: number; number: number }>(
    `INSERT INTO incidents (title, severity, commander, opened_at, last_seen_at) VALUES ($1, $2, $3, $4, $4) RETURNING id::int AS id, number`,
    [title, severity, commander, at],
  );
  return rows[0]!;
}
