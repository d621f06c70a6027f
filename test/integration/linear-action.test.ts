import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLinearAction } from '../../src/actions/linear.js';
import { loadConfig } from '../../src/config/config.js';
import type { ActionContext } from '../../src/runner/action.js';
import { createLinearClient } from '../../src/tickets/linear.js';
import { FakeLinear, LINEAR_KEY, LINEAR_TEAM } from '../support/fake-linear.js';

const ctx = (stepId = 'ticket', incidentId = 12): ActionContext => ({
  signal: new AbortController().signal,
  incident: { id: incidentId, number: 7, ref: 'INC-7', severity: 'sev2', title: 'KubeJobFailed on reports' },
  step: { playbook: 'kube-job-failed', id: stepId },
});
const PARAMS = { title: 'Nightly report job failed', description: 'Job reports/nightly-report-29412360 failed.' };

describe('linear.create_issue: @linear/sdk against a local Linear GraphQL API', () => {
  let linear: FakeLinear;
  let action: ReturnType<typeof createLinearAction>;
  before(async () => {
    linear = await FakeLinear.start();
    const config = loadConfig({ LINEAR_API_KEY: LINEAR_KEY, LINEAR_API_URL: linear.url, LINEAR_TEAM_ID: LINEAR_TEAM }).linear!;
    action = createLinearAction({ port: createLinearClient(config), teamId: config.teamId });
  });
  after(() => linear.close());

  test('files the issue in LINEAR_TEAM_ID\'s team with the incident and the step\'s marker; the API key in Authorization', async () => {
    const r = await action.run({ ...PARAMS, priority: 2 }, ctx());
    assert.deepEqual(r.output, { id: linear.issues[0]!.id, key: 'OPS-1', url: 'https://linear.app/example/issue/OPS-1', created: true });
    assert.equal(r.summary, 'OPS-1 filed: https://linear.app/example/issue/OPS-1');
    const issue = linear.issues[0]!;
    assert.deepEqual([issue.teamId, issue.title, issue.priority], [LINEAR_TEAM, 'Nightly report job failed', 2]);
    assert.equal(issue.description, 'Job reports/nightly-report-29412360 failed.\n\nFiled by firebreak for INC-7: KubeJobFailed on reports\n\nfirebreak: firebreak-12-kube-job-failed-ticket');
    assert.deepEqual(linear.requests.map((q) => q.operation), ['issues', 'createIssue', 'issue']);
    assert.ok(linear.requests.every((q) => q.authorization === LINEAR_KEY));
  });

  test('once per incident and step: run again, it finds the issue and files none; another step or incident files its own', async () => {
    const again = await action.run(PARAMS, ctx());
    assert.deepEqual(again.output, { id: linear.issues[0]!.id, key: 'OPS-1', url: 'https://linear.app/example/issue/OPS-1', created: false });
    assert.equal(linear.issues.length, 1);
    await action.run(PARAMS, ctx('follow-up'));
    await action.run(PARAMS, ctx('ticket', 13));
    assert.deepEqual(linear.issues.map((i) => i.identifier), ['OPS-1', 'OPS-2', 'OPS-3']);
  });

  test('a team the step names wins over LINEAR_TEAM_ID; Linear\'s refusal is the step\'s error in Linear\'s words, not retried; a 503 is', async () => {
    const other = '9d1b2c3d-0000-4000-8000-000000000001';
    linear.teams.set(other, 'WEB');
    assert.equal(((await action.run({ ...PARAMS, team_id: other }, ctx('web'))).output as { key: string }).key, 'WEB-1');
    await assert.rejects(action.run({ ...PARAMS, team_id: '00000000-0000-4000-8000-000000000000' }, ctx('nowhere')),
      (err: Error & { retryable: boolean }) => /linear: the server answered 400: Team not found: the team does not exist/.test(err.message) && !err.retryable);
    linear.failNext = 503;
    await assert.rejects(action.run(PARAMS, ctx('later')), (err: Error & { retryable: boolean }) => /linear: the server answered 503/.test(err.message) && err.retryable);
    assert.deepEqual(linear.issues.map((i) => i.identifier), ['OPS-1', 'OPS-2', 'OPS-3', 'WEB-1']);
  });

  test('a wrong key is refused by Linear and nothing is filed; the key is in no error', async () => {
    const wrong = 'lin_api_wrongwrongwrongwrongwrong00';
    const config = loadConfig({ LINEAR_API_KEY: wrong, LINEAR_API_URL: linear.url }).linear!;
    await assert.rejects(createLinearAction({ port: createLinearClient(config), teamId: LINEAR_TEAM }).run(PARAMS, ctx('denied')),
      (err: Error & { retryable: boolean }) => /linear: the server answered 400: Authentication required/.test(err.message) && !err.message.includes(wrong) && !err.retryable);
    assert.equal(linear.issues.length, 4);
  });

  test('not configured, or no team: refused, nothing sent; a bad LINEAR_TEAM_ID stops start-up without echoing the key', async () => {
    const before = linear.requests.length;
    await assert.rejects(createLinearAction({ port: undefined, teamId: LINEAR_TEAM }).run(PARAMS, ctx()), /linear: not configured here \(LINEAR_API_KEY\); nothing was filed/);
    const config = loadConfig({ LINEAR_API_KEY: LINEAR_KEY, LINEAR_API_URL: linear.url }).linear!;
    await assert.rejects(createLinearAction({ port: createLinearClient(config), teamId: config.teamId }).run(PARAMS, ctx()),
      /linear: the step names no team_id and LINEAR_TEAM_ID is not set; nothing was filed/);
    assert.equal(linear.requests.length, before);
    assert.throws(() => loadConfig({ LINEAR_API_KEY: 'lin_api_secret0123456789abcdef', LINEAR_TEAM_ID: 'OPS' }), (err: Error) =>
      /LINEAR_TEAM_ID: must be a Linear team id \(a UUID\)/.test(err.message) && !err.message.includes('lin_api_secret0123456789abcdef'));
  });
});
