import type { ActionParams } from '../playbooks/action-params.js';
import { parseMatcher } from '../playbooks/matchers.js';
import type { Clock } from '../lib/clock.js';
import { parseDuration } from '../lib/duration.js';
import { ActionFailure, type Action } from '../runner/action.js';

export interface SilenceActionDeps {
  fetch: typeof fetch;
  /** ALERTMANAGER_URL; undefined: the action refuses with a clear message. */
  baseUrl: string | undefined;
  clock: Clock;
}

/**
 * `alertmanager.silence`: containment of the noise. Silences the incident's alerts (the labels they
 * all share, unless matchers are given) for `duration`, through Alertmanager's v2 API.
 */
export function createSilenceAction(deps: SilenceActionDeps): Action {
  return {
    async run(raw, ctx) {
      const p = raw as ActionParams['alertmanager.silence'];
      if (!deps.baseUrl) throw new ActionFailure('alertmanager.silence: ALERTMANAGER_URL is not set', { retryable: false });
      const matchers = p.matchers
        ? p.matchers.map((text) => {
          const m = parseMatcher(text);
          return { name: m.name, value: m.value, isRegex: m.op.endsWith('~'), isEqual: !m.op.startsWith('!') };
        })
        : Object.entries(ctx.commonLabels).map(([name, value]) => ({ name, value, isRegex: false, isEqual: true }));
      if (matchers.length === 0) {
        throw new ActionFailure('alertmanager.silence: the incident\'s alerts share no labels; give matchers', { retryable: false });
      }
      const startsAt = deps.clock.now();
      const endsAt = new Date(startsAt.getTime() + parseDuration(p.duration));
      const body = {
        matchers, startsAt: startsAt.toISOString(), endsAt: endsAt.toISOString(), createdBy: 'firebreak',
        comment: p.comment ?? `${ctx.incident.ref}: ${ctx.incident.title}`,
      };
      const url = new URL('api/v2/silences', deps.baseUrl);
      let res: Response;
      try {
        res = await deps.fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: ctx.signal });
      } catch (err) {
        throw new ActionFailure(`alertmanager.silence: ${url.origin} cannot be reached: ${(err as Error).message}`, { retryable: true, cause: err });
      }
      const text = await res.text();
      if (res.status !== 200) {
        throw new ActionFailure(`alertmanager.silence: Alertmanager answered ${res.status}: ${text.slice(0, 200)}`, { retryable: res.status >= 500 });
      }
      const { silenceID } = JSON.parse(text) as { silenceID: string };
      return {
        output: { silence_id: silenceID, ends_at: endsAt.toISOString(), matchers },
        evidence: { mediaType: 'application/json', body: JSON.stringify({ request: body, response: { silenceID } }, null, 2) },
        summary: `silence ${silenceID} until ${endsAt.toISOString()} on ${matchers.map((m) => `${m.name}${m.isEqual ? '' : '!'}${m.isRegex ? '=~' : '='}"${m.value}"`).join(', ')}`,
      };
    },
  };
}
