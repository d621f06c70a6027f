import type { OutageConfig } from '../config/config.js';
import type { Db } from '../db/db.js';
import type { Clock } from '../lib/clock.js';
import type { JobQueue } from '../queue/job.js';
import { OUTAGE_DIGEST } from './digest-jobs.js';
import { addToOutage, channelLock, countArrivals, openOutage, outageOfIncident, recordArrival, startOutage } from './outage-sql.js';

/**
 * Outage mode: when more than `threshold` new incidents arrive in one channel within `window`, the
 * channel gets one digest message (digest-jobs.ts) instead of a card per incident. Incidents at or
 * above the own-card severity keep their card; the rest are in the digest only. Everything else
 * about them (commands, timeline, PagerDuty, playbooks) is unchanged: only where Slack shows them.
 */
export interface OutageWatch {
  /**
   * Notes that a new incident is announced in `channel`, starting the channel's outage when it is
   * one too many. True: the incident is shown in the outage's digest only (no card, no channel).
   */
  arrive(incidentId: number, channel: string, severity: string): Promise<boolean>;
  /**
   * Before an incident's card is posted or updated: the digest that lists it is brought up to date,
   * and true says the card is not to be posted (it has none yet and is below the own-card severity).
   */
  inDigest(incidentId: number, severity: string, hasCard: boolean): Promise<boolean>;
}

export function createOutageWatch(deps: { db: Db; queue: JobQueue; clock: Clock; outage: OutageConfig }): OutageWatch {
  const { db, queue, clock, outage } = deps;
  const below = (severity: string) => severity > outage.ownCardSeverity;
  return {
    arrive: (incidentId, channel, severity) => db.transaction(async (tx) => {
      await recordArrival(tx, incidentId, channel);
      const open = await openOutage(tx, channel);
      let outageId = open?.id;
      if (outageId !== undefined) {
        await addToOutage(tx, outageId, incidentId);
      } else {
        const now = clock.now();
        const since = new Date(now.getTime() - outage.windowMs);
        if ((await countArrivals(tx, channel, since)) <= outage.threshold) return false;
        outageId = await startOutage(tx, channel, now, since);
      }
      await queue.enqueue(tx, OUTAGE_DIGEST.of({ outageId }));
      return below(severity);
    }, { lock: channelLock(channel) }),

    async inDigest(incidentId, severity, hasCard) {
      const outageId = await outageOfIncident(db, incidentId);
      if (outageId === null) return false;
      await db.transaction((tx) => queue.enqueue(tx, OUTAGE_DIGEST.of({ outageId })));
      return !hasCard && below(severity);
    },
  };
}
