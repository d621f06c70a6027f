import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { test } from 'node:test';
import { createCallers } from '../../src/api/callers.js';
import { loadConfig } from '../../src/config/config.js';
import { HttpError } from '../../src/http/respond.js';

const request = (remoteAddress: string, authorization?: string) =>
  ({ headers: authorization ? { authorization } : {}, socket: { remoteAddress } }) as unknown as IncomingMessage;
const status = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof HttpError ? [err.status, err.code] : err;
  }
  return 'answered';
};

test('FIREBREAK_API_TOKENS: name:token[:SLACKUSERID] items; bad items and repeated names refused, tokens not echoed', () => {
  const { apiTokens } = loadConfig({ FIREBREAK_API_TOKENS: 'alice:0123456789abcdef0123:U0ALICE, ci-bot:fedcba9876543210fedc' });
  assert.deepEqual(apiTokens, [
    { name: 'alice', token: '0123456789abcdef0123', slackUserId: 'U0ALICE' },
    { name: 'ci-bot', token: 'fedcba9876543210fedc', slackUserId: undefined },
  ]);
  assert.deepEqual(loadConfig({}).apiTokens, []);
  for (const bad of ['alice:short', 'alice', 'Alice:0123456789abcdef0123', 'alice:0123456789abcdef0123:alice', 'a:0123456789abcdef0123,a:fedcba9876543210fedc']) {
    assert.throws(() => loadConfig({ FIREBREAK_API_TOKENS: bad }), (err: Error) => {
      assert.match(err.message, /FIREBREAK_API_TOKENS: (must be name:token|names a person twice)/, bad);
      assert.doesNotMatch(err.message, /0123456789abcdef|short/, 'the value is not echoed');
      return true;
    });
  }
});

test('with tokens: the bearer token names the person (a Slack id when mapped, else api:<name>); none or a wrong one is 401 from anywhere', () => {
  const callers = createCallers(loadConfig({ FIREBREAK_API_TOKENS: 'alice:0123456789abcdef0123:U0ALICE,bob:fedcba9876543210fedc' }).apiTokens, { demo: false });
  assert.deepEqual(callers.identify(request('10.0.0.8', 'Bearer 0123456789abcdef0123')), { principal: { actor: 'U0ALICE', slackUserId: 'U0ALICE' }, mayWrite: true });
  assert.deepEqual(callers.identify(request('10.0.0.8', 'bearer fedcba9876543210fedc')).principal, { actor: 'api:bob', slackUserId: undefined });
  assert.deepEqual(status(() => callers.identify(request('127.0.0.1'))), [401, 'unauthorized'], 'loopback needs a token too once tokens exist');
  assert.deepEqual(status(() => callers.identify(request('10.0.0.8', 'Bearer 0123456789abcdef012'))), [401, 'unauthorized']);
  assert.deepEqual(status(() => callers.identify(request('10.0.0.8', 'Basic 0123456789abcdef0123'))), [401, 'unauthorized']);
  assert.equal(callers.identify(request('10.0.0.8'), 'fedcba9876543210fedc').principal.actor, 'api:bob', 'the console\'s cookie token');
});

test('without tokens: clients on this host only, read-only (writing in demo mode); others 403', () => {
  const callers = createCallers([], { demo: false });
  for (const address of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) {
    assert.deepEqual(callers.identify(request(address)), { principal: { actor: 'api:local', slackUserId: undefined }, mayWrite: false }, address);
  }
  for (const address of ['10.0.0.8', '::ffff:192.168.1.2', '2001:db8::1']) assert.deepEqual(status(() => callers.identify(request(address))), [403, 'forbidden'], address);
  assert.deepEqual(createCallers([], { demo: true }).identify(request('127.0.0.1')), { principal: { actor: 'api:demo', slackUserId: 'U0DEMO' }, mayWrite: true });
});
