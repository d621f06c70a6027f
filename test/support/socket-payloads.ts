import { blockActionBody, slashCommandBody } from './slack-requests.js';

/** A slash command's payload as Socket Mode carries it: the fields of the HTTP form, as JSON. */
export function slashCommandPayload(overrides: Record<string, string>, responsePort: number): Record<string, unknown> {
  return Object.fromEntries(new URLSearchParams(slashCommandBody(overrides, responsePort)));
}

/** A block_actions payload as Socket Mode carries it (an `interactive` envelope's payload). */
export function blockActionPayload(action: { action_id: string; value: string; action_ts?: string }, overrides: Record<string, unknown>, responsePort: number): Record<string, unknown> {
  const body = blockActionBody(action, overrides, responsePort);
  return JSON.parse(decodeURIComponent(body.slice('payload='.length))) as Record<string, unknown>;
}
