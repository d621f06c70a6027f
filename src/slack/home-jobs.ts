import { z } from 'zod';
import type { Access } from '../access/guard.js';
import { slackPrincipal } from '../access/principal.js';
import type { Db } from '../db/db.js';
import { CHAT } from '../incidents/jobs.js';
import { countOpenIncidentsBySeverity, listOpenIncidents } from '../incidents/queries.js';
import type { Clock } from '../lib/clock.js';
import { defineJob, handle, type JobBinding, type NewJob } from '../queue/job.js';
import { approvalView, type ApprovalView } from '../runner/views.js';
import { slackErrorName, type SlackApi } from './api.js';
import { HOME_APPROVALS_MAX, HOME_INCIDENTS_MAX, homeView } from './blocks/home.js';
import { pendingApprovalIdsFor } from './home-sql.js';

const SLACK_USER = /^[UW][A-Z0-9]{2,}$/;

/**
 * Publish one person's Home tab. Coalesced per person: however many changes arrive while it waits,
 * it is one views.publish of the state current when it runs.
 */
export const HOME_PUBLISH = defineJob({
  kind: 'slack.home', schema: z.object({ userId: z.string().regex(SLACK_USER) }), pool: 'notify', needs: CHAT, key: (p) => p.userId,
});

/** Home refreshes for these people (anything that is not a Slack user id, such as a group handle, is left out). */
export const homeJobs = (userIds: Iterable<string>): NewJob[] =>
  [...new Set(userIds)].filter((u) => SLACK_USER.test(u)).map((userId) => HOME_PUBLISH.of({ userId }));

/**
 * At most one views.publish per person this often (per replica). Slack rates views.publish per
 * workspace (Tier 4, 100+ a minute) and wants a person's Home updated no faster than they can read
 * it; with the coalescing key, a storm of approval changes is one publish per person per spacing.
 * A 429 is waited out by the queue (Retry-After) without using up an attempt.
 */
export const HOME_SPACING_MS = 3_000;

const HOME_GONE = new Set(['not_enabled', 'user_not_found', 'account_inactive', 'user_disabled']);

/** The handler of HOME_PUBLISH: reads what the person may see and decide, renders it, publishes it. */
export function createHomeJobs(deps: { db: Db; api: SlackApi; access: Access; clock: Clock }): JobBinding[] {
  const { db, api, clock } = deps;
  const published = new Map<string, number>();

  const publish = async (userId: string): Promise<void | { postponeMs: number }> => {
    const now = clock.now();
    const since = now.getTime() - (published.get(userId) ?? 0);
    if (since < HOME_SPACING_MS) return { postponeMs: HOME_SPACING_MS - since };
    const ids = await pendingApprovalIdsFor(db, userId, now, HOME_APPROVALS_MAX);
    const approvals = (await Promise.all(ids.map((id) => approvalView(db, id)))).filter((a): a is ApprovalView => a !== null);
    // Incidents only for those who may read them; the approvals are theirs by the frozen approver set.
    const mayRead = (await deps.access.check(slackPrincipal(userId), 'list')).ok;
    const incidents = mayRead ? await listOpenIncidents(db, HOME_INCIDENTS_MAX * 2) : undefined;
    const open = mayRead ? Object.values(await countOpenIncidentsBySeverity(db)).reduce((a, b) => a + b, 0) : 0;
    const view = homeView({ userId, approvals, incidents, moreIncidents: Math.max(0, open - (incidents?.length ?? 0)), at: now });
    try {
      await api.call('views.publish', { user_id: userId, view });
    } catch (err) {
      // Nobody to show it to (the Home tab turned off in the app's settings, a deactivated person): nothing to retry.
      if (!HOME_GONE.has(slackErrorName(err) ?? '')) throw err;
      return undefined;
    }
    published.set(userId, clock.now().getTime());
    for (const [u, t] of published) if (now.getTime() - t > HOME_SPACING_MS) published.delete(u);
    return undefined;
  };

  // Through a Slack outage a person's Home waits (one job per person, coalesced) and is published when Slack is back.
  return [handle(HOME_PUBLISH, (job) => publish(job.payload.userId), { persist: async () => true })];
}
