import type { Queryable } from '../db/db.js';
import type { OnCallPerson, PagerAction } from '../incidents/paging.js';
import { readChildren, type LinkedChild } from '../incidents/links-sql.js';
import type { IncidentStatus, Severity } from '../incidents/types.js';

/** Everything a postmortem draft says, read from the database. */
export interface PostmortemData {
  incident: {
    id: number; number: number; title: string; severity: Severity; status: IncidentStatus; commander: string | null;
    groupKey: string | null; openedAt: Date; acknowledgedAt: Date | null; mitigatedAt: Date | null; resolvedAt: Date | null;
    closedAt: Date | null; commonLabels: Record<string, string>; commonAnnotations: Record<string, string>;
    externalUrl: string | null; previousNumber: number | null; firstAlertAt: Date | null;
  };
  alertGroups: AlertGroup[];
  timeline: { seq: number; at: Date; actor: string; kind: string; summary: string }[];
  runs: RunRecord[];
  approvals: { playbook: string; stepId: string; status: string; requestedBy: string; requestedAt: Date; decidedBy: string | null; decidedAt: Date | null; approvedBy: string[] }[];
  evidence: { playbook: string | null; stepId: string | null; kind: string; mediaType: string; size: number; originalSize: number; truncated: boolean; redactions: number; sha256: string }[];
  pages: { service: string; requestedBy: string; requestedAt: Date; sent: PagerAction | null; rejected: string | null; oncall: OnCallPerson[] }[];
  /** The incidents linked to it as their parent: an outage's postmortem covers them. */
  children?: LinkedChild[];
  /** PromQL of the incident's playbook steps and of its alerts' rules, each once. */
  queries: { query: string; source: string }[];
  /** Grafana's links of the incident's Grafana-managed alerts, one row per alert name (its first alert's). */
  grafanaLinks: { alertname: string; silenceUrl: string | null; dashboardUrl: string | null; panelUrl: string | null }[];
}

/** The alerts of one alertname: how many, when, and their labels (shared by all, or varying). */
export interface AlertGroup {
  alertname: string;
  count: number;
  firing: number;
  firstStartedAt: Date;
  lastEndedAt: Date | null;
  common: Record<string, string>;
  varying: { label: string; distinct: number; values: string[] }[];
}

export interface RunRecord {
  id: number; playbook: string; trigger: string; requestedBy: string; status: string; startedAt: Date; finishedAt: Date | null;
  steps: { stepId: string; action: string; status: string; attempts: number; startedAt: Date | null; finishedAt: Date | null; error: string | null }[];
}

// Of a label that varies, the values shown (the rest are counted).
const SHOWN_VALUES = 5;
// Charts per draft: the first queries found (playbook steps, then the alerts' rules).
const MAX_QUERIES = 6;

/** Reads what the postmortem of an incident needs; null when there is no such incident. */
export async function gatherPostmortem(db: Queryable, incidentId: number): Promise<PostmortemData | null> {
  const { rows: found } = await db.query<PostmortemData['incident']>(
    `SELECT i.id, i.number, i.title, i.severity, i.status, i.commander, i.group_key AS "groupKey", i.opened_at AS "openedAt",
            i.acknowledged_at AS "acknowledgedAt", i.mitigated_at AS "mitigatedAt", i.resolved_at AS "resolvedAt",
            i.closed_at AS "closedAt", i.common_labels AS "commonLabels", i.common_annotations AS "commonAnnotations",
            i.external_url AS "externalUrl", p.number AS "previousNumber",
            (SELECT min(starts_at) FROM alerts a WHERE a.incident_id = i.id) AS "firstAlertAt"
       FROM incidents i LEFT JOIN incidents p ON p.id = i.previous_incident_id WHERE i.id = $1`,
    [incidentId],
  );
  const incident = found[0];
  if (!incident) return null;

  const [alerts, timeline, runs, steps, approvals, evidence, pages, generators, grafana, children] = await Promise.all([
    db.query<{ alertname: string | null; labels: Record<string, string>; status: string; startsAt: Date; endsAt: Date | null }>(
      `SELECT alertname, labels, status, starts_at AS "startsAt", CASE WHEN status = 'resolved' THEN COALESCE(resolved_at, ends_at) END AS "endsAt"
         FROM alerts WHERE incident_id = $1 ORDER BY starts_at, id`, [incidentId]),
    db.query<PostmortemData['timeline'][number]>(
      'SELECT seq, at, actor, kind, summary FROM timeline_events WHERE incident_id = $1 ORDER BY seq', [incidentId]),
    db.query<Omit<RunRecord, 'steps'>>(
      `SELECT id, playbook, trigger, requested_by AS "requestedBy", status, started_at AS "startedAt", finished_at AS "finishedAt"
         FROM playbook_runs WHERE incident_id = $1 ORDER BY id`, [incidentId]),
    db.query<RunRecord['steps'][number] & { runId: number; query: string | null }>(
      `SELECT run_id AS "runId", step_id AS "stepId", action, status, attempts, started_at AS "startedAt", finished_at AS "finishedAt", error,
              CASE WHEN action LIKE 'prometheus.%' THEN params->>'query' END AS query
         FROM step_runs WHERE incident_id = $1 ORDER BY run_id, position`, [incidentId]),
    db.query<PostmortemData['approvals'][number]>(
      `SELECT r.playbook, s.step_id AS "stepId", a.status, a.requested_by AS "requestedBy", a.requested_at AS "requestedAt",
              a.decided_by AS "decidedBy", a.decided_at AS "decidedAt", a.approved_by AS "approvedBy"
         FROM approvals a JOIN step_runs s ON s.id = a.step_run_id JOIN playbook_runs r ON r.id = s.run_id
        WHERE a.incident_id = $1 ORDER BY a.id`, [incidentId]),
    db.query<PostmortemData['evidence'][number]>(
      `SELECT r.playbook, s.step_id AS "stepId", e.kind, e.media_type AS "mediaType", e.size, e.original_size AS "originalSize",
              e.truncated, e.redactions, e.sha256
         FROM evidence e LEFT JOIN step_runs s ON s.id = e.step_run_id LEFT JOIN playbook_runs r ON r.id = s.run_id
        WHERE e.incident_id = $1 ORDER BY e.id`, [incidentId]),
    db.query<PostmortemData['pages'][number]>(
      `SELECT service, requested_by AS "requestedBy", requested_at AS "requestedAt", sent, rejected, oncall
         FROM pages WHERE incident_id = $1 ORDER BY id`, [incidentId]),
    db.query<{ alertname: string | null; url: string }>(
      `SELECT alertname, min(generator_url) AS url FROM alerts WHERE incident_id = $1 AND generator_url IS NOT NULL
        GROUP BY alertname ORDER BY alertname`, [incidentId]),
    db.query<PostmortemData['grafanaLinks'][number]>(
      `SELECT DISTINCT ON (alertname) COALESCE(alertname, '(no alertname)') AS alertname, grafana->>'silenceUrl' AS "silenceUrl",
              grafana->>'dashboardUrl' AS "dashboardUrl", grafana->>'panelUrl' AS "panelUrl"
         FROM alerts WHERE incident_id = $1 AND grafana IS NOT NULL ORDER BY alertname, id`, [incidentId]),
    readChildren(db, incidentId),
  ]);

  const byRun = new Map<number, RunRecord['steps']>();
  const queries = new Map<string, string>();
  for (const { runId, query, ...step } of steps.rows) {
    byRun.set(runId, [...(byRun.get(runId) ?? []), step]);
    const run = runs.rows.find((r) => r.id === runId);
    if (query && !queries.has(query)) queries.set(query, `playbook ${run?.playbook ?? '?'}, step ${step.stepId}`);
  }
  for (const g of generators.rows) {
    const expr = generatorExpression(g.url);
    if (expr && !queries.has(expr)) queries.set(expr, `alert rule ${g.alertname ?? '(no alertname)'}`);
  }
  return {
    incident,
    alertGroups: groupAlerts(alerts.rows),
    timeline: timeline.rows,
    runs: runs.rows.map((r) => ({ ...r, steps: byRun.get(r.id) ?? [] })),
    approvals: approvals.rows,
    evidence: evidence.rows,
    pages: pages.rows,
    children,
    queries: [...queries].slice(0, MAX_QUERIES).map(([query, source]) => ({ query, source })),
    grafanaLinks: grafana.rows,
  };
}

/** The PromQL of a Prometheus graph link (generatorURL: /graph?g0.expr=…), if it has one. */
export function generatorExpression(url: string): string | null {
  try {
    return new URL(url).searchParams.get('g0.expr')?.trim() || null;
  } catch {
    return null;
  }
}

/** Alerts grouped by alertname, in name order; pure. */
export function groupAlerts(alerts: readonly { alertname: string | null; labels: Record<string, string>; status: string; startsAt: Date; endsAt: Date | null }[]): AlertGroup[] {
  const groups = new Map<string, typeof alerts[number][]>();
  for (const a of alerts) {
    const name = a.alertname ?? '(no alertname)';
    const list = groups.get(name);
    if (list) list.push(a);
    else groups.set(name, [a]);
  }
  return [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([alertname, list]) => {
    const values = new Map<string, Set<string>>();
    for (const a of list) for (const [k, v] of Object.entries(a.labels)) (values.get(k) ?? values.set(k, new Set()).get(k)!).add(v);
    const common: Record<string, string> = {};
    const varying: AlertGroup['varying'] = [];
    for (const label of [...values.keys()].sort()) {
      const seen = values.get(label)!;
      const everywhere = list.every((a) => label in a.labels);
      if (seen.size === 1 && everywhere) common[label] = [...seen][0]!;
      else varying.push({ label, distinct: seen.size, values: [...seen].sort().slice(0, SHOWN_VALUES) });
    }
    const ended = list.map((a) => a.endsAt?.getTime()).filter((t): t is number => t !== undefined);
    return {
      alertname, count: list.length, firing: list.filter((a) => a.status === 'firing').length,
      firstStartedAt: new Date(Math.min(...list.map((a) => a.startsAt.getTime()))),
      lastEndedAt: ended.length === list.length ? new Date(Math.max(...ended)) : null,
      common, varying,
    };
  });
}
