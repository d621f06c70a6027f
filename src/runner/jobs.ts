import type { NewJob } from '../queue/queue.js';

/**
 * The jobs the runner enqueues. `playbook.step` it runs itself; the others tell the chat side what
 * to show (handled by src/slack, or completed at once when Slack is off).
 */
export const JOB_STEP = 'playbook.step';
export const JOB_APPROVAL_POST = 'approval.post';
export const JOB_APPROVAL_UPDATE = 'approval.update';
export const JOB_STEP_ATTENTION = 'step.attention';
export const JOB_EVIDENCE_POST = 'evidence.post';
export const JOB_RUN_NOTICE = 'playbook.notice';

/** The chat-facing job kinds. */
export const CHAT_JOB_KINDS = [JOB_APPROVAL_POST, JOB_APPROVAL_UPDATE, JOB_STEP_ATTENTION, JOB_EVIDENCE_POST, JOB_RUN_NOTICE] as const;

export const stepJob = (incidentId: number, stepRunId: number, runAt?: Date): NewJob => ({
  kind: JOB_STEP, incidentId, uniqueKey: `${JOB_STEP}:${stepRunId}`, payload: { stepRunId }, runAt,
});

export const approvalPostJob = (incidentId: number, approvalId: number): NewJob => ({
  kind: JOB_APPROVAL_POST, incidentId, uniqueKey: `${JOB_APPROVAL_POST}:${approvalId}`, payload: { approvalId },
});

// Coalesced: the message shows the approval as it is when the job runs.
export const approvalUpdateJob = (incidentId: number, approvalId: number): NewJob => ({
  kind: JOB_APPROVAL_UPDATE, incidentId, uniqueKey: `${JOB_APPROVAL_UPDATE}:${approvalId}`, payload: { approvalId },
});

export const attentionJob = (incidentId: number, stepRunId: number): NewJob => ({
  kind: JOB_STEP_ATTENTION, incidentId, payload: { stepRunId },
});

export const evidenceJob = (incidentId: number, evidenceId: number, summary: string): NewJob => ({
  kind: JOB_EVIDENCE_POST, incidentId, payload: { evidenceId, summary },
});

export const noticeJob = (incidentId: number, runId: number, event: 'started' | 'finished'): NewJob => ({
  kind: JOB_RUN_NOTICE, incidentId, payload: { runId, event },
});
