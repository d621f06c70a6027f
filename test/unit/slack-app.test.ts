import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/lib/logger.js';
import { systemClock } from '../../src/lib/clock.js';
import { createMetrics } from '../../src/lib/metrics.js';
import { createSlackApp } from '../../src/slack/app.js';
import type { Db } from '../../src/db/db.js';
import type { CommandDeps } from '../../src/runner/command-deps.js';

// Nothing here touches the database: the app is only built, never sent a request.
const noDb = {} as Db;
const deps = { db: noDb, clock: systemClock, logger: createLogger('silent'), metrics: createMetrics(async () => ({})) } as CommandDeps;

test('SLACK_APP_TOKEN selects Socket Mode: no HTTP route, and building it calls nobody', () => {
  const config = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1-A0-1-abc', SLACK_INCIDENT_CHANNEL: 'C0INCIDENTS', SLACK_API_URL: 'http://127.0.0.1:9/api/' });
  const app = createSlackApp(config.slack!, deps, () => undefined);
  assert.equal(app.mode, 'socket');
  assert.equal(app.events, undefined);
  assert.equal(app.socketState?.(), 'connecting', 'not connected before start()');
});

test('without an app token it serves HTTP at /slack/events', () => {
  const config = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: '0123456789abcdef', SLACK_INCIDENT_CHANNEL: 'C0INCIDENTS' });
  const app = createSlackApp(config.slack!, deps, () => undefined);
  assert.equal(app.mode, 'http');
  assert.equal(typeof app.events, 'function');
});

test('the manifests declare the command, interactivity, the Home tab and its event', async () => {
  const http = await readFile(new URL('../../slack-app-manifest.yml', import.meta.url), 'utf8');
  const socket = await readFile(new URL('../../slack-app-manifest.socket.yml', import.meta.url), 'utf8');
  // The scopes are kept in step with the code's calls by slack-manifest.test.ts.
  for (const manifest of [http, socket]) {
    assert.match(manifest, /- command: \/incident\n/);
    assert.match(manifest, /should_escape: true/);
    assert.match(manifest, /interactivity:\n\s+is_enabled: true/);
    assert.match(manifest, /home_tab_enabled: true/);
    assert.match(manifest, /bot_events:\n\s+- app_home_opened\n/);
  }
  assert.equal(http.match(/https:\/\/firebreak\.example\.com\/slack\/events/g)?.length, 3, 'slash command, events, interactivity');
  assert.match(http, /socket_mode_enabled: false/);
  assert.match(socket, /socket_mode_enabled: true/);
  assert.ok(!socket.includes('/slack/events'));
});
