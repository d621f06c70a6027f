import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { SlackConfig } from '../config/config.js';
import type { Db } from '../db/db.js';
import type { Clock } from '../lib/clock.js';
import { CHAT, INCIDENT_CARD, INCIDENT_COMMANDER, INCIDENT_OPENED, cardJob, incidentPayload } from '../incidents/jobs.js';
import { incidentView } from '../incidents/queries.js';
import { appendTimeline } from '../incidents/timeline.js';
import { channelFor, type IncidentRoute } from '../incidents/routing.js';
import { FIREBREAK_ACTOR, incidentRef } from '../incidents/types.js';
import { safeMrkdwn } from '../lib/mrkdwn.js';
import { defineJob, handle, type JobBinding, type JobQueue } from '../queue/job.js';
import { slackErrorName, surelyNotDone, type SlackApi } from './api.js';
import type { Priority } from './budget.js';
import { cardText, incidentCard } from './blocks/card.js';
import {
  chooseCardChannel, forgetCardMessage, markCardPostStarted, readCardPlace, recordCardPosted, recordCardSynced, recordIncidentChannel,
  type CardPlace,
} from './card-sql.js';
import { messageMetadata, type MessageFinder } from './post-once.js';
import { incidentChannelName } from './channel-name.js';
import type { OutageWatch } from './outage.js';

/** At most one card update per incident per this interval: a storm of changes costs a few calls. */
export const CARD_SPACING_MS = 2_000;
/** The metadata event type of incident cards (their firebreak_id: the incident's id and opening time). */
export const CARD_EVENT = 'firebreak_incident_card';
/** After a card is first posted in an incident's own channel: pin it and link to it from the main channel. */
export const CARD_POSTED = defineJob({
  kind: 'slack.card_posted', schema: incidentPayload.extend({ channel: z.string(), ts: z.string() }), pool: 'notify', needs: CHAT,
});
// Names tried for an incident channel before giving up (inc-7-x, inc-7-x-2, …).
const NAME_ATTEMPTS = 20;

/** The job handlers that keep Slack in step with the database. */
export function createSlackJobs(deps: {
  db: Db; queue: JobQueue; clock: Clock; api: SlackApi; slack: SlackConfig; finder: MessageFinder; outages: OutageWatch;
  /** INCIDENT_ROUTES: the channel of an incident's team, instead of SLACK_INCIDENT_CHANNEL. */
  routes: readonly IncidentRoute[];
  persist: (p: { incidentId: number }) => Promise<boolean>;
}): JobBinding[] {
  const { db, queue, clock, api, slack } = deps;
  // Cards of incidents that keep their own card in an outage go before other traffic in their channel.
  const priorityOf = (severity: string): Priority => (severity <= slack.outage.ownCardSeverity ? 'urgent' : 'normal');
  const ignoring = (...names: string[]) => (err: unknown) => {
    if (!names.includes(slackErrorName(err) ?? '')) throw err;
  };

  /**
   * Creates the incident's channel once (its id is stored before anything else happens there), then
   * sets its topic and invites the commander: both harmless to repeat when a retry runs them again.
   */
  async function ensureChannel(incidentId: number, place: CardPlace): Promise<string> {
    let channelId = place.slackChannelId;
    for (let attempt = 1; !channelId; attempt++) {
      const name = incidentChannelName(place.number, place.title, attempt);
      try {
        const res = await api.call<{ ok: boolean; channel: { id: string; name: string } }>('conversations.create', { name });
        channelId = res.channel.id;
        await db.transaction(async (tx) => {
          await recordIncidentChannel(tx, incidentId, res.channel.id, res.channel.name);
          await appendTimeline(tx, [{
            incidentId, at: clock.now(), kind: 'slack.channel_created', actor: FIREBREAK_ACTOR,
            summary: `Slack channel #${res.channel.name} created`, data: { channel: res.channel.id, name: res.channel.name },
          }]);
        });
      } catch (err) {
        if (slackErrorName(err) !== 'name_taken' || attempt >= NAME_ATTEMPTS) throw err;
      }
    }
    await api.call('conversations.setTopic', {
      channel: channelId, topic: safeMrkdwn(`${incidentRef(place.number)} · ${place.severity} · ${place.title}`, 250),
    });
    if (place.commander) await api.call('conversations.invite', { channel: channelId, users: place.commander }).catch(ignoring('already_in_channel', 'cant_invite_self'));
    return channelId;
  }

  const opened = async (id: number, ownChannel: boolean | undefined) => {
    const place = await readCardPlace(db, id, 0);
    if (!place || place.channel) return;
    const routed = channelFor(place.labels, deps.routes, slack.incidentChannel);
    // In an outage, an incident shown in the digest only gets no channel of its own either (unless
    // the person who declared it asked for one).
    const digestOnly = await deps.outages.arrive(id, routed, place.severity);
    const channel = (ownChannel ?? (slack.createChannels && !digestOnly)) ? await ensureChannel(id, place) : routed;
    await db.transaction(async (tx) => {
      if (await chooseCardChannel(tx, id, channel)) await queue.enqueue(tx, cardJob(id));
    });
  };

  // Renders the card from the state current when the job runs, so coalesced changes are one call.
  const card = async (id: number): Promise<void | { postponeMs: number }> => {
    const place = await readCardPlace(db, id, CARD_SPACING_MS);
    if (!place?.channel) return; // not placed yet: incident.opened queues a sync once it is
    if (await deps.outages.inDigest(id, place.severity, place.ts !== null)) return;
    const view = await incidentView(db, id);
    if (!view) return;
    const message = { text: cardText(view), blocks: incidentCard(view) };
    const digest = createHash('sha256').update(JSON.stringify(message)).digest('hex');
    if (place.ts && digest === place.digest) return; // Slack already shows exactly this
    if (place.ts && place.waitMs > 0) return { postponeMs: place.waitMs };
    if (!place.ts) {
      // Posted once, whatever happens in between: see post-once.ts.
      const metadata = messageMetadata(CARD_EVENT, `${id}:${place.openedAt.getTime()}`);
      const earlier = place.postStartedAt && (await deps.finder.find(place.channel, place.postStartedAt, metadata));
      if (!earlier && !place.postStartedAt) await markCardPostStarted(db, id, true);
      const res = earlier
        ? { channel: place.channel, ts: earlier }
        : await api.call<{ ok: boolean; channel: string; ts: string }>('chat.postMessage', {
          channel: place.channel, ...message, metadata, unfurl_links: false, unfurl_media: false,
        }, { priority: priorityOf(place.severity) }).catch(async (err: unknown) => {
          if (surelyNotDone(err)) await markCardPostStarted(db, id, false); // nothing to look for next time
          throw err;
        });
      await db.transaction(async (tx) => {
        await recordCardPosted(tx, id, res.channel, res.ts, earlier ? null : digest);
        if (place.slackChannelId) await queue.enqueue(tx, CARD_POSTED.of({ incidentId: id, channel: res.channel, ts: res.ts }));
      });
      // A card found again shows what it showed then: bring it up to date.
      return earlier ? { postponeMs: CARD_SPACING_MS } : undefined;
    }
    try {
      await api.call('chat.update', { channel: place.channel, ts: place.ts, ...message }, { priority: priorityOf(place.severity) });
    } catch (err) {
      if (slackErrorName(err) !== 'message_not_found') throw err;
      await forgetCardMessage(db, id); // someone deleted the card: post it again
      return { postponeMs: 0 };
    }
    await recordCardSynced(db, id, digest);
    return undefined;
  };

  const posted = async ({ incidentId, channel, ts }: { incidentId: number; channel: string; ts: string }) => {
    await api.call('pins.add', { channel, timestamp: ts }).catch(ignoring('already_pinned'));
    const place = await readCardPlace(db, incidentId, 0);
    if (!place) return;
    await api.call('chat.postMessage', {
      channel: channelFor(place.labels, deps.routes, slack.incidentChannel),
      text: `${safeMrkdwn(`${incidentRef(place.number)} (${place.severity}) ${place.title}`, 300)}: follow it in <#${channel}>`,
      unfurl_links: false, unfurl_media: false,
    });
  };

  const commander = async ({ incidentId, user }: { incidentId: number; user: string }) => {
    const place = await readCardPlace(db, incidentId, 0);
    if (!place?.slackChannelId) return;
    await api.call('conversations.invite', { channel: place.slackChannelId, users: user }).catch(ignoring('already_in_channel', 'cant_invite_self'));
  };

  // Slack being down must not lose a card: these keep trying while the incident is open.
  const options = { persist: deps.persist };
  return [
    handle(INCIDENT_OPENED, (job) => opened(job.payload.incidentId, job.payload.ownChannel), options),
    handle(INCIDENT_CARD, (job) => card(job.payload.incidentId), options),
    handle(CARD_POSTED, (job) => posted(job.payload), options),
    handle(INCIDENT_COMMANDER, (job) => commander(job.payload), options),
  ];
}
