import assert from 'node:assert/strict';
import { test } from 'node:test';
import { unconfiguredSteps, type ActionSetup } from '../../src/actions/requirements.js';
import { checkCommand } from '../../src/playbooks/commands.js';
import { playbookDir } from '../support/playbooks.js';

const DIR = playbookDir({
  'everything.yml': `name: everything
match: ['alertname="X"']
steps:
  - id: q
    action: prometheus.query
    with: { query: up }
  - id: r
    action: prometheus.query_range
    with: { query: up }
  - id: silence
    action: alertmanager.silence
    with: { duration: 1h, matchers: ['alertname="X"'] }
  - id: kubectl
    action: exec
    with: { argv: [kubectl, get, pods] }
  - id: templated-program
    action: exec
    with: { argv: ["{{ alert.labels.tool }}"] }
  - id: deploy
    action: http
    with: { method: POST, url: "https://deploy.internal/api/{{ alert.labels.service }}" }
  - id: svc
    action: http
    with: { url: "https://api.svc.cluster.local:8443/x" }
  - id: say
    action: slack.message
    with: { text: hello }
  - id: page
    action: pagerduty.trigger
    with: {}
  - id: pause
    action: wait
    with: { duration: 1s }
  - id: ticket
    action: linear.create_issue
    with: { title: "Follow up {{ alert.labels.alertname }}" }
  - id: ticket-for-team
    action: linear.create_issue
    with: { team_id: 3c0a7a1e-4f1b-4b8e-9d2a-6f0e2b1c5d7a, title: Follow up }
`,
});

const NOTHING: ActionSetup = { prometheusUrl: undefined, alertmanagerUrl: undefined, execAllowlist: [], httpAllowedHosts: [], slack: false, pagerduty: false, kubernetes: false, jira: false, linear: false, linearTeam: false };
const EVERYTHING: ActionSetup = {
  prometheusUrl: 'http://prometheus:9090/', alertmanagerUrl: 'http://am:9093/', execAllowlist: ['kubectl'],
  httpAllowedHosts: ['deploy.internal', '*.svc.cluster.local'], slack: true, pagerduty: true, kubernetes: true, jira: true, linear: true, linearTeam: true,
};

test('playbooks check warns, with file and line, of each step whose action is not configured here; exit 0', async () => {
  const r = await checkCommand(DIR, () => true, (playbooks) => unconfiguredSteps(playbooks, NOTHING));
  assert.equal(r.code, 0);
  const warnings = r.err.trim().split('\n').map((l) => l.replace(`${DIR}/`, ''));
  assert.deepEqual(warnings, [
    'WARN everything.yml:5: steps[0].action: prometheus.query needs PROMETHEUS_URL, which is not set here: the step will fail until it is',
    'WARN everything.yml:8: steps[1].action: prometheus.query_range needs PROMETHEUS_URL, which is not set here: the step will fail until it is',
    'WARN everything.yml:11: steps[2].action: alertmanager.silence needs ALERTMANAGER_URL, which is not set here: the step will fail until it is',
    'WARN everything.yml:14: steps[3].action: exec runs "kubectl", which is not in EXEC_ALLOWLIST, which is empty here: the step will fail until it is',
    'WARN everything.yml:20: steps[5].action: http calls deploy.internal, which is not in HTTP_ACTION_ALLOWED_HOSTS, which is empty here: the step will fail until it is',
    'WARN everything.yml:23: steps[6].action: http calls api.svc.cluster.local:8443, which is not in HTTP_ACTION_ALLOWED_HOSTS, which is empty here: the step will fail until it is',
    'WARN everything.yml:26: steps[7].action: slack.message needs Slack (SLACK_BOT_TOKEN), which is not set here: the step will fail until it is',
    'WARN everything.yml:29: steps[8].action: pagerduty.trigger needs PagerDuty (PAGERDUTY_ROUTING_KEY or PAGERDUTY_SERVICES), which is not set here: the step will fail until it is',
    'WARN everything.yml:35: steps[10].action: linear.create_issue needs Linear (LINEAR_API_KEY), which is not set here: the step will fail until it is',
    'WARN everything.yml:38: steps[11].action: linear.create_issue needs Linear (LINEAR_API_KEY), which is not set here: the step will fail until it is',
  ]);
});

test('configured: no warning; a program or host not on its list is named with the list', async () => {
  assert.equal((await checkCommand(DIR, () => true, (playbooks) => unconfiguredSteps(playbooks, EVERYTHING))).err, '');
  const r = await checkCommand(DIR, () => true, (playbooks) => unconfiguredSteps(playbooks, { ...EVERYTHING, execAllowlist: ['/usr/local/bin/kubectl'], httpAllowedHosts: ['deploy.internal'] }));
  assert.match(r.err, /steps\[3\]\.action: exec runs "kubectl", which is not in EXEC_ALLOWLIST \(\/usr\/local\/bin\/kubectl\) here/);
  assert.match(r.err, /steps\[6\]\.action: http calls api\.svc\.cluster\.local:8443, which is not in HTTP_ACTION_ALLOWED_HOSTS \(deploy\.internal\) here/);
  assert.equal(r.err.trim().split('\n').length, 2);
});

test('linear.create_issue: a step naming no team_id is warned of when LINEAR_TEAM_ID is not set; one naming its team is not', async () => {
  const r = await checkCommand(DIR, () => true, (playbooks) => unconfiguredSteps(playbooks, { ...EVERYTHING, linearTeam: false }));
  assert.deepEqual(r.err.trim().split('\n').map((l) => l.replace(`${DIR}/`, '')), [
    'WARN everything.yml:35: steps[10].action: linear.create_issue names no team_id and LINEAR_TEAM_ID is not set here: the step will fail until it is',
  ]);
});
