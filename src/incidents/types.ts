/**
 * Glossary
 * - Alert: one firing of one Alertmanager alert, keyed by (fingerprint, startsAt). The same alert
 *   re-sent by Alertmanager is the same Alert; it firing again after it resolved with a new startsAt
 *   is a new Alert.
 * - Group: Alertmanager's aggregation group, named by its groupKey. One open incident per group.
 * - Incident: what people work on. Lifecycle triggered → acknowledged → mitigated → resolved →
 *   closed. "Open" means triggered, acknowledged or mitigated.
 * - Timeline event: an append-only, hash-chained record of something that happened to an incident.
 * - Actor: who caused an event: a Slack user id, `alertmanager`, or `firebreak` itself.
 */

export const SEVERITIES = ['sev1', 'sev2', 'sev3', 'sev4'] as const;
/** sev1 is the worst. */
export type Severity = (typeof SEVERITIES)[number];

export const INCIDENT_STATUSES = ['triggered', 'acknowledged', 'mitigated', 'resolved', 'closed'] as const;
/** Where an incident is in its lifecycle. */
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

export const OPEN_STATUSES: readonly IncidentStatus[] = ['triggered', 'acknowledged', 'mitigated'];
/** The open statuses as an SQL list, for `status IN ${OPEN_STATUSES_SQL}`. */
export const OPEN_STATUSES_SQL = `(${OPEN_STATUSES.map((s) => `'${s}'`).join(', ')})`;

/** The kinds of timeline event firebreak writes. */
export type TimelineKind =
  | 'incident.opened'
  | 'incident.status_changed'
  | 'incident.severity_changed'
  | 'incident.commander_changed'
  | 'incident.note'
  | 'incident.linked'
  | 'incident.children_resolved'
  | 'slack.channel_created'
  | 'alerts.fired'
  | 'alerts.refired'
  | 'alerts.resolved'
  | 'alerts.all_resolved'
  | 'playbook.started'
  | 'playbook.finished'
  | 'step.started'
  | 'step.succeeded'
  | 'step.failed'
  | 'step.skipped'
  | 'step.cancelled'
  | 'step.needs_attention'
  | 'step.attention_resolved'
  | 'approval.requested'
  | 'approval.vote'
  | 'approval.approved'
  | 'approval.denied'
  | 'approval.expired'
  | 'access.refused'
  | 'pagerduty.requested'
  | 'pagerduty.sent'
  | 'pagerduty.rejected';

/** One event to append to an incident's timeline. */
export interface TimelineEntry {
  incidentId: number;
  at: Date;
  kind: TimelineKind;
  actor: string;
  summary: string;
  data?: Record<string, unknown>;
}

/** Shown as INC-n everywhere. */
export const incidentRef = (number: number): string => `INC-${number}`;

/** The actor name for what firebreak does by itself. */
export const FIREBREAK_ACTOR = 'firebreak';

/** How a request names an incident: by number (INC-n), by id (a button), or by its Slack channel. */
export type IncidentTarget = { number: number } | { id: number } | { channelId: string };

/** What people see of an incident: the card, `/incident status`, `/incident list`. */
export interface IncidentSummary {
  id: number;
  number: number;
  title: string;
  severity: Severity;
  status: IncidentStatus;
  commander: string | null;
  openedAt: Date;
  acknowledgedAt: Date | null;
  mitigatedAt: Date | null;
  resolvedAt: Date | null;
  slackChannelId: string | null;
  firing: number;
  resolvedAlerts: number;
}
