import { changeIncident, type IncidentChange } from '../incidents/commands.js';
import { describeError } from '../lib/errors.js';
import { ACTION } from './blocks/common.js';
import { changeReply } from './blocks/replies.js';
import { failureText, type CommandDeps } from './commands.js';

/** A click on one of the card's buttons (the fields firebreak uses). */
export interface ButtonClick {
  actionId: string;
  /** The incident id the button carries. */
  value: string;
  userId: string;
  /** Together unique per click and the same in Slack's retries of it. */
  triggerId: string | undefined;
  actionTs: string | undefined;
}

const CHANGES: Record<string, (userId: string) => IncidentChange> = {
  [ACTION.acknowledge]: () => ({ kind: 'status', action: 'acknowledge' }),
  [ACTION.mitigate]: () => ({ kind: 'status', action: 'mitigate' }),
  [ACTION.resolve]: () => ({ kind: 'status', action: 'resolve' }),
  [ACTION.commander]: (userId) => ({ kind: 'commander', user: userId }),
};

/**
 * Applies a button click. The card itself shows a change (through its update job), so only what
 * changed nothing gets an answer: an ephemeral line for the clicker. Returns that line, if any.
 */
export async function runButton(deps: CommandDeps, click: ButtonClick): Promise<string | undefined> {
  const toChange = CHANGES[click.actionId];
  const id = Number(click.value);
  if (!toChange || !Number.isSafeInteger(id)) return ':warning: firebreak does not know this button.';
  const change = toChange(click.userId);
  try {
    const outcome = await changeIncident(deps.db, { id }, change, {
      actor: click.userId, at: deps.clock.now(),
      requestKey: `button:${click.triggerId ?? ''}:${click.actionTs ?? ''}:${click.userId}`,
    });
    const reply = changeReply(outcome, change, click.userId, ':warning: This incident no longer exists.');
    return reply.response_type === 'ephemeral' ? reply.text : undefined;
  } catch (err) {
    deps.logger.error({ err: describeError(err), action: click.actionId }, 'button click failed');
    return failureText(err);
  }
}
