import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { FirebreakError } from '../../src/lib/errors.js';
import { isLoopback } from '../../src/http/auth.js';

test('defaults: embedded database in ./data, port 3000, 16 MiB bodies', () => {
  assert.deepEqual(loadConfig({}), {
    port: 3000, host: '0.0.0.0', database: { kind: 'pglite', dataDir: './data' },
    webhookToken: undefined, webhookMaxBytes: 16777216, logLevel: 'info', slack: undefined, pagerduty: undefined,
    jobs: { leaseMs: 30_000, concurrency: { steps: 8, notify: 4, internal: 2 }, keepDoneMs: 86_400_000, keepFailedMs: 14 * 86_400_000, shutdownGraceMs: 20_000 },
    playbooks: {
      dir: './playbooks', execAllowlist: [], execPath: '/usr/local/bin:/usr/bin:/bin', httpAllowedHosts: [],
      prometheusUrl: undefined, alertmanagerUrl: undefined, evidenceMaxBytes: 1048576,
    },
  });
});

test('playbook settings: lists split on commas, URLs end in a slash, bad values named', () => {
  const c = loadConfig({
    EXEC_ALLOWLIST: 'kubectl, /usr/local/bin/disk-cleanup', HTTP_ACTION_ALLOWED_HOSTS: 'deploy.internal,*.svc.cluster.local:8443',
    PROMETHEUS_URL: 'http://prometheus:9090', ALERTMANAGER_URL: 'http://am:9093/', JOB_LEASE_SECONDS: '5', PATH: '/bin',
  });
  assert.deepEqual(c.playbooks.execAllowlist, ['kubectl', '/usr/local/bin/disk-cleanup']);
  assert.deepEqual(c.playbooks.httpAllowedHosts, ['deploy.internal', '*.svc.cluster.local:8443']);
  assert.equal(c.playbooks.prometheusUrl, 'http://prometheus:9090/');
  assert.equal(c.playbooks.alertmanagerUrl, 'http://am:9093/');
  assert.equal(c.playbooks.execPath, '/bin');
  assert.equal(c.jobs.leaseMs, 5000);
  assert.throws(() => loadConfig({ EXEC_ALLOWLIST: 'kubectl;rm', HTTP_ACTION_ALLOWED_HOSTS: 'http://x/', JOB_LEASE_SECONDS: '1' }), (err: Error) =>
    /EXEC_ALLOWLIST: must be program names/.test(err.message) && /HTTP_ACTION_ALLOWED_HOSTS: must be host names/.test(err.message) &&
    /JOB_LEASE_SECONDS: must be at least 2/.test(err.message));
});

test('DATABASE_URL selects Postgres; empty values count as unset; the result is frozen', () => {
  const config = loadConfig({ DATABASE_URL: 'postgres://u:p@db:5432/fb', PORT: '', LOG_LEVEL: '' });
  assert.deepEqual(config.database, { kind: 'postgres', url: 'postgres://u:p@db:5432/fb' });
  assert.equal(config.port, 3000);
  assert.ok(Object.isFrozen(config) && Object.isFrozen(config.database));
});

test('every wrong variable is named at once, and secrets are not echoed', () => {
  assert.throws(
    () => loadConfig({ PORT: '70000', WEBHOOK_MAX_BYTES: 'lots', DATABASE_URL: 'mysql://root:hunter2@x/db', LOG_LEVEL: 'loud', ALERTMANAGER_WEBHOOK_TOKEN: 'has space' }),
    (err: FirebreakError) => {
      assert.equal(err.code, 'CONFIG_INVALID');
      assert.equal(err.message, [
        'Invalid configuration:',
        '  - PORT: must be at most 65535 (got "70000")',
        '  - DATABASE_URL: must be a postgres:// or postgresql:// URL',
        '  - ALERTMANAGER_WEBHOOK_TOKEN: must be printable ASCII without spaces (it travels in an HTTP header)',
        '  - WEBHOOK_MAX_BYTES: must be a whole number (got "lots")',
        '  - LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent (got "loud")',
      ].join('\n'));
      assert.ok(!err.message.includes('hunter2'));
      return true;
    },
  );
});

test('isLoopback', () => {
  for (const a of ['127.0.0.1', '127.9.9.9', '::1', '::ffff:127.0.0.1']) assert.equal(isLoopback(a), true, a);
  for (const a of ['10.0.0.1', '::ffff:10.0.0.1', '192.168.1.1', 'fe80::1', undefined, '']) assert.equal(isLoopback(a), false, String(a));
});

const SLACK = { SLACK_BOT_TOKEN: 'xoxb-1-2-abc', SLACK_SIGNING_SECRET: '0123456789abcdef0123', SLACK_INCIDENT_CHANNEL: '#incidents' };

test('Slack over HTTP: bot token, signing secret and channel; the API URL gets its trailing slash', () => {
  const { slack } = loadConfig({ ...SLACK, SLACK_API_URL: 'http://127.0.0.1:9999/api', SLACK_CREATE_CHANNELS: 'true' });
  assert.deepEqual(slack, {
    botToken: 'xoxb-1-2-abc', signingSecret: '0123456789abcdef0123', appToken: undefined,
    apiUrl: 'http://127.0.0.1:9999/api/', incidentChannel: 'incidents', createChannels: true,
  });
  assert.equal(loadConfig(SLACK).slack!.apiUrl, 'https://slack.com/api/');
});

test('Socket Mode: an app token replaces the signing secret', () => {
  const { slack } = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1-A0-123-abc', SLACK_INCIDENT_CHANNEL: 'C0INCIDENTS' });
  assert.equal(slack!.appToken, 'xapp-1-A0-123-abc');
  assert.equal(slack!.signingSecret, undefined);
});

test('Slack half set up is refused, naming each missing or wrong variable, tokens not echoed', () => {
  const message = (env: Record<string, string>) => {
    try {
      loadConfig(env);
      return '';
    } catch (err) {
      return (err as Error).message;
    }
  };
  assert.equal(message({ SLACK_BOT_TOKEN: 'xoxb-1' }), [
    'Invalid configuration:',
    '  - SLACK_INCIDENT_CHANNEL: is required when SLACK_BOT_TOKEN is set',
    '  - SLACK_SIGNING_SECRET: is required when SLACK_BOT_TOKEN is set (or set SLACK_APP_TOKEN for Socket Mode)',
  ].join('\n'));
  assert.equal(message({ SLACK_SIGNING_SECRET: 'abcdefabcdefabcdef' }),
    'Invalid configuration:\n  - SLACK_SIGNING_SECRET: is set but SLACK_BOT_TOKEN is not: set both, or neither');
  const wrong = message({ ...SLACK, SLACK_BOT_TOKEN: 'xoxp-user-token-secret', SLACK_APP_TOKEN: 'nope-secret', SLACK_CREATE_CHANNELS: 'yes', PORT: 'x' });
  assert.match(wrong, /SLACK_BOT_TOKEN: must be a bot token \(xoxb-…\)/);
  assert.match(wrong, /SLACK_APP_TOKEN: must be an app-level token \(xapp-…\)/);
  assert.match(wrong, /SLACK_CREATE_CHANNELS: must be true or false \(got "yes"\)/);
  assert.match(wrong, /PORT: must be a whole number/);
  assert.ok(!wrong.includes('secret'), 'token values are not echoed');
});
