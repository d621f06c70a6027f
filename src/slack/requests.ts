import type { RespondFn, SlashCommand } from '@slack/bolt';
import { describeError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { ButtonAnswer, ButtonClick } from './actions.js';
import type { CommandRequest } from './commands.js';

/** A slash command as firebreak's handling takes it. */
export function commandRequest(command: SlashCommand): CommandRequest {
  return { text: command.text, userId: command.user_id, channelId: command.channel_id, triggerId: command.trigger_id };
}

type Body = Record<string, unknown>;

/** A button click (a `block_actions` body and its action) as firebreak's handling takes it. */
export function buttonClick(action: unknown, body: Body): ButtonClick {
  const button = action as { action_id: string; value?: string; action_ts?: string };
  const channel = (body.channel as { id?: string } | undefined)?.id ?? (body.container as { channel_id?: string } | undefined)?.channel_id;
  return {
    actionId: button.action_id, value: button.value ?? '', userId: (body.user as { id: string }).id, channelId: channel,
    triggerId: body.trigger_id as string | undefined, actionTs: button.action_ts,
    ...((body.container as { type?: string } | undefined)?.type === 'view' && (body.view as { type?: string } | undefined)?.type === 'home' ? { inHome: true } : {}),
  };
}

/** Shows a click's answer through its response_url: a line for the clicker alone, and/or a replacement of the message. */
export async function sendButtonAnswer(respond: RespondFn, answer: ButtonAnswer, logger: Logger): Promise<void> {
  const answered = (err: unknown) => logger.warn({ err: describeError(err) }, 'could not answer a button click');
  if (answer.replace) await respond({ replace_original: true, text: answer.replace }).catch(answered);
  if (answer.ephemeral) await respond({ response_type: 'ephemeral', replace_original: false, text: answer.ephemeral }).catch(answered);
}
