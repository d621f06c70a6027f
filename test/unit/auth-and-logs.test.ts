import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { checkWebhookAuth } from '../../src/http/auth.js';
import { HttpError } from '../../src/http/respond.js';
import { captureLogs } from '../support/logs.js';

const requestFrom = (remoteAddress: string, authorization?: string) =>
  ({ socket: { remoteAddress }, headers: authorization ? { authorization } : {} }) as unknown as IncomingMessage;

test('with no token configured, only loopback clients pass', () => {
  assert.doesNotThrow(() => checkWebhookAuth(requestFrom('127.0.0.1'), undefined));
  assert.doesNotThrow(() => checkWebhookAuth(requestFrom('::1'), undefined));
  assert.throws(() => checkWebhookAuth(requestFrom('10.1.2.3'), undefined), (err: HttpError) => {
    assert.equal(err.status, 403);
    assert.equal(err.message, 'webhooks from other hosts need ALERTMANAGER_WEBHOOK_TOKEN to be set on firebreak');
    return true;
  });
});

test('with no token and ALERTMANAGER_WEBHOOK_UNAUTHENTICATED=true, any client passes', () => {
  assert.doesNotThrow(() => checkWebhookAuth(requestFrom('10.1.2.3'), undefined, true));
});

test('with a token, every client must send it, loopback included; the scheme is case-insensitive', () => {
  const token = 'a-long-enough-token-1234';
  assert.doesNotThrow(() => checkWebhookAuth(requestFrom('10.1.2.3', `Bearer ${token}`), token));
  assert.doesNotThrow(() => checkWebhookAuth(requestFrom('10.1.2.3', `bearer ${token}`), token));
  for (const header of [undefined, `Basic ${token}`, `Bearer ${token.slice(1)}`, 'Bearer ']) {
    assert.throws(() => checkWebhookAuth(requestFrom('127.0.0.1', header), token), (err: HttpError) => err.status === 401, String(header));
  }
});

test('logging the configuration or request headers prints no secret', () => {
  const logs = captureLogs();
  const config = loadConfig({ DATABASE_URL: 'postgres://fb:db-password-42@db/fb', ALERTMANAGER_WEBHOOK_TOKEN: 'webhook-token-secret-99' });
  logs.logger.info({ config }, 'config');
  logs.logger.info({ headers: { authorization: 'Bearer webhook-token-secret-99' } }, 'request');
  const text = logs.text();
  assert.ok(!text.includes('db-password-42') && !text.includes('webhook-token-secret-99'), text);
  assert.equal((logs.lines()[0]!.config as { webhookToken: string }).webhookToken, '[redacted]');
});
