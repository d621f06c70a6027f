import type { PagerDutyConfig } from '../config/config.js';
import type { Db } from '../db/db.js';
import { DEFAULT_PAGER_SERVICE, serviceFor, type OnCallPerson, type Pager } from '../incidents/paging.js';
import type { Clock } from '../lib/clock.js';

// On-call changes at shift boundaries; an approval click should not wait on PagerDuty each time.
const ONCALL_CACHE_MS = 60_000;

/**
 * Who is first in line for an incident: the people at the lowest escalation level on call for the
 * escalation policy of the service it paged (else of the service it would page, else the default).
 */
export function createOnCallLookup(deps: { db: Db; pager: Pager; config: PagerDutyConfig; clock: Clock }): (incidentId: number) => Promise<OnCallPerson[]> {
  const { db, pager, config, clock } = deps;
  const cache = new Map<string, { at: number; people: OnCallPerson[] }>();
  return async (incidentId) => {
    const { rows } = await db.query<{ labels: Record<string, string>; paged: string | null }>(
      `SELECT i.common_labels AS labels, (SELECT service FROM pages p WHERE p.incident_id = i.id ORDER BY p.id LIMIT 1) AS paged
         FROM incidents i WHERE i.id = $1`,
      [incidentId],
    );
    const row = rows[0];
    if (!row) return [];
    const service = row.paged ?? serviceFor(row.labels, new Set(config.services.keys()), DEFAULT_PAGER_SERVICE, config.routes);
    const policy = (service && config.services.get(service)?.escalationPolicy) ?? config.services.get(DEFAULT_PAGER_SERVICE)?.escalationPolicy;
    if (!policy) throw new Error('no escalation policy is configured for this incident\'s service (PAGERDUTY_ESCALATION_POLICY)');
    const hit = cache.get(policy);
    let people = hit && clock.now().getTime() - hit.at < ONCALL_CACHE_MS ? hit.people : undefined;
    if (!people) {
      people = await pager.onCall(policy);
      cache.set(policy, { at: clock.now().getTime(), people });
    }
    const first = Math.min(...people.map((p) => p.level));
    return people.filter((p) => p.level === first);
  };
}
