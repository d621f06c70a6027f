import type { Principal } from '../access/principal.js';
import { refusalEvent, type Refusal } from '../access/refusal.js';
import { countRefusal } from '../access/refusals.js';
import type { Db, Queryable } from '../db/db.js';
import { claimRequest, saveResponse } from '../incidents/requests.js';
import { appendTimeline } from '../incidents/timeline.js';
import { FIREBREAK_ACTOR } from '../incidents/types.js';
import type { Metrics } from '../lib/metrics.js';
import { mayDecide } from './approvers.js';
import { continueAfter } from './decide.js';
import { approvalUpdateJob, stepJob } from './jobs.js';
import { advance, runEvent, stopRun } from './progress.js';
import { enqueueJob } from './queue.js';
import { APPROVAL_COLUMNS, updateStep, type ApprovalRow, type RunRow } from './runs-sql.js';
import { policyOf } from './step-context.js';

/** How a click on Approve or Deny went. A retried click gets the first one's outcome. */
export type ApprovalOutcome =
  | { outcome: 'approved' | 'denied'; step: string; playbook: string }
  | { outcome: 'vote'; step: string; votes: number; needed: number }
  | { outcome: 'refused'; refusal: Refusal }
  | { outcome: 'already'; status: string; by: string | null }
  | { outcome: 'voted_before' }
  | { outcome: 'expired' }
  | { outcome: 'not_found' };

/** A click on Approve or Deny. */
export interface ApprovalClick {
  approvalId: number;
  who: Principal;
  choice: 'approve' | 'deny';
  /** The chat channel the click came from (undefined: not from chat). It must be the approval message's channel. */
  channel?: string;
  at: Date;
  requestKey: string;
}

async function lockApproval(tx: Queryable, id: number) {
  const { rows } = await tx.query<ApprovalRow & { stepId: string; runId: number; position: number; stepStatus: string }>(
    `SELECT ${APPROVAL_COLUMNS}, s.step_id AS "stepId", s.run_id AS "runId", s.position, s.status AS "stepStatus"
       FROM approvals a JOIN step_runs s ON s.id = a.step_run_id WHERE a.id = $1 FOR UPDATE OF a, s`,
    [id],
  );
  const a = rows[0];
  if (!a) return null;
  const run = (await tx.query<Pick<RunRow, 'id' | 'incidentId' | 'playbook' | 'definition'>>(
    'SELECT id, incident_id AS "incidentId", playbook, definition FROM playbook_runs WHERE id = $1', [a.runId],
  )).rows[0]!;
  return { a, run };
}

/**
 * Applies one Approve/Deny click, atomically: the approval row is locked, so double clicks and
 * racing approvers give one decision. Only the approval's frozen approver set decides, and only
 * from the channel its message was posted in; a refused click is recorded (`access.refused`) and
 * counted.
 */
export async function decideApproval(db: Db, metrics: Metrics, click: ApprovalClick): Promise<ApprovalOutcome> {
  const { outcome, first } = await db.transaction(async (tx) => {
    const before = await claimRequest<ApprovalOutcome>(tx, click.requestKey);
    if (before) return { outcome: before, first: false };
    const result = await decide(tx, click);
    await saveResponse(tx, click.requestKey, result);
    return { outcome: result, first: true };
  });
  if (first && outcome.outcome === 'refused') countRefusal(metrics, outcome.refusal);
  metrics.approvals.inc({ outcome: outcome.outcome === 'vote' ? 'approved_partly' : outcome.outcome });
  return outcome;
}

async function decide(tx: Queryable, click: ApprovalClick): Promise<ApprovalOutcome> {
  const locked = await lockApproval(tx, click.approvalId);
  if (!locked) return { outcome: 'not_found' };
  const { a, run } = locked;
  if (a.status !== 'pending') return { outcome: 'already', status: a.status, by: a.decidedBy };
  if (a.expiresAt.getTime() <= click.at.getTime()) {
    await expireLocked(tx, a, run, click.at);
    return { outcome: 'expired' };
  }
  const verdict = click.channel !== undefined && click.channel !== a.slackChannel
    ? { ok: false as const, refusal: elsewhere(click.choice, click.channel, a.slackChannel) }
    : mayDecide(a.policy, a.approvers, { user: click.who.slackUserId, choice: click.choice, requester: a.requestedBy });
  if (!verdict.ok) {
    await appendTimeline(tx, [refusalEvent(a.incidentId, click.at, click.who, verdict.refusal)]);
    return { outcome: 'refused', refusal: verdict.refusal };
  }
  const user = click.who.slackUserId ?? click.who.actor;
  const event = (kind: Parameters<typeof runEvent>[2], summary: string, data: Record<string, unknown> = {}) =>
    runEvent(run, click.at, kind, click.who.actor, summary, { step: a.stepId, approval: a.id, ...data });
  if (click.choice === 'deny') {
    await tx.query(`UPDATE approvals SET status = 'denied', decided_by = $2, decided_at = $3 WHERE id = $1`, [a.id, user, click.at]);
    await updateStep(tx, a.stepRunId, { status: 'denied', finished: click.at, error: `denied by ${user}` });
    await appendTimeline(tx, [event('approval.denied', `Step ${a.stepId} of ${run.playbook} denied by ${user}`)]);
    await enqueueJob(tx, approvalUpdateJob(a.incidentId, a.id));
    const def = run.definition.steps[a.position]!;
    if (continueAfter(policyOf(def))) await advance(tx, run, click.at, click.who.actor);
    else await stopRun(tx, run, 'aborted', `step ${a.stepId} was denied`, click.who.actor, click.at);
    return { outcome: 'denied', step: a.stepId, playbook: run.playbook };
  }
  if (a.approvedBy.includes(user)) return { outcome: 'voted_before' };
  const votes = [...a.approvedBy, user];
  if (votes.length < a.policy.min_approvals) {
    await tx.query('UPDATE approvals SET approved_by = $2 WHERE id = $1', [a.id, votes]);
    await appendTimeline(tx, [event('approval.vote', `${user} approved step ${a.stepId} of ${run.playbook} (${votes.length} of ${a.policy.min_approvals})`)]);
    await enqueueJob(tx, approvalUpdateJob(a.incidentId, a.id));
    return { outcome: 'vote', step: a.stepId, votes: votes.length, needed: a.policy.min_approvals };
  }
  await tx.query(`UPDATE approvals SET status = 'approved', approved_by = $2, decided_by = $3, decided_at = $4 WHERE id = $1`,
    [a.id, votes, user, click.at]);
  await updateStep(tx, a.stepRunId, { status: 'pending' });
  await appendTimeline(tx, [event('approval.approved', `Step ${a.stepId} of ${run.playbook} approved by ${votes.join(', ')}`, { approvers: votes })]);
  await enqueueJob(tx, approvalUpdateJob(a.incidentId, a.id));
  await enqueueJob(tx, stepJob(a.incidentId, a.stepRunId));
  return { outcome: 'approved', step: a.stepId, playbook: run.playbook };
}

// A click that did not come from where the approval message is: a copied button, a forged request.
const elsewhere = (choice: 'approve' | 'deny', from: string, posted: string | null): Refusal => ({
  action: choice,
  lacks: 'to click on the approval message itself',
  holders: [],
  note: posted ? `The click came from channel ${from}; the approval message is in ${posted}.` : 'The approval message has not been posted yet.',
});

async function expireLocked(
  tx: Queryable, a: ApprovalRow & { stepId: string }, run: Pick<RunRow, 'id' | 'incidentId' | 'playbook'>, at: Date,
): Promise<void> {
  const skip = a.policy.on_timeout === 'skip';
  await tx.query(`UPDATE approvals SET status = 'expired', decided_at = $2 WHERE id = $1`, [a.id, at]);
  await updateStep(tx, a.stepRunId, { status: skip ? 'skipped' : 'expired', finished: at, error: 'the approval expired' });
  await appendTimeline(tx, [runEvent(run, at, 'approval.expired', FIREBREAK_ACTOR,
    `Nobody decided on step ${a.stepId} of ${run.playbook} within ${a.policy.timeout}: ${skip ? 'skipped' : 'playbook aborted'}`,
    { step: a.stepId, approval: a.id })]);
  await enqueueJob(tx, approvalUpdateJob(a.incidentId, a.id));
  if (skip) await advance(tx, run, at, FIREBREAK_ACTOR);
  else await stopRun(tx, run, 'aborted', `the approval of step ${a.stepId} expired`, FIREBREAK_ACTOR, at);
}

/** Expires the approvals whose time is up (the scheduler's sweep). Several replicas may run it: rows are locked. */
export async function expireApprovals(db: Db, at: Date, metrics: Metrics): Promise<number> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ id: number }>(
      `SELECT id FROM approvals WHERE status = 'pending' AND expires_at <= $1 ORDER BY expires_at LIMIT 100 FOR UPDATE SKIP LOCKED`, [at],
    );
    for (const { id } of rows) {
      const locked = await lockApproval(tx, id);
      if (locked) await expireLocked(tx, locked.a, locked.run, at);
    }
    metrics.approvals.inc({ outcome: 'expired' }, rows.length);
    return rows.length;
  });
}
