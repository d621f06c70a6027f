import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PNG } from 'pngjs';
import { draftPostmortem } from '../../src/postmortem/draft.js';
import { ALICE, API_TOKENS, BOB, callApi, type Json } from '../support/api.js';
import { fixture, slackEnv, startTestApp, type TestApp } from '../support/app.js';
import { backends, type TestDatabase } from '../support/databases.js';
import { FakeHttp } from '../support/fake-http.js';
import { FakeSlack } from '../support/fake-slack.js';
import { playbookDir } from '../support/playbooks.js';
import { postSlack, slashCommandBody } from '../support/slack-requests.js';
import { timeline } from '../support/state.js';
import { eventually } from '../support/wait.js';

/** An HTML attribute's text as a browser reads it (the console escapes these five and the backtick). */
const attributeText = (v: string) => v.replace(/&(quot|#39|#96|lt|gt|amp);/g, (_, e: string) => ({ quot: '"', '#39': "'", '#96': '`', lt: '<', gt: '>', amp: '&' })[e]!);

// The fixture's rule (job:http_errors:ratio5m > 0.05) and a playbook query: both are charted.
const PLAYBOOKS = playbookDir({
  'errors.yml': `name: errors
match: ['alertname="HighErrorRate"']
steps:
  - id: error-rate
    action: prometheus.query_range
    with: { query: 'sum(rate(http_requests_total{service="{{ alert.labels.service }}",code=~"5.."}[5m]))', range: 30m }
`,
});

for (const backend of backends()) {
  describe(`postmortem drafts (${backend.name})`, () => {
    let database: TestDatabase;
    let app: TestApp;
    let slack: FakeSlack;
    let prometheus: FakeHttp;
    let failing = false;
    let seq = 0;
    const db = () => database.db;
    const command = async (text: string) => {
      const res = await postSlack(app.url, slashCommandBody({ text, channel_id: 'C0GENERAL', trigger_id: `pm-${++seq}`, user_id: 'U0ALICE' }, Number(new URL(slack.url).port)));
      return (await res.json()) as { response_type: string; text: string };
    };
    const stored = (number: number) => db().query<{ markdown: string; revision: number; charts: number }>(
      `SELECT p.markdown, p.revision, (SELECT count(*)::int FROM postmortem_charts c WHERE c.incident_id = p.incident_id) AS charts
         FROM postmortems p JOIN incidents i ON i.id = p.incident_id WHERE i.number = $1`, [number]).then((r) => r.rows[0]);

    before(async () => {
      database = await backend.create();
      slack = await FakeSlack.start();
      prometheus = await FakeHttp.start();
      // A range answer over the asked window: 1 until the middle, then 9 (per query, one series);
      // the rule's ratio is 0.01, then 0.09, so that its chart is not the playbook query's.
      prometheus.route('POST /api/v1/query_range', (req) => {
        if (failing) return { status: 503, body: 'upstream unavailable' };
        const p = new URLSearchParams(req.body);
        const [start, end, step] = ['start', 'end', 'step'].map((k) => Number(p.get(k)));
        const [low, high] = p.get('query')?.startsWith('job:http_errors:ratio5m') ? ['0.01', '0.09'] : ['1', '9'];
        const values: [number, string][] = [];
        for (let t = start!; t <= end!; t += step!) values.push([t, t < (start! + end!) / 2 ? low : high]);
        return { status: 200, body: { status: 'success', data: { resultType: 'matrix', result: [{ metric: { service: 'checkout' }, values }] } } };
      });
      app = await startTestApp(database, slackEnv(slack.apiUrl, { PLAYBOOKS_DIR: PLAYBOOKS, PROMETHEUS_URL: prometheus.url, FIREBREAK_API_TOKENS: API_TOKENS }));
    });
    after(async () => {
      await app.close();
      await prometheus.close();
      await slack.close();
      await database.close();
    });

    test('resolving drafts the postmortem from the record, with numbers and charts, and posts it as files', async () => {
      await app.postWebhook(await fixture('alertmanager/firing-group.json'));
      await eventually('playbook step', async () => (await db().query(`SELECT 1 FROM step_runs WHERE status = 'succeeded'`)).rows.length > 0);
      assert.equal((await command('ack INC-1')).response_type, 'in_channel');
      await command('resolve INC-1');
      const pm = await eventually('draft', () => stored(1));
      assert.equal(pm.revision, 1);
      assert.equal(pm.charts, 2);
      const m = pm.markdown;
      for (const expected of [
        '# Postmortem draft: INC-1 ', '| Status | resolved |', 'INC-1 acknowledged by U0ALICE',
        '| HighErrorRate | 2 | ', '### errors', '| error-rate | `prometheus.query_range` | succeeded |',
        '### 1. `sum(rate(http_requests_total{service="checkout",code=~"5.."}[5m]))`', 'From playbook errors, step error-rate;',
        '### 2. `job:http_errors:ratio5m > 0.05`', 'From alert rule HighErrorRate;',
        '| \\{service="checkout"\\} | blue | 9 |', 'Chart: `INC-1-chart-2.png`', '| Time to acknowledge (opened → acknowledged) |',
      ]) assert.ok(m.includes(expected), expected);
      // Every timeline event is in the draft, in order.
      const events = await timeline(db(), 1);
      const rows = m.split('\n## Timeline\n')[1]!.split('\n## ')[0]!.trim().split('\n').slice(2);
      assert.equal(rows.length, events.length);
      assert.deepEqual(rows.map((r) => r.split(' | ')[2]), events.map((e) => `\`${e.kind}\``));

      // Posted: one message with the Markdown and the two charts, whose bytes are the stored PNGs.
      const md = await slack.waitFor('the draft uploaded', () => slack.uploads.find((u) => u.body.startsWith('# Postmortem draft: INC-1') && u.complete));
      assert.equal(md.body, m);
      const completed = slack.uploads.filter((u) => u.complete === md.complete);
      assert.match(String(md.complete!.initial_comment), /Postmortem draft of \*INC-1\* \(revision 1\)/);
      const pngs = completed.filter((u) => u.bytes.subarray(1, 4).toString() === 'PNG');
      assert.equal(pngs.length, 2);
      const { rows: charts } = await db().query<{ png: Uint8Array }>(
        'SELECT c.png FROM postmortem_charts c JOIN incidents i ON i.id = c.incident_id WHERE i.number = 1 ORDER BY c.position');
      assert.deepEqual(pngs.map((u) => u.bytes.toString('base64')).sort(), charts.map((c) => Buffer.from(c.png).toString('base64')).sort());
      for (const png of pngs.map((u) => PNG.sync.read(u.bytes))) assert.deepEqual([png.width, png.height], [900, 360]);
    });

    test('the charts through the API (PNG bytes as stored) and in the console, whose <img> loads them with the sign-in cookie', async () => {
      const { rows: storedCharts } = await db().query<{ position: number; title: string; png: Uint8Array }>(
        'SELECT c.position, c.title, c.png FROM postmortem_charts c JOIN incidents i ON i.id = c.incident_id WHERE i.number = 1 ORDER BY c.position');
      assert.deepEqual(storedCharts.map((c) => c.position), [1, 2]);
      const pm = await callApi(app, 'GET', '/incidents/INC-1/postmortem');
      assert.equal(pm.status, 200, JSON.stringify(pm.body));
      assert.equal(pm.body.revision, 1);
      const charts = pm.body.charts as Json[];
      assert.deepEqual(charts.map((c) => [c.position, c.png]), [
        [1, '/api/v1/incidents/INC-1/postmortem/charts/1'], [2, '/api/v1/incidents/INC-1/postmortem/charts/2'],
      ]);
      assert.deepEqual(charts.map((c) => c.title), storedCharts.map((c) => c.title));
      assert.ok(charts[0].title.includes('http_requests_total{service="checkout"'), charts[0].title);
      // The incident's own answer links the same images.
      const detail = await callApi(app, 'GET', '/incidents/INC-1');
      assert.equal(detail.status, 200);
      assert.deepEqual((detail.body.postmortem.charts as Json[]).map((c) => c.png), charts.map((c) => c.png));

      const pngOf = async (link: string, headers: Record<string, string>) => {
        const res = await fetch(`${app.url}${link}`, { headers });
        return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
      };
      const served = new Map<string, Buffer>();
      for (const chart of charts) {
        const res = await pngOf(chart.png, { authorization: `Bearer ${BOB.token}` });
        assert.equal(res.status, 200, chart.png);
        assert.equal(res.headers.get('content-type'), 'image/png');
        assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
        assert.equal(res.headers.get('content-length'), String(res.bytes.length));
        const row = storedCharts.find((c) => c.position === chart.position)!;
        assert.ok(res.bytes.equals(Buffer.from(row.png)), `chart ${chart.position}: the stored bytes`);
        const png = PNG.sync.read(res.bytes);
        assert.deepEqual([png.width, png.height], [900, 360]);
        served.set(chart.png, res.bytes);
      }
      assert.ok(!served.get(charts[0].png)!.equals(served.get(charts[1].png)!), 'two different charts (so each position\'s bytes are told apart)');

      const missing = await callApi(app, 'GET', '/incidents/INC-1/postmortem/charts/9');
      assert.equal(missing.status, 404);
      assert.deepEqual(missing.body, { error: 'not_found', message: "INC-1's postmortem has no chart 9" });
      assert.equal((await callApi(app, 'GET', '/incidents/INC-1/postmortem/charts/one')).status, 400);
      const anonymous = await pngOf(charts[0].png, {});
      assert.equal(anonymous.status, 401);
      assert.notEqual(anonymous.headers.get('content-type'), 'image/png');
      assert.equal((await pngOf(charts[0].png, { authorization: 'Bearer not-a-token-of-anyone' })).status, 401);

      // The console: sign in (the form's token and the cookie), then the postmortem page.
      const form = await fetch(`${app.url}/sign-in`);
      const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
      const signIn = await fetch(`${app.url}/sign-in`, {
        method: 'POST', redirect: 'manual', body: new URLSearchParams({ _csrf: csrf, token: ALICE.token }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: app.url },
      });
      assert.equal(signIn.status, 303);
      const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
      assert.match(cookie, /^firebreak_session=./);
      const page = await fetch(`${app.url}/incidents/INC-1/postmortem`, { headers: { cookie }, redirect: 'manual' });
      assert.equal(page.status, 200);
      const text = await page.text();
      assert.match(text, /<article id="postmortem">[^]*Postmortem draft: INC-1 [^]*<\/article>/);
      const images = [...text.matchAll(/<img class="chart" src="([^"]*)" alt="([^"]*)">/g)].map((m) => ({ src: attributeText(m[1]!), alt: attributeText(m[2]!) }));
      assert.deepEqual(images, charts.map((c) => ({ src: c.png, alt: c.title })));
      // Each image follows the article, in a figure captioned with its title.
      assert.ok(text.indexOf('<figure><img class="chart"') > text.indexOf('</article>'));
      for (const image of images) {
        const res = await pngOf(image.src, { cookie });
        assert.equal(res.status, 200, image.src);
        assert.equal(res.headers.get('content-type'), 'image/png');
        assert.ok(res.bytes.equals(served.get(image.src)!), `${image.src}: the same PNG with the cookie alone`);
      }
      // A cookie of no one's token opens nothing.
      assert.equal((await pngOf(images[0]!.src, { cookie: 'firebreak_session=not-a-token-of-anyone' })).status, 401);
    });

    test('/incident postmortem redrafts on request; a failing Prometheus is said so and the draft is still made', async () => {
      failing = true;
      const answer = await command('postmortem INC-1');
      assert.match(answer.text, /Drafting the postmortem of \*INC-1\*/);
      const pm = await eventually('revision 2', async () => ((await stored(1))?.revision === 2 ? stored(1) : undefined));
      assert.equal(pm!.charts, 0);
      assert.equal((pm!.markdown.match(/_The query failed: prometheus: HTTP 503, not a Prometheus API answer\._/g) ?? []).length, 2);
      failing = false;
      assert.match((await command('postmortem INC-99')).text, /There is no incident INC-99/);
    });

    test('the same data gives the same draft', async () => {
      const { rows } = await db().query<{ id: number }>('SELECT id FROM incidents WHERE number = 1');
      const now = new Date('2030-01-01T00:00:00Z');
      const [a, b] = [await draftPostmortem(db(), rows[0]!.id, undefined, now), await draftPostmortem(db(), rows[0]!.id, undefined, now)];
      assert.equal(a!.markdown, b!.markdown);
      assert.ok(a!.markdown.includes('_No metrics: Prometheus is not configured here \\(PROMETHEUS\\_URL is unset\\)._'));
    });
  });
}
