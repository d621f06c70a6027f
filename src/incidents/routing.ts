/**
 * Routing (pure): which team an incident belongs to, by its labels. A route names a label value
 * (`team=payments`) and where that team's incidents go: its Slack channel and, optionally, its
 * PagerDuty service. The first route whose label the incident's alerts all share wins; an incident
 * no route matches goes to the default channel and service.
 */

/** One INCIDENT_ROUTES item: `label=value:channel[:pagerduty-service]`. */
export interface IncidentRoute {
  readonly label: string;
  readonly value: string;
  /** Slack channel id (or name) for the card (and, with SLACK_CREATE_CHANNELS, the link to the incident's channel). */
  readonly channel: string;
  /** A PagerDuty service name (PAGERDUTY_SERVICES, or `default`); undefined: the usual choice. */
  readonly pagerService: string | undefined;
}

/** The route for an incident whose alerts share `labels` (their common labels), or undefined. */
export function routeFor(labels: Readonly<Record<string, string>>, routes: readonly IncidentRoute[]): IncidentRoute | undefined {
  return routes.find((r) => Object.hasOwn(labels, r.label) && labels[r.label] === r.value);
}

/** The channel an incident's card goes to: its route's, else the default. */
export const channelFor = (labels: Readonly<Record<string, string>>, routes: readonly IncidentRoute[], fallback: string): string =>
  routeFor(labels, routes)?.channel ?? fallback;

const ITEM = /^([A-Za-z_][A-Za-z0-9_]*)=([^=:,\s]+):(#?[a-z0-9_-]{1,80}|[CG][A-Z0-9]{2,})(?::([a-z0-9][a-z0-9_-]{0,62}))?$/;

/** Parses one INCIDENT_ROUTES item, or undefined when it is not of the form. */
export function parseRoute(item: string): IncidentRoute | undefined {
  const m = ITEM.exec(item);
  if (!m) return undefined;
  return Object.freeze({ label: m[1]!, value: m[2]!, channel: m[3]!.replace(/^#/, ''), pagerService: m[4] });
}
