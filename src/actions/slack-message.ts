import type { ActionParams } from '../playbooks/action-params.js';
import type { ChatPort } from '../runner/ports.js';
import type { Action } from '../runner/action.js';

/** `slack.message`: a line in the incident's thread. With Slack off it posts nothing and says so. */
export function createSlackMessageAction(deps: { chat: ChatPort | undefined }): Action {
  return {
    async run(raw, ctx) {
      const { text } = raw as ActionParams['slack.message'];
      if (!deps.chat) return { output: { posted: false }, summary: 'not posted: Slack is off' };
      const { ts } = await deps.chat.postToIncident(ctx.incident.id, text);
      return { output: { posted: true, ts }, summary: 'posted in the incident thread' };
    },
  };
}
