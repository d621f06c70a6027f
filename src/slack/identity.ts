import { describeError, FirebreakError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { SlackApi } from './api.js';
import type { SlackIdentity } from './origin.js';

/** firebreak's Slack identity, learned in the background. */
export interface IdentityLearner {
  /** The identity once confirmed; undefined until then (every Slack request is refused meanwhile). */
  current(): SlackIdentity | undefined;
  /** Settles when the identity is confirmed, or when `waitMs` has passed: whichever comes first. */
  settled(waitMs: number): Promise<void>;
  /** Stops trying (at shutdown). */
  stop(): void;
}

/** The waits between attempts: doubling from the first, up to the last, then the last for ever. */
export interface IdentityRetry {
  firstMs: number;
  maxMs: number;
}

const DEFAULT_RETRY: IdentityRetry = { firstMs: 1_000, maxMs: 60_000 };

/**
 * Learns who firebreak is in Slack: `auth.test` for the bot token (team, enterprise on Grid, bot),
 * then `bots.info` for the app id when auth.test does not report it. Started at once and retried
 * with backoff for as long as it takes, so firebreak starts and takes webhooks while Slack is
 * unreachable; until it succeeds, the origin check refuses every Slack request.
 */
export function learnSlackIdentity(api: SlackApi, logger: Logger, retry: IdentityRetry = DEFAULT_RETRY): IdentityLearner {
  let identity: SlackIdentity | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let done!: () => void;
  const learned = new Promise<void>((resolve) => { done = resolve; });

  const attempt = async (delayMs: number): Promise<void> => {
    try {
      identity = await ask(api);
      logger.info({ teamId: identity.teamId, enterpriseId: identity.enterpriseId, appId: identity.appId, botUserId: identity.botUserId },
        'Slack identity confirmed: requests from this workspace and app are accepted');
      done();
    } catch (err) {
      if (stopped) return;
      // A refused token or a missing scope needs an operator; an outage only time.
      const permanent = err instanceof FirebreakError && !err.retryable;
      logger[permanent ? 'error' : 'warn']({ err: describeError(err), retryInMs: delayMs },
        'could not learn firebreak\'s Slack identity (auth.test, bots.info): Slack requests are refused until it is known');
      timer = setTimeout(() => void attempt(Math.min(delayMs * 2, retry.maxMs)), delayMs);
    }
  };
  void attempt(retry.firstMs);

  return {
    current: () => identity,
    async settled(waitMs) {
      let wait: NodeJS.Timeout | undefined;
      await Promise.race([learned, new Promise<void>((resolve) => { wait = setTimeout(resolve, waitMs); })]);
      clearTimeout(wait);
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

async function ask(api: SlackApi): Promise<SlackIdentity> {
  const me = await api.call<{ ok: boolean; team_id?: string; enterprise_id?: string; bot_id?: string; user_id?: string; app_id?: string }>('auth.test', {});
  if (!me.team_id || !me.bot_id || !me.user_id) throw new Error('auth.test did not report a bot token\'s team_id, bot_id and user_id');
  const appId = me.app_id ?? (await api.call<{ ok: boolean; bot?: { app_id?: string } }>('bots.info', { bot: me.bot_id })).bot?.app_id;
  if (!appId) throw new Error('bots.info did not report the app id of firebreak\'s bot');
  return { teamId: me.team_id, enterpriseId: me.enterprise_id || undefined, appId, botId: me.bot_id, botUserId: me.user_id };
}
