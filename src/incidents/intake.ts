import type { Db } from '../db/db.js';
import { isUniqueViolation } from '../db/errors.js';
import type { Notification } from '../sources/model.js';
import {
  groupLock, insertIncident, openIncidentsWithFiring, setIncidentStatus, touchIncidents, type IncidentHead,
} from './incidents-sql.js';
import { readGroupState, writeAlerts } from './intake-sql.js';
import { onAllAlertsResolved } from './lifecycle.js';
import { incidentTitle, listAlerts, planIntake, summarizeBatch, TARGET, type AlertOutcome, type AlertStep } from './plan.js';
import { severityFromLabel, worstSeverity } from './severity.js';
import { cardJob, matchJob, openingJobs } from './jobs.js';
import { appendTimeline } from './timeline.js';
import { incidentRef, type TimelineEntry } from './types.js';
import type { JobQueue } from '../queue/job.js';

/** The actor name for what Alertmanager caused. */
export const ALERTMANAGER_ACTOR = 'alertmanager';
// A timeline event names at most this many of its alerts, by identity (fingerprint and startsAt:
// their labels are in the alerts table, and a fingerprint's labels never change); the alerts table
// holds them all.
const LISTED_ALERTS = 50;

/** What one notification did. */
export interface IntakeResult {
  /** Incident numbers the notification touched, the group's own first. */
  incidentNumbers: number[];
  /** Number of the incident opened by this notification, if any. */
  opened: number | null;
  counts: Record<AlertOutcome, number>;
  /** Incidents this notification resolved (all alerts resolved, nobody had acknowledged). */
  resolved: number[];
}

/** Where the intake's follow-up work goes, and how it is chosen. */
export interface IntakeOptions {
  /** Card updates, playbook matching, opening jobs (a card update is not queued when Slack is off). */
  queue: JobQueue;
  /**
   * Whether a firing alert with these labels may start a playbook; only then is the incident's
   * playbooks.match job queued. Without it, every firing alert queues one.
   */
  mayStartPlaybook?: (labels: Readonly<Record<string, string>>) => boolean;
}

// Attempts at one notification's transaction when a concurrent one wrote a row it meant to insert.
const INTAKE_ATTEMPTS = 3;

/**
 * Stores one Alertmanager notification in ONE transaction: alerts, the group's incident, timeline
 * events and follow-up jobs. When this resolves, everything is committed; when it throws, nothing is.
 *
 * The group lock orders a group's notifications, not another group's carrying the same alert: when
 * that one inserts the alert first, this transaction's insert fails with a unique violation, and
 * the transaction runs again, reading the alert as stored.
 */
export async function ingestNotification(db: Db, n: Notification, at: Date, options: IntakeOptions): Promise<IntakeResult> {
  // Matching reads only the alerts' labels: done here, before the transaction takes the group lock,
  // so that a long label value delays this webhook alone, not the group's other deliveries.
  const mayStart = options.mayStartPlaybook;
  const startable = n.alerts.map((a) => a.status === 'firing' && (!mayStart || mayStart(a.labels)));
  for (let attempt = 1; ; attempt++) {
    try {
      return await ingestOnce(db, n, at, options, startable);
    } catch (err) {
      if (attempt >= INTAKE_ATTEMPTS || !isUniqueViolation(err)) throw err;
    }
  }
}

function ingestOnce(db: Db, n: Notification, at: Date, options: IntakeOptions, startable: readonly boolean[]): Promise<IntakeResult> {
  return db.transaction(async (tx) => {
    const { open, latest: previous, lookups } = await readGroupState(tx, n.groupKey, n.alerts, at);
    let target = open;
    const plan = planIntake(n.alerts, lookups);
    // Events written with the alerts, then those that depend on the alerts as written.
    const events: TimelineEntry[] = [];
    const resolutionEvents: TimelineEntry[] = [];
    let opened: IncidentHead | null = null;

    if (!target && plan.needsTarget) {
      const homeless = plan.steps.filter((s) => s.incident === TARGET).map((s) => n.alerts[s.index]!);
      const firing = homeless.filter((a) => a.status === 'firing');
      const severity = worstSeverity((firing.length ? firing : homeless).map((a) => severityFromLabel(a.labels.severity)));
      const title = incidentTitle(n.groupLabels, n.commonLabels, homeless[0]);
      target = opened = await insertIncident(tx, {
        title, severity, groupKey: n.groupKey, groupLabels: n.groupLabels, commonLabels: n.commonLabels,
        commonAnnotations: n.commonAnnotations, externalUrl: n.externalUrl, previousIncidentId: previous?.id ?? null, at,
      });
      events.push({
        incidentId: target.id, at, kind: 'incident.opened', actor: ALERTMANAGER_ACTOR,
        summary: `${incidentRef(target.number)} opened: ${title} (${severity})` +
          (previous ? `; the group fired again after ${incidentRef(previous.number)}` : ''),
        data: { groupKey: n.groupKey, severity, title, previousIncident: previous?.number ?? null },
      });
    }

    const targetId = target?.id ?? null;
    const incidentOf = (s: AlertStep) => (s.incident === TARGET ? targetId! : s.incident);
    events.push(...alertEvents(n, plan.steps, incidentOf, at));
    // Cards of the incidents whose timeline grew (a pure re-delivery changes nothing shown); a new
    // incident's card is first posted by its incident.opened job.
    const cardIncidents = [...new Set(events.map((e) => e.incidentId))].filter((id) => id !== opened?.id);
    // Alerts that fired may match playbooks (a re-sent alert fires nothing, so it starts nothing).
    const fired = new Set(plan.steps
      .filter((s) => (s.outcome === 'fired' || s.outcome === 'refired') && startable[s.index])
      .map(incidentOf));
    const jobs = [...(opened ? openingJobs(opened.id) : []), ...cardIncidents.map(cardJob), ...[...fired].map(matchJob)];
    // Sent together (one round trip on Postgres, whose driver pipelines them); each through the one
    // function that writes its table.
    await Promise.all([
      writeAlerts(tx, n.alerts, plan.steps, incidentOf, at), appendTimeline(tx, events), options.queue.enqueue(tx, ...jobs),
    ]);

    const touched = [...new Set([...(targetId ? [targetId] : []), ...plan.steps.map(incidentOf)])];
    // The group's incident was touched when it was found or created; others (rare) here.
    const others = touched.filter((id) => id !== targetId);
    if (others.length) await touchIncidents(tx, others, at);

    const resolved: number[] = [];
    const withResolves = [...new Set(plan.steps.filter((s) => s.outcome === 'resolved').map(incidentOf))];
    for (const inc of withResolves.length ? await openIncidentsWithFiring(tx, withResolves) : []) {
      if (inc.firing > 0) continue;
      const ref = incidentRef(inc.number);
      resolutionEvents.push({ incidentId: inc.id, at, kind: 'alerts.all_resolved', actor: ALERTMANAGER_ACTOR, summary: `All alerts of ${ref} resolved` });
      if (onAllAlertsResolved(inc.status) === 'resolve') {
        await setIncidentStatus(tx, options.queue, inc.id, 'resolved', at);
        resolved.push(inc.number);
        resolutionEvents.push({
          incidentId: inc.id, at, kind: 'incident.status_changed', actor: ALERTMANAGER_ACTOR,
          summary: `${ref} resolved by itself: all alerts resolved and nobody had acknowledged it`,
          data: { from: inc.status, to: 'resolved' },
        });
      }
    }
    await appendTimeline(tx, resolutionEvents);

    const numbers = new Map<number, number>();
    if (target) numbers.set(target.id, target.number);
    for (const l of lookups) for (const k of [l.exact, l.latest]) if (k) numbers.set(k.incidentId, k.incidentNumber);
    const counts: Record<AlertOutcome, number> = { fired: 0, refired: 0, resolved: 0, repeat: 0 };
    for (const s of plan.steps) if (!s.superseded) counts[s.outcome]++;
    return { incidentNumbers: touched.map((id) => numbers.get(id)!), opened: opened?.number ?? null, counts, resolved };
  }, { lock: groupLock(n.groupKey), planOnce: true });
}

/** One timeline event per incident and outcome (a 2,000-alert storm is one event, not 2,000). */
function alertEvents(n: Notification, steps: readonly AlertStep[], incidentOf: (s: AlertStep) => number, at: Date): TimelineEntry[] {
  const batches = new Map<string, AlertStep[]>();
  for (const s of steps) {
    if (s.outcome === 'repeat') continue;
    const key = `${incidentOf(s)}:${s.outcome}`;
    const batch = batches.get(key);
    if (batch) batch.push(s);
    else batches.set(key, [s]);
  }
  return [...batches.values()].map((batch) => {
    const outcome = batch[0]!.outcome as Exclude<AlertOutcome, 'repeat'>;
    return {
      incidentId: incidentOf(batch[0]!), at, kind: `alerts.${outcome}` as const, actor: ALERTMANAGER_ACTOR,
      summary: summarizeBatch(outcome, batch.map((s) => n.alerts[s.index]!), n.groupLabels),
      data: {
        count: batch.length,
        alerts: listAlerts(batch.slice(0, LISTED_ALERTS).map((s) => {
          const { fingerprint, startsAt } = n.alerts[s.index]!;
          return { fingerprint, startsAt: s.rowStartsAt ?? startsAt, superseded: s.superseded === true };
        })),
      },
    };
  });
}
