/**
 * What the alert sources (sources/alertmanager, sources/grafana) share: the checks of their payloads'
 * text and times, the first problem of a refused payload, and the model's shape of the fields both
 * send (Grafana's notifier is Alertmanager's). Pure.
 */
import { z } from 'zod';
import type { AlertNotice, Notification, PayloadProblem } from './model.js';

// RFC 3339 as Go's time package writes it; Date.parse alone accepts far looser strings. Years
// 0001-9999 only: Postgres refuses year 0.
const RFC3339 = /^(?!0000)\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
// Text Postgres cannot store in jsonb or text: NUL, and UTF-16 surrogates that pair with nothing.
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// Most text has neither NUL nor any surrogate: this cheap test spares it UNSTORABLE's lookarounds.
const SUSPECT = /[\u0000\uD800-\uDFFF]/;
const isUnstorable = (s: string) => SUSPECT.test(s) && UNSTORABLE.test(s);
// JSON text can hold a NUL or a lone surrogate only as a \u escape: a raw control character is not
// JSON, and bytes that are not UTF-8 (a surrogate among them) decode to U+FFFD. Text without such an
// escape parses to storable strings only, and their walk is skipped.
const UNSTORABLE_ESCAPE = /\\u(?:0000|[dD][89a-fA-F])/;
/** Whether the JSON text a body was parsed from could hold a string Postgres cannot store. */
export const mayHoldUnstorable = (text: string) => UNSTORABLE_ESCAPE.test(text);
export const GO_ZERO_TIME = /^0001-01-01T00:00:00(\.0+)?Z$/;

export const isTimestamp = (s: string) => RFC3339.test(s) && !Number.isNaN(Date.parse(s));
export const timestamp = z.string().refine(isTimestamp, { error: 'must be an RFC 3339 timestamp' });
export const labelSet = z.record(z.string(), z.string({ error: 'label values must be strings' }));

/** The first problem zod found, as a payload problem: the field's path and what is wrong with it. */
export function schemaProblem(error: z.ZodError): PayloadProblem {
  const issue = error.issues[0]!;
  // zod says "expected string, received undefined" for a missing field; people say "is required".
  const message = issue.code === 'invalid_type' && / received undefined$/.test(issue.message) ? 'is required' : issue.message;
  return { path: formatPath(issue.path) || '(body)', message };
}

/** A group never lists one fingerprint twice (Alertmanager and Grafana hold one alert per fingerprint). */
export function uniqueFingerprints(n: { alerts: readonly { fingerprint: string }[] }, ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  n.alerts.forEach((a, i) => {
    if (seen.has(a.fingerprint)) ctx.addIssue({ code: 'custom', path: ['alerts', i, 'fingerprint'], message: `duplicate fingerprint ${a.fingerprint}` });
    seen.add(a.fingerprint);
  });
}

type Labels = Record<string, string>;

/** The fields both sources send, valid, as their schemas give them (absent or null where optional). */
export interface SharedPayload {
  groupKey: string;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels?: Labels | null;
  commonLabels?: Labels | null;
  commonAnnotations?: Labels | null;
  externalURL?: string | null;
  truncatedAlerts?: number | null;
  alerts: {
    fingerprint: string;
    status: 'firing' | 'resolved';
    labels: Labels;
    annotations?: Labels | null;
    startsAt: string;
    endsAt?: string;
    generatorURL?: string | null;
  }[];
}

/** A valid payload as the model keeps it; `scope` prefixes its group key and fingerprints (a source's namespace). */
export function toNotification(n: SharedPayload, scope = ''): Notification {
  return {
    groupKey: `${scope}${n.groupKey}`,
    status: n.status,
    receiver: n.receiver,
    groupLabels: n.groupLabels ?? {},
    commonLabels: n.commonLabels ?? {},
    commonAnnotations: n.commonAnnotations ?? {},
    externalUrl: n.externalURL || null,
    truncatedAlerts: n.truncatedAlerts ?? 0,
    alerts: n.alerts.map((a): AlertNotice => ({
      fingerprint: `${scope}${a.fingerprint}`,
      status: a.status,
      labels: a.labels,
      annotations: a.annotations ?? {},
      startsAt: a.startsAt,
      endsAt: a.endsAt === undefined || GO_ZERO_TIME.test(a.endsAt) ? null : a.endsAt,
      generatorUrl: a.generatorURL || null,
    })),
  };
}

/** The first string (key or value) Postgres could not store, so it is refused as 400, not retried as 500. */
export function findUnstorableText(value: unknown): PayloadProblem | undefined {
  const found = unstorablePath(value);
  if (!found) return undefined;
  const { reversed, key } = found;
  return {
    path: formatPath(reversed.reverse()) || '(body)',
    message: key ? 'has a key with a NUL character or an unpaired surrogate' : 'contains a NUL character or an unpaired surrogate',
  };
}

// Walks the parsed body without allocating on the way down (every webhook passes through here);
// the path is built, reversed, only on the way back up from a bad string.
function unstorablePath(value: unknown): { reversed: PropertyKey[]; key: boolean } | undefined {
  if (typeof value === 'string') return isUnstorable(value) ? { reversed: [], key: false } : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = unstorablePath(value[i]);
      if (found) {
        found.reversed.push(i);
        return found;
      }
    }
  } else if (value && typeof value === 'object') {
    for (const k in value) {
      if (isUnstorable(k)) return { reversed: [], key: true };
      const found = unstorablePath((value as Record<string, unknown>)[k]);
      if (found) {
        found.reversed.push(k);
        return found;
      }
    }
  }
  return undefined;
}

/** `['alerts', 3, 'startsAt']` → `alerts[3].startsAt`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)), '');
}
