import { routeFor, type IncidentRoute } from './routing.js';
import { OPEN_STATUSES, SEVERITIES, type IncidentStatus, type Severity } from './types.js';

/**
 * Paging rules (pure). A page is one PagerDuty service told about one incident; the incident's state
 * says what PagerDuty should know (`desired`), and the pagerduty.sync job sends what it does not know
 * yet. An action never goes back: trigger → acknowledge → resolve.
 */
export const PAGER_ACTIONS = ['trigger', 'acknowledge', 'resolve'] as const;
export type PagerAction = (typeof PAGER_ACTIONS)[number];

/** What PagerDuty should know of an incident in this status. */
export function desiredAction(status: IncidentStatus): PagerAction {
  if (!OPEN_STATUSES.includes(status)) return 'resolve';
  return status === 'triggered' ? 'trigger' : 'acknowledge';
}

/**
 * The events that bring PagerDuty from `sent` to `desired`, in order. An incident that was over
 * before its page went out wakes nobody.
 */
export function eventsToSend(sent: PagerAction | null, desired: PagerAction): PagerAction[] {
  const from = sent === null ? -1 : PAGER_ACTIONS.indexOf(sent);
  const to = PAGER_ACTIONS.indexOf(desired);
  if (from >= to) return [];
  if (sent === null) return desired === 'resolve' ? [] : PAGER_ACTIONS.slice(0, to + 1);
  return [desired];
}

/** Whether an incident of `severity` pages by itself when the threshold is `min` (sev1 is the worst). */
export const pagesBySeverity = (severity: Severity, min: Severity): boolean => SEVERITIES.indexOf(severity) <= SEVERITIES.indexOf(min);

/** PagerDuty's severity for ours. */
export const PAGER_SEVERITY: Readonly<Record<Severity, 'critical' | 'error' | 'warning' | 'info'>> = {
  sev1: 'critical', sev2: 'error', sev3: 'warning', sev4: 'info',
};

/**
 * The service an incident pages by itself: its route's (INCIDENT_ROUTES), else the one named like
 * its `service` label, else the default one, else none.
 */
export function serviceFor(
  labels: Record<string, string>, services: ReadonlySet<string>, fallback: string, routes: readonly IncidentRoute[] = [],
): string | undefined {
  const routed = routeFor(labels, routes)?.pagerService;
  if (routed !== undefined && services.has(routed)) return routed;
  const named = labels.service;
  if (named !== undefined && services.has(named)) return named;
  return services.has(fallback) ? fallback : undefined;
}

/** The service PAGERDUTY_ROUTING_KEY pages. */
export const DEFAULT_PAGER_SERVICE = 'default';

/** The dedup key of an incident's events: its id, the same for every service paged. */
export const dedupKeyOf = (incidentId: number): string => String(incidentId);

/** One Events API v2 event, as the Pager port sends it. */
export interface PagerEvent {
  routingKey: string;
  action: PagerAction;
  dedupKey: string;
  /** Only with trigger. */
  payload?: {
    summary: string;
    source: string;
    severity: (typeof PAGER_SEVERITY)[Severity];
    timestamp: string;
    component?: string;
    group?: string;
    class?: string;
    custom_details: Record<string, unknown>;
  };
  links?: { href: string; text: string }[];
}

/** A person on call, as PagerDuty lists them. */
export interface OnCallPerson {
  name: string;
  email: string | null;
  level: number;
}

/**
 * The port to the paging service (src/pagerduty). `send` resolves when the event was accepted or
 * refused for good; it throws a retryable error when trying again later may work (429, 5xx, network).
 */
export interface Pager {
  send(event: PagerEvent): Promise<{ ok: true } | { ok: false; message: string }>;
  /** Who is on call for the escalation policy, lowest level first. Throws when it cannot tell. */
  onCall(escalationPolicy: string): Promise<OnCallPerson[]>;
}
