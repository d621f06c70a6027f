import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { describeApproverSet, mayDecide, type ApproverSet } from '../../src/runner/approvers.js';
import { decideFailure, decideStep, finalRunStatus, type StepPolicy, type StepSituation } from '../../src/runner/decide.js';
import { prepareEvidence, prepareOutput } from '../../src/runner/evidence.js';
import { approvalHash } from '../../src/runner/step-context.js';
import { redactSecrets } from '../../src/lib/redact.js';

const policy = (p: Partial<StepPolicy> = {}): StepPolicy =>
  ({ gated: false, idempotent: true, runWhenResolved: false, onFailure: 'abort', attempts: 1, backoffMs: 1000, ...p });
const at = (s: Partial<StepSituation> = {}): StepSituation => ({ status: 'pending', attempts: 0, incidentOpen: true, approval: null, ...s });

describe('decideStep', () => {
  // [case, policy, situation, decision]
  const cases: [string, StepPolicy, StepSituation, string][] = [
    ['a pending step runs', policy(), at(), 'run'],
    ['a finished step does nothing', policy(), at({ status: 'succeeded' }), 'nothing'],
    ['a failed step does nothing', policy(), at({ status: 'failed' }), 'nothing'],
    ['a step waiting for approval waits', policy({ gated: true }), at({ status: 'waiting_approval' }), 'nothing'],
    ['a step needing attention waits for a person', policy(), at({ status: 'needs_attention' }), 'nothing'],
    ['resolved incident: cancelled', policy(), at({ incidentOpen: false }), 'cancel'],
    ['resolved incident, run_when_resolved: runs', policy({ runWhenResolved: true }), at({ incidentOpen: false }), 'run'],
    ['a gated step asks first', policy({ gated: true }), at(), 'request_approval'],
    ['a gated step waits while pending', policy({ gated: true }), at({ approval: { status: 'pending', hashMatches: true } }), 'nothing'],
    ['an approved step runs', policy({ gated: true }), at({ approval: { status: 'approved', hashMatches: true } }), 'run'],
    ['approved, but other parameters: refused', policy({ gated: true }), at({ approval: { status: 'approved', hashMatches: false } }), 'refuse'],
    ['interrupted, idempotent: runs again', policy(), at({ status: 'running', attempts: 1 }), 'run'],
    ['interrupted, not idempotent: asks a human', policy({ idempotent: false }), at({ status: 'running', attempts: 1 }), 'needs_attention'],
    ['interrupted again and again: asks a human', policy(), at({ status: 'running', attempts: 3 }), 'needs_attention'],
    ['interrupted on a resolved incident: cancelled', policy({ idempotent: false }), at({ status: 'running', incidentOpen: false }), 'cancel'],
  ];
  for (const [name, p, s, expected] of cases) test(name, () => assert.equal(decideStep(p, s).kind, expected));
});

describe('decideFailure: retries with exponential backoff and jitter', () => {
  test('retries until the attempts are spent, doubling the delay', () => {
    const p = policy({ attempts: 3, backoffMs: 2000 });
    assert.deepEqual(decideFailure(p, 1, true, 0), { kind: 'retry', delayMs: 1000 });
    assert.deepEqual(decideFailure(p, 1, true, 0.999999), { kind: 'retry', delayMs: 2000 });
    assert.deepEqual(decideFailure(p, 2, true, 0), { kind: 'retry', delayMs: 2000 });
    assert.deepEqual(decideFailure(p, 3, true, 0), { kind: 'fail' });
  });
  test('a failure that cannot succeed later is not retried', () => assert.deepEqual(decideFailure(policy({ attempts: 5 }), 1, false, 0), { kind: 'fail' }));
  test('a run\'s status shows any failure', () => {
    assert.equal(finalRunStatus(['succeeded', 'skipped']), 'succeeded');
    assert.equal(finalRunStatus(['failed', 'succeeded']), 'failed');
    assert.equal(finalRunStatus(['succeeded', 'cancelled']), 'cancelled');
  });
});

describe('mayDecide: only the frozen approver set decides', () => {
  const p = { approvers: ['U0ALICE', '@sre-leads', 'commander', 'oncall'], min_approvals: 1, distinct_from_requester: true };
  const set: ApproverSet = {
    resolvedAt: '2026-11-21T10:00:00.000Z',
    sources: [
      { approver: 'U0ALICE', members: ['U0ALICE'] }, { approver: '@sre-leads', members: ['U0LEAD', 'U0REQ'] },
      { approver: 'commander', members: ['U0CMDR'] }, { approver: 'oncall', members: [], unreadable: 'PagerDuty: HTTP 503' },
    ],
  };
  const who = (user: string | undefined, choice: 'approve' | 'deny' | 'retry' = 'approve', policy = p) =>
    mayDecide(policy, set, { user, choice, requester: 'U0REQ' });
  const refusal = (r: ReturnType<typeof mayDecide>) => (r.ok ? assert.fail('allowed') : r.refusal);
  // [case, user, choice, allowed]
  const cases: [string, string | undefined, 'approve' | 'deny' | 'retry', boolean][] = [
    ['a listed user approves', 'U0ALICE', 'approve', true],
    ['a group member then approves', 'U0LEAD', 'approve', true],
    ['the commander then approves', 'U0CMDR', 'approve', true],
    ['someone outside the set may not approve', 'U0MALLORY', 'approve', false],
    ['someone outside the set may not deny', 'U0MALLORY', 'deny', false],
    ['someone outside the set may not retry', 'U0MALLORY', 'retry', false],
    ['a person with no Slack id may not', undefined, 'approve', false],
    ['the requester, though in the set, may not approve their own run', 'U0REQ', 'approve', false],
    ['nor retry it', 'U0REQ', 'retry', false],
    ['but may deny it', 'U0REQ', 'deny', true],
    ['an approver retries', 'U0LEAD', 'retry', true],
  ];
  for (const [name, user, choice, allowed] of cases) test(name, () => assert.equal(who(user, choice).ok, allowed));

  test('a refusal says what is lacking, who may, and who could not be read', () => {
    const r = refusal(who('U0MALLORY'));
    assert.deepEqual(r, {
      action: 'approve', lacks: 'a place among this step\'s approvers, fixed when its approval was requested',
      holders: ['U0ALICE', 'U0LEAD', 'U0REQ', 'U0CMDR'], note: 'oncall (PagerDuty: HTTP 503) could not be read when the approval was requested',
    });
    assert.equal(refusal(who('U0MALLORY', 'retry')).action, 'step.retry');
    assert.deepEqual(refusal(who('U0REQ')).holders, ['U0ALICE', 'U0LEAD', 'U0CMDR']);
  });
  test('without distinct_from_requester the requester in the set may approve', () =>
    assert.deepEqual(who('U0REQ', 'approve', { ...p, distinct_from_requester: false }), { ok: true }));
  test('the set is described for the timeline', () => assert.equal(describeApproverSet(set),
    'U0ALICE, @sre-leads (U0LEAD, U0REQ), commander (U0CMDR), oncall (could not be read: PagerDuty: HTTP 503)'));
});

describe('evidence and redaction', () => {
  const secrets: [string, string, RegExp][] = [
    ['bearer token', 'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.abc.def', /Bearer \[redacted\]/],
    ['aws key id', 'key AKIAIOSFODNN7EXAMPLE here', /key \[redacted aws key id\] here/],
    ['aws secret', 'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', /aws_secret_access_key = \[redacted\]/],
    ['password pair', 'postgres password=hunter2 sslmode=require', /password=\[redacted\] sslmode/],
    ['password in JSON', '{"user":"a","password":"hunter2"}', /"password": "\[redacted\]"/],
    ['URL credentials', 'postgres://app:s3cret@db:5432/x', /postgres:\/\/app:\[redacted\]@db/],
    ['slack token', 'token xoxb-123456789012-abcdefABCDEF', /\[redacted slack token\]/],
    ['private key', '-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----', /^\[redacted private key\]$/],
  ];
  for (const [name, text, expected] of secrets) {
    test(`redacts a ${name}`, () => {
      const r = redactSecrets(text);
      assert.match(r.text, expected);
      assert.ok(r.count >= 1);
      assert.ok(!/hunter2|wJalrX|s3cret|MIIEow|eyJhbGci|AKIAIOSF|abcdefABCDEF/.test(r.text), r.text);
    });
  }
  test('ordinary output is left alone', () => assert.deepEqual(redactSecrets('GET /health 200 in 3ms'), { text: 'GET /health 200 in 3ms', count: 0 }));

  test('the hash is of exactly the stored bytes; a cut is recorded and never splits a character', () => {
    const e = prepareEvidence({ mediaType: 'text/plain', body: `${'é'.repeat(600)} password=x` }, 1001);
    assert.equal(e.sha256, createHash('sha256').update(e.body).digest('hex'));
    assert.equal(e.size, e.body.length);
    assert.equal(e.size, 1000); // 1001 would split a 2-byte é
    assert.equal(e.truncated, true);
    assert.equal(e.originalSize, 1200 + ' password=[redacted]'.length);
    assert.equal(e.redactions, 1);
    assert.ok(!e.body.toString('utf8').includes('\ufffd'));
    const small = prepareEvidence({ mediaType: 'text/plain', body: 'ok' }, 1024);
    assert.deepEqual([small.truncated, small.size, small.originalSize], [false, 2, 2]);
  });
  test('step outputs are redacted before later steps (or people) see them', () => {
    assert.deepEqual(prepareOutput({ stdout: 'token=abc123 ok' }), { stdout: 'token=[redacted] ok' });
  });
  test('the approval hash covers the action and every parameter, in any key order', () => {
    assert.equal(approvalHash('http', { a: 1, b: [1, 2] }), approvalHash('http', { b: [1, 2], a: 1 }));
    assert.notEqual(approvalHash('http', { a: 1 }), approvalHash('http', { a: 2 }));
    assert.notEqual(approvalHash('http', { a: 1 }), approvalHash('exec', { a: 1 }));
  });
});
