import type { Db } from '../db/db.js';
import type { OnCallPerson } from '../incidents/paging.js';
import type { Clock } from '../lib/clock.js';
import { safeMrkdwn } from '../lib/mrkdwn.js';
import type { Directory } from '../access/directory.js';
import type { ChatPort } from '../runner/ports.js';
import { slackErrorName, type SlackApi } from './api.js';
import { readCardPlace } from './card-sql.js';

// Group membership changes rarely; an approval click should not wait on two Slack calls each time.
const GROUP_CACHE_MS = 60_000;

/**
 * The Directory over Slack user groups (usergroups.list, usergroups.users.list), and the
 * on-call people (from `onCall`, PagerDuty) matched to Slack users by email (users.lookupByEmail).
 */
export function createSlackDirectory(api: SlackApi, clock: Clock, onCall?: (incidentId: number) => Promise<OnCallPerson[]>): Directory {
  const cache = new Map<string, { at: number; members: readonly string[] }>();
  const users = new Map<string, { at: number; id: string | null }>();
  const userByEmail = async (email: string): Promise<string | null> => {
    const hit = users.get(email);
    if (hit && clock.now().getTime() - hit.at < GROUP_CACHE_MS) return hit.id;
    let id: string | null = null;
    try {
      id = (await api.call<{ ok: boolean; user: { id: string } }>('users.lookupByEmail', { email })).user.id;
    } catch (err) {
      if (slackErrorName(err) !== 'users_not_found') throw err;
    }
    users.set(email, { at: clock.now().getTime(), id });
    return id;
  };
  return {
    async onCall(incidentId) {
      if (!onCall) throw new Error('PagerDuty is not set up: nobody is known to be on call');
      const people = await onCall(incidentId);
      const emails = people.map((p) => p.email).filter((e): e is string => e !== null);
      const ids = await Promise.all(emails.map(userByEmail));
      return ids.filter((id): id is string => id !== null);
    },
    async groupMembers(handle) {
      const hit = cache.get(handle);
      if (hit && clock.now().getTime() - hit.at < GROUP_CACHE_MS) return hit.members;
      const { usergroups } = await api.call<{ ok: boolean; usergroups: { id: string; handle: string }[] }>('usergroups.list', {});
      const group = usergroups.find((g) => g.handle === handle);
      const members = group ? (await api.call<{ ok: boolean; users: string[] }>('usergroups.users.list', { usergroup: group.id })).users : [];
      cache.set(handle, { at: clock.now().getTime(), members });
      return members;
    },
  };
}

/** The runner's ChatPort: text (escaped) in the incident card's thread, or its channel before the card exists. */
export function createSlackChat(api: SlackApi, db: Db, fallbackChannel: string): ChatPort {
  return {
    async postToIncident(incidentId, text) {
      const place = await readCardPlace(db, incidentId, 0);
      const res = await api.call<{ ok: boolean; ts: string }>('chat.postMessage', {
        channel: place?.channel ?? fallbackChannel, ...(place?.ts ? { thread_ts: place.ts } : {}),
        text: safeMrkdwn(text, 3000), unfurl_links: false, unfurl_media: false,
      }, { priority: 'patient' }); // a step's message waits for the channel's budget rather than fail the step
      return { ts: res.ts };
    },
  };
}
