import type { ActionParams } from '../playbooks/action-params.js';
import type { Clock } from '../lib/clock.js';
import { parseDuration } from '../lib/duration.js';
import type { MetricsSource } from '../postmortem/metrics.js';
import { ActionFailure, type Action } from '../runner/action.js';
import { readCapped } from './read-capped.js';

export interface PrometheusActionDeps {
  fetch: typeof fetch;
  /** PROMETHEUS_URL; undefined: the actions refuse with a clear message. */
  baseUrl: string | undefined;
  clock: Clock;
  /** The largest answer read: a bigger one fails the step, cut, rather than fill the memory. */
  maxBytes: number;
}

// A postmortem's charts read the incident's window: far more points than a chart can show fit here.
const METRICS_MAX_BYTES = 16 * 1024 * 1024;

// Points per series in a range query when no step is given: enough for a chart, small as evidence.
const RANGE_POINTS = 120;

async function query(deps: PrometheusActionDeps, path: string, params: Record<string, string>, signal: AbortSignal) {
  if (!deps.baseUrl) throw new ActionFailure('prometheus: PROMETHEUS_URL is not set', { retryable: false });
  const url = new URL(path, deps.baseUrl);
  let res: Response;
  try {
    res = await deps.fetch(url, {
      method: 'POST', body: new URLSearchParams(params), signal,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
  } catch (err) {
    throw new ActionFailure(`prometheus: ${url.origin} cannot be reached: ${(err as Error).message}`, { retryable: true, cause: err });
  }
  const answer = await readCapped(res.body, deps.maxBytes);
  const text = answer.text;
  if (answer.truncated) {
    throw new ActionFailure(`prometheus: the answer is larger than ${deps.maxBytes} bytes (${answer.bytes}): narrow the query`, {
      retryable: false, evidence: { mediaType: 'text/plain; charset=utf-8', body: text },
    });
  }
  let body: { status?: string; data?: { resultType: string; result: unknown[] }; error?: string; errorType?: string };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new ActionFailure(`prometheus: HTTP ${res.status}, not a Prometheus API answer`, { retryable: res.status >= 500 });
  }
  if (body.status !== 'success' || !body.data) {
    // bad_data (400) is the query's fault: retrying cannot help.
    throw new ActionFailure(`prometheus: ${body.errorType ?? `HTTP ${res.status}`}: ${body.error ?? 'no data'}`, {
      retryable: res.status >= 500, evidence: { mediaType: 'application/json', body: text },
    });
  }
  return { data: body.data, text };
}

/**
 * The postmortem's MetricsSource over the same HTTP API: a range query, its matrix as numbers
 * (Prometheus sends values as strings; NaN and ±Inf stay non-finite and break the chart's line).
 */
export function createPrometheusMetricsSource(options: Omit<PrometheusActionDeps, 'maxBytes'> & { timeoutMs?: number; maxBytes?: number }): MetricsSource {
  const deps = { ...options, maxBytes: options.maxBytes ?? METRICS_MAX_BYTES };
  return {
    async queryRange(q, startMs, endMs, stepSeconds) {
      const { data } = await query(deps, 'api/v1/query_range', {
        query: q, start: String(startMs / 1000), end: String(endMs / 1000), step: String(stepSeconds),
      }, AbortSignal.timeout(deps.timeoutMs ?? 15_000));
      if (data.resultType !== 'matrix') throw new Error(`prometheus: a range query answered ${data.resultType}, not a matrix`);
      return (data.result as { metric: Record<string, string>; values: [number, string][] }[]).map((r) => ({
        labels: r.metric, points: r.values.map(([t, v]) => [Math.round(t * 1000), Number(v)] as [number, number]),
      }));
    },
  };
}

/** `prometheus.query`: an instant query at the time the step runs. */
export function createPrometheusQueryAction(deps: PrometheusActionDeps): Action {
  return {
    async run(raw, ctx) {
      const p = raw as ActionParams['prometheus.query'];
      const time = deps.clock.now();
      const { data, text } = await query(deps, 'api/v1/query', { query: p.query, time: String(time.getTime() / 1000) }, ctx.signal);
      return {
        output: { resultType: data.resultType, result: data.result, time: time.toISOString() },
        evidence: { mediaType: 'application/json', body: text },
        summary: `${data.result.length} series`,
      };
    },
  };
}

/** `prometheus.query_range`: the last `range` up to now, for evidence and the postmortem's charts. */
export function createPrometheusRangeAction(deps: PrometheusActionDeps): Action {
  return {
    async run(raw, ctx) {
      const p = raw as ActionParams['prometheus.query_range'];
      const end = deps.clock.now();
      const rangeMs = parseDuration(p.range);
      const stepMs = p.step ? parseDuration(p.step) : Math.max(1000, Math.ceil(rangeMs / RANGE_POINTS / 1000) * 1000);
      const start = new Date(end.getTime() - rangeMs);
      const { data, text } = await query(deps, 'api/v1/query_range', {
        query: p.query, start: String(start.getTime() / 1000), end: String(end.getTime() / 1000), step: String(stepMs / 1000),
      }, ctx.signal);
      return {
        output: { resultType: data.resultType, result: data.result, start: start.toISOString(), end: end.toISOString(), step_seconds: stepMs / 1000 },
        evidence: { mediaType: 'application/json', body: text },
        summary: `${data.result.length} series over ${p.range}`,
      };
    },
  };
}
