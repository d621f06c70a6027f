import type { Access } from '../access/guard.js';
import type { Principal } from '../access/principal.js';
import { refusalEvent, type Refusal } from '../access/refusal.js';
import { countRefusal } from '../access/refusals.js';
import type { Db, Queryable } from '../db/db.js';
import { oncePerRequest } from '../incidents/requests.js';
import { appendTimeline } from '../incidents/timeline.js';
import type { Metrics } from '../lib/metrics.js';
import { mayDecide } from './approvers.js';
import { stepJob } from './jobs.js';
import { advance, runEvent, stopRun } from './progress.js';
import type { JobQueue } from '../queue/job.js';
import { approvalOfStep, readRunHead, updateStep } from './runs-sql.js';

/** What a person chose for an interrupted step. */
export type AttentionChoice = 'retry' | 'skip' | 'abort';

export type AttentionOutcome =
  | { outcome: 'done'; choice: AttentionChoice; step: string; playbook: string }
  | { outcome: 'refused'; refusal: Refusal }
  | { outcome: 'already'; status: string }
  | { outcome: 'not_found' };

/** A click on Retry, Skip or Abort. */
export interface AttentionClick {
  stepRunId: number;
  who: Principal;
  choice: AttentionChoice;
  at: Date;
  requestKey: string;
}

/**
 * Applies Retry / Skip / Abort to a step in `needs_attention`. The step row is locked, so two
 * people clicking give one choice. Retry runs the very parameters that ran (and were approved).
 * Who may: Retry of a step that had an approval gate, its frozen approver set (as an approval);
 * anything else, the `run` permission. A refusal is recorded (`access.refused`) and counted.
 */
export async function resolveAttention(
  db: Db, deps: { access: Access; metrics: Metrics; queue: JobQueue }, click: AttentionClick,
): Promise<AttentionOutcome> {
  // The policy may read groups from Slack: before the transaction, so no network call holds a lock.
  const permitted = await deps.access.check(click.who, `step.${click.choice}`);
  const { value: outcome, first } = await oncePerRequest(db, click.requestKey, async (tx): Promise<AttentionOutcome> => {
    const { rows } = await tx.query<{ status: string; stepId: string; runId: number; incidentId: number }>(
      `SELECT status, step_id AS "stepId", run_id AS "runId", incident_id AS "incidentId" FROM step_runs WHERE id = $1 FOR UPDATE`,
      [click.stepRunId],
    );
    const step = rows[0];
    if (!step) return { outcome: 'not_found' };
    if (step.status !== 'needs_attention') return { outcome: 'already', status: step.status };
    const approval = await approvalOfStep(tx, click.stepRunId);
    const verdict = approval && click.choice === 'retry'
      ? mayDecide(approval.policy, approval.approvers, { user: click.who.slackUserId, choice: 'retry', requester: approval.requestedBy })
      : permitted;
    if (verdict.ok) return settle(tx, deps.queue, click, step);
    await appendTimeline(tx, [refusalEvent(step.incidentId, click.at, click.who, verdict.refusal)]);
    return { outcome: 'refused', refusal: verdict.refusal };
  });
  if (first && outcome.outcome === 'refused') countRefusal(deps.metrics, outcome.refusal);
  return outcome;
}

async function settle(
  tx: Queryable, queue: JobQueue, click: AttentionClick, step: { stepId: string; runId: number; incidentId: number },
): Promise<AttentionOutcome> {
  const run = (await readRunHead(tx, step.runId))!;
  const actor = click.who.actor;
  const what = { retry: 'to be run again', skip: 'skipped', abort: 'aborted the playbook' }[click.choice];
  await appendTimeline(tx, [runEvent(run, click.at, 'step.attention_resolved', actor,
    `${actor} chose for interrupted step ${step.stepId} of ${run.playbook}: ${what}`, { step: step.stepId, choice: click.choice })]);
  if (click.choice === 'retry') {
    await updateStep(tx, click.stepRunId, { status: 'pending' });
    await queue.enqueue(tx, stepJob(step.incidentId, click.stepRunId));
  } else if (click.choice === 'skip') {
    await updateStep(tx, click.stepRunId, { status: 'skipped', finished: click.at });
    await advance(tx, queue, run, click.at, actor);
  } else {
    await updateStep(tx, click.stepRunId, { status: 'aborted', finished: click.at });
    await stopRun(tx, queue, run, 'aborted', `${actor} aborted it at interrupted step ${step.stepId}`, actor, click.at);
  }
  return { outcome: 'done', choice: click.choice, step: step.stepId, playbook: run.playbook };
}
