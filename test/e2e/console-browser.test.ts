import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ALICE, API_TOKENS } from '../support/api.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { backends, type TestDatabase } from '../support/databases.js';
import { FakeHttp } from '../support/fake-http.js';
import { alertBody, playbookDir } from '../support/playbooks.js';

// Debian's chromium package (.ci/run installs it); nothing downloads a browser.
const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = new URL('../artifacts/', import.meta.url);

const PLAYBOOK = (deploy: FakeHttp) => ({
  'restart.yml': `name: restart-checkout
match: ['alertname="CheckoutDown"']
steps:
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
  const shot = (name: string) => page.screenshot({ path: new URL(`console-${name}.png`, ARTIFACTS).pathname, fullPage: true });

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    database = await backend.create();
    deploy = await FakeHttp.start();
    deploy.route('GET /status/checkout', () => ({ status: 200, body: { pods: 3, ready: 1 } }));
    deploy.route('POST /restart/checkout', () => ({ status: 200, body: { restarted: true } }));
    app = await startTestApp(database, {
      FIREBREAK_API_TOKENS: API_TOKENS, PLAYBOOKS_DIR: playbookDir(PLAYBOOK(deploy)), HTTP_ACTION_ALLOWED_HOSTS: deploy.host,
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
    await page.waitForFunction("document.body.dataset.live === 'connected'");
    assert.equal(await page.locator('#incidents').innerText(), 'No incidents.');

    const loads: string[] = [];
    page.on('framenavigated', (f) => loads.push(f.url()));
    assert.equal((await app.postWebhook(alertBody({ alertname: 'CheckoutDown', service: 'checkout' }))).status, 200);
    await page.locator('#incidents a', { hasText: 'INC-1' }).waitFor();
    assert.deepEqual(loads, [], 'the incident appeared without a reload');
    await shot('list');

    // Keyboard only: follow the link, then the Approve button.
    await page.locator('#incidents a', { hasText: 'INC-1' }).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(`${app.url}/incidents/INC-1`);
    await page.waitForFunction("document.body.dataset.live === 'connected'");
    const approve = page.locator('#approvals button', { hasText: 'Approve' });
    await approve.waitFor();
    assert.equal(await page.locator('.step-status[data-step="look"]').innerText(), 'succeeded');
    await shot('incident-pending');
    assert.equal(deploy.received.filter((r) => r.method === 'POST').length, 0);
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
    await shot('postmortem');
  });
});
