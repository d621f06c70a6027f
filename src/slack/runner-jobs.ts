import type { Db } from '../db/db.js';
import { approverIds } from '../runner/approvers.js';
import { readIncidentNumber } from '../incidents/incidents-sql.js';
import { incidentRef } from '../incidents/types.js';
import { formatDuration } from '../lib/duration.js';
import { safeMrkdwn } from '../lib/mrkdwn.js';
import { handle, type JobBinding, type JobQueue } from '../queue/job.js';
import { APPROVAL_POST, APPROVAL_UPDATE, EVIDENCE_POST, RUN_NOTICE, STEP_ATTENTION } from '../runner/jobs.js';
import { approvalView, type ApprovalView, evidenceView, markApprovalPostStarted, recordApprovalMessage, runView, stepRunView } from '../runner/views.js';
import { slackErrorName, surelyNotDone, type SlackApi } from './api.js';
import { approvalMessage, attentionMessage } from './blocks/approval.js';
import { readCardPlace } from './card-sql.js';
import { homeJobs } from './home-jobs.js';
import { messageMetadata, type MessageFinder } from './post-once.js';

/** The metadata event type of approval requests (their firebreak_id: the approval's id and request time). */
export const APPROVAL_EVENT = 'firebreak_approval';

// Before the card is posted there is no thread to write in: wait for it this long at a time.
const WAIT_FOR_CARD_MS = 2_000;
// A person is waiting on these (an approval to give, a step that needs them): in a busy channel they
// go before low-severity cards, as sev1 cards do (budget.ts).
const PEOPLE_WAIT = { priority: 'urgent' } as const;

const size = (bytes: number) => (bytes < 1024 ? `${bytes} B` : bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`);

/** The job handlers that show playbook runs in Slack: approvals, interrupted steps, evidence, run notices. */
export function createRunnerSlackJobs(deps: {
  db: Db; queue: JobQueue; api: SlackApi; incidentChannel: string; finder: MessageFinder; persist: (p: { incidentId: number }) => Promise<boolean>;
}): JobBinding[] {
  const { db, api } = deps;
  // The Home tabs of an approval's approvers show it while it is pending: refreshed when it is asked and when it changes.
  const refreshHomes = (a: ApprovalView) => deps.queue.enqueue(db, ...homeJobs(approverIds(a.approvers)));
  // Slack being down must not lose an approval request: these keep trying while the incident is open.
  const options = { persist: deps.persist };
  const cardThread = async (incidentId: number) => {
    const place = await readCardPlace(db, incidentId, 0);
    return place?.channel && place.ts ? { channel: place.channel, ts: place.ts } : null;
  };

  // Approvals are posted in the incident's channel (not a thread): they need to be seen.
  const approvalPost = handle(APPROVAL_POST, async (job) => {
    const a = await approvalView(db, job.payload.approvalId);
    if (!a || a.slackTs) return;
    await refreshHomes(a);
    // Posted once, whatever happens in between (see post-once.ts): two live copies would be two
    // sets of Approve buttons.
    const metadata = messageMetadata(APPROVAL_EVENT, `${a.id}:${a.requestedAt.getTime()}`);
    if (a.postStartedAt && a.slackChannel) {
      const ts = await deps.finder.find(a.slackChannel, a.postStartedAt, metadata);
      if (ts) return void (await recordApprovalMessage(db, a.id, a.slackChannel, ts));
    }
    const channel = a.slackChannel ?? (await readCardPlace(db, a.incidentId, 0))?.channel ?? deps.incidentChannel;
    if (!a.postStartedAt) await markApprovalPostStarted(db, a.id, channel, true);
    const res = await api.call<{ ok: boolean; channel: string; ts: string }>('chat.postMessage', {
      channel, ...approvalMessage(a), metadata, unfurl_links: false, unfurl_media: false,
    }, PEOPLE_WAIT).catch(async (err: unknown) => {
      if (surelyNotDone(err)) await markApprovalPostStarted(db, a.id, channel, false); // nothing to look for next time
      throw err;
    });
    await recordApprovalMessage(db, a.id, res.channel, res.ts);
  }, options);

  const approvalUpdate = handle(APPROVAL_UPDATE, async (job) => {
    const a = await approvalView(db, job.payload.approvalId);
    if (!a) return;
    await refreshHomes(a);
    if (!a.slackTs) return { postponeMs: WAIT_FOR_CARD_MS }; // its post job has not run yet
    try {
      await api.call('chat.update', { channel: a.slackChannel, ts: a.slackTs, ...approvalMessage(a) }, PEOPLE_WAIT);
    } catch (err) {
      if (slackErrorName(err) !== 'message_not_found') throw err; // deleted by someone: nothing to update
    }
    return undefined;
  }, options);

  const attention = handle(STEP_ATTENTION, async (job) => {
    const found = await stepRunView(db, job.payload.stepRunId);
    if (!found || found.step.status !== 'needs_attention') return;
    const place = await readCardPlace(db, found.run.incidentId, 0);
    await api.call('chat.postMessage', {
      channel: place?.channel ?? deps.incidentChannel, ...attentionMessage(found.run, found.step), unfurl_links: false, unfurl_media: false,
    }, PEOPLE_WAIT);
  }, options);

  const evidence = handle(EVIDENCE_POST, async (job) => {
    const e = await evidenceView(db, job.payload.evidenceId);
    // Pruned: its incident has long been over, and there is nothing left to post.
    if (!e || e.prunedAt) return;
    const thread = await cardThread(e.incidentId);
    if (!thread) return { postponeMs: WAIT_FOR_CARD_MS };
    const ref = incidentRef((await readIncidentNumber(db, e.incidentId))!);
    const cutNote = e.truncated ? ` (cut from ${size(e.originalSize)})` : '';
    const redacted = e.redactions ? ` · ${e.redactions} secret(s) redacted` : '';
    const summary = `:mag: ${safeMrkdwn(job.payload.summary || (e.stepId ?? e.kind), 1500)}\n` +
      `Evidence #${e.id} · ${size(e.size)}${cutNote}${redacted} · sha256 \`${e.sha256}\``;
    const ext = e.mediaType.includes('json') ? 'json' : 'txt';
    await api.uploadFiles({
      channel: thread.channel, threadTs: thread.ts, comment: summary, files: [{
        filename: `${ref}-${e.stepId ?? e.kind}-${e.id}.${ext}`, title: `${ref} ${e.playbook ?? ''} ${e.stepId ?? ''}`.trim(), content: e.body.toString('utf8'),
      }],
    });
    return undefined;
  }, options);

  const notice = handle(RUN_NOTICE, async (job) => {
    const run = await runView(db, job.payload.runId);
    if (!run) return;
    const thread = await cardThread(run.incidentId);
    if (!thread) return { postponeMs: WAIT_FOR_CARD_MS };
    const text = job.payload.event === 'started'
      ? `:arrow_forward: Playbook *${safeMrkdwn(run.playbook, 100)}* started (${run.steps.length} steps: ${run.steps.map((s) => safeMrkdwn(s.stepId, 60)).join(' → ')})`
      : `:checkered_flag: Playbook *${safeMrkdwn(run.playbook, 100)}* ${run.status} after ${formatDuration(Date.now() - run.startedAt.getTime())}: ` +
        run.steps.map((s) => `${safeMrkdwn(s.stepId, 60)} ${s.status.replace('_', ' ')}`).join(', ');
    await api.call('chat.postMessage', { channel: thread.channel, thread_ts: thread.ts, text, unfurl_links: false, unfurl_media: false });
    return undefined;
  }, options);

  return [approvalPost, approvalUpdate, attention, evidence, notice];
}
