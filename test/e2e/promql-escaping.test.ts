import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadPlaybooks } from '../../src/playbooks/loader.js';
import { renderStepParams } from '../../src/playbooks/render-step.js';
import type { TemplateContext } from '../../src/playbooks/template.js';
import { NEEDS_PROMETHEUS, startPrometheus } from '../support/prometheus.js';
import { eventually } from '../support/wait.js';

// Fits the shipped high-error-rate query: closes its selector and calls, then asks for every service's 5xx rate.
const BREAK_OUT = 'x"}[5m])) or sum by (code) (rate(http_requests_total{code=~".+';

test('a label that would widen the shipped PromQL query is one string to a real Prometheus', { skip: NEEDS_PROMETHEUS, timeout: 90_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fb-promql-'));
  let count = 0;
  const target = createServer((_req, res) => res.end(`# TYPE http_requests_total counter\nhttp_requests_total{service="payments",code="500"} ${(count += 10)}\n`));
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  const prometheus = await startPrometheus(dir, (target.address() as AddressInfo).port, 'app');
  const query = async (q: string) => {
    const res = await fetch(`${prometheus.url}/api/v1/query`, { method: 'POST', body: new URLSearchParams({ query: q }) });
    return (await res.json()) as { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
  };
  try {
    await eventually('prometheus has samples', async () => {
      const samples = await query('count_over_time(http_requests_total[1m])').catch(() => undefined);
      return Number(samples?.data.result[0]?.value[1] ?? 0) >= 3;
    }, 45_000);

    const { playbooks } = await loadPlaybooks(fileURLToPath(new URL('../../playbooks/', import.meta.url)));
    const step = playbooks.find((p) => p.definition.name === 'high-error-rate')!.definition.steps.find((s) => s.id === 'error-rate')!;
    const ctx: TemplateContext = {
      alert: { labels: { alertname: 'HighErrorRate', service: BREAK_OUT }, annotations: {} },
      incident: { id: 1, number: 1, ref: 'INC-1', severity: 'sev2', title: 'T', status: 'triggered' },
      steps: {},
    };
    const rendered = renderStepParams(step, ctx);
    assert.ok(rendered.ok);

    // Pasted as it is, the value makes the query return another service's errors.
    const pasted = await query(String(step.with.query).replace('{{ alert.labels.service }}', BREAK_OUT));
    assert.equal(pasted.status, 'success');
    assert.deepEqual(pasted.data.result.map((r) => r.metric), [{ code: '500' }]);
    // Escaped, it is the name of a service that has no errors.
    const escaped = await query(String(rendered.params.query));
    assert.equal(escaped.status, 'success');
    assert.deepEqual(escaped.data.result, []);
  } finally {
    await prometheus.stop();
    target.close();
    await rm(dir, { recursive: true, force: true });
  }
});
