import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { OutageConfig } from '../config/config.js';
import type { Db } from '../db/db.js';
import { CHAT } from '../incidents/jobs.js';
import type { Clock } from '../lib/clock.js';
import { defineJob, handle, type JobBinding } from '../queue/job.js';
import { slackErrorName, surelyNotDone, type SlackApi } from './api.js';
import { digestText, outageDigest } from './blocks/digest.js';
import {
  countArrivals, endOutage, forgetDigest, markDigestPostStarted, readDigestIncidents, readOutage, recordDigestPosted, recordDigestSynced,
} from './outage-sql.js';
import { messageMetadata, type MessageFinder } from './post-once.js';

/**
 * Bring an outage's digest up to date, and watch for the outage's end. Coalesced per outage: any
 * number of changes to its incidents is one waiting job that renders the state current when it runs.
 */
export const OUTAGE_DIGEST = defineJob({
  kind: 'slack.outage_digest', schema: z.object({ outageId: z.number().int().positive() }), pool: 'notify', needs: CHAT,
  key: (p) => p.outageId,
});
/** The metadata event type of digests (their firebreak_id: the outage's id and start). */
export const DIGEST_EVENT = 'firebreak_outage_digest';
/**
 * At most one digest edit per this interval: with 200 incidents changing, the digest costs one
 * call per 5 s, a fifth of the channel's budget, and the people reading it see it settle.
 */
export const DIGEST_SPACING_MS = 5_000;

/** The handler that posts and edits outage digests. */
export function createDigestJobs(deps: { db: Db; clock: Clock; api: SlackApi; outage: OutageConfig; finder: MessageFinder; consoleUrl?: string }): JobBinding[] {
  const { db, clock, api, outage } = deps;

  // Ends the outage when its channel received at most `threshold` incidents in the last full window.
  const endIfCalm = async (id: number, channel: string, startedAt: Date): Promise<boolean> => {
    const now = clock.now();
    if (now.getTime() - startedAt.getTime() < outage.windowMs) return false;
    const since = new Date(now.getTime() - outage.windowMs);
    if ((await countArrivals(db, channel, since)) > outage.threshold) return false;
    await db.transaction((tx) => endOutage(tx, id, now));
    return true;
  };

  const digest = async (id: number): Promise<void | { postponeMs: number }> => {
    let o = await readOutage(db, id, DIGEST_SPACING_MS);
    if (!o) return;
    if (!o.endedAt && (await endIfCalm(id, o.channel, o.startedAt))) o = (await readOutage(db, id, DIGEST_SPACING_MS))!;
    // While the outage lasts the job comes back, to show changes and to see it end.
    const again = o.endedAt ? undefined : { postponeMs: DIGEST_SPACING_MS };
    const incidents = await readDigestIncidents(db, id);
    const view = {
      outageId: id, startedAt: o.startedAt, endedAt: o.endedAt, threshold: outage.threshold, windowMs: outage.windowMs,
      ownCardSeverity: outage.ownCardSeverity, parentNumber: o.parentNumber,
      incidents, consoleUrl: deps.consoleUrl,
    };
    const message = { text: digestText(view), blocks: outageDigest(view) };
    const hash = createHash('sha256').update(JSON.stringify(message)).digest('hex');
    if (o.digestTs && hash === o.digestHash) return again;
    if (o.digestTs && o.waitMs > 0) return { postponeMs: o.waitMs };
    const channel = o.digestChannel ?? o.channel;
    if (!o.digestTs) {
      // Posted once, whatever happens in between: see post-once.ts.
      const metadata = messageMetadata(DIGEST_EVENT, `${id}:${o.startedAt.getTime()}`);
      const earlier = o.postStartedAt && (await deps.finder.find(channel, o.postStartedAt, metadata));
      if (!earlier && !o.postStartedAt) await markDigestPostStarted(db, id, true);
      // The first post says the channel is in outage mode: it goes before other waiting traffic.
      const res = earlier
        ? { channel, ts: earlier }
        : await api.call<{ ok: boolean; channel: string; ts: string }>('chat.postMessage', {
          channel, ...message, metadata, unfurl_links: false, unfurl_media: false,
        }, { priority: 'urgent' }).catch(async (err: unknown) => {
          if (surelyNotDone(err)) await markDigestPostStarted(db, id, false);
          throw err;
        });
      await recordDigestPosted(db, id, res.channel, res.ts, earlier ? null : hash);
      return earlier ? { postponeMs: DIGEST_SPACING_MS } : again;
    }
    try {
      await api.call('chat.update', { channel, ts: o.digestTs, ...message });
    } catch (err) {
      if (slackErrorName(err) !== 'message_not_found') throw err;
      await forgetDigest(db, id); // someone deleted it: post it again
      return { postponeMs: 0 };
    }
    await recordDigestSynced(db, id, hash);
    return again;
  };

  return [handle(OUTAGE_DIGEST, (job) => digest(job.payload.outageId))];
}
