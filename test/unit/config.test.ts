import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { FirebreakError } from '../../src/lib/errors.js';
import { isLoopback } from '../../src/http/auth.js';

test('defaults: embedded database in ./data, port 3000, 16 MiB bodies', () => {
  assert.deepEqual(loadConfig({}), {
    port: 3000, host: '0.0.0.0', database: { kind: 'pglite', dataDir: './data' },
    webhookToken: undefined, webhookMaxBytes: 16777216, logLevel: 'info', slack: undefined,
  });
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
