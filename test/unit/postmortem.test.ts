import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { PNG } from 'pngjs';
import { HEIGHT, MARKER_OPENED, renderChart, SERIES_COLORS, timeTicks, WIDTH } from '../../src/postmortem/chart.js';
import { generatorExpression, groupAlerts, type PostmortemData } from '../../src/postmortem/gather.js';
import { collectMetrics, incidentWindow, summarize, type MetricsSource } from '../../src/postmortem/metrics.js';
import { code, duration, md, renderPostmortem } from '../../src/postmortem/render.js';

const T = (hhmmss: string) => new Date(`2026-11-21T${hhmmss}Z`);

/** A fixed incident: every section of the draft has something to show. */
const DATA: PostmortemData = {
  incident: {
    id: 7, number: 42, title: 'HighErrorRate on checkout | <!channel>', severity: 'sev2', status: 'resolved', commander: 'U0ALICE',
    groupKey: '{}:{alertname="HighErrorRate"}', openedAt: T('10:02:00'), acknowledgedAt: T('10:05:30'), mitigatedAt: T('10:20:00'),
    resolvedAt: T('10:42:15'), closedAt: null, commonLabels: { alertname: 'HighErrorRate', service: 'checkout' },
    commonAnnotations: { summary: '5xx above 5% on *checkout*' }, externalUrl: 'http://alertmanager:9093', previousNumber: 41,
    firstAlertAt: T('10:00:45'),
  },
  alertGroups: groupAlerts([
    { alertname: 'HighErrorRate', labels: { alertname: 'HighErrorRate', service: 'checkout', pod: 'checkout-1' }, status: 'resolved', startsAt: T('10:00:45'), endsAt: T('10:40:00') },
    { alertname: 'HighErrorRate', labels: { alertname: 'HighErrorRate', service: 'checkout', pod: 'checkout-2' }, status: 'resolved', startsAt: T('10:01:00'), endsAt: T('10:41:00') },
    { alertname: 'PodCrashLooping', labels: { alertname: 'PodCrashLooping', pod: 'checkout-2' }, status: 'firing', startsAt: T('10:03:00'), endsAt: null },
  ]),
  timeline: [
    { seq: 1, at: T('10:02:00'), actor: 'alertmanager', kind: 'incident.opened', summary: 'INC-42 opened: HighErrorRate on checkout (sev2)' },
    { seq: 2, at: T('10:05:30'), actor: 'U0ALICE', kind: 'incident.status_changed', summary: 'INC-42 acknowledged by U0ALICE' },
    { seq: 3, at: T('10:42:15'), actor: 'pagerduty:Jane Doe', kind: 'incident.status_changed', summary: 'INC-42 resolved by pagerduty:Jane Doe' },
  ],
  runs: [{
    id: 1, playbook: 'high-error-rate', trigger: 'alert', requestedBy: 'alertmanager', status: 'succeeded', startedAt: T('10:02:01'), finishedAt: T('10:09:00'),
    steps: [
      { stepId: 'error-rate', action: 'prometheus.query_range', status: 'succeeded', attempts: 1, startedAt: T('10:02:01'), finishedAt: T('10:02:02'), error: null },
      { stepId: 'rollback', action: 'http', status: 'succeeded', attempts: 3, startedAt: T('10:08:00'), finishedAt: T('10:09:00'), error: null },
      { stepId: 'notify', action: 'slack.message', status: 'failed', attempts: 1, startedAt: T('10:09:00'), finishedAt: T('10:09:00'), error: 'slack: channel_not_found' },
    ],
  }],
  approvals: [{ playbook: 'high-error-rate', stepId: 'rollback', status: 'approved', requestedBy: 'alertmanager', requestedAt: T('10:02:02'), decidedBy: 'U0BOB', decidedAt: T('10:07:32'), approvedBy: ['U0BOB'] }],
  evidence: [{ playbook: 'high-error-rate', stepId: 'error-rate', kind: 'prometheus.query_range', mediaType: 'application/json', size: 2048, originalSize: 4096, truncated: true, redactions: 1, sha256: 'a'.repeat(64) }],
  pages: [{ service: 'checkout', requestedBy: 'firebreak', requestedAt: T('10:02:00'), sent: 'resolve', rejected: null, oncall: [{ name: 'Jane Doe', email: 'jane@example.com', level: 1 }] }],
  queries: [
    { query: 'sum(rate(http_requests_total{code=~"5.."}[5m]))', source: 'playbook high-error-rate, step error-rate' },
    { query: 'up == 0', source: 'alert rule PodCrashLooping' },
  ],
  grafanaLinks: [],
};

const SNAPSHOT = new URL('./snapshots/postmortem-INC-42.md', import.meta.url);

describe('the postmortem draft', () => {
  test('Markdown snapshot of a fixed incident (UPDATE_SNAPSHOTS=1 rewrites it)', () => {
    const chart = Buffer.from('png');
    const markdown = renderPostmortem(DATA, {
      kind: 'collected', sections: [
        {
          query: DATA.queries[0]!.query, source: DATA.queries[0]!.source, window: { start: T('09:52:00'), end: T('10:50:00'), stepSeconds: 12 },
          outcome: {
            kind: 'ok', hidden: 1, chart, series: [
              { labels: { service: 'checkout' }, color: 'blue', peak: 12.3456, peakAt: T('10:15:00'), mean: 4.2, atOpen: 6.5, atResolve: 0.25 },
            ],
          },
        },
        { query: DATA.queries[1]!.query, source: DATA.queries[1]!.source, window: { start: T('09:52:00'), end: T('10:50:00'), stepSeconds: 12 }, outcome: { kind: 'failed', reason: 'prometheus: HTTP 503' } },
      ],
    });
    if (process.env.UPDATE_SNAPSHOTS === '1' || !existsSync(SNAPSHOT)) writeFileSync(SNAPSHOT, markdown);
    assert.equal(markdown, readFileSync(SNAPSHOT, 'utf8'));
    // The same data gives the same text.
    assert.equal(renderPostmortem(DATA, { kind: 'unavailable', reason: 'x' }), renderPostmortem(structuredClone(DATA), { kind: 'unavailable', reason: 'x' }));
  });

  test('key figures: time to detect, acknowledge, mitigate and resolve', () => {
    const m = renderPostmortem(DATA, { kind: 'unavailable', reason: 'Prometheus is not configured here (PROMETHEUS_URL is unset)' });
    for (const row of [
      '| Time to detect (first alert started → opened) | 1m 15s |', '| Time to acknowledge (opened → acknowledged) | 3m 30s |',
      '| Time to mitigate (opened → mitigated) | 18m |', '| Time to resolve (opened → resolved) | 40m 15s |',
      '| First alert started | 2026-11-21 10:00:45 | 1m 15s before |',
      '_No metrics: Prometheus is not configured here \\(PROMETHEUS\\_URL is unset\\)._',
      '| HighErrorRate | 2 | 0 | 2026-11-21 10:00:45 | 2026-11-21 10:41:00 | `alertname=HighErrorRate` `service=checkout` | `pod` (2: `checkout-1`, `checkout-2`) |',
      '| rollback | `http` | succeeded | 1m | 3 | 2 | — |',
      '| high-error-rate | rollback | approved | alertmanager | 2026-11-21 10:02:02 | U0BOB | U0BOB | 5m 30s |',
    ]) assert.ok(m.includes(row), row);
    for (const section of ['## Impact', '## Root cause', '## Contributing factors', '## Action items', '## Lessons learned']) assert.ok(m.includes(section), section);
  });

  test('untrusted text stays text: no table breaks, no mentions, no markup', () => {
    assert.equal(md('a | b <!channel> *bold* [x](http://evil)\nnext'), 'a \\| b \\<\\!channel\\> \\*bold\\* \\[x\\]\\(http://evil\\) next');
    assert.equal(code('rate(x[5m]) | `y`'), '`` rate(x[5m]) \\| `y` ``');
    const m = renderPostmortem(DATA, { kind: 'unavailable', reason: 'x' });
    assert.ok(!m.includes('<!channel>'));
    assert.ok(m.includes('# Postmortem draft: INC-42 HighErrorRate on checkout \\| \\<\\!channel\\>'));
  });

  test('durations read as people write them', () => {
    assert.deepEqual([0, 45_000, 252_000, 3_600_000, 7_380_000, 93_600_000].map(duration), ['0s', '45s', '4m 12s', '1h', '2h 3m', '1d 2h']);
  });

  test('alerts group by alertname with shared and varying labels', () => {
    assert.deepEqual(DATA.alertGroups.map((g) => [g.alertname, g.count, g.firing, g.common, g.varying, g.lastEndedAt]), [
      ['HighErrorRate', 2, 0, { alertname: 'HighErrorRate', service: 'checkout' }, [{ label: 'pod', distinct: 2, values: ['checkout-1', 'checkout-2'] }], T('10:41:00')],
      ['PodCrashLooping', 1, 1, { alertname: 'PodCrashLooping', pod: 'checkout-2' }, [], null],
    ]);
    assert.equal(generatorExpression('http://prometheus:9090/graph?g0.expr=rate%28x%5B5m%5D%29+%3E+1&g0.tab=1'), 'rate(x[5m]) > 1');
    assert.equal(generatorExpression('not a url'), null);
  });
});

describe('metrics and charts', () => {
  const start = T('10:00:00').getTime();
  const points = (f: (i: number) => number): [number, number][] => Array.from({ length: 61 }, (_, i) => [start + i * 60_000, f(i)]);

  test('summaries: peak, mean, the value in force at opening and at resolution', () => {
    const s = summarize({ labels: {}, points: points((i) => (i >= 10 && i < 30 ? 100 : 10)) }, T('10:15:30'), T('10:45:00'));
    assert.equal(s.peak, 100);
    assert.deepEqual(s.peakAt, T('10:10:00'));
    assert.equal(s.atOpen, 100);
    assert.equal(s.atResolve, 10);
    assert.equal(Math.round(s.mean * 1000) / 1000, Math.round(((20 * 100 + 41 * 10) / 61) * 1000) / 1000);
  });

  test('the window runs from before the first alert to after the resolution, never past now', () => {
    const w = incidentWindow(DATA.incident, T('12:00:00'));
    assert.deepEqual([w.start, w.end], [T('09:52:27'), T('10:50:33')]); // margins: a fifth of 41m 30s each side
    assert.equal(w.stepSeconds, 12);
    assert.deepEqual(incidentWindow({ ...DATA.incident, resolvedAt: null }, T('10:30:00')).end, T('10:30:00'));
  });

  test('time ticks: at most eight, at round times, HH:MM within a day and MM-DD for a window of days or months', () => {
    const at = (iso: string) => new Date(iso).getTime();
    assert.deepEqual(timeTicks(at('2026-12-03T10:07:00Z'), at('2026-12-03T11:02:00Z')).map((t) => t.label), ['10:10', '10:20', '10:30', '10:40', '10:50', '11:00']);
    // An alert that had fired for two weeks before its incident opened: one tick every two days, dated.
    const weeks = timeTicks(at('2026-11-18T09:30:00Z'), at('2026-12-03T16:00:00Z'));
    assert.deepEqual(weeks.map((t) => t.label), ['11-19', '11-21', '11-23', '11-25', '11-27', '11-29', '12-01', '12-03']);
    const year = timeTicks(at('2026-01-01T00:00:00Z'), at('2026-12-31T00:00:00Z'));
    assert.ok(year.length >= 4 && year.length <= 8, `${year.length} ticks`);
    assert.equal(new Set(year.map((t) => t.label)).size, year.length, 'no two labels alike');
  });

  test('a chart decodes as a PNG of the right size, with the series drawn where its values are', () => {
    const png = PNG.sync.read(renderChart({
      start, end: start + 3_600_000, series: [{ points: points((i) => (i < 30 ? 0 : 100)) }],
      markers: [{ at: start + 1_800_000, label: 'opened', color: MARKER_OPENED }],
    }));
    assert.deepEqual([png.width, png.height], [WIDTH, HEIGHT]);
    const at = (x: number, y: number) => [...png.data.subarray((y * WIDTH + x) * 4, (y * WIDTH + x) * 4 + 3)];
    const blue = [...SERIES_COLORS[0]!.rgb];
    let lit = 0;
    let low = 0;
    let high = 0;
    for (let y = 0; y < HEIGHT; y++) {
      for (let x = 0; x < WIDTH; x++) {
        if (at(x, y).join() !== '255,255,255') lit++;
        if (at(x, y).join() === blue.join()) {
          if (x < WIDTH / 2 - 20) low = Math.max(low, y);
          else if (x > WIDTH / 2 + 20) high = high || y;
        }
      }
    }
    assert.ok(lit > 5000, `only ${lit} pixels drawn`);
    assert.ok(low > high + 150, `the line at 0 (y ${low}) should be far below the line at 100 (y ${high})`);
    const red = [...MARKER_OPENED];
    assert.ok(Array.from({ length: HEIGHT }, (_, y) => at(Math.round(90 + (WIDTH - 110) / 2), y).join()).includes(red.join()), 'the opening marker');
  });

  test('a failing or empty query is said so in the draft; the others are still charted', async () => {
    const source: MetricsSource = {
      async queryRange(query) {
        if (query === 'up == 0') throw new Error('prometheus: HTTP 503, not a Prometheus API answer');
        return query.startsWith('sum') ? [{ labels: { service: 'checkout' }, points: points(() => 1) }] : [];
      },
    };
    const sections = await collectMetrics(source, { ...DATA, queries: [...DATA.queries, { query: 'absent_metric', source: 'x' }] }, T('12:00:00'));
    assert.deepEqual(sections.map((s) => s.outcome.kind), ['ok', 'failed', 'empty']);
    const m = renderPostmortem(DATA, { kind: 'collected', sections });
    assert.ok(m.includes('_The query failed: prometheus: HTTP 503, not a Prometheus API answer._'));
    assert.ok(m.includes('Chart: `INC-42-chart-1.png`'));
  });
});
