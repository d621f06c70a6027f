import { describeError, FirebreakError } from '../lib/errors.js';
import type { Step } from '../playbooks/schema.js';
import { hideSecrets, withSecrets, type SecretReader } from '../playbooks/secrets.js';
import { TemplateError } from '../playbooks/template-syntax.js';
import { ActionFailure, type Action, type ActionContext, type ActionResult } from './action.js';

/**
 * Calls a step's action with its secrets' values put in: they exist for this call only. What comes
 * back (output, evidence and summary, or the failure's message and evidence) has them taken out
 * again, so that a service echoing a token puts it nowhere firebreak keeps or shows.
 */
export async function callAction(
  action: Action, def: Pick<Step, 'action' | 'with'>, params: Record<string, unknown>, ctx: ActionContext, read: SecretReader,
): Promise<ActionResult> {
  let call;
  try {
    call = withSecrets(def.action, def.with, params, read);
  } catch (err) {
    if (err instanceof TemplateError) throw new ActionFailure(`${def.action}: ${err.message}; nothing was sent`, { retryable: false });
    throw err;
  }
  if (!call.revealed.length) return action.run(params, ctx);
  try {
    return hideSecrets(await action.run(call.params, ctx), call.revealed);
  } catch (err) {
    // The cause chain is folded into the message: a cause kept as it is could still hold a value.
    throw new ActionFailure(hideSecrets(describeError(err), call.revealed), {
      retryable: !(err instanceof FirebreakError) || err.retryable,
      evidence: hideSecrets(err instanceof ActionFailure ? err.evidence : undefined, call.revealed),
    });
  }
}
