import { createHash } from 'node:crypto';
import type { Db } from '../db/db.js';
import { CHAT, incidentPayload, POSTMORTEM_DRAFT } from '../incidents/jobs.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import { defineJob, handle, type JobBinding, type JobQueue } from '../queue/job.js';
import { gatherPostmortem } from './gather.js';
import { collectMetrics, type MetricsSource } from './metrics.js';
import { chartName, renderPostmortem, type MetricsPart } from './render.js';

/** A finished draft: its Markdown and its charts. */
export interface Draft {
  number: number;
  markdown: string;
  charts: { name: string; title: string; png: Buffer }[];
  /** Queries whose data could not be read (the draft says so too). */
  failures: number;
}

/** Post the stored draft where the incident is followed (Slack's part; not queued when Slack is off). */
export const POSTMORTEM_POST = defineJob({
  kind: 'postmortem.post', schema: incidentPayload, pool: 'notify', needs: CHAT, key: (p) => p.incidentId,
});

/** Builds the draft from the database, and from Prometheus when there is one; null when there is no such incident. */
export async function draftPostmortem(db: Db, incidentId: number, source: MetricsSource | undefined, now: Date): Promise<Draft | null> {
  const data = await gatherPostmortem(db, incidentId);
  if (!data) return null;
  const part: MetricsPart = source
    ? { kind: 'collected', sections: await collectMetrics(source, data, now) }
    : { kind: 'unavailable', reason: 'Prometheus is not configured here (PROMETHEUS_URL is unset)' };
  const charts: Draft['charts'] = [];
  for (const s of part.kind === 'collected' ? part.sections : []) {
    if (s.outcome.kind === 'ok') charts.push({ name: chartName(data.incident.number, charts.length + 1), title: s.query, png: s.outcome.chart });
  }
  const failures = part.kind === 'collected' ? part.sections.filter((s) => s.outcome.kind === 'failed').length : 0;
  return { number: data.incident.number, markdown: renderPostmortem(data, part), charts, failures };
}

/**
 * The postmortem.draft job: drafts, stores the draft (a new revision, charts replaced) and queues its
 * posting. Drafting is not an event of the incident: its timeline stays what happened.
 */
export function createPostmortemJobs(deps: {
  db: Db; queue: JobQueue; clock: Clock; logger: Logger; metrics: Metrics; source: MetricsSource | undefined;
}): JobBinding[] {
  const { db, clock } = deps;
  const draft = handle(POSTMORTEM_DRAFT, async (job) => {
    const { incidentId, requestedBy } = job.payload;
    const at = clock.now();
    const d = await draftPostmortem(db, incidentId, deps.source, at);
    if (!d) return;
    const sha256 = createHash('sha256').update(d.markdown).digest('hex');
    await job.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO postmortems (incident_id, markdown, sha256, generated_at, requested_by) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (incident_id) DO UPDATE SET markdown = $2, sha256 = $3, generated_at = $4, requested_by = $5, revision = postmortems.revision + 1`,
        [incidentId, d.markdown, sha256, at, requestedBy],
      );
      await tx.query('DELETE FROM postmortem_charts WHERE incident_id = $1', [incidentId]);
      for (const [k, c] of d.charts.entries()) {
        await tx.query('INSERT INTO postmortem_charts (incident_id, position, title, png) VALUES ($1, $2, $3, $4)', [incidentId, k + 1, c.title, c.png]);
      }
      await deps.queue.enqueue(tx, POSTMORTEM_POST.of({ incidentId }));
    });
    deps.metrics.postmortems.inc({ outcome: d.failures ? 'charts_failed' : 'drafted' });
  });
  return [draft];
}

/** The stored draft of an incident and its charts, for posting. */
export async function storedPostmortem(db: Db, incidentId: number): Promise<{ number: number; markdown: string; revision: number; charts: { title: string; png: Buffer }[] } | null> {
  const { rows } = await db.query<{ number: number; markdown: string; revision: number }>(
    'SELECT i.number, p.markdown, p.revision FROM postmortems p JOIN incidents i ON i.id = p.incident_id WHERE p.incident_id = $1', [incidentId],
  );
  if (!rows[0]) return null;
  const { rows: charts } = await db.query<{ title: string; png: Buffer | Uint8Array }>(
    'SELECT title, png FROM postmortem_charts WHERE incident_id = $1 ORDER BY position', [incidentId],
  );
  return { ...rows[0], charts: charts.map((c) => ({ title: c.title, png: Buffer.from(c.png) })) };
}
