import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ALICE, API_TOKENS } from '../support/api.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { backends, type TestDatabase } from '../support/databases.js';
import { FakeHttp } from '../support/fake-http.js';
import { alertBody, playbookDir } from '../support/playbooks.js';
import { eventually } from '../support/wait.js';

// Debian's chromium package (.ci/run installs it); nothing downloads a browser.
const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = new URL('../artifacts/', import.meta.url);

// Its first step's query is the postmortem's one chart (the alert's generatorURL carries no rule expression).
const PLAYBOOK = (deploy: FakeHttp) => ({
  'restart.yml': `name: restart-checkout
match: ['alertname="CheckoutDown"']
steps:
  - id: error-rate
    action: prometheus.query_range
    with: { query: 'sum(rate(http_requests_total{service="{{ alert.labels.service }}"}[5m]))', range: 30m }
  - id: look
    action: http
    with: { method: GET, url: "${deploy.url}status/{{ alert.labels.service }}" }
  - id: restart
    action: http
    approval: { approvers: [U0ALICE] }
    with: { method: POST, url: "${deploy.url}restart/{{ alert.labels.service }}" }
`,
});

// One back end is enough for what the browser sees (the API tests run both); the embedded one.
const backend = backends()[0]!;

describe('the console in a real Chromium', { skip: existsSync(CHROMIUM) ? false : `no ${CHROMIUM}: apt-get install chromium` }, () => {
  let database: TestDatabase;
  let app: TestApp;
  let deploy: FakeHttp;
  let browser: Browser;
  let page: Page;
  // Polls an expression in the page from here: waitForFunction polls by eval() in the page, which the
  // console's CSP (no 'unsafe-eval') refuses unless the first try is already true.
  const until = (what: string, expression: string, timeoutMs?: number) => eventually(what, () => page.evaluate(expression), timeoutMs);
  const live = () => until('the live view', "document.body.dataset.live === 'connected'");
  const shot = (name: string) => page.screenshot({ path: new URL(`console-${name}.png`, ARTIFACTS).pathname, fullPage: true });

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    database = await backend.create();
    deploy = await FakeHttp.start();
    deploy.route('GET /status/checkout', () => ({ status: 200, body: { pods: 3, ready: 1 } }));
    deploy.route('POST /restart/checkout', () => ({ status: 200, body: { restarted: true } }));
    // It stands in for Prometheus too: a range answer over the asked window, 1 until the middle, then 9.
    deploy.route('POST /api/v1/query_range', (req) => {
      const p = new URLSearchParams(req.body);
      const [start, end, step] = ['start', 'end', 'step'].map((k) => Number(p.get(k)));
      const values: [number, string][] = [];
      for (let t = start!; t <= end!; t += step!) values.push([t, t < (start! + end!) / 2 ? '1' : '9']);
      return { status: 200, body: { status: 'success', data: { resultType: 'matrix', result: [{ metric: { service: 'checkout' }, values }] } } };
    });
    app = await startTestApp(database, {
      FIREBREAK_API_TOKENS: API_TOKENS, PLAYBOOKS_DIR: playbookDir(PLAYBOOK(deploy)), HTTP_ACTION_ALLOWED_HOSTS: deploy.host,
      PROMETHEUS_URL: deploy.url, // ends with '/' (firebreak adds one when it does not)
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  });
  after(async () => {
    await browser?.close();
    await app?.close();
    await deploy?.close();
    await database?.close();
  });

  test('sign in, watch an alert open an incident without reloading, approve its step, see it run, read the postmortem', async () => {
    await page.goto(`${app.url}/`);
    assert.equal(new URL(page.url()).pathname, '/sign-in');
    await page.locator('#token').fill(ALICE.token);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${app.url}/`);
    await live();
    assert.equal(await page.locator('#incidents').innerText(), 'No incidents.');

    const loads: string[] = [];
    page.on('framenavigated', (f) => loads.push(f.url()));
    assert.equal((await app.postWebhook(alertBody({ alertname: 'CheckoutDown', service: 'checkout' }))).status, 200);
    await page.locator('#incidents a', { hasText: 'INC-1' }).waitFor();
    assert.deepEqual(loads, [], 'the incident appeared without a reload');
    await shot('list');

    // The playbook runs on meanwhile, and each timeline event of it makes the list swap its <main>,
    // which drops the focus from a link: wait until it stops at its approval and the page has caught up.
    const lastAt = await eventually('the approval requested', async () => {
      const { rows } = await database.db.query<{ at: Date }>(
        `SELECT max(e.at) AS at FROM timeline_events e WHERE EXISTS (SELECT 1 FROM approvals a WHERE a.status = 'pending')`);
      return rows[0]?.at ?? undefined;
    });
    await until('the list refreshed after the approval request', `Number(document.body.dataset.updated ?? 0) > ${lastAt.getTime()}`);
    await new Promise((r) => setTimeout(r, 500));

    // Keyboard only: follow the link, then the Approve button.
    await page.locator('#incidents a', { hasText: 'INC-1' }).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(`${app.url}/incidents/INC-1`);
    await live();
    const approve = page.locator('#approvals button', { hasText: 'Approve' });
    await approve.waitFor();
    assert.equal(await page.locator('.step-status[data-step="error-rate"]').innerText(), 'succeeded');
    assert.equal(await page.locator('.step-status[data-step="look"]').innerText(), 'succeeded');
    await shot('incident-pending');
    assert.equal(deploy.to('/restart/checkout').length, 0);
    assert.equal(deploy.to('/api/v1/query_range').length, 1, 'the step asked Prometheus');
    await approve.focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(`${app.url}/incidents/INC-1`);
    await page.locator('.step-status[data-step="restart"]', { hasText: 'succeeded' }).waitFor();
    assert.equal(deploy.received.filter((r) => r.method === 'POST' && r.path === '/restart/checkout').length, 1);
    assert.match(await page.locator('#timeline').innerText(), /approved by U0ALICE/);
    assert.ok(await page.locator('a', { hasText: /^evidence \d+$/ }).count() >= 2, 'each step\'s evidence is linked');
    await shot('incident-approved');

    await page.locator('#command').fill('postmortem');
    // The form posts to /command and is redirected back to this page: wait for that page to load
    // (the URL is already this page's) before leaving, or it interrupts the next navigation.
    const reloaded = page.waitForEvent('load');
    await page.keyboard.press('Enter');
    await reloaded;
    await page.goto(`${app.url}/incidents/INC-1/postmortem`);
    for (let i = 0; i < 100 && !(await page.locator('#postmortem').count()); i++) {
      await new Promise((r) => setTimeout(r, 200));
      await page.reload();
    }
    assert.match(await page.locator('#postmortem').innerText(), /INC-1/);
    // The step's chart, drawn by the browser from the API's PNG with the sign-in cookie: every image
    // loaded and decoded at the chart's size (a failed load leaves naturalWidth 0).
    const charts = page.locator('#postmortem ~ figure img.chart');
    assert.equal(await charts.count(), 1);
    assert.deepEqual(await charts.evaluateAll((imgs) => imgs.map((i) => [i.getAttribute('src'), i.getAttribute('alt')])), [
      ['/api/v1/incidents/INC-1/postmortem/charts/1', 'sum(rate(http_requests_total{service="checkout"}[5m]))'],
    ]);
    const images = "[...document.querySelectorAll('#postmortem ~ figure img.chart')]";
    await until('the charts loaded', `${images}.length > 0 && ${images}.every((i) => i.complete && i.naturalWidth === 900)`, 10_000);
    assert.deepEqual(await page.evaluate(`${images}.map((i) => [i.naturalWidth, i.naturalHeight])`), [[900, 360]]);
    await shot('postmortem');
  });
});
