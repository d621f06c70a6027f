import type { Agent } from 'node:https';
import { api, event } from '@pagerduty/pdjs';
import type { PagerDutyConfig } from '../config/config.js';
import type { OnCallPerson, Pager, PagerEvent } from '../incidents/paging.js';
import { ErrorCode, FirebreakError } from '../lib/errors.js';
import type { Metrics } from '../lib/metrics.js';

/** What the PagerDuty client is built from; `agent` trusts a test server's certificate. */
export interface PagerDutyClientDeps {
  config: PagerDutyConfig;
  metrics: Metrics;
  agent?: Agent;
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
// pdjs retries a 429 itself (3 times); a short pause keeps that from holding a worker for a minute.
// The durable job queue retries after that, with backoff.
const PDJS_RETRY_PAUSE_MS = 500;

/**
 * The Pager port over @pagerduty/pdjs: Events API v2 for trigger/acknowledge/resolve, the REST API
 * for on-call. pdjs's own 30 s timer is off (`requestTimeout: 0`: it would outlive failed calls);
 * each call has its own AbortSignal timeout instead.
 */
export function createPagerDutyClient(deps: PagerDutyClientDeps): Pager {
  const { config, metrics } = deps;
  const timeoutMs = deps.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const options = () => ({
    requestTimeout: 0, retryTimeout: PDJS_RETRY_PAUSE_MS, signal: AbortSignal.timeout(timeoutMs), ...(deps.agent ? { agent: deps.agent } : {}),
  });
  const unavailable = (what: string, err: unknown, retryAfterMs?: number) =>
    new FirebreakError(ErrorCode.PagerDutyUnavailable, `PagerDuty ${what}`, { retryable: true, retryAfterMs, cause: err });

  return {
    async send(e: PagerEvent) {
      const data = {
        routing_key: e.routingKey, event_action: e.action, dedup_key: e.dedupKey,
        ...(e.payload ? { payload: e.payload, client: 'firebreak' } : {}),
        ...(e.links?.length ? { links: e.links } : {}),
      };
      let res;
      try {
        // The payload is only required by trigger; pdjs's type asks for it always.
        res = await event({ server: config.eventsHost, data: data as Parameters<typeof event>[0]['data'], ...options() });
      } catch (err) {
        metrics.pagerCalls.inc({ call: e.action, outcome: 'network_error' });
        throw unavailable(`could not be reached (${(err as Error).message})`, err);
      }
      const status = res.status;
      if (status >= 200 && status < 300) {
        metrics.pagerCalls.inc({ call: e.action, outcome: 'ok' });
        return { ok: true as const };
      }
      const body = res.data as { message?: string; errors?: string[] } | undefined;
      const said = [body?.message, ...(body?.errors ?? [])].filter(Boolean).join('; ') || `HTTP ${status}`;
      if (status === 429 || status >= 500) {
        metrics.pagerCalls.inc({ call: e.action, outcome: status === 429 ? 'rate_limited' : 'http_error' });
        const retryAfter = Number(res.headers.get('retry-after'));
        throw unavailable(`answered ${status}: ${said}`, undefined, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined);
      }
      metrics.pagerCalls.inc({ call: e.action, outcome: 'rejected' });
      return { ok: false as const, message: `HTTP ${status}: ${said}` };
    },

    async onCall(escalationPolicy) {
      if (!config.apiToken) throw new FirebreakError(ErrorCode.PagerDutyUnavailable, 'PAGERDUTY_API_TOKEN is not set: on-call is unknown');
      let res;
      try {
        res = await api({
          token: config.apiToken, url: `${config.apiUrl}oncalls`, method: 'GET',
          data: { 'escalation_policy_ids[]': [escalationPolicy], 'include[]': ['users'], earliest: 'true' }, ...options(),
        });
      } catch (err) {
        metrics.pagerCalls.inc({ call: 'oncalls', outcome: 'network_error' });
        throw unavailable(`on-call lookup failed (${(err as Error).message})`, err);
      }
      if (!res.ok) {
        metrics.pagerCalls.inc({ call: 'oncalls', outcome: 'http_error' });
        throw unavailable(`on-call lookup answered ${res.status}`, undefined);
      }
      metrics.pagerCalls.inc({ call: 'oncalls', outcome: 'ok' });
      // pdjs leaves `resource` null for hosts not ending in .com: read the body itself.
      return peopleOnCall((res.data as OnCallsBody).oncalls ?? []);
    },
  };
}

interface OnCallsBody {
  oncalls?: { escalation_level: number; user: { summary?: string; name?: string; email?: string } }[];
}

/** One entry per person, at their lowest level, lowest level first. */
function peopleOnCall(entries: NonNullable<OnCallsBody['oncalls']>): OnCallPerson[] {
  const byPerson = new Map<string, OnCallPerson>();
  for (const e of [...entries].sort((a, b) => a.escalation_level - b.escalation_level)) {
    const name = e.user.name ?? e.user.summary ?? 'someone';
    const key = e.user.email ?? name;
    if (!byPerson.has(key)) byPerson.set(key, { name, email: e.user.email ?? null, level: e.escalation_level });
  }
  return [...byPerson.values()];
}
