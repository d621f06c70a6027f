import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { PNG } from 'pngjs';
import { HEIGHT, SERIES_COLORS, WIDTH } from '../../src/postmortem/chart.js';
import { TOKEN } from '../support/app.js';
import { backends } from '../support/databases.js';
import { runCli } from '../support/process.js';
import { NEEDS_PROMETHEUS, startPrometheus } from '../support/prometheus.js';
import { eventually } from '../support/wait.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const backend of backends()) {
  describe(`a postmortem from a real Prometheus (${backend.name})`, () => {
    test('the draft\'s numbers and chart match what the scraped target served; firebreak postmortem INC-1 prints and writes it', { skip: NEEDS_PROMETHEUS, timeout: 120_000 }, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'fb-prom-'));
      const database = backend.name === 'postgres' ? await backend.create() : undefined;
      // The target: one gauge whose value the test sets.
      let load = 10;
      const target = createServer((_req, res) => res.end(`# TYPE e2e_load gauge\ne2e_load{service="checkout"} ${load}\n`));
      await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
      const prometheus = await startPrometheus(dir, (target.address() as AddressInfo).port, 'e2e');
      const promUrl = prometheus.url;
      const env = {
        PORT: '0', HOST: '127.0.0.1', ALERTMANAGER_WEBHOOK_TOKEN: TOKEN, FIREBREAK_DATA_DIR: join(dir, 'data'), PROMETHEUS_URL: promUrl,
        PLAYBOOKS_DIR: join(dir, 'no-playbooks'), ...(database ? { DATABASE_URL: database.url! } : {}),
      };
      const alert = (status: 'firing' | 'resolved') => JSON.stringify({
        version: '4', groupKey: '{}:{alertname="CheckoutLoad"}', truncatedAlerts: 0, status, receiver: 'firebreak',
        groupLabels: { alertname: 'CheckoutLoad' }, commonLabels: { alertname: 'CheckoutLoad', service: 'checkout', severity: 'warning' },
        commonAnnotations: {}, externalURL: 'http://alertmanager:9093',
        alerts: [{
          status, labels: { alertname: 'CheckoutLoad', service: 'checkout', severity: 'warning' }, annotations: {},
          startsAt: new Date(Date.now() - 2000).toISOString(), endsAt: status === 'resolved' ? new Date().toISOString() : '0001-01-01T00:00:00Z',
          generatorURL: `${promUrl}/graph?g0.expr=e2e_load&g0.tab=1`, fingerprint: 'e2eload0001',
        }],
      });
      try {
        await eventually('prometheus has samples', async () => {
          const res = await fetch(`${promUrl}/api/v1/query?query=count_over_time(e2e_load[1m])`).catch(() => undefined);
          const body = (await res?.json().catch(() => undefined)) as { data?: { result: { value: [number, string] }[] } } | undefined;
          return Number(body?.data?.result[0]?.value[1] ?? 0) >= 3;
        }, 30_000);
        const app = runCli(['start'], env);
        const url = await app.listening;
        const post = (body: string) => fetch(`${url}/webhooks/alertmanager`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body });
        // 10, then 50 from a few scrapes before the incident opens until a few after, then 30 until it resolves.
        load = 50;
        await sleep(4000);
        assert.equal((await post(alert('firing'))).status, 200);
        await sleep(4000);
        load = 30;
        await sleep(4000);
        assert.equal((await post(alert('resolved'))).status, 200); // nobody acknowledged: it resolves by itself
        await sleep(3000);
        app.child.kill('SIGTERM');
        assert.equal(await app.exited, 0);

        const out = join(dir, 'out');
        const cli = runCli(['postmortem', 'INC-1', '--out', out], env);
        assert.equal(await cli.exited, 0, cli.stderr());
        const markdown = cli.stdout();
        assert.equal(markdown, await readFile(join(out, 'INC-1-postmortem.md'), 'utf8'));
        assert.match(markdown, /^# Postmortem draft: INC-1 CheckoutLoad/);
        assert.match(markdown, /### 1\. `e2e_load`\n\nFrom alert rule CheckoutLoad;/);
        // | {__name__="e2e_load", instance=…, job="e2e", service="checkout"} | blue | peak | peak at | mean | at opening | at resolution |
        const row = markdown.split('\n').find((l) => l.includes('e2e\\_load') && l.includes('| blue |'));
        assert.ok(row?.includes('service="checkout"'), markdown.split('## Metrics')[1]);
        const cells = row!.split(' | ');
        const [peak, mean, atOpen, atResolve] = [cells[2], cells[4], cells[5], cells[6]].map((c) => Number(c!.replace(/ \|$/, '')));
        assert.deepEqual([peak, atOpen, atResolve], [50, 50, 30]);
        assert.ok(mean! > 10 && mean! < 50, `mean ${mean}`);

        // The chart: the right size, the line at 50 along the top gridline, and at 10 lower down.
        const png = PNG.sync.read(await readFile(join(out, 'INC-1-chart-1.png')));
        assert.deepEqual([png.width, png.height], [WIDTH, HEIGHT]);
        const blueRows = new Set<number>();
        const blue = SERIES_COLORS[0]!.rgb.join();
        for (let y = 0; y < HEIGHT; y++) for (let x = 0; x < WIDTH; x++) if ([...png.data.subarray((y * WIDTH + x) * 4, (y * WIDTH + x) * 4 + 3)].join() === blue) blueRows.add(y);
        const top = Math.min(...blueRows);
        // niceRange(0, 50) is 0..50: 50 is the plot's top edge (y 36), 10 is 4/5 of the way down (y 255).
        assert.ok(Math.abs(top - 36) <= 2, `highest line pixel at y ${top}`);
        assert.ok([...blueRows].some((y) => Math.abs(y - 255) <= 2), 'the line at 10');
        assert.ok([...blueRows].some((y) => Math.abs(y - 91) <= 2), 'the line at 30 (y 91)');

        const missing = runCli(['postmortem', 'INC-9'], env);
        assert.equal(await missing.exited, 1);
        assert.match(missing.stderr(), /there is no incident INC-9/);
        const usage = runCli(['postmortem', 'nine'], env);
        assert.equal(await usage.exited, 2);
        assert.match(usage.stderr(), /usage: postmortem INC-n \[--out <dir>\]/);
      } finally {
        await prometheus.stop();
        target.close();
        await database?.close();
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
}
