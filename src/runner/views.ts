import type { Queryable } from '../db/db.js';
import type { RunStatus, StepStatus } from './decide.js';
import type { PreparedEvidence } from './evidence.js';
import type { ApprovalRow } from './runs-sql.js';

/** An approval as its Slack message shows it. */
export interface ApprovalView {
  id: number;
  status: ApprovalRow['status'];
  incidentId: number;
  incidentNumber: number;
  playbook: string;
  stepId: string;
  action: string;
  params: Record<string, unknown>;
  paramsHash: string;
  policy: ApprovalRow['policy'];
  approvers: ApprovalRow['approvers'];
  requestedBy: string;
  approvedBy: string[];
  decidedBy: string | null;
  requestedAt: Date;
  expiresAt: Date;
  slackChannel: string | null;
  slackTs: string | null;
  /** Set when a post of the message began and its ts is not stored yet: the post may have happened. */
  postStartedAt: Date | null;
}

export async function approvalView(db: Queryable, id: number): Promise<ApprovalView | null> {
  const { rows } = await db.query<ApprovalView>(
    `SELECT a.id, a.status, a.incident_id AS "incidentId", i.number AS "incidentNumber", r.playbook, s.step_id AS "stepId",
            s.action, s.params, a.params_hash AS "paramsHash", a.policy, a.approvers, a.requested_by AS "requestedBy",
            a.approved_by AS "approvedBy", a.decided_by AS "decidedBy", a.requested_at AS "requestedAt", a.expires_at AS "expiresAt",
            a.slack_channel AS "slackChannel", a.slack_ts AS "slackTs", a.slack_post_started_at AS "postStartedAt"
       FROM approvals a JOIN step_runs s ON s.id = a.step_run_id JOIN playbook_runs r ON r.id = s.run_id
       JOIN incidents i ON i.id = a.incident_id
      WHERE a.id = $1`,
    [id],
  );
  return rows[0] ?? null;
}

/**
 * A post of the approval message to `channel` begins (`started`: noted and committed first, so that
 * a crash before its ts is stored is known), or surely did not happen (false: Slack refused it).
 */
export async function markApprovalPostStarted(db: Queryable, id: number, channel: string, started: boolean): Promise<void> {
  await db.query('UPDATE approvals SET slack_channel = $2, slack_post_started_at = CASE WHEN $3 THEN now() END WHERE id = $1', [id, channel, started]);
}

/** The approval message was posted here; the decision updates it in place. */
export async function recordApprovalMessage(db: Queryable, id: number, channel: string, ts: string): Promise<void> {
  await db.query('UPDATE approvals SET slack_channel = $2, slack_ts = $3, slack_post_started_at = NULL WHERE id = $1', [id, channel, ts]);
}

/** A step as people see it: `/incident steps`, and the needs-attention message. */
export interface StepView {
  id: number;
  position: number;
  stepId: string;
  action: string;
  status: StepStatus;
  attempts: number;
  error: string | null;
  params: Record<string, unknown> | null;
}

/** A run with its steps. */
export interface RunView {
  id: number;
  incidentId: number;
  incidentNumber: number;
  playbook: string;
  status: RunStatus;
  trigger: 'alert' | 'manual';
  requestedBy: string;
  startedAt: Date;
  steps: StepView[];
}

const RUN_VIEW = `SELECT r.id, r.incident_id AS "incidentId", i.number AS "incidentNumber", r.playbook, r.status, r.trigger,
       r.requested_by AS "requestedBy", r.started_at AS "startedAt",
       (SELECT jsonb_agg(jsonb_build_object('id', s.id, 'position', s.position, 'stepId', s.step_id, 'action', s.action,
               'status', s.status, 'attempts', s.attempts, 'error', s.error, 'params', s.params) ORDER BY s.position)
          FROM step_runs s WHERE s.run_id = r.id) AS steps
  FROM playbook_runs r JOIN incidents i ON i.id = r.incident_id`;

/** The runs of an incident, oldest first, newest `limit`. */
export async function incidentRuns(db: Queryable, incidentId: number, limit = 10): Promise<RunView[]> {
  const { rows } = await db.query<RunView>(`SELECT * FROM (${RUN_VIEW} WHERE r.incident_id = $1 ORDER BY r.id DESC LIMIT $2) t ORDER BY id`, [incidentId, limit]);
  return rows;
}

export async function runView(db: Queryable, runId: number): Promise<RunView | null> {
  const { rows } = await db.query<RunView>(`${RUN_VIEW} WHERE r.id = $1`, [runId]);
  return rows[0] ?? null;
}

/** The run a step belongs to, with the step picked out. */
export async function stepRunView(db: Queryable, stepRunId: number): Promise<{ run: RunView; step: StepView } | null> {
  const { rows } = await db.query<{ runId: number }>('SELECT run_id AS "runId" FROM step_runs WHERE id = $1', [stepRunId]);
  const run = rows[0] && (await runView(db, rows[0].runId));
  const step = run?.steps.find((s) => s.id === stepRunId);
  return run && step ? { run, step } : null;
}

/** Stored evidence with where it came from. */
export interface EvidenceView extends PreparedEvidence {
  id: number;
  incidentId: number;
  stepId: string | null;
  playbook: string | null;
  kind: string;
  /** When retention emptied its body (RETAIN_EVIDENCE_DAYS after its incident was over); null: the body is there. */
  prunedAt: Date | null;
}

export async function evidenceView(db: Queryable, id: number): Promise<EvidenceView | null> {
  const { rows } = await db.query<EvidenceView>(
    `SELECT e.id, e.incident_id AS "incidentId", s.step_id AS "stepId", r.playbook, e.kind, e.media_type AS "mediaType", e.body,
            e.sha256, e.size, e.original_size AS "originalSize", e.truncated, e.redactions, e.pruned_at AS "prunedAt"
       FROM evidence e LEFT JOIN step_runs s ON s.id = e.step_run_id LEFT JOIN playbook_runs r ON r.id = s.run_id
      WHERE e.id = $1`,
    [id],
  );
  return rows[0] ?? null;
}
