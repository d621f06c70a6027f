import { slackPrincipal } from '../access/principal.js';
import { recordRefusal } from '../access/refusals.js';
import { describeError } from '../lib/errors.js';
import type { Severity } from '../incidents/types.js';
import { refusalText } from './blocks/access.js';
import { declaredView, declareModal, readDeclareSubmission } from './blocks/declare-modal.js';
import type { Block } from './blocks/common.js';
import { ephemeral, type Reply } from './blocks/replies.js';
import type { CommandDeps } from '../runner/command-deps.js';
import { failureText, runParsed, type CommandRequest } from './commands.js';

/** Opens a modal (Slack's views.open, called with the request's trigger_id). */
export type OpenView = (args: { trigger_id: string; view: Block }) => Promise<unknown>;

/** What Slack is told after a view submission: the modal's field errors, or its next view. */
export type ViewAnswer = { response_action: 'errors'; errors: Record<string, string> } | { response_action: 'update'; view: Block };

/**
 * `/incident declare` with no title: opens the declare modal, when the asker may declare (a
 * refusal is recorded and answered as for the typed command). Returns what to acknowledge the
 * command with: nothing once the modal is open.
 */
export async function openDeclareModal(
  deps: CommandDeps, req: CommandRequest, form: { severity: Severity; ownChannel: boolean }, openView: OpenView,
): Promise<Reply | undefined> {
  try {
    const who = slackPrincipal(req.userId);
    const permitted = await deps.access.check(who, 'declare');
    if (!permitted.ok) {
      const ctx = { at: deps.clock.now(), requestKey: `command:${req.triggerId ?? ''}` };
      return ephemeral(refusalText(await recordRefusal(deps.db, deps.metrics, { who, refusal: permitted.refusal, place: null, ...ctx })));
    }
    if (!req.triggerId) return ephemeral(':warning: Slack sent no trigger id, so the form cannot open: type `/incident declare <title> [sev1-4]`.');
    await openView({ trigger_id: req.triggerId, view: declareModal({ userId: req.userId, channelId: req.channelId, ...form }) });
    return undefined;
  } catch (err) {
    deps.logger.error({ err: describeError(err) }, 'could not open the declare modal');
    return ephemeral(`${failureText(err)} Type \`/incident declare <title> [sev1-4]\` instead.`);
  }
}

/**
 * A submitted declare modal: its fields checked (errors shown under them), then declared through
 * the command's own path (permission `declare`, once per modal), the modal showing the outcome.
 */
export async function submitDeclareModal(deps: CommandDeps, body: { user: { id: string }; view: { id: string; state?: { values?: unknown }; private_metadata?: unknown } }): Promise<ViewAnswer> {
  const read = readDeclareSubmission(body.view);
  if (!read.ok) return { response_action: 'errors', errors: read.errors };
  const { channelId, ...declaration } = read.submission;
  // One modal declares once: Slack's retries of its submission carry the same view id.
  const req: CommandRequest = { text: '', userId: body.user.id, channelId: channelId ?? '', triggerId: `view:${body.view.id}` };
  const reply = await runParsed(deps, req, { name: 'declare', ...declaration });
  return { response_action: 'update', view: declaredView(reply.text) };
}
