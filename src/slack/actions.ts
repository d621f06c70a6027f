import { changeIncident, type IncidentChange } from '../incidents/commands.js';
import { describeError } from '../lib/errors.js';
import { decideApproval, type ApprovalOutcome } from '../runner/approvals.js';
import { resolveAttention, type AttentionChoice, type AttentionOutcome } from '../runner/attention.js';
import { ACTION, mention } from './blocks/common.js';
import { changeReply } from './blocks/replies.js';
import { failureText, type CommandDeps } from './commands.js';
import { safeMrkdwn } from '../lib/mrkdwn.js';

/** A click on one of firebreak's buttons (the fields firebreak uses). */
export interface ButtonClick {
  actionId: string;
  /** The id the button carries: an incident, an approval, or a step run. */
  value: string;
  userId: string;
  /** Together unique per click and the same in Slack's retries of it. */
  triggerId: string | undefined;
  actionTs: string | undefined;
}

/** What to show after a click: a line for the clicker alone, and/or a replacement of the clicked message. */
export interface ButtonAnswer {
  ephemeral?: string;
  replace?: string;
}

const CHANGES: Record<string, (userId: string) => IncidentChange> = {
  [ACTION.acknowledge]: () => ({ kind: 'status', action: 'acknowledge' }),
  [ACTION.mitigate]: () => ({ kind: 'status', action: 'mitigate' }),
  [ACTION.resolve]: () => ({ kind: 'status', action: 'resolve' }),
  [ACTION.commander]: (userId) => ({ kind: 'commander', user: userId }),
};

const ATTENTION: Record<string, AttentionChoice> = { [ACTION.stepRetry]: 'retry', [ACTION.stepSkip]: 'skip', [ACTION.stepAbort]: 'abort' };

function approvalAnswer(o: ApprovalOutcome): ButtonAnswer {
  switch (o.outcome) {
    case 'approved': case 'denied': return {}; // the approval message itself changes
    case 'vote': return { ephemeral: `Your approval is counted: ${o.votes} of ${o.needed}.` };
    case 'refused': return { ephemeral: `:no_entry: Not allowed: ${o.reason}.` };
    case 'voted_before': return { ephemeral: 'You already approved this step: your approval is counted once.' };
    case 'already': return { ephemeral: `This step was already ${o.status}${o.by ? ` by ${mention(o.by)}` : ''}: nothing changed.` };
    case 'expired': return { ephemeral: ':hourglass: This approval has expired: nothing was run.' };
    case 'not_found': return { ephemeral: ':warning: This approval no longer exists.' };
  }
}

function attentionAnswer(o: AttentionOutcome, user: string): ButtonAnswer {
  if (o.outcome === 'not_found') return { ephemeral: ':warning: This step no longer exists.' };
  if (o.outcome === 'already') return { ephemeral: `This step is already ${o.status.replace('_', ' ')}: nothing changed.` };
  const what = { retry: 'runs it again', skip: 'skipped it', abort: 'aborted the playbook' }[o.choice];
  return { replace: `${mention(user)} ${what}: step *${safeMrkdwn(o.step, 100)}* of *${safeMrkdwn(o.playbook, 100)}* (it had been interrupted).` };
}

/**
 * Applies a button click. Card buttons change the incident (the card's update job shows it);
 * approval buttons decide a gated step; Retry/Skip/Abort settle an interrupted one.
 */
export async function runButton(deps: CommandDeps, click: ButtonClick): Promise<ButtonAnswer> {
  const id = Number(click.value);
  if (!Number.isSafeInteger(id)) return { ephemeral: ':warning: firebreak does not know this button.' };
  const ctx = { at: deps.clock.now(), requestKey: `button:${click.triggerId ?? ''}:${click.actionTs ?? ''}:${click.userId}` };
  try {
    if (click.actionId === ACTION.approve || click.actionId === ACTION.deny) {
      const choice = click.actionId === ACTION.approve ? 'approve' : 'deny';
      return approvalAnswer(await decideApproval(deps.db, deps, { approvalId: id, user: click.userId, choice, ...ctx }));
    }
    const attention = ATTENTION[click.actionId];
    if (attention) return attentionAnswer(await resolveAttention(deps.db, deps.queue, { stepRunId: id, user: click.userId, choice: attention, ...ctx }), click.userId);
    const toChange = CHANGES[click.actionId];
    if (!toChange) return { ephemeral: ':warning: firebreak does not know this button.' };
    const change = toChange(click.userId);
    const outcome = await changeIncident(deps.db, deps.queue, { id }, change, { actor: click.userId, ...ctx });
    const reply = changeReply(outcome, change, click.userId, ':warning: This incident no longer exists.');
    return reply.response_type === 'ephemeral' ? { ephemeral: reply.text } : {};
  } catch (err) {
    deps.logger.error({ err: describeError(err), action: click.actionId }, 'button click failed');
    return { ephemeral: failureText(err) };
  }
}
