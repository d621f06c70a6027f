/**
 * Grafana-managed alerts, as Grafana's webhook contact point sends them (payload version "1"): the
 * Alertmanager shape (Grafana's notifier is Alertmanager's) plus `orgId`, `state`, `title`,
 * `message`, and per alert `silenceURL`, `dashboardURL`, `panelURL`, `values`. Turned into the
 * model of sources/model.ts; Grafana's links and values ride along on each alert. Pure.
 */
import { z } from 'zod';
import type { ParsedNotification } from '../model.js';
import { findUnstorableText, labelSet, schemaProblem, timestamp, toNotification, uniqueFingerprints } from '../payload.js';
// Grafana sends "" for a link it does not have (dashboardURL of a rule on no dashboard).
const link = z.string().nullish();

// Unknown keys are accepted and dropped: Grafana adds fields (imageURL, ruleUID, enrichments…).
const alertSchema = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: labelSet,
  annotations: labelSet.nullish(),
  startsAt: timestamp,
  endsAt: timestamp.optional(),
  generatorURL: z.string().nullish(),
  fingerprint: z.string().min(1, { error: 'must not be empty' }).max(96, { error: 'must be at most 96 characters' }),
  silenceURL: link,
  dashboardURL: link,
  panelURL: link,
  values: z.record(z.string(), z.number({ error: 'values must be numbers' })).nullish(),
});

const notificationSchema = z.object({
  version: z.literal('1', { error: 'must be "1" (the Grafana webhook payload version)' }),
  orgId: z.number({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a number (the Grafana organization)') }).int().min(0),
  groupKey: z.string().min(1, { error: 'must not be empty' }).max(4000, { error: 'must be at most 4000 characters' }),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string(),
  groupLabels: labelSet.nullish(),
  commonLabels: labelSet.nullish(),
  commonAnnotations: labelSet.nullish(),
  externalURL: z.string().nullish(),
  truncatedAlerts: z.number().int().min(0).nullish(),
  state: z.string().nullish(),
  alerts: z.array(alertSchema).min(1, { error: 'must hold at least one alert' }),
}).superRefine(uniqueFingerprints);

/**
 * Validates a parsed JSON body as a Grafana webhook and normalizes it. Group keys and fingerprints
 * are prefixed with `grafana/<orgId>/`: a Grafana group is never an Alertmanager group, nor another
 * organization's.
 */
export function parseGrafanaNotification(json: unknown): ParsedNotification {
  const unstorable = findUnstorableText(json);
  if (unstorable) return { ok: false, problem: unstorable };
  const parsed = notificationSchema.safeParse(json);
  if (!parsed.success) return { ok: false, problem: schemaProblem(parsed.error) };
  const n = parsed.data;
  const base = toNotification(n, `grafana/${n.orgId}/`);
  const alerts = base.alerts.map((alert, i) => {
    const a = n.alerts[i]!;
    return { ...alert, grafana: { orgId: n.orgId, silenceUrl: a.silenceURL || null, dashboardUrl: a.dashboardURL || null, panelUrl: a.panelURL || null, values: a.values ?? {} } };
  });
  return { ok: true, value: { ...base, alerts } };
}
