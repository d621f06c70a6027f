import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { actionItems } from '../../src/postmortem/action-items.js';
import { actionItemLabel, fileActionItems, jiraTracker, linearTracker } from '../../src/tickets/action-items.js';
import { createJiraClient } from '../../src/tickets/jira.js';
import { createLinearClient } from '../../src/tickets/linear.js';
import { FakeJira, JIRA_EMAIL, JIRA_TOKEN } from '../support/fake-jira.js';
import { FakeLinear, LINEAR_KEY, LINEAR_TEAM } from '../support/fake-linear.js';

const POSTMORTEM = `# INC-7: KubeJobFailed on reports

## Action items

| Action | Owner | Due |
|---|---|---|
| Alert on the report job's duration, not only its failure | @dana | 2026-12-15 |
| Retry the upload with backoff \\| and jitter | @sam |  |
| _to be written_ |  |  |

## Lessons learned

| Action | Owner | Due |
|---|---|---|
| not an action item | x | y |
`;

describe('postmortem action items become Jira issues (jira.js against a local Jira)', () => {
  let jira: FakeJira;
  before(async () => {
    jira = await FakeJira.start();
  });
  after(() => jira.close());

  test('the rows of the Action items table are read, the placeholder and other sections left out', () => {
    assert.deepEqual(actionItems(POSTMORTEM), [
      { action: 'Alert on the report job\'s duration, not only its failure', owner: '@dana', due: '2026-12-15' },
      { action: 'Retry the upload with backoff | and jitter', owner: '@sam', due: '' },
    ]);
    assert.deepEqual(actionItems('# INC-1\n\n## Timeline\n'), []);
  });

  test('each item is filed once: filing the postmortem again finds the issues by their labels', async () => {
    const port = jiraTracker(createJiraClient(loadConfig({ JIRA_URL: jira.url, JIRA_EMAIL, JIRA_API_TOKEN: JIRA_TOKEN }).jira!), 'OPS');
    const incident = { id: 31, ref: 'INC-7', title: 'KubeJobFailed on reports' };
    const first = await fileActionItems(port, incident, actionItems(POSTMORTEM));
    assert.deepEqual(first.map((f) => [f.ticket.key, f.created]), [['OPS-1', true], ['OPS-2', true]]);
    assert.deepEqual(jira.issues[0]!.fields.labels, ['firebreak', 'postmortem', actionItemLabel(31, 'Alert on the report job\'s duration, not only its failure')]);
    assert.match(JSON.stringify(jira.issues[0]!.fields.description), /Owner: @dana\. Due: 2026-12-15\..*An action item of the postmortem of INC-7: KubeJobFailed on reports/);
    const again = await fileActionItems(port, incident, actionItems(POSTMORTEM));
    assert.deepEqual(again.map((f) => [f.ticket.key, f.created]), [['OPS-1', false], ['OPS-2', false]]);
    assert.equal(jira.issues.length, 2);
    // Another incident's postmortem with the same words files its own.
    await fileActionItems(port, { ...incident, id: 32 }, actionItems(POSTMORTEM).slice(0, 1));
    assert.equal(jira.issues.length, 3);
  });
});

describe('postmortem action items become Linear issues (@linear/sdk against a local Linear)', () => {
  let linear: FakeLinear;
  before(async () => {
    linear = await FakeLinear.start();
  });
  after(() => linear.close());

  test('each item is filed once in the team: filing again finds the issues by their description\'s marker', async () => {
    const port = linearTracker(createLinearClient(loadConfig({ LINEAR_API_KEY: LINEAR_KEY, LINEAR_API_URL: linear.url }).linear!), LINEAR_TEAM);
    const incident = { id: 31, ref: 'INC-7', title: 'KubeJobFailed on reports' };
    const first = await fileActionItems(port, incident, actionItems(POSTMORTEM));
    assert.deepEqual(first.map((f) => [f.ticket.key, f.created]), [['OPS-1', true], ['OPS-2', true]]);
    assert.equal(linear.issues[1]!.title, 'Retry the upload with backoff | and jitter');
    assert.equal(linear.issues[0]!.description, 'Alert on the report job\'s duration, not only its failure\n\nOwner: @dana. Due: 2026-12-15.\n\n'
      + `An action item of the postmortem of INC-7: KubeJobFailed on reports\n\nfirebreak: ${actionItemLabel(31, 'Alert on the report job\'s duration, not only its failure')}`);
    const again = await fileActionItems(port, incident, actionItems(POSTMORTEM));
    assert.deepEqual(again.map((f) => [f.ticket.key, f.created]), [['OPS-1', false], ['OPS-2', false]]);
    assert.equal(linear.issues.length, 2);
  });
});
