import type { Db } from '../db/db.js';
import { describeError, ErrorCode, FirebreakError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { SlackApi } from './api.js';
import { pauseBudget, takeToken } from './budget-sql.js';

/**
 * Slack allows about one message per second per channel (chat.postMessage; edits count against
 * the same channel in practice) and answers 429 beyond it. Every post and edit firebreak makes in a
 * channel goes through that channel's budget: a token bucket (rate and burst from the
 * configuration) kept in the database, so that every replica draws from the same bucket, with the
 * waiting calls of this process ordered by priority and waiting edits of one message coalesced.
 *
 * - Priority: `urgent` (cards of incidents at or above the own-card severity) goes before any
 *   `normal` call waiting here, and a `normal` call leaves RESERVE tokens in the bucket for urgent
 *   ones of any replica, so a sev1 card never waits behind low-severity traffic for more than a
 *   token's refill.
 * - Coalescing: an edit of a message that is still waiting is replaced by the newer edit; both
 *   callers get the one answer (the message shows the newest content either way).
 * - A `normal` call waits here at most NORMAL_WAIT_MS, then fails with SlackRateLimited and a
 *   retry time: its job goes back to the durable queue without using up an attempt, freeing the
 *   notify pool's slot for whatever is more urgent.
 */

/**
 * How urgent a call is. `patient`: a normal call that waits its turn in the process however long it
 * takes, for callers that cannot go back to the queue (a playbook step's message).
 */
export type Priority = 'urgent' | 'normal' | 'patient';

// Tokens a normal call leaves in the bucket: one urgent message can always go at once.
const RESERVE = 1;
// The longest a normal call waits in this process before its job is put back in the queue.
const NORMAL_WAIT_MS = 1_000;
// Longest single sleep while waiting: another replica may have left tokens meanwhile.
const MAX_SLEEP_MS = 500;

/** The methods that put or change a message in a channel: each costs a token of that channel. */
const POSTING = new Set(['chat.postMessage', 'chat.update', 'chat.postEphemeral', 'chat.meMessage', 'chat.scheduleMessage']);

interface Waiter {
  urgent: boolean;
  seq: number;
  key: string | undefined;
  run: () => Promise<unknown>;
  deadline: number;
  settle: { resolve: (v: unknown) => void; reject: (e: unknown) => void }[];
}

/** The per-channel budgets of this process, over the shared buckets in the database. */
export interface ChannelBudget {
  /** Runs `run` once `channel` has a token for it; `key` coalesces waiting calls (the newest `run` is the one made). */
  submit<T>(channel: string, priority: Priority, key: string | undefined, run: () => Promise<T>): Promise<T>;
  /** Slack answered 429 for `channel`: no replica posts there for `ms`. */
  pause(channel: string, ms: number): Promise<void>;
  /** Rejects every waiting call (the process stops). */
  close(): void;
}

export function createChannelBudget(o: { db: Db; logger: Logger; perSecond: number; burst: number; normalWaitMs?: number }): ChannelBudget {
  const queues = new Map<string, { waiters: Waiter[]; pumping: boolean; wake: (() => void) | undefined }>();
  const normalWaitMs = o.normalWaitMs ?? NORMAL_WAIT_MS;
  let seq = 0;
  let closed = false;
  // A bucket of one has no room for a reserve: then normal calls only come after waiting urgent ones here.
  const normalNeed = 1 + Math.min(RESERVE, o.burst - 1);
  const deadlineOf = (priority: Priority) => (priority === 'normal' ? Date.now() + normalWaitMs : Infinity);

  const tooLong = (channel: string, position: number) => new FirebreakError(
    ErrorCode.SlackRateLimited, `Slack channel ${channel}: its message budget is spent; queued again`,
    { retryAfterMs: Math.ceil(((position + RESERVE + 1) / o.perSecond) * 1000) },
  );
  const next = (waiters: Waiter[]) => waiters.reduce((best, w) => (w.urgent !== best.urgent ? (w.urgent ? w : best) : w.seq < best.seq ? w : best));

  async function pump(channel: string): Promise<void> {
    const q = queues.get(channel)!;
    q.pumping = true;
    try {
      while (q.waiters.length && !closed) {
        const now = Date.now();
        for (const [i, w] of [...q.waiters.entries()].reverse()) {
          if (w.deadline > now) continue;
          q.waiters.splice(i, 1);
          for (const s of w.settle) s.reject(tooLong(channel, i));
        }
        if (!q.waiters.length) break;
        const head = next(q.waiters);
        const need = head.urgent ? 1 : normalNeed;
        const { available, taken } = await takeToken(o.db, channel, o.perSecond, o.burst, need);
        if (taken) {
          q.waiters.splice(q.waiters.indexOf(head), 1);
          head.run().then((v) => head.settle.forEach((s) => s.resolve(v)), (e: unknown) => head.settle.forEach((s) => s.reject(e)));
          continue;
        }
        const soonest = Math.min(...q.waiters.map((w) => w.deadline)) - Date.now();
        const refill = ((need - available) / o.perSecond) * 1000;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.max(5, Math.min(refill, MAX_SLEEP_MS, soonest)));
          q.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        q.wake = undefined;
      }
    } catch (err) {
      // The bucket could not be read (the database is down): the waiting calls fail, their jobs retry.
      o.logger.warn({ channel, err: describeError(err) }, 'could not read a Slack channel budget');
      for (const w of q.waiters.splice(0)) for (const s of w.settle) s.reject(err);
    } finally {
      q.pumping = false;
      if (!q.waiters.length) queues.delete(channel);
      else if (!closed) void pump(channel);
    }
  }

  return {
    submit<T>(channel: string, priority: Priority, key: string | undefined, run: () => Promise<T>): Promise<T> {
      if (closed) return Promise.reject(tooLong(channel, 0));
      let q = queues.get(channel);
      if (!q) queues.set(channel, (q = { waiters: [], pumping: false, wake: undefined }));
      const urgent = priority === 'urgent';
      return new Promise<T>((resolve, reject) => {
        const settle = { resolve: resolve as (v: unknown) => void, reject };
        const same = key === undefined ? undefined : q.waiters.find((w) => w.key === key);
        if (same) {
          same.run = run;
          same.urgent ||= urgent;
          same.deadline = Math.max(same.deadline, deadlineOf(priority));
          same.settle.push(settle);
        } else {
          q.waiters.push({ urgent, seq: seq++, key, run, deadline: deadlineOf(priority), settle: [settle] });
        }
        if (urgent) q.wake?.();
        if (!q.pumping) void pump(channel);
      });
    },
    pause: (channel, ms) => pauseBudget(o.db, channel, o.perSecond, ms),
    close() {
      closed = true;
      for (const [channel, q] of queues) {
        q.wake?.();
        for (const w of q.waiters.splice(0)) for (const s of w.settle) s.reject(tooLong(channel, 0));
      }
    },
  };
}

/** `api` with every post and edit in a channel made through `budget`; a 429 pauses the channel's budget. */
export function withBudget(api: SlackApi, budget: ChannelBudget): SlackApi {
  const spend = <T>(channel: string, priority: Priority, key: string | undefined, run: () => Promise<T>) =>
    budget.submit(channel, priority, key, async () => {
      try {
        return await run();
      } catch (err) {
        if (err instanceof FirebreakError && err.code === ErrorCode.SlackRateLimited && err.retryAfterMs !== undefined) {
          await budget.pause(channel, err.retryAfterMs).catch(() => {});
        }
        throw err;
      }
    });
  return {
    call(method, args, options) {
      const channel = args.channel;
      if (!POSTING.has(method) || typeof channel !== 'string') return api.call(method, args, options);
      const key = method === 'chat.update' ? `chat.update:${String(args.ts)}` : undefined;
      return spend(channel, options?.priority ?? 'normal', key, () => api.call(method, args, options));
    },
    uploadFiles: (f) => spend(f.channel, 'normal', undefined, () => api.uploadFiles(f)),
  };
}
