import type { Db, Queryable } from '../db/db.js';
import { setIncidentSeverity } from '../incidents/incidents-sql.js';
import { cardJob } from '../incidents/jobs.js';
import { oncePerRequest } from '../incidents/requests.js';
import { appendTimeline } from '../incidents/timeline.js';
import { incidentRef, type IncidentTarget } from '../incidents/types.js';
import type { Clock } from '../lib/clock.js';
import type { PlaybookRegistry } from '../playbooks/registry.js';
import { selectPlaybooks, type PlaybookAlert } from '../playbooks/select.js';
import type { Playbook } from '../playbooks/validate.js';
import { noticeJob, stepJob } from './jobs.js';
import { runEvent } from './progress.js';
import type { JobHandler, JobQueue } from '../queue/job.js';
import { insertRun } from './runs-sql.js';
import { alertsById, lockIncident, readIncidentAlerts, readMatchState, type StartIncident } from './start-sql.js';

// Alerts read per incident for a run by hand: a storm's first thousand alerts show every kind in it.
const ALERTS_READ = 1000;

/** Starts a run of `playbook` in the caller's transaction. Null when alerts already started it here. */
export async function startRun(
  tx: Queryable, queue: JobQueue, playbook: Playbook, incident: Omit<StartIncident, 'status'>, alert: PlaybookAlert, trigger: 'alert' | 'manual', requestedBy: string, at: Date,
): Promise<number | null> {
  const def = playbook.definition;
  const run = await insertRun(tx, { incidentId: incident.id, definition: def, hash: playbook.hash, alert, trigger, requestedBy, at });
  if (!run) return null;
  const r = { id: run.id, incidentId: incident.id, playbook: def.name };
  const by = trigger === 'alert' ? 'matching alerts' : requestedBy;
  await appendTimeline(tx, [runEvent(r, at, 'playbook.started', requestedBy,
    `Playbook ${def.name} started on ${incidentRef(incident.number)} by ${by} (${def.steps.length} steps)`, { hash: playbook.hash, trigger })]);
  if (def.severity && def.severity !== incident.severity) {
    await setIncidentSeverity(tx, incident.id, def.severity);
    await appendTimeline(tx, [{
      incidentId: incident.id, at, kind: 'incident.severity_changed', actor: requestedBy,
      summary: `${incidentRef(incident.number)} severity ${incident.severity} → ${def.severity} by playbook ${def.name}`,
      data: { from: incident.severity, to: def.severity, playbook: def.name },
    }]);
    await queue.enqueue(tx, cardJob(incident.id));
  }
  await queue.enqueue(tx, stepJob(incident.id, run.firstStepId), noticeJob(incident.id, run.id, 'started'));
  return run.id;
}

/** The `playbooks.match` job: starts every playbook the incident's firing alerts match, once per incident. */
export function createMatchHandler(deps: { db: Db; queue: JobQueue; clock: Clock; registry: PlaybookRegistry }): JobHandler<{ incidentId: number }> {
  return async (job) => {
    const { incidentId } = job.payload;
    const playbooks = deps.registry.current();
    if (!playbooks.length) return;
    // Alerts fire far more often than playbooks start: a read outside any transaction settles most
    // jobs. insertRun's unique index keeps a playbook that started meanwhile from starting twice.
    const names = [...new Set(playbooks.flatMap((p) => p.matchers.map((m) => m.name)))];
    const { open, started, kinds } = await readMatchState(deps.db, incidentId, names);
    if (!open) return;
    const firing = kinds.map(([id, values]) => ({
      id, labels: Object.fromEntries(names.flatMap((n, i) => (values?.[i] == null ? [] : [[n, values[i]!]]))),
    }));
    const matched = selectPlaybooks(playbooks.filter((p) => !started.includes(p.definition.name)), firing);
    if (!matched.length) return;
    await job.transaction(async (tx) => {
      const incident = await lockIncident(tx, { id: incidentId }, true);
      if (!incident) return;
      const alerts = await alertsById(tx, [...new Set(matched.map((m) => m.alert.id))]);
      const at = deps.clock.now();
      for (const { playbook, alert } of matched) {
        await startRun(tx, deps.queue, playbook, incident, alerts.get(alert.id)!, 'alert', 'alertmanager', at);
      }
    });
  };
}

/** How `/incident run` went. */
export type ManualRunOutcome =
  | { outcome: 'started'; runId: number; incident: number; playbook: string; steps: number }
  | { outcome: 'unknown_playbook'; known: string[] }
  | { outcome: 'not_found' }
  | { outcome: 'closed'; incident: number; status: string };

/** `/incident run <playbook>`: starts it on the incident by hand (again, if it already ran). */
export async function runPlaybookByHand(
  db: Db, queue: JobQueue, registry: PlaybookRegistry, target: IncidentTarget, name: string, ctx: { actor: string; at: Date; requestKey: string },
): Promise<ManualRunOutcome> {
  const playbook = registry.find(name);
  if (!playbook) return { outcome: 'unknown_playbook', known: registry.current().map((p) => p.definition.name) };
  return (await oncePerRequest(db, ctx.requestKey, async (tx): Promise<ManualRunOutcome> => {
    const incident = await lockIncident(tx, target, false);
    let outcome: ManualRunOutcome;
    if (!incident) outcome = { outcome: 'not_found' };
    else if (incident.status === 'resolved' || incident.status === 'closed') outcome = { outcome: 'closed', incident: incident.number, status: incident.status };
    else {
      const alerts = await readIncidentAlerts(tx, incident.id, ALERTS_READ);
      const alert = selectPlaybooks([playbook], alerts)[0]?.alert ?? alerts[0] ?? { labels: {}, annotations: {} };
      const runId = (await startRun(tx, queue, playbook, incident, alert, 'manual', ctx.actor, ctx.at))!;
      outcome = { outcome: 'started', runId, incident: incident.number, playbook: name, steps: playbook.definition.steps.length };
    }
    return outcome;
  })).value;
}
