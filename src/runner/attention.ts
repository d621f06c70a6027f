import type { Db } from '../db/db.js';
import { claimRequest, saveResponse } from '../incidents/requests.js';
import { appendTimeline } from '../incidents/timeline.js';
import { stepJob } from './jobs.js';
import { advance, runEvent, stopRun } from './progress.js';
import type { JobQueue } from '../queue/job.js';
import { updateStep, type RunRow } from './runs-sql.js';

/** What a person chose for an interrupted step. */
export type AttentionChoice = 'retry' | 'skip' | 'abort';

export type AttentionOutcome =
  | { outcome: 'done'; choice: AttentionChoice; step: string; playbook: string }
  | { outcome: 'already'; status: string }
  | { outcome: 'not_found' };

/**
 * Applies Retry / Skip / Abort to a step in `needs_attention`. The step row is locked, so two
 * people clicking give one choice. Retry runs the very parameters that ran (and were approved).
 */
export async function resolveAttention(
  db: Db, queue: JobQueue, click: { stepRunId: number; user: string; choice: AttentionChoice; at: Date; requestKey: string },
): Promise<AttentionOutcome> {
  return db.transaction(async (tx) => {
    const before = await claimRequest<AttentionOutcome>(tx, click.requestKey);
    if (before) return before;
    const { rows } = await tx.query<{ status: string; stepId: string; runId: number; incidentId: number }>(
      `SELECT status, step_id AS "stepId", run_id AS "runId", incident_id AS "incidentId" FROM step_runs WHERE id = $1 FOR UPDATE`,
      [click.stepRunId],
    );
    const step = rows[0];
    let outcome: AttentionOutcome;
    if (!step) outcome = { outcome: 'not_found' };
    else if (step.status !== 'needs_attention') outcome = { outcome: 'already', status: step.status };
    else {
      const run = (await tx.query<Pick<RunRow, 'id' | 'incidentId' | 'playbook'>>(
        'SELECT id, incident_id AS "incidentId", playbook FROM playbook_runs WHERE id = $1', [step.runId],
      )).rows[0]!;
      const what = { retry: 'to be run again', skip: 'skipped', abort: 'aborted the playbook' }[click.choice];
      await appendTimeline(tx, [runEvent(run, click.at, 'step.attention_resolved', click.user,
        `${click.user} chose for interrupted step ${step.stepId} of ${run.playbook}: ${what}`, { step: step.stepId, choice: click.choice })]);
      if (click.choice === 'retry') {
        await updateStep(tx, click.stepRunId, { status: 'pending' });
        await queue.enqueue(tx, stepJob(step.incidentId, click.stepRunId));
      } else if (click.choice === 'skip') {
        await updateStep(tx, click.stepRunId, { status: 'skipped', finished: click.at });
        await advance(tx, queue, run, click.at, click.user);
      } else {
        await updateStep(tx, click.stepRunId, { status: 'aborted', finished: click.at });
        await stopRun(tx, queue, run, 'aborted', `${click.user} aborted it at interrupted step ${step.stepId}`, click.user, click.at);
      }
      outcome = { outcome: 'done', choice: click.choice, step: step.stepId, playbook: run.playbook };
    }
    await saveResponse(tx, click.requestKey, outcome);
    return outcome;
  });
}
