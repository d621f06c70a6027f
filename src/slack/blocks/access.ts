import { ACTION_TEXT } from '../../access/permissions.js';
import type { Refusal } from '../../access/refusal.js';
import { safeMrkdwn } from '../../lib/mrkdwn.js';
import { mention } from './common.js';

// A refusal names at most this many holders; a large group is counted.
const HOLDERS_SHOWN = 15;

/** A holder as Slack shows it: a user id becomes a mention, a group handle stays text, `*` is everyone. */
export function holderText(holder: string): string {
  if (holder === '*') return 'everyone firebreak accepts';
  return /^[UW][A-Z0-9]{2,}$/.test(holder) ? mention(holder) : safeMrkdwn(holder, 100);
}

/** A list of holders, cut to HOLDERS_SHOWN with a count of the rest. */
export function holdersList(holders: readonly string[]): string {
  const shown = holders.slice(0, HOLDERS_SHOWN).map(holderText);
  if (holders.length > HOLDERS_SHOWN) shown.push(`${holders.length - HOLDERS_SHOWN} more`);
  return shown.length > 1 ? `${shown.slice(0, -1).join(', ')} and ${shown.at(-1)}` : shown[0] ?? 'nobody';
}

/** What the refused person reads: what they asked, what they lack, who has it, and that nothing changed. */
export function refusalText(r: Refusal): string {
  const who = r.holders.length ? ` It is held by ${holdersList(r.holders)}.` : '';
  const note = r.note ? ` ${safeMrkdwn(r.note, 600)}` : '';
  return `:no_entry: You may not ${ACTION_TEXT[r.action]}: that needs ${safeMrkdwn(r.lacks, 300)}.${who}${note} Nothing was changed.`;
}
