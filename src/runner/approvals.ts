import type { Principal } from '../access/principal.js';
import { refusalEvent, type Refusal } from '../access/refusal.js';
import { countRefusal } from '../access/refusals.js';
import type { Db, Queryable } from '../db/db.js';
import { oncePerRequest } from '../incidents/requests.js';
import { appendTimeline } from '../incidents/timeline.js';
import { FIREBREAK_ACTOR } from '../incidents/types.js';
import type { Metrics } from '../lib/metrics.js';
import { mayDecide } from './approvers.js';
import { continueAfter } from './decide.js';
import { approvalUpdateJob, stepJob } from './jobs.js';
import { advance, runEvent, stopRun } from './progress.js';
import type { JobQueue } from '../queue/job.js';
import { lockApprovalRow, lockExpiredApprovals, recordVotes, settleApproval } from './approvals-sql.js';
import { readRunHead, updateStep, type ApprovalRow, type RunRow } from './runs-sql.js';
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
  /** The chat channel the click came from (undefined: not from a channel, such as Slack's Home tab). It must be the approval message's channel. */
  channel?: string;
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
 * racing approvers give one decision. Only the approval's frozen approver set decides, and only
 * from the channel its message was posted in; a refused click is recorded (`access.refused`) and
 * counted.
 */
export async function decideApproval(db: Db, deps: { queue: JobQueue; metrics: Metrics }, click: ApprovalClick): Promise<ApprovalOutcome> {
  const { value: outcome, first } = await oncePerRequest(db, click.requestKey, (tx) => decide(tx, deps.queue, click));
  if (first && outcome.outcome === 'refused') countRefusal(deps.metrics, outcome.refusal);
  deps.metrics.approvals.inc({ outcome: outcome.outcome === 'vote' ? 'approved_partly' : outcome.outcome });
  return outcome;
}

async function decide(tx: Queryable, queue: JobQueue, click: ApprovalClick): Promise<ApprovalOutcome> {
  const locked = await lockApproval(tx, click.approvalId);
  if (!locked) return { outcome: 'not_found' };
  const { a, run } = locked;
  if (a.status !== 'pending') return { outcome: 'already', status: a.status, by: a.decidedBy };
  if (a.expiresAt.getTime() <= click.at.getTime()) {
    await expireLocked(tx, queue, a, run, click.at);
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
    await settleApproval(tx, a.id, { status: 'denied', by: user, at: click.at });
    await updateStep(tx, a.stepRunId, { status: 'denied', finished: click.at, error: `denied by ${user}` });
    await appendTimeline(tx, [event('approval.denied', `Step ${a.stepId} of ${run.playbook} denied by ${user}`)]);
    await queue.enqueue(tx, approvalUpdateJob(a.incidentId, a.id));
    const def = run.definition.steps[a.position]!;
    if (continueAfter(policyOf(def))) await advance(tx, queue, run, click.at, click.who.actor);
    else await stopRun(tx, queue, run, 'aborted', `step ${a.stepId} was denied`, click.who.actor, click.at);
    return { outcome: 'denied', step: a.stepId, playbook: run.playbook };
  }
  if (a.approvedBy.includes(user)) return { outcome: 'voted_before' };
  const votes = [...a.approvedBy, user];
  if (votes.length < a.policy.min_approvals) {
    await recordVotes(tx, a.id, votes);
    await appendTimeline(tx, [event('approval.vote', `${user} approved step ${a.stepId} of ${run.playbook} (${votes.length} of ${a.policy.min_approvals})`)]);
    await queue.enqueue(tx, approvalUpdateJob(a.incidentId, a.id));
    return { outcome: 'vote', step: a.stepId, votes: votes.length, needed: a.policy.min_approvals };
  }
  await settleApproval(tx, a.id, { status: 'approved', by: user, at: click.at, approvedBy: votes });
  await updateStep(tx, a.stepRunId, { status: 'pending' });
  await appendTimeline(tx, [event('approval.approved', `Step ${a.stepId} of ${run.playbook} approved by ${votes.join(', ')}`, { approvers: votes })]);
  await queue.enqueue(tx, approvalUpdateJob(a.incidentId, a.id), stepJob(a.incidentId, a.stepRunId));
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
