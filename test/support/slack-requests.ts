import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { FIXTURES } from './app.js';
import type { FakeSlack } from './fake-slack.js';

export const SIGNING_SECRET = '0123456789abcdef0123456789abcdef';

/** Headers Slack sends with a request body: timestamp and v0 signature (HMAC-SHA256). */
export function slackSignature(body: string, secret = SIGNING_SECRET, timestamp = Math.floor(Date.now() / 1000)): Record<string, string> {
  const signature = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return { 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': signature };
}

/** A slash command body: the fixture's fields with `overrides`. */
export function slashCommandBody(overrides: Record<string, string>, responsePort: number): string {
  const params = new URLSearchParams(readFileSync(new URL('slack/slash-command.txt', FIXTURES), 'utf8').trim().replace('PORT', String(responsePort)));
  const url = new URL(params.get('response_url')!);
  params.set('response_url', `http://127.0.0.1:${responsePort}/response${url.pathname}`);
  for (const [k, v] of Object.entries(overrides)) params.set(k, v);
  return params.toString();
}

/** A block_actions body: the fixture with the given action, user and extra fields; a `channel` override moves the clicked message there too. */
export function blockActionBody(action: { action_id: string; value: string; action_ts?: string }, overrides: Record<string, unknown>, responsePort: number): string {
  const payload = JSON.parse(readFileSync(new URL('slack/block-actions.json', FIXTURES), 'utf8')) as Record<string, unknown>;
  const base = (payload.actions as Record<string, unknown>[])[0]!;
  payload.actions = [{ ...base, block_id: 'incident_actions', ...action }];
  payload.response_url = `http://127.0.0.1:${responsePort}/response/actions/T0TEAM001/1/abc`;
  Object.assign(payload, overrides);
  const channel = (overrides.channel as { id?: string } | undefined)?.id;
  if (channel) payload.container = { ...(payload.container as object), channel_id: channel };
  return `payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/** POSTs a body to /slack/events as Slack does: form-encoded (exactly), signed. */
export function postSlack(appUrl: string, body: string, headers: Record<string, string> = slackSignature(body)): Promise<Response> {
  return fetch(`${appUrl}/slack/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body,
  });
}

/**
 * POSTs a signed click and returns what firebreak answered through its response_url ('' for no
 * answer): firebreak answers before its HTTP reply ends (processBeforeResponse), so it is there.
 */
export async function clickAnswer(appUrl: string, slack: FakeSlack, body: string): Promise<string> {
  const before = slack.responses.length;
  const res = await postSlack(appUrl, body);
  if (res.status !== 200) throw new Error(`the click got HTTP ${res.status}`);
  return slack.responses.slice(before).map((r) => String(r.body.text)).join('\n');
}
