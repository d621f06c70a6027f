import type { AlertNotice } from '../sources/model.js';
import { cut } from '../lib/mrkdwn.js';

/** An alert row already stored, as the planner needs to see it. */
export interface KnownAlert {
  id: number;
  incidentId: number;
  incidentNumber: number;
  status: 'firing' | 'resolved';
  /** As stored: RFC 3339 in UTC, to the microsecond. */
  startsAt: string;
}

/**
 * What the database holds for one incoming alert: `exact`, the row with the same fingerprint and
 * startsAt; `latest`, the fingerprint's firing row if it has one, else its most recent row.
 */
export interface AlertLookup {
  exact?: KnownAlert;
  latest?: KnownAlert;
}

/**
 * - fired: an alert seen for the first time (inserted).
 * - refired: a fingerprint seen before firing again, as a new instance (new startsAt; inserted).
 * - resolved: a firing alert resolved (or first seen already resolved).
 * - repeat: nothing new; Alertmanager re-sent what we have. Only counters change.
 */
export type AlertOutcome = 'fired' | 'refired' | 'resolved' | 'repeat';

/** The group's open incident, to be created if the plan needs one and there is none. */
export const TARGET = 'target' as const;

/** One write the intake will make. */
export interface AlertStep {
  /** Index of the notice in the notification's alerts. */
  index: number;
  outcome: AlertOutcome;
  /** The row to update; undefined → insert a new row. */
  rowId: number | undefined;
  /** The incident the row belongs to after this step. */
  incident: number | typeof TARGET;
  status: 'firing' | 'resolved';
  /**
   * Set on a firing row being closed because a newer instance of its fingerprint fires:
   * Alertmanager holds one alert per fingerprint, so the older instance has ended.
   */
  superseded?: true;
  /**
   * The startsAt of the stored row this step changes, when it is not the notice's: a superseded
   * instance, or the firing row a resolve with a restamped startsAt closes.
   */
  rowStartsAt?: string;
}

/** Decisions for one notification. */
export interface IntakePlan {
  steps: AlertStep[];
  /** Some alert must go to the group's open incident (created when there is none). */
  needsTarget: boolean;
}

/**
 * Decides, for each incoming alert, whether it is new, firing again, resolved or a repeat, and
 * which incident it belongs to. Pure: the intake runs it between its reads and its writes.
 */
export function planIntake(alerts: readonly AlertNotice[], lookups: readonly AlertLookup[]): IntakePlan {
  const steps: AlertStep[] = [];
  alerts.forEach((notice, index) => {
    const { exact, latest } = lookups[index] ?? {};
    const step = (outcome: AlertOutcome, row: KnownAlert | undefined, incident: number | typeof TARGET): AlertStep => ({
      index, outcome, rowId: row?.id, incident, status: notice.status,
      // A row that is not the notice's own instance is named by its own startsAt.
      ...(row && row !== exact ? { rowStartsAt: row.startsAt } : {}),
    });
    const supersede = (row: KnownAlert | undefined) => {
      if (row?.status === 'firing') steps.push({ ...step('resolved', row, row.incidentId), status: 'resolved', superseded: true });
    };

    if (notice.status === 'firing') {
      if (exact) {
        // A re-send. An instance that resolved stays resolved: a late or replayed firing notice for
        // it changes nothing, and a still-firing alert stays with its incident even when a person
        // resolved that incident.
        steps.push(step('repeat', exact, exact.incidentId));
      } else {
        // New instance. Seen before under another startsAt: it fires again.
        supersede(latest);
        steps.push(step(latest ? 'refired' : 'fired', undefined, TARGET));
      }
      return;
    }

    // Resolved. Alertmanager may restamp startsAt on a resolve (see the fixtures' README), so a
    // resolve without an exact match closes the fingerprint's firing row.
    const row = exact ?? latest;
    if (!row) steps.push(step('resolved', undefined, TARGET));
    else steps.push(step(row.status === 'firing' ? 'resolved' : 'repeat', row, row.incidentId));
  });
  return { steps, needsTarget: steps.some((s) => s.incident === TARGET) };
}

// Label values are the sender's and of any length: a summary names them cut (the alerts table has them whole).
const LABEL_SHOWN = 100;
const alertName = (notice: AlertNotice) => cut(notice.labels.alertname ?? notice.fingerprint, LABEL_SHOWN);

/** `HighErrorRate (pod=checkout-7d9f-abc)`: the alertname and the labels that tell it apart. */
export function describeAlert(notice: AlertNotice, groupLabels: Record<string, string>): string {
  const name = alertName(notice);
  const distinct = Object.entries(notice.labels)
    .filter(([k]) => k !== 'alertname' && k !== 'severity' && !(k in groupLabels))
    .slice(0, 3)
    .map(([k, v]) => `${cut(k, LABEL_SHOWN)}=${cut(v, LABEL_SHOWN)}`);
  return distinct.length ? `${name} (${distinct.join(', ')})` : name;
}

const OUTCOME_VERB: Record<Exclude<AlertOutcome, 'repeat'>, string> = {
  fired: 'firing',
  refired: 'firing again',
  resolved: 'resolved',
};

/**
 * One line for a batch of alerts with the same outcome: one alert described
 * ("Alert firing: HighErrorRate (pod=p-1)"), more by their names ("2 alerts firing: HighErrorRate").
 */
export function summarizeBatch(outcome: Exclude<AlertOutcome, 'repeat'>, alerts: readonly AlertNotice[], groupLabels: Record<string, string>): string {
  const verb = OUTCOME_VERB[outcome];
  if (alerts.length === 1) return `Alert ${verb}: ${describeAlert(alerts[0]!, groupLabels)}`;
  const names = [...new Set(alerts.map(alertName))];
  const shown = names.slice(0, 3).join(', ') + (names.length > 3 ? `, and ${names.length - 3} more` : '');
  return `${alerts.length} alerts ${verb}: ${shown}`;
}

/** `HighErrorRate on checkout`: the group's alertname and its other grouping label values. */
export function incidentTitle(groupLabels: Record<string, string>, commonLabels: Record<string, string>, first?: AlertNotice): string {
  const name = groupLabels.alertname ?? commonLabels.alertname ?? first?.labels.alertname ?? 'Alert';
  const where = Object.entries(groupLabels)
    .filter(([k]) => k !== 'alertname')
    .map(([, v]) => v)
    .filter(Boolean);
  const title = where.length ? `${name} on ${where.join(', ')}` : name;
  return cut(title, 200);
}

/** Alerts an alert event names: the fingerprints of those that share a startsAt (and supersession). */
export interface ListedAlerts {
  startsAt: string;
  fingerprints: string[];
  /** The alerts were closed because a newer instance of their fingerprint fired. */
  superseded?: true;
}

/**
 * The alerts' fingerprints, grouped by startsAt (and supersession) in the order met. The
 * alerts of one notification mostly share a startsAt, and an event's size is what appending it
 * costs (sent, parsed, hashed, stored): 50 alerts listed as {fingerprint, startsAt} pairs were
 * 3.9 KB, past the 2 KB where Postgres starts compressing a row; grouped they are 1.1 KB (what
 * that gained in bench:ingest is in the CHANGELOG).
 */
export function listAlerts(alerts: readonly { fingerprint: string; startsAt: string; superseded?: boolean }[]): ListedAlerts[] {
  const groups = new Map<string, ListedAlerts>();
  for (const a of alerts) {
    const key = `${a.superseded ? 's' : 'n'}${a.startsAt}`;
    const group = groups.get(key);
    if (group) group.fingerprints.push(a.fingerprint);
    else groups.set(key, { startsAt: a.startsAt, fingerprints: [a.fingerprint], ...(a.superseded ? { superseded: true as const } : {}) });
  }
  return [...groups.values()];
}
