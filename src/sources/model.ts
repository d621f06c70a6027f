/**
 * The one model every alert source's payload is turned into (sources/alertmanager, sources/grafana):
 * a notification about one group of alerts, as the incidents domain takes it. Pure types.
 */

/** One alert of a webhook, normalized: what firebreak keeps of it. */
export interface AlertNotice {
  fingerprint: string;
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** As Alertmanager sent it (up to nanoseconds); Postgres keeps microseconds. */
  startsAt: string;
  /** null while firing (Alertmanager sends the zero time 0001-01-01). */
  endsAt: string | null;
  generatorUrl: string | null;
  /** What Grafana adds to an alert it sends (sources/grafana); absent for Alertmanager's. */
  grafana?: GrafanaExtras;
}

/** Grafana's links and values of one alert: shown on the card and in the postmortem. URLs are untrusted. */
export interface GrafanaExtras {
  orgId: number;
  silenceUrl: string | null;
  dashboardUrl: string | null;
  panelUrl: string | null;
  /** The values of the rule's queries and expressions when it was evaluated (refId → value). */
  values: Record<string, number>;
}

/** A notification about one group of alerts (an Alertmanager or Grafana webhook), normalized. */
export interface Notification {
  groupKey: string;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalUrl: string | null;
  truncatedAlerts: number;
  alerts: AlertNotice[];
}

/** Why a payload was refused: the path of the first bad field, and what is wrong with it. */
export interface PayloadProblem {
  path: string;
  message: string;
}

/** A payload's verdict: the normalized notification, or why it was refused. */
export type ParsedNotification = { ok: true; value: Notification } | { ok: false; problem: PayloadProblem };
