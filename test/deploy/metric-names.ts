import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';

/** The repository's deploy/ folder. */
export const DEPLOY = new URL('../../deploy/', import.meta.url);

/** The rules file's alerts: name and PromQL expression. */
export async function readAlertRules(): Promise<{ alert: string; expr: string }[]> {
  const doc = parse(await readFile(new URL('prometheus/firebreak-rules.yml', DEPLOY), 'utf8')) as {
    groups: { name: string; rules: { alert?: string; record?: string; expr: string }[] }[];
  };
  return doc.groups.flatMap((g) => g.rules).map((r) => ({ alert: r.alert ?? r.record ?? '', expr: r.expr }));
}

/** Every PromQL expression of the Grafana dashboard: panel targets and template variable queries. */
export async function readDashboardExpressions(): Promise<string[]> {
  const dashboard = JSON.parse(await readFile(new URL('grafana/firebreak.json', DEPLOY), 'utf8')) as {
    panels: { targets?: { expr: string }[] }[];
    templating: { list: { query?: unknown }[] };
  };
  const queries = dashboard.templating.list.map((v) => v.query).filter((q): q is { query: string } => typeof q === 'object' && q !== null);
  return [...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)), ...queries.map((q) => q.query)];
}

/** The metric names a PromQL expression reads (firebreak's own, and Prometheus's `up`). */
export function metricNamesIn(expr: string): string[] {
  // Label values and names are quoted or sit inside {…}; metric names are bare words before { ( [ or a space.
  const bare = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/\{[^}]*\}/g, '{}');
  return [...new Set([...bare.matchAll(/\b(firebreak_[a-z0-9_]+|up)\b/g)].map((m) => m[1]!))];
}

/**
 * The series names a /metrics page exposes: each metric's name and, for histograms and summaries,
 * the _bucket/_sum/_count series PromQL reads. A metric with labels but no sample yet counts (its
 * TYPE line is there): a counter of failures appears once the first failure is counted.
 */
export function exposedNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const m of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [, name, type] = m as unknown as [string, string, string];
    names.add(name);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
    if (type === 'summary') for (const s of ['_sum', '_count']) names.add(name + s);
  }
  return names;
}
