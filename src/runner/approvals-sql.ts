import type { Queryable } from '../db/db.js';
import { APPROVAL_COLUMNS, type ApprovalRow } from './runs-sql.js';

/** An approval with where its step is, as a decision on it reads it. */
export type LockedApproval = ApprovalRow & { stepId: string; runId: number; position: number; stepStatus: string };

/** The approval and its step, both row-locked: decisions on one approval are serialized. Null when there is none. */
export async function lockApprovalRow(tx: Queryable, id: number): Promise<LockedApproval | null> {
  const { rows } = await tx.query<LockedApproval>(
    `SELECT ${APPROVAL_COLUMNS}, s.step_id AS "stepId", s.run_id AS "runId", s.position, s.status AS "stepStatus"
       FROM approvals a JOIN step_runs s ON s.id = a.step_run_id WHERE a.id = $1 FOR UPDATE OF a, s`,
    [id],
  );
  return rows[0] ?? null;
}

/** Records a decision: denied, approved (with its approvers), or expired. */
export async function settleApproval(
  tx: Queryable, id: number, d: { status: 'denied' | 'approved' | 'expired'; by: string | null; at: Date; approvedBy?: readonly string[] },
): Promise<void> {
  await tx.query(
    `UPDATE approvals SET status = $2, decided_by = $3, decided_at = $4, approved_by = COALESCE($5::text[], approved_by) WHERE id = $1`,
    [id, d.status, d.by, d.at, d.approvedBy ?? null],
  );
}

/** Records the approvers so far of an approval that needs more. */
export async function recordVotes(tx: Queryable, id: number, votes: readonly string[]): Promise<void> {
  await tx.query('UPDATE approvals SET approved_by = $2 WHERE id = $1', [id, votes]);
}

/** Pending approvals whose time is up, locked (skipping those another replica holds). */
export async function lockExpiredApprovals(tx: Queryable, at: Date, limit: number): Promise<number[]> {
  const { rows } = await tx.query<{ id: number }>(
    `SELECT id FROM approvals WHERE status = 'pending' AND expires_at <= $1 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED`, [at, limit],
  );
  return rows.map((r) => r.id);
}
