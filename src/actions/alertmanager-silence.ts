import type { ActionParams } from '../playbooks/action-params.js';
import { parseMatcher } from '../playbooks/matchers.js';
import type { Clock } from '../lib/clock.js';
import { parseDuration } from '../lib/duration.js';
import { ActionFailure, type Action } from '../runner/action.js';
import { readCapped } from './read-capped.js';

// Alertmanager answers a silence with its id; more than this is not Alertmanager.
const ANSWER_MAX_BYTES = 64 * 1024;

export interface SilenceActionDeps {
  fetch: typeof fetch;
  /** ALERTMANAGER_URL; undefined: the action refuses with a clear message. */
  baseUrl: string | undefined;
  clock: Clock;
}

/**
 * `alertmanager.silence`: containment of the noise. Silences what the step's matchers match for
 * `duration`, through Alertmanager's v2 API. The matchers are always written out when the step is
 * rendered (by default, the labels the incident's alerts share), so what was approved is what is silenced.
 */
export function createSilenceAction(deps: SilenceActionDeps): Action {
  return {
    async run(raw, ctx) {
      const p = raw as ActionParams['alertmanager.silence'];
      if (!deps.baseUrl) throw new ActionFailure('alertmanager.silence: ALERTMANAGER_URL is not set', { retryable: false });
      if (!p.matchers?.length) {
        throw new ActionFailure('alertmanager.silence: the step has no matchers (it was rendered by an earlier firebreak): run the playbook again', { retryable: false });
      }
      const matchers = p.matchers.map((text) => {
        const m = parseMatcher(text);
        return { name: m.name, value: m.value, isRegex: m.op.endsWith('~'), isEqual: !m.op.startsWith('!') };
      });
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
      const { text } = await readCapped(res.body, ANSWER_MAX_BYTES);
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
