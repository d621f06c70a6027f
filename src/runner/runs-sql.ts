import type { Queryable } from '../db/db.js';
import { ErrorCode, FirebreakError } from '../lib/errors.js';
import type { PlaybookDefinition } from '../playbooks/schema.js';
import type { ApproverSet } from './approvers.js';
import type { RunStatus, StepStatus } from './decide.js';

/** A playbook run as stored. */
export interface RunRow {
  id: number;
  incidentId: number;
  playbook: string;
  definition: PlaybookDefinition;
  alert: { labels: Record<string, string>; annotations: Record<string, string> };
  trigger: 'alert' | 'manual';
  requestedBy: string;
  status: RunStatus;
}

/** A step run as stored. */
export interface StepRow {
  id: number;
  runId: number;
  incidentId: number;
  position: number;
  stepId: string;
  action: string;
  params: Record<string, unknown> | null;
  paramsHash: string | null;
  status: StepStatus;
  attempts: number;
  output: unknown;
  error: string | null;
  startedAt: Date | null;
}

/** An approval as stored. */
export interface ApprovalRow {
  id: number;
  stepRunId: number;
  incidentId: number;
  policy: { approvers: string[]; min_approvals: number; distinct_from_requester: boolean; on_timeout: 'abort' | 'skip'; timeout: string };
  /** Who may decide, frozen when it was requested. */
  approvers: ApproverSet;
  requestedBy: string;
  paramsHash: string;
  requestedAt: Date;
  expiresAt: Date;
  status: 'pending' | 'approved' | 'denied' | 'expired' | 'cancelled';
  approvedBy: string[];
  decidedBy: string | null;
  slackChannel: string | null;
  slackTs: string | null;
}

/** The incident as the runner needs it. */
export interface RunIncident {
  id: number;
  number: number;
  title: string;
  severity: string;
  status: string;
  commander: string | null;
  commonLabels: Record<string, string>;
}

const RUN_COLUMNS = `r.id, r.incident_id AS "incidentId", r.playbook, r.definition, r.alert, r.trigger,
  r.requested_by AS "requestedBy", r.status`;
const STEP_COLUMNS = `s.id, s.run_id AS "runId", s.incident_id AS "incidentId", s.position, s.step_id AS "stepId", s.action,
  s.params, s.params_hash AS "paramsHash", s.status, s.attempts, s.output, s.error, s.started_at AS "startedAt"`;
export const APPROVAL_COLUMNS = `a.id, a.step_run_id AS "stepRunId", a.incident_id AS "incidentId", a.policy, a.approvers,
  a.requested_by AS "requestedBy", a.params_hash AS "paramsHash", a.requested_at AS "requestedAt",
  a.expires_at AS "expiresAt", a.status, a.approved_by AS "approvedBy", a.decided_by AS "decidedBy",
  a.slack_channel AS "slackChannel", a.slack_ts AS "slackTs"`;

/** A run's identity and definition (what decisions about its steps read). */
export async function readRunHead(tx: Queryable, runId: number): Promise<Pick<RunRow, 'id' | 'incidentId' | 'playbook' | 'definition'> | null> {
  const { rows } = await tx.query<Pick<RunRow, 'id' | 'incidentId' | 'playbook' | 'definition'>>(
    'SELECT id, incident_id AS "incidentId", playbook, definition FROM playbook_runs WHERE id = $1', [runId],
  );
  return rows[0] ?? null;
}

/** Inserts a run and all its steps (pending). Null when an alert-started run of it already exists. */
export async function insertRun(
  tx: Queryable,
  r: { incidentId: number; definition: PlaybookDefinition; hash: string; alert: RunRow['alert']; trigger: RunRow['trigger']; requestedBy: string; at: Date },
): Promise<{ id: number; firstStepId: number } | null> {
  const { rows } = await tx.query<{ id: number }>(
    `INSERT INTO playbook_runs (incident_id, playbook, playbook_hash, definition, alert, trigger, requested_by, started_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (incident_id, playbook) WHERE trigger = 'alert' DO NOTHING RETURNING id`,
    [r.incidentId, r.definition.name, r.hash, JSON.stringify(r.definition), JSON.stringify(r.alert), r.trigger, r.requestedBy, r.at],
  );
  const run = rows[0];
  if (!run) return null;
  const steps = await tx.query<{ id: number }>(
    `INSERT INTO step_runs (run_id, incident_id, position, step_id, action)
     SELECT $1, $2, s.ord - 1, s.step_id, s.action
       FROM unnest($3::text[], $4::text[]) WITH ORDINALITY AS s(step_id, action, ord)
     ORDER BY s.ord RETURNING id`,
    [run.id, r.incidentId, r.definition.steps.map((s) => s.id), r.definition.steps.map((s) => s.action)],
  );
  return { id: run.id, firstStepId: Math.min(...steps.rows.map((s) => s.id)) };
}

/** Asks for an approval of a step: its policy, its frozen approver set, the hash of what is approved. Returns its id. */
export async function insertApproval(
  tx: Queryable,
  a: Pick<ApprovalRow, 'stepRunId' | 'incidentId' | 'policy' | 'approvers' | 'requestedBy' | 'paramsHash' | 'requestedAt' | 'expiresAt'>,
): Promise<number> {
  const { rows } = await tx.query<{ id: number }>(
    `INSERT INTO approvals (step_run_id, incident_id, policy, approvers, requested_by, params_hash, requested_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
    [a.stepRunId, a.incidentId, JSON.stringify(a.policy), JSON.stringify(a.approvers), a.requestedBy, a.paramsHash, a.requestedAt, a.expiresAt],
  );
  return rows[0]!.id;
}

/** Everything a step's decision needs, the step row locked when `lock` (in a transaction). */
export async function readStep(tx: Queryable, stepRunId: number, lock: boolean): Promise<{
  step: StepRow; run: RunRow; incident: RunIncident; approval: ApprovalRow | null;
} | null> {
  const { rows } = await tx.query<StepRow>(`SELECT ${STEP_COLUMNS} FROM step_runs s WHERE s.id = $1 ${lock ? 'FOR UPDATE' : ''}`, [stepRunId]);
  const step = rows[0];
  if (!step) return null;
  const run = (await tx.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM playbook_runs r WHERE r.id = $1`, [step.runId])).rows[0]!;
  const incident = (await tx.query<RunIncident>(
    `SELECT id, number, title, severity, status, commander, common_labels AS "commonLabels" FROM incidents WHERE id = $1`,
    [step.incidentId],
  )).rows[0]!;
  return { step, run, incident, approval: await approvalOfStep(tx, stepRunId) };
}

/** The approval of a step run, if one was requested. */
export async function approvalOfStep(tx: Queryable, stepRunId: number): Promise<ApprovalRow | null> {
  return (await tx.query<ApprovalRow>(`SELECT ${APPROVAL_COLUMNS} FROM approvals a WHERE a.step_run_id = $1`, [stepRunId])).rows[0] ?? null;
}

/** The steps of a run before `position`, for templates (steps.<id>.output). */
export async function earlierSteps(tx: Queryable, runId: number, position: number): Promise<Pick<StepRow, 'stepId' | 'status' | 'output'>[]> {
  const { rows } = await tx.query<Pick<StepRow, 'stepId' | 'status' | 'output'>>(
    'SELECT step_id AS "stepId", status, output FROM step_runs WHERE run_id = $1 AND position < $2 ORDER BY position',
    [runId, position],
  );
  return rows;
}

/**
 * Sets a step's status and whichever other fields are given. With `expect`, only while the step is
 * still in that status at that attempt (an attempt's outcome); otherwise it throws JobLeaseLost and
 * the caller's transaction writes nothing.
 */
export async function updateStep(
  tx: Queryable, id: number,
  f: { status: StepStatus; params?: unknown; paramsHash?: string; output?: unknown; error?: string | null; started?: Date; finished?: Date; countAttempt?: boolean },
  expect?: { status: StepStatus; attempts: number },
): Promise<void> {
  const { rowCount } = await tx.query(
    `UPDATE step_runs SET status = $2,
        params = COALESCE($3::jsonb, params), params_hash = COALESCE($4, params_hash),
        output = CASE WHEN $5::boolean THEN $6::jsonb ELSE output END,
        error = CASE WHEN $7::boolean THEN $8 ELSE error END,
        started_at = COALESCE(started_at, $9), finished_at = COALESCE($10, finished_at),
        attempts = attempts + $11
      WHERE id = $1 AND ($12::text IS NULL OR (status = $12 AND attempts = $13))`,
    [id, f.status, f.params === undefined ? null : JSON.stringify(f.params), f.paramsHash ?? null,
      f.output !== undefined, f.output === undefined ? null : JSON.stringify(f.output),
      f.error !== undefined, f.error ?? null, f.started ?? null, f.finished ?? null, f.countAttempt ? 1 : 0,
      expect?.status ?? null, expect?.attempts ?? null],
  );
  if (expect && rowCount === 0) {
    throw new FirebreakError(ErrorCode.JobLeaseLost, `step run ${id} is no longer ${expect.status} at attempt ${expect.attempts}: its outcome here is not recorded`);
  }
}

/** Statuses of a run's steps, in order, and the next step still to run. */
export async function runProgress(tx: Queryable, runId: number): Promise<{ statuses: StepStatus[]; next: StepRow | undefined; active: boolean }> {
  const { rows } = await tx.query<StepRow>(`SELECT ${STEP_COLUMNS} FROM step_runs s WHERE s.run_id = $1 ORDER BY s.position`, [runId]);
  return {
    statuses: rows.map((r) => r.status),
    next: rows.find((r) => r.status === 'pending'),
    active: rows.some((r) => r.status === 'running' || r.status === 'waiting_approval' || r.status === 'needs_attention'),
  };
}

/** Marks the run finished. Returns false when it already was. */
export async function finishRun(tx: Queryable, runId: number, status: RunStatus, at: Date): Promise<boolean> {
  const { rowCount } = await tx.query(
    `UPDATE playbook_runs SET status = $2, finished_at = $3 WHERE id = $1 AND status = 'running'`, [runId, status, at],
  );
  return rowCount > 0;
}

/** The incident's runs under way, oldest first. */
export async function runningRuns(tx: Queryable, incidentId: number): Promise<Pick<RunRow, 'id' | 'incidentId' | 'playbook' | 'definition'>[]> {
  const { rows } = await tx.query<Pick<RunRow, 'id' | 'incidentId' | 'playbook' | 'definition'>>(
    `SELECT id, incident_id AS "incidentId", playbook, definition FROM playbook_runs
      WHERE incident_id = $1 AND status = 'running' ORDER BY id`,
    [incidentId],
  );
  return rows;
}

/** Cancels a run's steps that have not started, but those at the positions in `keep`; returns them. */
export async function cancelWaitingSteps(tx: Queryable, runId: number, keep: readonly number[], at: Date): Promise<{ id: number; stepId: string }[]> {
  const { rows } = await tx.query<{ id: number; stepId: string }>(
    `UPDATE step_runs SET status = 'cancelled', finished_at = $3
      WHERE run_id = $1 AND status IN ('pending', 'waiting_approval', 'needs_attention') AND NOT (position = ANY($2::int[]))
      RETURNING id, step_id AS "stepId"`,
    [runId, keep, at],
  );
  return rows;
}

/** Cancels the pending approvals of these steps; returns them. */
export async function cancelPendingApprovals(tx: Queryable, stepRunIds: readonly number[], at: Date): Promise<{ id: number; incidentId: number }[]> {
  const { rows } = await tx.query<{ id: number; incidentId: number }>(
    `UPDATE approvals SET status = 'cancelled', decided_at = $2
      WHERE step_run_id = ANY($1::bigint[]) AND status = 'pending' RETURNING id, incident_id AS "incidentId"`,
    [stepRunIds, at],
  );
  return rows;
}

/** Sets every not-yet-finished step of a run to `status`; returns their ids. */
export async function closeOpenSteps(tx: Queryable, runId: number, status: 'aborted' | 'cancelled', at: Date): Promise<number[]> {
  const { rows } = await tx.query<{ id: number }>(
    `UPDATE step_runs SET status = $2, finished_at = $3
      WHERE run_id = $1 AND status IN ('pending', 'waiting_approval', 'needs_attention') RETURNING id`,
    [runId, status, at],
  );
  return rows.map((r) => r.id);
}
