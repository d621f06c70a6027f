import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createJiraAction } from '../../src/actions/jira.js';
import { loadConfig } from '../../src/config/config.js';
import type { ActionContext } from '../../src/runner/action.js';
import { createJiraClient } from '../../src/tickets/jira.js';
import { FakeJira, JIRA_EMAIL, JIRA_TOKEN } from '../support/fake-jira.js';

const ctx = (stepId = 'ticket', incidentId = 12): ActionContext => ({
  signal: new AbortController().signal,
  incident: { id: incidentId, number: 7, ref: 'INC-7', severity: 'sev2', title: 'KubeJobFailed on reports' },
  step: { playbook: 'kube-job-failed', id: stepId },
});
const PARAMS = { project: 'OPS', summary: 'Nightly report job failed', description: 'Job reports/nightly-report-29412360 failed.', issue_type: 'Task' };

describe('jira.create_issue: jira.js against a local Jira', () => {
  let jira: FakeJira;
  let action: ReturnType<typeof createJiraAction>;
  before(async () => {
    jira = await FakeJira.start();
    const config = loadConfig({ JIRA_URL: jira.url, JIRA_EMAIL, JIRA_API_TOKEN: JIRA_TOKEN }).jira!;
    action = createJiraAction({ port: createJiraClient(config) });
  });
  after(() => jira.close());

  test('files the issue with the incident in its description and the step\'s label; basic auth with the API token', async () => {
    const r = await action.run({ ...PARAMS, labels: ['batch'] }, ctx());
    assert.deepEqual(r.output, { id: '10000', key: 'OPS-1', url: `${jira.url}/browse/OPS-1`, created: true });
    const issue = jira.issues[0]!;
    assert.deepEqual(issue.fields.labels, ['batch', 'firebreak', 'firebreak-12-kube-job-failed-ticket']);
    assert.deepEqual([issue.fields.project, issue.fields.issuetype, issue.fields.summary], [{ key: 'OPS' }, { name: 'Task' }, 'Nightly report job failed']);
    assert.deepEqual(issue.fields.description, {
      type: 'doc', version: 1, content: [
        { type: 'paragraph', content: [{ type: 'text', text: 'Job reports/nightly-report-29412360 failed.' }] },
        { type: 'paragraph', content: [{ type: 'text', text: 'Filed by firebreak for INC-7: KubeJobFailed on reports' }] },
      ],
    });
  });

  test('once per incident and step: run again, it finds the issue and files none; another step or incident files its own', async () => {
    const again = await action.run(PARAMS, ctx());
    assert.deepEqual(again.output, { id: '10000', key: 'OPS-1', url: `${jira.url}/browse/OPS-1`, created: false });
    assert.equal(jira.issues.length, 1);
    await action.run(PARAMS, ctx('follow-up'));
    assert.equal(jira.issues.length, 2);
    await action.run(PARAMS, ctx('ticket', 13));
    assert.deepEqual(jira.issues.map((i) => i.key), ['OPS-1', 'OPS-2', 'OPS-3']);
  });

  test('Jira\'s refusal is the step\'s error with Jira\'s words; a 400 is not retried, a 503 is', async () => {
    jira.failNext = { status: 400, body: { errorMessages: [], errors: { issuetype: 'Specify a valid issue type' } } };
    await assert.rejects(action.run({ ...PARAMS, issue_type: 'Nope' }, ctx('bad-type')),
      (err: Error & { retryable: boolean }) => /jira: the server answered 400: issuetype: Specify a valid issue type/.test(err.message) && !err.retryable);
    jira.failNext = { status: 503, body: { errorMessages: ['Service Unavailable'] } };
    await assert.rejects(action.run(PARAMS, ctx('later')), (err: Error & { retryable: boolean }) => /answered 503/.test(err.message) && err.retryable);
    assert.equal(jira.issues.length, 3);
  });

  test('not configured: refused, nothing sent; half a configuration stops start-up', async () => {
    const before = jira.requests.length;
    await assert.rejects(createJiraAction({ port: undefined }).run(PARAMS, ctx()), /jira: not configured here \(JIRA_URL, JIRA_EMAIL, JIRA_API_TOKEN\)/);
    assert.equal(jira.requests.length, before);
    assert.throws(() => loadConfig({ JIRA_URL: jira.url, JIRA_API_TOKEN: 'secret-token-123' }), (err: Error) =>
      /JIRA_EMAIL: is required with JIRA_URL and JIRA_API_TOKEN/.test(err.message) && !err.message.includes('secret-token-123'));
  });
});
