import type { Queryable } from '../db/db.js';

/**
 * Pending, unexpired approvals whose frozen approver set holds `userId` (the people each approver
 * stood for when the approval was requested), worst incident first, then soonest to expire.
 */
export async function pendingApprovalIdsFor(db: Queryable, userId: string, at: Date, limit: number): Promise<number[]> {
  const { rows } = await db.query<{ id: number }>(
    `SELECT a.id FROM approvals a JOIN incidents i ON i.id = a.incident_id
      WHERE a.status = 'pending' AND a.expires_at > $2
        AND EXISTS (SELECT 1 FROM jsonb_array_elements(a.approvers->'sources') s, jsonb_array_elements_text(s->'members') m
                     WHERE m = $1)
      ORDER BY i.severity, a.expires_at, a.id LIMIT $3`,
    [userId, at, limit],
  );
  return rows.map((r) => Number(r.id));
}
