import { z } from 'zod';
import { CHAT, incidentPayload } from '../incidents/jobs.js';
import { defineJob, type NewJob } from '../queue/job.js';

/**
 * The jobs the runner enqueues. `playbook.step` it runs itself; the others tell the chat side what
 * to show (handled by src/slack; not queued when Slack is off).
 */
const id = z.number().int().positive();

export const PLAYBOOK_STEP = defineJob({
  kind: 'playbook.step', schema: incidentPayload.extend({ stepRunId: id }), pool: 'steps', key: (p) => p.stepRunId,
});

export const APPROVAL_POST = defineJob({
  kind: 'approval.post', schema: incidentPayload.extend({ approvalId: id }), pool: 'notify', needs: CHAT, key: (p) => p.approvalId,
});

// Coalesced: the message shows the approval as it is when the job runs.
export const APPROVAL_UPDATE = defineJob({
  kind: 'approval.update', schema: incidentPayload.extend({ approvalId: id }), pool: 'notify', needs: CHAT, key: (p) => p.approvalId,
});

export const STEP_ATTENTION = defineJob({
  kind: 'step.attention', schema: incidentPayload.extend({ stepRunId: id }), pool: 'notify', needs: CHAT,
});

export const EVIDENCE_POST = defineJob({
  kind: 'evidence.post', schema: incidentPayload.extend({ evidenceId: id, summary: z.string() }), pool: 'notify', needs: CHAT,
});

export const RUN_NOTICE = defineJob({
  kind: 'playbook.notice', schema: incidentPayload.extend({ runId: id, event: z.enum(['started', 'finished']) }), pool: 'notify', needs: CHAT,
});

export const stepJob = (incidentId: number, stepRunId: number, runAt?: Date): NewJob =>
  PLAYBOOK_STEP.of({ incidentId, stepRunId }, runAt && { runAt });

export const approvalPostJob = (incidentId: number, approvalId: number): NewJob => APPROVAL_POST.of({ incidentId, approvalId });

export const approvalUpdateJob = (incidentId: number, approvalId: number): NewJob => APPROVAL_UPDATE.of({ incidentId, approvalId });

export const attentionJob = (incidentId: number, stepRunId: number): NewJob => STEP_ATTENTION.of({ incidentId, stepRunId });

export const evidenceJob = (incidentId: number, evidenceId: number, summary: string): NewJob =>
  EVIDENCE_POST.of({ incidentId, evidenceId, summary });

export const noticeJob = (incidentId: number, runId: number, event: 'started' | 'finished'): NewJob =>
  RUN_NOTICE.of({ incidentId, runId, event });
