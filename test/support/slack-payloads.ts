import { readFileSync } from 'node:fs';
import { FIXTURES } from './app.js';
import { blockActionBody, slackSignature, slashCommandBody } from './slack-requests.js';

/** A slash command's payload as Socket Mode carries it: the fields of the HTTP form, as JSON. */
export function slashCommandPayload(overrides: Record<string, string>, responsePort: number): Record<string, unknown> {
  return Object.fromEntries(new URLSearchParams(slashCommandBody(overrides, responsePort)));
}

/** A block_actions payload as Socket Mode carries it (an `interactive` envelope's payload). */
export function blockActionPayload(action: { action_id: string; value: string; action_ts?: string }, overrides: Record<string, unknown>, responsePort: number): Record<string, unknown> {
  const body = blockActionBody(action, overrides, responsePort);
  return JSON.parse(decodeURIComponent(body.slice('payload='.length))) as Record<string, unknown>;
}

/** A view_submission of the declare modal: the fixture with the given field values (undefined leaves the fixture's) and view fields. */
export function viewSubmissionPayload(
  fields: { title?: string | null; severity?: string | null; description?: string | null; commander?: string | null; channel?: string | null },
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  const payload = JSON.parse(readFileSync(new URL('slack/view-submission.json', FIXTURES), 'utf8')) as { view: { state: { values: Record<string, Record<string, Record<string, unknown>>> } } } & Record<string, unknown>;
  const values = payload.view.state.values;
  const option = (value: string | null) => (value === null ? null : { text: { type: 'plain_text', text: value }, value });
  if (fields.title !== undefined) values.title!.title_input!.value = fields.title;
  if (fields.severity !== undefined) values.severity!.severity_select!.selected_option = option(fields.severity);
  if (fields.description !== undefined) values.description!.description_input!.value = fields.description;
  if (fields.commander !== undefined) values.commander!.commander_select!.selected_user = fields.commander;
  if (fields.channel !== undefined) values.channel!.channel_choice!.selected_option = option(fields.channel);
  const { view, ...rest } = overrides;
  return { ...payload, ...rest, view: { ...payload.view, ...(view as object | undefined) } };
}

/** A payload as Slack POSTs an interaction over HTTP: `payload=<urlencoded JSON>`. */
export const interactionBody = (payload: Record<string, unknown>): string => `payload=${encodeURIComponent(JSON.stringify(payload))}`;

/** An app_home_opened event_callback: the fixture for `user`, with top-level overrides. */
export function homeOpenedPayload(user: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const payload = JSON.parse(readFileSync(new URL('slack/app-home-opened.json', FIXTURES), 'utf8')) as { event: Record<string, unknown> } & Record<string, unknown>;
  return { ...payload, event_id: `Ev0HOME${user}${Math.random().toString(36).slice(2, 8)}`, ...overrides, event: { ...payload.event, user } };
}

/** POSTs an Events API body as Slack does: JSON, signed. */
export function postEvent(appUrl: string, payload: Record<string, unknown>): Promise<Response> {
  const body = JSON.stringify(payload);
  return fetch(`${appUrl}/slack/events`, { method: 'POST', headers: { 'content-type': 'application/json', ...slackSignature(body) }, body });
}
