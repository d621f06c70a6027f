import type { Logger } from '../lib/logger.js';
import { slackErrorName, type SlackApi } from './api.js';

/**
 * A message with live buttons (an incident card, an approval request) must exist once. A post may
 * reach Slack and firebreak die, or lose the answer, before it stores the message's ts. So each
 * such message carries firebreak's id for it in its metadata, and the job notes in the database
 * that it is about to post; a later attempt that finds the note looks for the message in the
 * channel's recent history before posting again.
 */

/** The metadata firebreak attaches to a message it must be able to find again. */
export interface FirebreakMetadata {
  event_type: string;
  event_payload: { firebreak_id: string };
}

/** Metadata naming one thing firebreak posts: `event_type` says what, `id` which (unique per database). */
export const messageMetadata = (eventType: string, id: string): FirebreakMetadata => ({ event_type: eventType, event_payload: { firebreak_id: id } });

// Slack's clocks and ours may differ by a little: look this far before the noted time.
const CLOCK_SLACK_MS = 60_000;
// History pages read before concluding the message is not there (200 messages a page).
const MAX_PAGES = 5;

interface HistoryMessage {
  ts: string;
  bot_id?: string;
  metadata?: { event_type?: string; event_payload?: { firebreak_id?: unknown } };
}
type HistoryPage = { ok: boolean; messages: HistoryMessage[]; response_metadata?: { next_cursor?: string } };

// Refusals that say the history will not be readable by retrying: the search is given up.
const UNREADABLE = new Set(['missing_scope', 'not_in_channel', 'method_not_supported_for_channel_type', 'channel_not_found']);

/** Finds messages firebreak posted: by their metadata, among this app's messages in a channel's recent history. */
export function createMessageFinder(api: SlackApi, logger: Logger) {
  // Asked once per process (and again after a failure).
  let botId: Promise<string> | undefined;
  const ourBot = () => (botId ??= api.call<{ ok: boolean; bot_id: string }>('auth.test', {}).then((r) => r.bot_id, (err: unknown) => {
    botId = undefined;
    throw err;
  }));

  const history = async (channel: string, oldest: string, cursor: string | undefined) =>
    api.call<HistoryPage>('conversations.history', {
      channel, oldest, include_all_metadata: true, limit: 200, ...(cursor ? { cursor } : {}),
    });

  return {
    /**
     * The ts of the message `metadata` names, posted by this app in `channel` since `since`, or
     * null when it is not there (then posting is safe). Throws when Slack cannot tell now (the job
     * retries); answers null, with a warning, when it never can (a channel given by name, a
     * missing scope): a possible second copy is better than no message.
     */
    async find(channel: string, since: Date, metadata: FirebreakMetadata): Promise<string | null> {
      const log = logger.child({ channel, firebreakId: metadata.event_payload.firebreak_id });
      if (!/^[CG][A-Z0-9]+$/.test(channel)) {
        log.warn('an earlier post may have reached Slack, but a channel given by name cannot be searched: posting again (set SLACK_INCIDENT_CHANNEL to the channel id)');
        return null;
      }
      const oldest = ((since.getTime() - CLOCK_SLACK_MS) / 1000).toFixed(6);
      const me = await ourBot();
      let joined = false;
      // A page of history; null when the history cannot be read at all (the answer then is: post).
      const read = async (cursor: string | undefined): Promise<HistoryPage | null> => {
        try {
          return await history(channel, oldest, cursor);
        } catch (err) {
          if (slackErrorName(err) === 'not_in_channel' && !joined) {
            // Posting needs no membership (chat:write.public); reading the history does.
            joined = true;
            try {
              await api.call('conversations.join', { channel });
            } catch (joinErr) {
              if (unreadable(joinErr)) return null;
              throw joinErr;
            }
            return read(cursor);
          }
          if (unreadable(err)) return null;
          throw err;
        }
      };
      const unreadable = (err: unknown) => {
        const name = slackErrorName(err);
        if (!name || !UNREADABLE.has(name)) return false;
        log.warn({ slack: name }, 'an earlier post may have reached Slack, but the channel\'s history cannot be read: posting again (the app needs channels:history, groups:history and channels:join)');
        return true;
      };
      let cursor: string | undefined;
      for (let page = 0; page < MAX_PAGES; page++) {
        const res = await read(cursor);
        if (!res) return null;
        const found = res.messages.find((m) => m.bot_id === me && m.metadata?.event_type === metadata.event_type
          && m.metadata.event_payload?.firebreak_id === metadata.event_payload.firebreak_id);
        if (found) {
          log.info({ ts: found.ts }, 'found the message an earlier attempt posted: not posting it again');
          return found.ts;
        }
        cursor = res.response_metadata?.next_cursor || undefined;
        if (!cursor) return null;
      }
      log.warn('an earlier post may have reached Slack, but it is not among the channel\'s last messages: posting again');
      return null;
    },
  };
}

/** What the card and approval jobs use to find their messages again. */
export type MessageFinder = ReturnType<typeof createMessageFinder>;
