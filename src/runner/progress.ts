import type { Queryable } from '../db/db.js';
import { appendTimeline } from '../incidents/timeline.js';
import { incidentRef, type TimelineEntry } from '../incidents/types.js';
import { finalRunStatus } from './decide.js';
import { approvalUpdateJob, noticeJob, stepJob } from './jobs.js';
import type { JobQueue } from '../queue/job.js';
import { cancelPendingApprovals, cancelWaitingSteps, closeOpenSteps, finishRun, runningRuns, runProgress, type RunRow } from './runs-sql.js';

/** A timeline entry about a run (or one of its steps). */
export function runEvent(
  run: Pick<RunRow, 'incidentId' | 'playbook' | 'id'>, at: Date, kind: TimelineEntry['kind'], actor: string, summary: string,
  data: Record<string, unknown> = {},
): TimelineEntry {
  return { incidentId: run.incidentId, at, kind, actor, summary, data: { run: run.id, playbook: run.playbook, ...data } };
}

/** After a step ended: queue the next one, or finish the run when none is left. In the caller's transaction. */
export async function advance(tx: Queryable, queue: JobQueue, run: Pick<RunRow, 'id' | 'incidentId' | 'playbook'>, at: Date, actor: string): Promise<void> {
  const progress = await runProgress(tx, run.id);
  if (progress.active) return;
  if (progress.next) {
    await queue.enqueue(tx, stepJob(run.incidentId, progress.next.id));
    return;
  }
  const status = finalRunStatus(progress.statuses);
  if (!(await finishRun(tx, run.id, status, at))) return;
  await appendTimeline(tx, [runEvent(run, at, 'playbook.finished', actor, `Playbook ${run.playbook} ${status}`, { status })]);
  await queue.enqueue(tx, noticeJob(run.incidentId, run.id, 'finished'));
}

/**
 * Stops a run with status `how`: steps not yet finished are `aborted` (`cancelled` when the run is),
 * their pending approvals cancelled.
 */
export async function stopRun(
  tx: Queryable, queue: JobQueue, run: Pick<RunRow, 'id' | 'incidentId' | 'playbook'>, how: 'failed' | 'aborted' | 'cancelled', reason: string, actor: string, at: Date,
): Promise<void> {
  const closed = await closeOpenSteps(tx, run.id, how === 'cancelled' ? 'cancelled' : 'aborted', at);
  await cancelApprovals(tx, queue, closed, at);
  if (!(await finishRun(tx, run.id, how, at))) return;
  await appendTimeline(tx, [runEvent(run, at, 'playbook.finished', actor, `Playbook ${run.playbook} ${how}: ${reason}`, { status: how, reason })]);
  await queue.enqueue(tx, noticeJob(run.incidentId, run.id, 'finished'));
}

/** Cancels the pending approvals of these steps, and has their messages updated. */
export async function cancelApprovals(tx: Queryable, queue: JobQueue, stepRunIds: readonly number[], at: Date): Promise<void> {
  if (!stepRunIds.length) return;
  const rows = await cancelPendingApprovals(tx, stepRunIds, at);
  await queue.enqueue(tx, ...rows.map((a) => approvalUpdateJob(a.incidentId, a.id)));
}

/**
 * The incident was resolved: every step that is not marked run_when_resolved and has not started is
 * cancelled (a running step finishes). Runs with nothing left to do finish.
 */
export async function cancelForResolvedIncident(tx: Queryable, queue: JobQueue, incidentId: number, number: number, at: Date, actor: string): Promise<number> {
  let cancelled = 0;
  for (const run of await runningRuns(tx, incidentId)) {
    const keep = run.definition.steps.map((s, i) => (s.run_when_resolved ? i : -1)).filter((i) => i >= 0);
    const rows = await cancelWaitingSteps(tx, run.id, keep, at);
    if (!rows.length) continue;
    cancelled += rows.length;
    await cancelApprovals(tx, queue, rows.map((r) => r.id), at);
    await appendTimeline(tx, [runEvent(run, at, 'step.cancelled', actor,
      `${incidentRef(number)} resolved: ${rows.map((r) => r.stepId).join(', ')} of ${run.playbook} cancelled`,
      { steps: rows.map((r) => r.stepId) })]);
    await advance(tx, queue, run, at, actor);
  }
  return cancelled;
}
