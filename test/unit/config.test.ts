import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { FirebreakError } from '../../src/lib/errors.js';
import { isLoopback, isLoopbackHost } from '../../src/lib/loopback.js';

test('defaults: embedded database in ./data, port 3000 on loopback only (no token), 16 MiB bodies', () => {
  assert.deepEqual(loadConfig({}), {
    port: 3000, host: '127.0.0.1', database: { kind: 'pglite', dataDir: './data' },
    webhookToken: undefined, grafanaWebhookToken: undefined, webhookUnauthenticated: false, webhookMaxBytes: 16777216, logLevel: 'info', slack: undefined, pagerduty: undefined,
    jobs: { leaseMs: 30_000, concurrency: { steps: 8, notify: 4, internal: 2 }, keepDoneMs: 86_400_000, keepFailedMs: 14 * 86_400_000, shutdownGraceMs: 20_000 },
    retention: { processedRequestsMs: 86_400_000, rejectedWebhooksMs: 30 * 86_400_000, evidenceBodiesMs: 180 * 86_400_000, postmortemsMs: 365 * 86_400_000 },
    playbooks: {
      dir: './playbooks', execAllowlist: [], execPath: '/usr/local/bin:/usr/bin:/bin', execEnv: {}, httpAllowedHosts: [],
      prometheusUrl: undefined, alertmanagerUrl: undefined, evidenceMaxBytes: 1048576,
    },
    access: { read: ['*'], respond: ['*'], command: ['*'], run: ['*'], page: ['*'], admin: [] },
    apiTokens: [],
    client: { url: 'http://127.0.0.1:3000', token: undefined },
    publicUrl: undefined,
    routes: [], kubernetes: undefined, jira: undefined, linear: undefined,
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

test('FIREBREAK_PUBLIC_URL: the console\'s address for links, without its trailing slash; nothing that would end a Slack link', () => {
  assert.equal(loadConfig({ FIREBREAK_PUBLIC_URL: 'https://firebreak.example.com/ops/' }).publicUrl, 'https://firebreak.example.com/ops');
  assert.throws(() => loadConfig({ FIREBREAK_PUBLIC_URL: 'ftp://firebreak.example.com' }), /FIREBREAK_PUBLIC_URL: must be an http\(s\) URL/);
  assert.throws(() => loadConfig({ FIREBREAK_PUBLIC_URL: 'https://firebreak.example.com/a|b' }), /FIREBREAK_PUBLIC_URL: must not contain \|, <, > or spaces/);
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

test('isLoopback, isLoopbackHost', () => {
  for (const a of ['127.0.0.1', '127.9.9.9', '::1', '::ffff:127.0.0.1']) assert.equal(isLoopback(a), true, a);
  for (const a of ['10.0.0.1', '::ffff:10.0.0.1', '192.168.1.1', 'fe80::1', undefined, '']) assert.equal(isLoopback(a), false, String(a));
  for (const h of ['localhost', 'LOCALHOST', '127.0.0.2', '::1', '[::1]']) assert.equal(isLoopbackHost(h), true, h);
  for (const h of ['0.0.0.0', '::', '10.0.0.1', 'firebreak.internal', 'localhost.evil.com']) assert.equal(isLoopbackHost(h), false, h);
});

test('no token: loopback only, unless said explicitly; with a token, every address', () => {
  const HOST_REFUSED = 'Invalid configuration:\n  - HOST: is not a loopback address and ALERTMANAGER_WEBHOOK_TOKEN is not set: set the token ' +
    '(or ALERTMANAGER_WEBHOOK_UNAUTHENTICATED=true to accept webhooks from anyone who can reach firebreak) (got "0.0.0.0")';
  assert.throws(() => loadConfig({ HOST: '0.0.0.0' }), (err: Error) => err.message === HOST_REFUSED);
  assert.throws(() => loadConfig({ HOST: '0.0.0.0', ALERTMANAGER_WEBHOOK_TOKEN: '' }), (err: Error) => err.message === HOST_REFUSED);
  for (const host of ['127.0.0.1', 'localhost', '::1']) assert.equal(loadConfig({ HOST: host }).host, host);
  assert.equal(loadConfig({ ALERTMANAGER_WEBHOOK_TOKEN: 'a-long-random-token-123' }).host, '0.0.0.0');
  assert.equal(loadConfig({ ALERTMANAGER_WEBHOOK_TOKEN: 'a-long-random-token-123', HOST: '10.0.0.5' }).host, '10.0.0.5');
  const open = loadConfig({ ALERTMANAGER_WEBHOOK_UNAUTHENTICATED: 'true' });
  assert.deepEqual([open.host, open.webhookUnauthenticated, open.webhookToken], ['0.0.0.0', true, undefined]);
  assert.equal(loadConfig({ ALERTMANAGER_WEBHOOK_UNAUTHENTICATED: 'true', HOST: '10.0.0.5' }).host, '10.0.0.5');
  assert.throws(() => loadConfig({ ALERTMANAGER_WEBHOOK_UNAUTHENTICATED: 'yes' }), /ALERTMANAGER_WEBHOOK_UNAUTHENTICATED: must be true or false/);
  assert.throws(() => loadConfig({ ALERTMANAGER_WEBHOOK_UNAUTHENTICATED: 'true', ALERTMANAGER_WEBHOOK_TOKEN: 'a-long-random-token-123' }),
    /ALERTMANAGER_WEBHOOK_UNAUTHENTICATED: is true but ALERTMANAGER_WEBHOOK_TOKEN is set: unset one of them/);
});

const SLACK = { SLACK_BOT_TOKEN: 'xoxb-1-2-abc', SLACK_SIGNING_SECRET: '0123456789abcdef0123', SLACK_INCIDENT_CHANNEL: '#incidents' };

test('Slack over HTTP: bot token, signing secret and channel; the API URL gets its trailing slash', () => {
  const { slack } = loadConfig({ ...SLACK, SLACK_API_URL: 'http://127.0.0.1:9999/api', SLACK_CREATE_CHANNELS: 'true' });
  assert.deepEqual(slack, {
    botToken: 'xoxb-1-2-abc', signingSecret: '0123456789abcdef0123', appToken: undefined,
    apiUrl: 'http://127.0.0.1:9999/api/', incidentChannel: 'incidents', createChannels: true, allowedTeamIds: [], allowExternalUsers: false,
    budget: { perSecond: 1, burst: 3 }, outage: { threshold: 5, windowMs: 60_000, ownCardSeverity: 'sev1' },
  });
  assert.equal(loadConfig(SLACK).slack!.apiUrl, 'https://slack.com/api/');
});

test('outage mode and the channel budget: set, and refused with a precise reason', () => {
  const { slack } = loadConfig({
    ...SLACK, OUTAGE_THRESHOLD: '20', OUTAGE_WINDOW: '2m', OUTAGE_OWN_CARD_SEVERITY: 'sev2', SLACK_CHANNEL_RATE: '0.5', SLACK_CHANNEL_BURST: '5',
  });
  assert.deepEqual(slack!.outage, { threshold: 20, windowMs: 120_000, ownCardSeverity: 'sev2' });
  assert.deepEqual(slack!.budget, { perSecond: 0.5, burst: 5 });
  assert.throws(() => loadConfig({
    ...SLACK, OUTAGE_THRESHOLD: '1', OUTAGE_WINDOW: 'a minute', OUTAGE_OWN_CARD_SEVERITY: 'critical', SLACK_CHANNEL_RATE: '0', SLACK_CHANNEL_BURST: '50',
  }), (err: Error) => {
    assert.equal(err.message, [
      'Invalid configuration:',
      '  - SLACK_CHANNEL_RATE: must be at least 0.05 (got "0")',
      '  - SLACK_CHANNEL_BURST: must be at most 20 (got "50")',
      '  - OUTAGE_THRESHOLD: must be at least 2 (got "1")',
      '  - OUTAGE_WINDOW: must be a duration like 30s, 5m or 1h (got "a minute")',
      '  - OUTAGE_OWN_CARD_SEVERITY: must be sev1, sev2, sev3 or sev4 (got "critical")',
    ].join('\n'));
    return true;
  });
  assert.throws(() => loadConfig({ ...SLACK, OUTAGE_WINDOW: '500ms' }), /OUTAGE_WINDOW: must be between 1s and 1d/);
  assert.throws(() => loadConfig({ OUTAGE_THRESHOLD: '5' }), /OUTAGE_THRESHOLD: is set but SLACK_BOT_TOKEN is not/);
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

test('Slack origins: other workspaces allowed by id, external users by a switch; bad ids named', () => {
  const { slack } = loadConfig({ ...SLACK, SLACK_ALLOWED_TEAM_IDS: 'T0PARTNER, E0ORG0001', SLACK_ALLOW_EXTERNAL_USERS: 'true' });
  assert.deepEqual([slack!.allowedTeamIds, slack!.allowExternalUsers], [['T0PARTNER', 'E0ORG0001'], true]);
  assert.throws(() => loadConfig({ ...SLACK, SLACK_ALLOWED_TEAM_IDS: 'acme.slack.com', SLACK_ALLOW_EXTERNAL_USERS: 'sure' }), (err: Error) =>
    /SLACK_ALLOWED_TEAM_IDS: must be Slack workspace \(T…\) or organization \(E…\) ids/.test(err.message) &&
    /SLACK_ALLOW_EXTERNAL_USERS: must be true or false \(got "sure"\)/.test(err.message));
  assert.throws(() => loadConfig({ SLACK_ALLOWED_TEAM_IDS: 'T0PARTNER' }), /SLACK_ALLOWED_TEAM_IDS: is set but SLACK_BOT_TOKEN is not/);
});

test('the access policy: ACCESS_<PERMISSION> lists user ids, @groups or *; unset is everyone, admin nobody', () => {
  const { access } = loadConfig({ ACCESS_RUN: '@sre-leads, U0ALICE', ACCESS_PAGE: 'W0BOB', ACCESS_ADMIN: 'U0ROOT', ACCESS_READ: '*' });
  assert.deepEqual(access, { read: ['*'], respond: ['*'], command: ['*'], run: ['@sre-leads', 'U0ALICE'], page: ['W0BOB'], admin: ['U0ROOT'] });
  assert.throws(() => loadConfig({ ACCESS_RUN: 'alice', ACCESS_COMMAND: ',', ACCESS_ADMIN: '*' }), (err: Error) => {
    assert.match(err.message, /ACCESS_RUN: must be Slack user ids \(U…\), @user-group handles or \*, separated by commas \(got "alice"\)/);
    assert.match(err.message, /ACCESS_COMMAND: must name at least one holder \(leave it unset for everyone\)/);
    assert.match(err.message, /ACCESS_ADMIN: must not be \* \(admin holds every permission/);
    return true;
  });
});
