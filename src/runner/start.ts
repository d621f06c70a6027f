import type { Db, Queryable } from '../db/db.js';
import { cardJob } from '../incidents/jobs.js';
import { claimRequest, saveResponse } from '../incidents/requests.js';
import { appendTimeline } from '../incidents/timeline.js';
import { incidentRef, OPEN_STATUSES_SQL, type IncidentTarget, type Severity } from '../incidents/types.js';
import { targetCondition } from '../incidents/queries.js';
import type { Clock } from '../lib/clock.js';
import type { PlaybookRegistry } from '../playbooks/registry.js';
import { selectPlaybooks, type PlaybookAlert } from '../playbooks/select.js';
import type { Playbook } from '../playbooks/validate.js';
import { noticeJob, stepJob } from './jobs.js';
import { runEvent } from './progress.js';
import { enqueueJob } from './queue.js';
import { insertRun } from './runs-sql.js';
import type { JobHandler } from './worker.js';

// Alerts read per incident when matching: a storm's first thousand alerts show every kind in it.
const ALERTS_READ = 1000;

interface StartIncident { id: number; number: number; severity: Severity }

/** Starts a run of `playbook` in the caller's transaction. Null when alerts already started it here. */
export async function startRun(
  tx: Queryable, playbook: Playbook, incident: StartIncident, alert: PlaybookAlert, trigger: 'alert' | 'manual', requestedBy: string, at: Date,
): Promise<number | null> {
  const def = playbook.definition;
  const run = await insertRun(tx, { incidentId: incident.id, definition: def, hash: playbook.hash, alert, trigger, requestedBy, at });
  if (!run) return null;
  const r = { id: run.id, incidentId: incident.id, playbook: def.name };
  const by = trigger === 'alert' ? 'matching alerts' : requestedBy;
  await appendTimeline(tx, [runEvent(r, at, 'playbook.started', requestedBy,
    `Playbook ${def.name} started on ${incidentRef(incident.number)} by ${by} (${def.steps.length} steps)`, { hash: playbook.hash, trigger })]);
  if (def.severity && def.severity !== incident.severity) {
    await tx.query('UPDATE incidents SET severity = $2 WHERE id = $1', [incident.id, def.severity]);
    await appendTimeline(tx, [{
      incidentId: incident.id, at, kind: 'incident.severity_changed', actor: requestedBy,
      summary: `${incidentRef(incident.number)} severity ${incident.severity} → ${def.severity} by playbook ${def.name}`,
      data: { from: incident.severity, to: def.severity, playbook: def.name },
    }]);
    await enqueueJob(tx, cardJob(incident.id));
  }
  await enqueueJob(tx, stepJob(incident.id, run.firstStepId));
  await enqueueJob(tx, noticeJob(incident.id, run.id, 'started'));
  return run.id;
}

/** The incident's alerts, oldest first: firing ones only, or firing ones before resolved ones. */
async function incidentAlerts(tx: Queryable, incidentId: number, firingOnly: boolean): Promise<PlaybookAlert[]> {
  const { rows } = await tx.query<PlaybookAlert>(
    `SELECT labels, annotations FROM alerts WHERE incident_id = $1 ${firingOnly ? "AND status = 'firing'" : ''}
      ORDER BY (status = 'firing') DESC, id LIMIT $2`,
    [incidentId, ALERTS_READ],
  );
  return rows;
}

/** The `playbooks.match` job: starts every playbook the incident's firing alerts match, once per incident. */
export function createMatchHandler(deps: { db: Db; clock: Clock; registry: PlaybookRegistry }): JobHandler {
  return async (job) => {
    const playbooks = deps.registry.current();
    if (!playbooks.length) return;
    await deps.db.transaction(async (tx) => {
      const { rows } = await tx.query<StartIncident>(
        `SELECT id, number, severity FROM incidents WHERE id = $1 AND status IN ${OPEN_STATUSES_SQL} FOR NO KEY UPDATE`, [job.incidentId],
      );
      const incident = rows[0];
      if (!incident) return;
      const firing = await incidentAlerts(tx, incident.id, true);
      const at = deps.clock.now();
      for (const { playbook, alert } of selectPlaybooks(playbooks, firing)) {
        await startRun(tx, playbook, incident, alert, 'alert', 'alertmanager', at);
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
  db: Db, registry: PlaybookRegistry, target: IncidentTarget, name: string, ctx: { actor: string; at: Date; requestKey: string },
): Promise<ManualRunOutcome> {
  const playbook = registry.find(name);
  if (!playbook) return { outcome: 'unknown_playbook', known: registry.current().map((p) => p.definition.name) };
  return db.transaction(async (tx) => {
    const before = await claimRequest<ManualRunOutcome>(tx, ctx.requestKey);
    if (before) return before;
    const [where, param] = targetCondition(target, 1);
    const { rows } = await tx.query<StartIncident & { status: string }>(
      `SELECT i.id, i.number, i.severity, i.status FROM incidents i WHERE ${where} FOR NO KEY UPDATE`, [param],
    );
    const incident = rows[0];
    let outcome: ManualRunOutcome;
    if (!incident) outcome = { outcome: 'not_found' };
    else if (incident.status === 'resolved' || incident.status === 'closed') outcome = { outcome: 'closed', incident: incident.number, status: incident.status };
    else {
      const alerts = await incidentAlerts(tx, incident.id, false);
      const alert = selectPlaybooks([playbook], alerts)[0]?.alert ?? alerts[0] ?? { labels: {}, annotations: {} };
      const runId = (await startRun(tx, playbook, incident, alert, 'manual', ctx.actor, ctx.at))!;
      outcome = { outcome: 'started', runId, incident: incident.number, playbook: name, steps: playbook.definition.steps.length };
    }
    await saveResponse(tx, ctx.requestKey, outcome);
    return outcome;
  });
}
