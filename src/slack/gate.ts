import type { AllMiddlewareArgs, AnyMiddlewareArgs } from '@slack/bolt';
import type { Action } from '../access/permissions.js';
import { refuseButton } from './actions.js';
import { cut } from '../lib/mrkdwn.js';
import { refusalText } from './blocks/access.js';
import { DECLARE_VIEW, FIELD } from './blocks/declare-modal.js';
import type { CommandDeps } from '../runner/command-deps.js';
import { refuseCommand } from './commands.js';
import { checkOrigin, originOf, originRefusal, type OriginRules, type SlackIdentity } from './origin.js';
import { buttonClick, commandRequest, sendButtonAnswer } from './requests.js';

/**
 * The origin check as Bolt global middleware: every request (command, click, view, shortcut) passes
 * it before any listener runs. A refused command or click is answered, recorded and counted like
 * any refusal; any other refused request (firebreak has no listener for it) is acknowledged,
 * logged and counted as `other`.
 */
export function originGate(deps: CommandDeps, rules: OriginRules, identity: () => SlackIdentity | undefined) {
  return async (args: AnyMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    const body = args.body as unknown as Record<string, unknown>;
    const obj = (v: unknown) => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined);
    const origin = originOf(body);
    const me = identity();
    const verdict = checkOrigin(me, origin, rules);
    if (verdict.ok) return args.next();
    deps.logger.warn({ problem: verdict.problem, ...origin }, 'Slack request refused: not from firebreak\'s own workspace and app, or firebreak does not know them yet');
    const refusal = (action: Action) => originRefusal(action, verdict.problem, me, origin);
    if ('command' in args) {
      await args.ack(await refuseCommand(deps, commandRequest(args.command), refusal));
    } else if ('action' in args && body.type === 'block_actions') {
      await args.ack();
      await sendButtonAnswer(args.respond, await refuseButton(deps, buttonClick(args.action, body), refusal), deps.logger);
    } else if (body.type === 'view_submission' && obj(body.view)?.callback_id === DECLARE_VIEW && 'ack' in args && args.ack) {
      // The declare modal stays open and says why, rather than closing as if it had worked.
      const r = refusal('declare');
      await (args.ack as (a: unknown) => Promise<void>)({ response_action: 'errors', errors: { [FIELD.title.block]: cut(refusalText(r), 150) } });
      deps.metrics.accessRefused.inc({ action: 'declare' });
    } else {
      if ('ack' in args && args.ack) await (args.ack as () => Promise<void>)();
      deps.metrics.accessRefused.inc({ action: 'other' });
    }
  };
}
