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
import type { JobHandler, JobQueue } from '../queue/job.js';
import { insertRun } from './runs-sql.js';

// Alerts read per incident for a run by hand: a storm's first thousand alerts show every kind in it.
const ALERTS_READ = 1000;

interface StartIncident { id: number; number: number; severity: Severity }

/** Starts a run of `playbook` in the caller's transaction. Null when alerts already started it here. */
export async function startRun(
  tx: Queryable, queue: JobQueue, playbook: Playbook, incident: StartIncident, alert: PlaybookAlert, trigger: 'alert' | 'manual', requestedBy: string, at: Date,
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
    await queue.enqueue(tx, cardJob(incident.id));
  }
  await queue.enqueue(tx, stepJob(incident.id, run.firstStepId), noticeJob(incident.id, run.id, 'started'));
  return run.id;
}

/** The incident's alerts, firing ones before resolved ones, oldest first. */
async function incidentAlerts(tx: Queryable, incidentId: number): Promise<PlaybookAlert[]> {
  const { rows } = await tx.query<PlaybookAlert>(
    `SELECT labels, annotations FROM alerts WHERE incident_id = $1
      ORDER BY (status = 'firing') DESC, id LIMIT $2`,
    [incidentId, ALERTS_READ],
  );
  return rows;
}

/** The `playbooks.match` job: starts every playbook the incident's firing alerts match, once per incident. */
export function createMatchHandler(deps: { db: Db; queue: JobQueue; clock: Clock; registry: PlaybookRegistry }): JobHandler<{ incidentId: number }> {
  return async (job) => {
    const { incidentId } = job.payload;
    const playbooks = deps.registry.current();
    if (!playbooks.length) return;
    // Alerts fire far more often than playbooks start: a read outside any transaction settles most
    // jobs. insertRun's unique index keeps a playbook that started meanwhile from starting twice.
    const { open, started, kinds } = await readMatchState(deps.db, incidentId, playbooks);
    if (!open) return;
    const matched = selectPlaybooks(playbooks.filter((p) => !started.includes(p.definition.name)), kinds);
    if (!matched.length) return;
    await job.transaction(async (tx) => {
      const { rows } = await tx.query<StartIncident>(
        `SELECT id, number, severity FROM incidents WHERE id = $1 AND status IN ${OPEN_STATUSES_SQL} FOR NO KEY UPDATE`, [incidentId],
      );
      const incident = rows[0];
      if (!incident) return;
      const alerts = await alertsById(tx, [...new Set(matched.map((m) => m.alert.id))]);
      const at = deps.clock.now();
      for (const { playbook, alert } of matched) {
        await startRun(tx, deps.queue, playbook, incident, alerts.get(alert.id)!, 'alert', 'alertmanager', at);
      }
    });
  };
}

/**
 * Whether the incident is open, the playbooks alerts already started on it, and its firing alerts
 * as the playbooks see them: one row (the oldest alert) per distinct combination of the values of
 * the labels the playbooks match on. A storm of 2,000 alerts of one alertname is one row.
 */
async function readMatchState(db: Queryable, incidentId: number, playbooks: readonly Playbook[]) {
  const names = [...new Set(playbooks.flatMap((p) => p.matchers.map((m) => m.name)))];
  const { rows } = await db.query<{ open: boolean; started: string[]; kinds: [id: number, values: (string | null)[]][] }>(
    `SELECT EXISTS (SELECT FROM incidents WHERE id = $1 AND status IN ${OPEN_STATUSES_SQL}) AS open,
            ARRAY(SELECT playbook FROM playbook_runs WHERE incident_id = $1 AND trigger = 'alert') AS started,
            COALESCE((SELECT json_agg(json_build_array(k.id, k.v) ORDER BY k.id)
                        FROM (SELECT min(a.id) AS id, v.v
                                FROM alerts a
                                CROSS JOIN LATERAL (SELECT array_agg(a.labels->>n ORDER BY o) AS v
                                                      FROM unnest($2::text[]) WITH ORDINALITY AS u(n, o)) v
                               WHERE a.incident_id = $1 AND a.status = 'firing'
                               GROUP BY v.v) k), '[]') AS kinds`,
    [incidentId, names],
  );
  const { open, started, kinds } = rows[0]!;
  return {
    open, started,
    kinds: kinds.map(([id, values]) => ({
      id, labels: Object.fromEntries(names.flatMap((n, i) => (values?.[i] == null ? [] : [[n, values[i]!]]))),
    })),
  };
}

async function alertsById(tx: Queryable, ids: number[]): Promise<Map<number, PlaybookAlert>> {
  const { rows } = await tx.query<PlaybookAlert & { id: number }>('SELECT id, labels, annotations FROM alerts WHERE id = ANY($1)', [ids]);
  return new Map(rows.map(({ id, labels, annotations }) => [id, { labels, annotations }]));
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
      const alerts = await incidentAlerts(tx, incident.id);
      const alert = selectPlaybooks([playbook], alerts)[0]?.alert ?? alerts[0] ?? { labels: {}, annotations: {} };
      const runId = (await startRun(tx, queue, playbook, incident, alert, 'manual', ctx.actor, ctx.at))!;
      outcome = { outcome: 'started', runId, incident: incident.number, playbook: name, steps: playbook.definition.steps.length };
    }
    await saveResponse(tx, ctx.requestKey, outcome);
    return outcome;
  });
}
