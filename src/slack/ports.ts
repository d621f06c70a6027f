import type { Db } from '../db/db.js';
import type { Clock } from '../lib/clock.js';
import { safeMrkdwn } from '../lib/mrkdwn.js';
import type { ChatPort, Directory } from '../runner/ports.js';
import type { SlackApi } from './api.js';
import { readCardPlace } from './card-sql.js';

// Group membership changes rarely; an approval click should not wait on two Slack calls each time.
const GROUP_CACHE_MS = 60_000;

/** The runner's Directory over Slack user groups (usergroups.list, usergroups.users.list). */
export function createSlackDirectory(api: SlackApi, clock: Clock): Directory {
  const cache = new Map<string, { at: number; members: readonly string[] }>();
  return {
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
      });
      return { ts: res.ts };
    },
  };
}
