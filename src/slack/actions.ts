import type { Action, TableAction } from '../access/permissions.js';
import { slackPrincipal } from '../access/principal.js';
import type { Refusal } from '../access/refusal.js';
import { recordRefusal } from '../access/refusals.js';
import type { RefusalPlace } from '../access/refusals-sql.js';
import { changeIncident, type IncidentChange } from '../incidents/commands.js';
import { resolveChildren } from '../incidents/links.js';
import { describeError } from '../lib/errors.js';
import { safeMrkdwn } from '../lib/mrkdwn.js';
import { decideApproval, type ApprovalOutcome } from '../runner/approvals.js';
import { resolveAttention, type AttentionChoice, type AttentionOutcome } from '../runner/attention.js';
import { refusalText } from './blocks/access.js';
import { ACTION, mention } from './blocks/common.js';
import { childrenResolvedReply } from './blocks/links.js';
import { changeReply } from './blocks/replies.js';
import { declareOutage } from './outage-actions.js';
import type { CommandDeps } from '../runner/command-deps.js';
import { failureText } from './commands.js';

/** A click on one of firebreak's buttons (the fields firebreak uses). */
export interface ButtonClick {
  actionId: string;
  /** The id the button carries: an incident, an approval, or a step run. */
  value: string;
  userId: string;
  /** The channel of the message clicked on. */
  channelId: string | undefined;
  /** Clicked in firebreak's App Home tab (a view, not a message): there is no channel to check. */
  inHome?: boolean;
  /** Together unique per click and the same in Slack's retries of it. */
  triggerId: string | undefined;
  actionTs: string | undefined;
}

/** What to show after a click: a line for the clicker alone, and/or a replacement of the clicked message. */
export interface ButtonAnswer {
  ephemeral?: string;
  replace?: string;
}

/** Each button of firebreak's: what it asks for, and what its value names. */
type Button =
  | { names: 'incident'; action: TableAction; change: (userId: string) => IncidentChange }
  | { names: 'approval'; action: 'approve' | 'deny' }
  | { names: 'step'; action: TableAction; choice: AttentionChoice }
  | { names: 'outage'; action: 'outage.declare' }
  | { names: 'children'; action: 'resolve.children' };

const BUTTONS: Record<string, Button> = {
  [ACTION.acknowledge]: { names: 'incident', action: 'ack', change: () => ({ kind: 'status', action: 'acknowledge' }) },
  [ACTION.mitigate]: { names: 'incident', action: 'mitigate', change: () => ({ kind: 'status', action: 'mitigate' }) },
  [ACTION.resolve]: { names: 'incident', action: 'resolve', change: () => ({ kind: 'status', action: 'resolve' }) },
  [ACTION.commander]: { names: 'incident', action: 'commander.claim', change: (userId) => ({ kind: 'commander', user: userId }) },
  [ACTION.approve]: { names: 'approval', action: 'approve' },
  [ACTION.deny]: { names: 'approval', action: 'deny' },
  [ACTION.stepRetry]: { names: 'step', action: 'step.retry', choice: 'retry' },
  [ACTION.stepSkip]: { names: 'step', action: 'step.skip', choice: 'skip' },
  [ACTION.stepAbort]: { names: 'step', action: 'step.abort', choice: 'abort' },
  [ACTION.declareOutage]: { names: 'outage', action: 'outage.declare' },
  [ACTION.resolveChildren]: { names: 'children', action: 'resolve.children' },
};

const UNKNOWN: ButtonAnswer = { ephemeral: ':warning: firebreak does not know this button.' };

/** The button a click is on, the id its value carries, and the place a refusal is recorded on; undefined for one firebreak does not know. */
function subject(click: ButtonClick): { button: Button; id: number; place: RefusalPlace | null } | undefined {
  const button = BUTTONS[click.actionId];
  const id = Number(click.value);
  if (!button || !Number.isSafeInteger(id)) return undefined;
  const place = button.names === 'incident' || button.names === 'children' ? { target: { id } }
    : button.names === 'approval' ? { approvalId: id } : button.names === 'step' ? { stepRunId: id } : null;
  return { button, id, place };
}

const requestKeyOf = (click: ButtonClick) => `button:${click.triggerId ?? ''}:${click.actionTs ?? ''}:${click.userId}`;

function approvalAnswer(o: ApprovalOutcome): ButtonAnswer {
  switch (o.outcome) {
    case 'approved': case 'denied': return {}; // the approval message itself changes
    case 'vote': return { ephemeral: `Your approval is counted: ${o.votes} of ${o.needed}.` };
    case 'refused': return { ephemeral: refusalText(o.refusal) };
    case 'voted_before': return { ephemeral: 'You already approved this step: your approval is counted once.' };
    case 'already': return { ephemeral: `This step was already ${o.status}${o.by ? ` by ${mention(o.by)}` : ''}: nothing changed.` };
    case 'expired': return { ephemeral: ':hourglass: This approval has expired: nothing was run.' };
    case 'not_found': return { ephemeral: ':warning: This approval no longer exists.' };
  }
}

function attentionAnswer(o: AttentionOutcome, user: string): ButtonAnswer {
  if (o.outcome === 'not_found') return { ephemeral: ':warning: This step no longer exists.' };
  if (o.outcome === 'refused') return { ephemeral: refusalText(o.refusal) };
  if (o.outcome === 'already') return { ephemeral: `This step is already ${o.status.replace('_', ' ')}: nothing changed.` };
  const what = { retry: 'runs it again', skip: 'skipped it', abort: 'aborted the playbook' }[o.choice];
  return { replace: `${mention(user)} ${what}: step *${safeMrkdwn(o.step, 100)}* of *${safeMrkdwn(o.playbook, 100)}* (it had been interrupted).` };
}

/** Refuses a click with `refusal` (for its action): recorded and counted, answered to the clicker alone. */
export async function refuseButton(deps: CommandDeps, click: ButtonClick, refusal: (action: Action) => Refusal): Promise<ButtonAnswer> {
  const s = subject(click);
  if (!s) return UNKNOWN;
  try {
    const r = await recordRefusal(deps.db, deps.metrics, {
      who: slackPrincipal(click.userId), refusal: refusal(s.button.action), place: s.place, at: deps.clock.now(), requestKey: requestKeyOf(click),
    });
    return { ephemeral: refusalText(r) };
  } catch (err) {
    deps.logger.error({ err: describeError(err) }, 'could not record a refused click');
    return { ephemeral: refusalText(refusal(s.button.action)) };
  }
}

/**
 * Applies a button click. Card buttons change the incident (the card's update job shows it), when
 * the access policy allows; approval buttons decide a gated step, and Retry/Skip/Abort settle an
 * interrupted one, each checking who clicks in the transaction of the decision.
 */
export async function runButton(deps: CommandDeps, click: ButtonClick): Promise<ButtonAnswer> {
  const s = subject(click);
  if (!s) return UNKNOWN;
  const who = slackPrincipal(click.userId);
  const ctx = { at: deps.clock.now(), requestKey: requestKeyOf(click) };
  try {
    const { button } = s;
    if (button.names === 'approval') {
      return approvalAnswer(await decideApproval(deps.db, deps, { approvalId: s.id, who, choice: button.action, channel: click.inHome ? undefined : click.channelId ?? '', ...ctx }));
    }
    if (button.names === 'step') {
      return attentionAnswer(await resolveAttention(deps.db, deps, { stepRunId: s.id, who, choice: button.choice, ...ctx }), click.userId);
    }
    const permitted = await deps.access.check(who, button.action);
    if (!permitted.ok) return { ephemeral: refusalText(await recordRefusal(deps.db, deps.metrics, { who, refusal: permitted.refusal, place: s.place, ...ctx })) };
    if (button.names === 'outage') return { ephemeral: await declareOutage(deps, s.id, click.userId, { actor: who.actor, ...ctx }) };
    if (button.names === 'children') {
      return { ephemeral: childrenResolvedReply(await resolveChildren(deps.db, deps.queue, s.id, { actor: who.actor, ...ctx }), click.userId) };
    }
    const change = button.change(click.userId);
    const outcome = await changeIncident(deps.db, deps.queue, { id: s.id }, change, { actor: who.actor, ...ctx });
    const reply = changeReply(outcome, change, click.userId, ':warning: This incident no longer exists.');
    return reply.response_type === 'ephemeral' ? { ephemeral: reply.text } : {};
  } catch (err) {
    deps.logger.error({ err: describeError(err), action: click.actionId }, 'button click failed');
    return { ephemeral: failureText(err) };
  }
}
