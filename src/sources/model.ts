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
