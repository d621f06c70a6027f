import { setTimeout as sleep } from 'node:timers/promises';
import type { Directory } from '../access/directory.js';
import { describeError } from '../lib/errors.js';
import type { ApproverSet, ResolvedApprover } from './approvers.js';

/**
 * Waits before reading again the approvers that could not be read (a Slack or PagerDuty hiccup):
 * about half a minute in all. Then the set is frozen with what is known, and the approval message
 * names who could not be read, rather than waiting for ever or quietly leaving people out.
 */
export const APPROVER_READ_DELAYS_MS: readonly number[] = [1_000, 2_000, 4_000, 8_000, 15_000];

/** What an approval's approvers stand for when it is requested. */
export interface ApproverContext {
  incidentId: number;
  /** The incident's commander now. */
  commander: string | null;
  now: Date;
}

/**
 * Resolves a policy's approvers into the people they stand for now: user ids as they are, the
 * commander, the members of each @group, who is on call. Outside any transaction (it calls Slack
 * and PagerDuty). Never throws: what cannot be read after the retries is marked unreadable.
 */
export async function resolveApproverSet(
  approvers: readonly string[], ctx: ApproverContext, directory: Directory | undefined, delaysMs = APPROVER_READ_DELAYS_MS,
): Promise<ApproverSet> {
  const read = async (approver: string): Promise<ResolvedApprover> => {
    if (approver === 'commander') return { approver, members: ctx.commander ? [ctx.commander] : [] };
    if (approver !== 'oncall' && !approver.startsWith('@')) return { approver, members: [approver] };
    if (!directory) return { approver, members: [], unreadable: 'Slack is off, so nobody can be looked up' };
    try {
      const members = approver === 'oncall' ? await directory.onCall(ctx.incidentId) : await directory.groupMembers(approver.slice(1));
      return { approver, members: [...members] };
    } catch (err) {
      return { approver, members: [], unreadable: describeError(err) };
    }
  };
  let sources = await Promise.all(approvers.map(read));
  for (const delay of delaysMs) {
    if (!sources.some((s) => s.unreadable)) break;
    await sleep(delay);
    sources = await Promise.all(sources.map(async (s) => (s.unreadable ? read(s.approver) : s)));
  }
  return { sources, resolvedAt: ctx.now.toISOString() };
}
