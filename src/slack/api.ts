import { WebAPIHTTPError, WebAPIPlatformError, WebAPIRateLimitedError, WebClient, type WebAPICallResult } from '@slack/web-api';
import type { SlackConfig } from '../config/config.js';
import { ErrorCode, FirebreakError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import type { Priority } from './budget.js';
import { slackLogger } from './slack-logger.js';

/** The Slack Web API as firebreak calls it: one method, coded errors, every call counted. */
export interface SlackApi {
  /**
   * Calls `method`; throws FirebreakError (SlackRateLimited with retryAfterMs, SlackUnavailable, SlackRefused).
   * `priority` orders posts and edits waiting for their channel's budget (budget.ts).
   */
  call<T extends WebAPICallResult = WebAPICallResult>(method: string, args: Record<string, unknown>, options?: { priority?: Priority }): Promise<T>;
  /** Uploads files (text or bytes) into a channel (a thread with threadTs) as one message, through files.uploadV2. */
  uploadFiles(f: { channel: string; threadTs?: string; comment?: string; files: { filename: string; title: string; content: string | Buffer }[] }): Promise<void>;
}

// Platform errors that retrying cannot fix: they need a different request or an operator. Any
// other refusal (including ones Slack adds later) is retried with backoff: losing a card is worse
// than a few wasted calls.
const PERMANENT = new Set([
  'invalid_arguments', 'invalid_blocks', 'invalid_blocks_format', 'msg_too_long', 'no_text', 'too_many_attachments',
  'invalid_auth', 'not_authed', 'account_inactive', 'token_revoked', 'token_expired', 'missing_scope',
  'channel_not_found', 'is_archived', 'not_in_channel', 'name_taken', 'invalid_name', 'invalid_name_specials',
  'invalid_name_maxlength', 'invalid_name_required', 'already_in_channel', 'cant_invite_self', 'already_pinned',
  'message_not_found', 'cant_update_message', 'edit_window_closed',
]);

/** The platform error name (`name_taken`, …) of a SlackRefused error, if it is one. */
export function slackErrorName(err: unknown): string | undefined {
  return err instanceof FirebreakError && err.code === ErrorCode.SlackRefused ? (err.cause as WebAPIPlatformError).data.error : undefined;
}

/**
 * Whether Slack said it did not do what was asked (a refusal, or a rate limit): then a post surely
 * did not happen. An HTTP error or a lost connection says nothing of the kind.
 */
export function surelyNotDone(err: unknown): boolean {
  return err instanceof FirebreakError && (err.code === ErrorCode.SlackRefused || err.code === ErrorCode.SlackRateLimited);
}

/** A Web API client for firebreak's jobs: no retries of its own (the job queue retries, durably). */
export function createSlackApi(config: SlackConfig, logger: Logger, metrics: Metrics): SlackApi {
  const client = new WebClient(config.botToken, {
    slackApiUrl: config.apiUrl,
    logger: slackLogger(logger),
    // The client's own default retries for ~30 minutes inside one call, holding a job's lease and
    // hiding failures; a 429 would also be waited out in memory. Both belong to the durable queue.
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: 10_000,
  });
  return {
    async call<T extends WebAPICallResult>(method: string, args: Record<string, unknown>): Promise<T> {
      try {
        const result = (await client.apiCall(method, args)) as T;
        metrics.slackCalls.inc({ method, outcome: 'ok' });
        return result;
      } catch (err) {
        const coded = classify(method, err);
        metrics.slackCalls.inc({ method, outcome: coded.outcome });
        throw coded.error;
      }
    },
    async uploadFiles(f) {
      try {
        const file_uploads = f.files.map((x) => (typeof x.content === 'string'
          ? { filename: x.filename, title: x.title, content: x.content }
          : { filename: x.filename, title: x.title, file: x.content }));
        const common = { file_uploads, ...(f.comment ? { initial_comment: f.comment } : {}) };
        await client.filesUploadV2(f.threadTs ? { ...common, channel_id: f.channel, thread_ts: f.threadTs } : { ...common, channel_id: f.channel });
        metrics.slackCalls.inc({ method: 'files.uploadV2', outcome: 'ok' });
      } catch (err) {
        const coded = classify('files.uploadV2', err);
        metrics.slackCalls.inc({ method: 'files.uploadV2', outcome: coded.outcome });
        throw coded.error;
      }
    },
  };
}

function classify(method: string, err: unknown): { outcome: string; error: FirebreakError } {
  if (err instanceof WebAPIRateLimitedError) {
    return {
      outcome: 'rate_limited',
      error: new FirebreakError(ErrorCode.SlackRateLimited, `Slack ${method}: rate limited for ${err.retryAfter} s`,
        { retryAfterMs: Math.max(1, err.retryAfter) * 1000, cause: err }),
    };
  }
  if (err instanceof WebAPIPlatformError) {
    const name = err.data.error;
    return {
      outcome: 'platform_error',
      error: new FirebreakError(ErrorCode.SlackRefused, `Slack ${method}: ${name}`, { retryable: !PERMANENT.has(name), cause: err }),
    };
  }
  const outcome = err instanceof WebAPIHTTPError ? 'http_error' : 'network_error';
  const detail = err instanceof WebAPIHTTPError ? `HTTP ${err.statusCode}` : (err as Error).message;
  return { outcome, error: new FirebreakError(ErrorCode.SlackUnavailable, `Slack ${method}: ${detail}`, { retryable: true, cause: err }) };
}
