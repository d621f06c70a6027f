import type { Db, Queryable } from '../db/db.js';
import { readIncidentCommander } from '../incidents/incidents-sql.js';
import { claimRequest, saveResponse } from '../incidents/requests.js';
import { appendTimeline } from '../incidents/timeline.js';
import { FIREBREAK_ACTOR } from '../incidents/types.js';
import { describeError } from '../lib/errors.js';
import type { Metrics } from '../lib/metrics.js';
import { groupHandles, mayDecide } from './approvers.js';
import { continueAfter } from './decide.js';
import { approvalUpdateJob, stepJob } from './jobs.js';
import type { Directory } from './ports.js';
import { advance, runEvent, stopRun } from './progress.js';
import type { JobQueue } from '../queue/job.js';
import { lockApprovalRow, lockExpiredApprovals, readApprovalPolicy, recordVotes, settleApproval } from './approvals-sql.js';
import { readRunHead, updateStep, type ApprovalRow, type RunRow } from './runs-sql.js';
import { policyOf } from './step-context.js';

/** How a click on Approve or Deny went. A retried click gets the first one's outcome. */
export type ApprovalOutcome =
  | { outcome: 'approved' | 'denied'; step: string; playbook: string }
  | { outcome: 'vote'; step: string; votes: number; needed: number }
  | { outcome: 'refused'; reason: string }
  | { outcome: 'already'; status: string; by: string | null }
  | { outcome: 'voted_before' }
  | { outcome: 'expired' }
  | { outcome: 'not_found' };

export interface ApprovalClick {
  approvalId: number;
  user: string;
  choice: 'approve' | 'deny';
  at: Date;
  requestKey: string;
}

async function lockApproval(tx: Queryable, id: number) {
  const a = await lockApprovalRow(tx, id);
  if (!a) return null;
  const run = (await readRunHead(tx, a.runId))!;
  return { a, run };
}

/**
 * Applies one Approve/Deny click, atomically: the approval row is locked, so double clicks and
 * racing approvers give one decision. A refused click is recorded on the timeline.
 */
export async function decideApproval(db: Db, deps: { queue: JobQueue; directory: Directory | undefined; metrics: Metrics }, click: ApprovalClick): Promise<ApprovalOutcome> {
  // Group membership is read from Slack before the transaction (no network call holds a lock).
  const found = await readApprovalPolicy(db, click.approvalId);
  if (!found) return { outcome: 'not_found' };
  const groups = new Map<string, readonly string[]>();
  const unreadable: string[] = [];
  for (const handle of groupHandles(found.policy.approvers)) {
    try {
      groups.set(handle, deps.directory ? await deps.directory.groupMembers(handle) : []);
    } catch (err) {
      unreadable.push(`@${handle} (${describeError(err)})`);
    }
  }
  let onCall: readonly string[] = [];
  if (found.policy.approvers.includes('oncall')) {
    try {
      onCall = deps.directory ? await deps.directory.onCall(found.incidentId) : [];
    } catch (err) {
      unreadable.push(`on-call (${describeError(err)})`);
    }
  }

  const outcome = await db.transaction(async (tx): Promise<ApprovalOutcome> => {
    const before = await claimRequest<ApprovalOutcome>(tx, click.requestKey);
    if (before) return before;
    const result = await decide(tx, deps.queue, click, { groups, onCall }, unreadable);
    await saveResponse(tx, click.requestKey, result);
    return result;
  });
  deps.metrics.approvals.inc({ outcome: outcome.outcome === 'vote' ? 'approved_partly' : outcome.outcome });
  return outcome;
}

async function decide(
  tx: Queryable, queue: JobQueue, click: ApprovalClick, known: { groups: Map<string, readonly string[]>; onCall: readonly string[] }, unreadable: string[],
): Promise<ApprovalOutcome> {
  const locked = await lockApproval(tx, click.approvalId);
  if (!locked) return { outcome: 'not_found' };
  const { a, run } = locked;
  if (a.status !== 'pending') return { outcome: 'already', status: a.status, by: a.decidedBy };
  if (a.expiresAt.getTime() <= click.at.getTime()) {
    await expireLocked(tx, queue, a, run, click.at);
    return { outcome: 'expired' };
  }
  const commander = await readIncidentCommander(tx, a.incidentId);
  const verdict = mayDecide(a.policy, { user: click.user, choice: click.choice, commander, requester: a.requestedBy, ...known });
  const event = (kind: Parameters<typeof runEvent>[2], summary: string, data: Record<string, unknown> = {}) =>
    runEvent(run, click.at, kind, click.user, summary, { step: a.stepId, approval: a.id, ...data });
  if (!verdict.ok) {
    const reason = unreadable.length ? `${verdict.reason} (${unreadable.join(', ')} could not be read)` : verdict.reason;
    await appendTimeline(tx, [event('approval.refused', `${click.user} may not ${click.choice} step ${a.stepId} of ${run.playbook}: ${reason}`)]);
    return { outcome: 'refused', reason };
  }
  if (click.choice === 'deny') {
    await settleApproval(tx, a.id, { status: 'denied', by: click.user, at: click.at });
    await updateStep(tx, a.stepRunId, { status: 'denied', finished: click.at, error: `denied by ${click.user}` });
    await appendTimeline(tx, [event('approval.denied', `Step ${a.stepId} of ${run.playbook} denied by ${click.user}`)]);
    await queue.enqueue(tx, approvalUpdateJob(a.incidentId, a.id));
    const def = run.definition.steps[a.position]!;
    if (continueAfter(policyOf(def))) await advance(tx, queue, run, click.at, click.user);
    else await stopRun(tx, queue, run, 'aborted', `step ${a.stepId} was denied`, click.user, click.at);
    return { outcome: 'denied', step: a.stepId, playbook: run.playbook };
  }
  if (a.approvedBy.includes(click.user)) return { outcome: 'voted_before' };
  const votes = [...a.approvedBy, click.user];
  if (votes.length < a.policy.min_approvals) {
    await recordVotes(tx, a.id, votes);
    await appendTimeline(tx, [event('approval.vote', `${click.user} approved step ${a.stepId} of ${run.playbook} (${votes.length} of ${a.policy.min_approvals})`)]);
    await queue.enqueue(tx, approvalUpdateJob(a.incidentId, a.id));
    return { outcome: 'vote', step: a.stepId, votes: votes.length, needed: a.policy.min_approvals };
  }
  await settleApproval(tx, a.id, { status: 'approved', by: click.user, at: click.at, approvedBy: votes });
  await updateStep(tx, a.stepRunId, { status: 'pending' });
  await appendTimeline(tx, [event('approval.approved', `Step ${a.stepId} of ${run.playbook} approved by ${votes.join(', ')}`, { approvers: votes })]);
  await queue.enqueue(tx, approvalUpdateJob(a.incidentId, a.id), stepJob(a.incidentId, a.stepRunId));
  return { outcome: 'approved', step: a.stepId, playbook: run.playbook };
}

async function expireLocked(
  tx: Queryable, queue: JobQueue, a: ApprovalRow & { stepId: string }, run: Pick<RunRow, 'id' | 'incidentId' | 'playbook'>, at: Date,
): Promise<void> {
  const skip = a.policy.on_timeout === 'skip';
  await settleApproval(tx, a.id, { status: 'expired', by: null, at });
  await updateStep(tx, a.stepRunId, { status: skip ? 'skipped' : 'expired', finished: at, error: 'the approval expired' });
  await appendTimeline(tx, [runEvent(run, at, 'approval.expired', FIREBREAK_ACTOR,
    `Nobody decided on step ${a.stepId} of ${run.playbook} within ${a.policy.timeout}: ${skip ? 'skipped' : 'playbook aborted'}`,
    { step: a.stepId, approval: a.id })]);
  await queue.enqueue(tx, approvalUpdateJob(a.incidentId, a.id));
  if (skip) await advance(tx, queue, run, at, FIREBREAK_ACTOR);
  else await stopRun(tx, queue, run, 'aborted', `the approval of step ${a.stepId} expired`, FIREBREAK_ACTOR, at);
}

/** Expires the approvals whose time is up (the scheduler's sweep). Several replicas may run it: rows are locked. */
export async function expireApprovals(db: Db, queue: JobQueue, at: Date, metrics: Metrics): Promise<number> {
  return db.transaction(async (tx) => {
    const ids = await lockExpiredApprovals(tx, at, 100);
    for (const id of ids) {
      const locked = await lockApproval(tx, id);
      if (locked) await expireLocked(tx, queue, locked.a, locked.run, at);
    }
    metrics.approvals.inc({ outcome: 'expired' }, ids.length);
    return ids.length;
  });
}
