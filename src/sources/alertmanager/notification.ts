import { z } from 'zod';
import type { Notification, ParsedNotification } from '../model.js';
import { findUnstorableText, isTimestamp, labelSet, mayHoldUnstorable, schemaProblem, timestamp, toNotification, uniqueFingerprints } from '../payload.js';

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
  .superRefine(uniqueFingerprints);

/**
 * Validates a parsed JSON body as an Alertmanager webhook and normalizes it. Given the JSON `text`
 * it was parsed from, it looks for text Postgres cannot store only when that text could hold some.
 */
export function parseNotification(json: unknown, text?: string): ParsedNotification {
  const unstorable = text !== undefined && !mayHoldUnstorable(text) ? undefined : findUnstorableText(json);
  if (unstorable) return { ok: false, problem: unstorable };
  const wellFormed = wellFormedNotification(json);
  return wellFormed ? { ok: true, value: wellFormed } : parseWithSchema(json);
}

/** The schema's verdict: the normalized notification, or the first bad field and what is wrong with it. */
export function parseWithSchema(json: unknown): ParsedNotification {
  const parsed = notificationSchema.safeParse(json);
  return parsed.success ? { ok: true, value: toNotification(parsed.data) } : { ok: false, problem: schemaProblem(parsed.error) };
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
  return toNotification(n as z.input<typeof notificationSchema>);
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
