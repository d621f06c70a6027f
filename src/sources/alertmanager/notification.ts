import { z } from 'zod';
import type { Notification, ParsedNotification, PayloadProblem } from '../model.js';

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
export const GO_ZERO_TIME = /^0001-01-01T00:00:00(\.0+)?Z$/;

export const isTimestamp = (s: string) => RFC3339.test(s) && !Number.isNaN(Date.parse(s));
const timestamp = z.string().refine(isTimestamp, { error: 'must be an RFC 3339 timestamp' });
const labelSet = z.record(z.string(), z.string({ error: 'label values must be strings' }));

// Unknown keys are accepted and dropped: newer Alertmanagers add fields (notification_reason, ...).
const alertSchema = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: labelSet,
  annotations: labelSet.default({}),
  startsAt: timestamp,
  endsAt: timestamp.optional(),
  generatorURL: z.string().default(''),
  fingerprint: z.string().min(1, { error: 'must not be empty' }).max(128, { error: 'must be at most 128 characters' }),
});

const notificationSchema = z
  .object({
    version: z.literal('4', { error: 'must be "4" (the Alertmanager webhook payload version)' }),
    groupKey: z.string().min(1, { error: 'must not be empty' }).max(4096, { error: 'must be at most 4096 characters' }),
    status: z.enum(['firing', 'resolved']),
    receiver: z.string(),
    groupLabels: labelSet.default({}),
    commonLabels: labelSet.default({}),
    commonAnnotations: labelSet.default({}),
    externalURL: z.string().default(''),
    truncatedAlerts: z.number().int().min(0).default(0),
    alerts: z.array(alertSchema).min(1, { error: 'must hold at least one alert' }),
  })
  .superRefine((n, ctx) => {
    // Alertmanager holds one alert per fingerprint, so a group never lists one twice.
    const seen = new Set<string>();
    n.alerts.forEach((a, i) => {
      if (seen.has(a.fingerprint)) {
        ctx.addIssue({ code: 'custom', path: ['alerts', i, 'fingerprint'], message: `duplicate fingerprint ${a.fingerprint}` });
      }
      seen.add(a.fingerprint);
    });
  });

/**
 * Validates a parsed JSON body as an Alertmanager webhook and normalizes it. Given the JSON `text`
 * it was parsed from, it looks for text Postgres cannot store only when that text could hold some.
 */
export function parseNotification(json: unknown, text?: string): ParsedNotification {
  const unstorable = text !== undefined && !UNSTORABLE_ESCAPE.test(text) ? undefined : findUnstorableText(json);
  if (unstorable) return { ok: false, problem: unstorable };
  const wellFormed = wellFormedNotification(json);
  return wellFormed ? { ok: true, value: wellFormed } : parseWithSchema(json);
}

/** The schema's verdict: the normalized notification, or the first bad field and what is wrong with it. */
export function parseWithSchema(json: unknown): ParsedNotification {
  const parsed = notificationSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    // zod says "expected string, received undefined" for a missing field; people say "is required".
    const message = issue.code === 'invalid_type' && / received undefined$/.test(issue.message) ? 'is required' : issue.message;
    return { ok: false, problem: { path: formatPath(issue.path) || '(body)', message } };
  }
  return { ok: true, value: normalize(parsed.data) };
}

/**
 * The common case without the schema's cost (a large share of a webhook's node CPU in bench:ingest): a
 * notification every field of which is plainly valid, normalized as the schema would. Anything
 * else (undefined) goes to the schema, which decides and names the bad field. It accepts only what
 * the schema accepts, with the same result: a test holds the two to that on mutated payloads.
 */
export function wellFormedNotification(n: unknown): Notification | undefined {
  if (!isRecord(n)) return undefined;
  if (n.version !== '4' || !isStatus(n.status) || typeof n.receiver !== 'string' || !isText(n.groupKey, 4096)) return undefined;
  if (!optional(n.groupLabels, isLabelSet) || !optional(n.commonLabels, isLabelSet) || !optional(n.commonAnnotations, isLabelSet)) return undefined;
  if (!optional(n.externalURL, isString) || !optional(n.truncatedAlerts, isCount)) return undefined;
  if (!Array.isArray(n.alerts) || n.alerts.length === 0) return undefined;
  const fingerprints = new Set<string>();
  for (const a of n.alerts as unknown[]) {
    if (!isRecord(a) || !isStatus(a.status) || !isLabelSet(a.labels) || !optional(a.annotations, isLabelSet)) return undefined;
    if (!isString(a.startsAt) || !isTimestamp(a.startsAt) || !optional(a.endsAt, (e) => isString(e) && isTimestamp(e))) return undefined;
    if (!optional(a.generatorURL, isString) || !isText(a.fingerprint, 128) || fingerprints.has(a.fingerprint)) return undefined;
    fingerprints.add(a.fingerprint);
  }
  return normalize(n as z.input<typeof notificationSchema>);
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isText = (v: unknown, max: number): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;
const isStatus = (v: unknown) => v === 'firing' || v === 'resolved';
const isCount = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const optional = (v: unknown, check: (v: unknown) => boolean) => v === undefined || check(v);
// A "__proto__" key is left to the schema: copied by assignment, it would not survive as a label.
function isLabelSet(v: unknown): boolean {
  if (!isRecord(v)) return false;
  for (const k in v) if (typeof v[k] !== 'string' || k === '__proto__') return false;
  return true;
}

/** The schema's input, once valid, as firebreak keeps it (the schema's defaults applied here). */
function normalize(n: z.input<typeof notificationSchema>): Notification {
  return {
    groupKey: n.groupKey,
    status: n.status,
    receiver: n.receiver,
    groupLabels: n.groupLabels ?? {},
    commonLabels: n.commonLabels ?? {},
    commonAnnotations: n.commonAnnotations ?? {},
    externalUrl: n.externalURL || null,
    truncatedAlerts: n.truncatedAlerts ?? 0,
    alerts: n.alerts.map((a) => ({
      fingerprint: a.fingerprint,
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
