import type { Access } from '../access/guard.js';
import { ACTION_PERMISSION, type TableAction } from '../access/permissions.js';
import { holdersText, type Refusal } from '../access/refusal.js';
import { recordRefusal } from '../access/refusals.js';
import type { RefusalPlace } from '../access/refusals-sql.js';
import type { Db } from '../db/db.js';
import { HttpError } from '../http/respond.js';
import type { Clock } from '../lib/clock.js';
import type { Metrics } from '../lib/metrics.js';
import type { Caller } from './callers.js';

export interface GuardDeps {
  db: Db;
  access: Access;
  metrics: Metrics;
  clock: Clock;
}

/** A refusal as a 403 answer: the missing permission, who holds it, and the sentence. */
export function forbidden(r: Refusal, permission: string): HttpError {
  const held = r.holders.length ? `; held by ${holdersText(r.holders)}` : '';
  return new HttpError(403, 'forbidden', `needs ${r.lacks}${held}${r.note ? `. ${r.note}` : ''}`, { permission, action: r.action, holders: r.holders });
}

/**
 * The check every API route makes before it reads or changes anything, the same as Slack's: the
 * permission table with the caller as principal. A refusal is recorded (`access.refused` on the
 * incident's timeline when it was about one) and counted, and answered 403 naming the permission.
 * A caller that may not write (no tokens configured, outside demo mode) is refused every change.
 */
export async function allow(deps: GuardDeps, caller: Caller, action: TableAction, o: { place: RefusalPlace | null; write: boolean; requestKey: string }): Promise<void> {
  const permission = ACTION_PERMISSION[action];
  if (o.write && !caller.mayWrite) {
    throw new HttpError(403, 'forbidden',
      `the API is read-only without FIREBREAK_API_TOKENS (needs the "${permission}" permission through a token)`, { permission, holders: [] });
  }
  const verdict = await deps.access.check(caller.principal, action);
  if (verdict.ok) return;
  const refusal = await recordRefusal(deps.db, deps.metrics, {
    who: caller.principal, refusal: verdict.refusal, place: o.place, at: deps.clock.now(), requestKey: o.requestKey,
  });
  throw forbidden(refusal, permission);
}
