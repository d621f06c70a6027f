import type { TimelineEntry } from '../incidents/types.js';
import { ACTION_TEXT, type Action } from './permissions.js';
import type { Principal } from './principal.js';

/** Why someone may not do something: what they lack and who has it. Stored as a refused request's answer. */
export interface Refusal {
  action: Action;
  /** What the asker lacks, as a phrase: `the "run" permission`. */
  lacks: string;
  /** Who has it: Slack user ids, `@group` handles, `*` (everyone firebreak accepts). Empty: nobody, or not a question of who. */
  holders: readonly string[];
  /** More to know, as a sentence: a group that could not be read, where the request came from. */
  note?: string;
}

// A refusal names at most this many holders (a frozen approver set can be a large group).
const HOLDERS_SHOWN = 20;

/** The holders as the timeline shows them: at most HOLDERS_SHOWN, then how many more. */
export function holdersText(holders: readonly string[]): string {
  if (!holders.length) return 'nobody';
  const shown = holders.slice(0, HOLDERS_SHOWN).map((h) => (h === '*' ? 'everyone' : h)).join(', ');
  return holders.length > HOLDERS_SHOWN ? `${shown} and ${holders.length - HOLDERS_SHOWN} more` : shown;
}

/** The `access.refused` timeline event of a refusal. */
export function refusalEvent(incidentId: number, at: Date, who: Principal, r: Refusal): TimelineEntry {
  const held = r.holders.length ? `; held by ${holdersText(r.holders)}` : '';
  return {
    incidentId, at, kind: 'access.refused', actor: who.actor,
    summary: `${who.actor} may not ${ACTION_TEXT[r.action]}: needs ${r.lacks}${held}${r.note ? `. ${r.note}` : ''}`,
    data: { action: r.action, lacks: r.lacks, holders: r.holders.slice(0, HOLDERS_SHOWN), ...(r.note ? { note: r.note } : {}) },
  };
}
