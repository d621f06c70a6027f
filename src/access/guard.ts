import { describeError } from '../lib/errors.js';
import type { Directory } from './directory.js';
import { decidePermission, groupsFor, type AccessPolicy, type Asker, type TableAction } from './permissions.js';
import type { Principal } from './principal.js';
import type { Refusal } from './refusal.js';

/** The access policy with the lookups it needs: the one check every front-end makes before acting. */
export interface Access {
  /** Whether `who` may do `action`; reads the groups the answer depends on (the directory caches them). */
  check(who: Principal, action: TableAction): Promise<{ ok: true } | { ok: false; refusal: Refusal }>;
}

/** The policy over a directory of groups (none when Slack is off: then a group holds nobody). */
export function createAccess(policy: AccessPolicy, directory: Directory | undefined): Access {
  return {
    async check(who, action) {
      type Members = readonly string[] | { unreadable: string };
      const groups: Asker['groups'] = new Map(await Promise.all(groupsFor(policy, action).map(async (handle): Promise<[string, Members]> => {
        if (!directory) return [handle, { unreadable: 'no user directory: Slack is off' }];
        try {
          return [handle, await directory.groupMembers(handle)];
        } catch (err) {
          return [handle, { unreadable: describeError(err) }];
        }
      })));
      const verdict = decidePermission(policy, action, { slackUserId: who.slackUserId, groups });
      if (verdict.ok) return verdict;
      const note = verdict.unreadable.length
        ? `${verdict.unreadable.join(', ')} could not be read, so membership there could not be confirmed` : undefined;
      return { ok: false, refusal: { action, lacks: `the "${verdict.permission}" permission`, holders: verdict.holders, ...(note ? { note } : {}) } };
    },
  };
}
