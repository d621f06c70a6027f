import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { verifyPagerDutySignature } from '../../src/http/pagerduty-webhook.js';
import { desiredAction, eventsToSend, pagesBySeverity, serviceFor, type PagerAction } from '../../src/incidents/paging.js';
import { parseCommand } from '../../src/slack/command-parse.js';

describe('paging rules', () => {
  const cases: [PagerAction | null, PagerAction, PagerAction[]][] = [
    [null, 'trigger', ['trigger']],
    [null, 'acknowledge', ['trigger', 'acknowledge']],
    [null, 'resolve', []], // over before the page went out: nobody is woken
    ['trigger', 'trigger', []],
    ['trigger', 'acknowledge', ['acknowledge']],
    ['trigger', 'resolve', ['resolve']],
    ['acknowledge', 'resolve', ['resolve']],
    ['resolve', 'trigger', []], // never backwards
    ['acknowledge', 'trigger', []],
  ];
  for (const [sent, desired, expected] of cases) {
    test(`sent ${sent}, desired ${desired} → ${expected.join(', ') || 'nothing'}`, () => assert.deepEqual(eventsToSend(sent, desired), expected));
  }
  test('what PagerDuty should know follows the incident status', () => {
    assert.deepEqual(['triggered', 'acknowledged', 'mitigated', 'resolved', 'closed'].map((s) => desiredAction(s as never)),
      ['trigger', 'acknowledge', 'acknowledge', 'resolve', 'resolve']);
  });
  test('incidents at or above the threshold page', () => {
    assert.deepEqual(['sev1', 'sev2', 'sev3', 'sev4'].map((s) => pagesBySeverity(s as never, 'sev2')), [true, true, false, false]);
    assert.equal(pagesBySeverity('sev4', 'sev4'), true);
  });
  test('an incident pages the service named by its service label, else the default, else none', () => {
    const services = new Set(['default', 'checkout']);
    assert.equal(serviceFor({ service: 'checkout' }, services, 'default'), 'checkout');
    assert.equal(serviceFor({ service: 'payments' }, services, 'default'), 'default');
    assert.equal(serviceFor({}, new Set(['checkout']), 'default'), undefined);
  });
});

describe('PagerDuty v3 webhook signatures', () => {
  const body = Buffer.from('{"event":{"id":"01","event_type":"incident.resolved"}}');
  const sign = (secret: string, b = body) => `v1=${createHmac('sha256', secret).update(b).digest('hex')}`;
  test('one matching v1 signature among several is enough (secret rotation)', () => {
    assert.equal(verifyPagerDutySignature(`v1=${'0'.repeat(64)},${sign('new-secret-1')}`, body, ['new-secret-1']), true);
    assert.equal(verifyPagerDutySignature(sign('old-secret-1'), body, ['new-secret-1', 'old-secret-1']), true);
  });
  test('a wrong secret, an altered body, another version or no header fail', () => {
    assert.equal(verifyPagerDutySignature(sign('wrong-secret'), body, ['new-secret-1']), false);
    assert.equal(verifyPagerDutySignature(sign('new-secret-1', Buffer.from('{}')), body, ['new-secret-1']), false);
    assert.equal(verifyPagerDutySignature(sign('new-secret-1').replace('v1=', 'v2='), body, ['new-secret-1']), false);
    assert.equal(verifyPagerDutySignature(undefined, body, ['new-secret-1']), false);
  });
});

describe('PagerDuty configuration', () => {
  const key = 'R0123456789abcdef0123456789ABCDE';
  test('services, their escalation policies and the defaults', () => {
    const c = loadConfig({
      PAGERDUTY_ROUTING_KEY: key, PAGERDUTY_ESCALATION_POLICY: 'PDEF001', PAGERDUTY_SERVICES: `checkout=${key}/PCHK001, payments=${key}`,
    }).pagerduty!;
    assert.deepEqual([...c.services], [
      ['default', { routingKey: key, escalationPolicy: 'PDEF001' }],
      ['checkout', { routingKey: key, escalationPolicy: 'PCHK001' }],
      ['payments', { routingKey: key, escalationPolicy: 'PDEF001' }],
    ]);
    assert.equal(c.eventsHost, 'events.pagerduty.com');
    assert.equal(c.apiUrl, 'https://api.pagerduty.com/');
    assert.equal(c.minSeverity, 'sev2');
    assert.equal(loadConfig({}).pagerduty, undefined);
  });
  test('bad values are all named, and keys are never echoed', () => {
    assert.throws(() => loadConfig({
      PAGERDUTY_ROUTING_KEY: 'short-secret-key', PAGERDUTY_SERVICES: `default=${key}`, PAGERDUTY_MIN_SEVERITY: 'p1', PAGERDUTY_EVENTS_HOST: 'https://x',
    }), (err: Error) => {
      for (const name of ['PAGERDUTY_ROUTING_KEY', 'PAGERDUTY_SERVICES', 'PAGERDUTY_MIN_SEVERITY', 'PAGERDUTY_EVENTS_HOST']) assert.match(err.message, new RegExp(name));
      assert.doesNotMatch(err.message, /short-secret-key|R0123456789abcdef/);
      return true;
    });
  });
});

test('/incident page and /incident postmortem parse', () => {
  assert.deepEqual(parseCommand('page'), { ok: true, command: { name: 'page', ref: undefined } });
  assert.deepEqual(parseCommand('page checkout INC-7'), { ok: true, command: { name: 'page', ref: 7, service: 'checkout' } });
  assert.deepEqual(parseCommand('INC-7 postmortem'), { ok: true, command: { name: 'postmortem', ref: 7 } });
  const bad = parseCommand('page a b');
  assert.equal(bad.ok, false);
  assert.match((bad as { usage: string }).usage, /\/incident page \[service\] \[INC-n\]/);
});
