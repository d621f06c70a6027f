import { describeError } from '../lib/errors.js';
import { MARKER_OPENED, MARKER_RESOLVED, renderChart, SERIES_COLORS } from './chart.js';
import type { PostmortemData } from './gather.js';

/** One series of a range query. */
export interface RangeSeries {
  labels: Record<string, string>;
  points: [number, number][];
}

/** The port to the metrics store (Prometheus): a range query, in unix ms and seconds. */
export interface MetricsSource {
  queryRange(query: string, startMs: number, endMs: number, stepSeconds: number): Promise<RangeSeries[]>;
}

/** One query's section of the draft: its numbers per series and its chart, or why there are none. */
export interface MetricSection {
  query: string;
  source: string;
  window: { start: Date; end: Date; stepSeconds: number };
  outcome: { kind: 'ok'; series: SeriesSummary[]; hidden: number; chart: Buffer } | { kind: 'empty' } | { kind: 'failed'; reason: string };
}

export interface SeriesSummary {
  labels: Record<string, string>;
  color: string;
  peak: number;
  peakAt: Date;
  mean: number;
  atOpen: number | null;
  atResolve: number | null;
}

// Lines per chart; the others are counted. The fullest series (highest peak) are drawn.
const CHART_SERIES = SERIES_COLORS.length;
const MIN_MARGIN_MS = 5 * 60_000;
// Points per series asked for: enough for a chart, cheap for Prometheus.
const POINTS = 300;

/** The window around the incident charts show: from before the first alert to after the resolution (or now). */
export function incidentWindow(i: PostmortemData['incident'], now: Date): { start: Date; end: Date; stepSeconds: number } {
  const from = (i.firstAlertAt && i.firstAlertAt < i.openedAt ? i.firstAlertAt : i.openedAt).getTime();
  const to = (i.resolvedAt ?? now).getTime();
  const margin = Math.max(MIN_MARGIN_MS, (to - from) / 5);
  const start = from - margin;
  const end = Math.min(now.getTime(), to + margin);
  return { start: new Date(start), end: new Date(end), stepSeconds: Math.max(1, Math.ceil((end - start) / 1000 / POINTS)) };
}

/**
 * Fetches each query over the incident window and summarizes it: peak, mean, the value at opening and
 * at resolution, and a chart. A failing query is a section that says why; the draft is made anyway.
 */
export async function collectMetrics(source: MetricsSource, data: PostmortemData, now: Date): Promise<MetricSection[]> {
  const window = incidentWindow(data.incident, now);
  const sections: MetricSection[] = [];
  for (const { query, source: from } of data.queries) {
    let series: RangeSeries[];
    try {
      series = await source.queryRange(query, window.start.getTime(), window.end.getTime(), window.stepSeconds);
    } catch (err) {
      sections.push({ query, source: from, window, outcome: { kind: 'failed', reason: describeError(err) } });
      continue;
    }
    const usable = series.filter((s) => s.points.some(([, v]) => Number.isFinite(v)));
    if (!usable.length) {
      sections.push({ query, source: from, window, outcome: { kind: 'empty' } });
      continue;
    }
    const summaries = usable.map((s) => summarize(s, data.incident.openedAt, data.incident.resolvedAt));
    const order = summaries.map((_, k) => k).sort((a, b) => summaries[b]!.peak - summaries[a]!.peak || a - b).slice(0, CHART_SERIES);
    const shown = order.map((k, n) => ({ ...summaries[k]!, color: SERIES_COLORS[n]!.name }));
    const chart = renderChart({
      start: window.start.getTime(), end: window.end.getTime(), series: order.map((k) => usable[k]!),
      markers: [
        { at: data.incident.openedAt.getTime(), label: 'opened', color: MARKER_OPENED },
        ...(data.incident.resolvedAt ? [{ at: data.incident.resolvedAt.getTime(), label: 'resolved', color: MARKER_RESOLVED }] : []),
      ],
    });
    sections.push({ query, source: from, window, outcome: { kind: 'ok', series: shown, hidden: usable.length - shown.length, chart } });
  }
  return sections;
}

/** Peak, mean, and the values in force at opening and at resolution (the last point at or before each). Pure. */
export function summarize(s: RangeSeries, openedAt: Date, resolvedAt: Date | null): Omit<SeriesSummary, 'color'> {
  const finite = s.points.filter(([, v]) => Number.isFinite(v));
  let peak = finite[0]!;
  for (const p of finite) if (p[1] > peak[1]) peak = p;
  const at = (t: Date) => {
    let value: number | null = null;
    for (const [ts, v] of finite) if (ts <= t.getTime()) value = v;
    return value;
  };
  return {
    labels: s.labels, peak: peak[1], peakAt: new Date(peak[0]), mean: finite.reduce((sum, [, v]) => sum + v, 0) / finite.length,
    atOpen: at(openedAt), atResolve: resolvedAt ? at(resolvedAt) : null,
  };
}
