import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkCommand } from '../../src/playbooks/commands.js';
import { renderStepParams } from '../../src/playbooks/render-step.js';
import { displayParams, hideSecrets, withSecrets } from '../../src/playbooks/secrets.js';
import type { TemplateContext } from '../../src/playbooks/template.js';
import { formatProblem, validatePlaybook } from '../../src/playbooks/validate.js';
import { approvalMessage } from '../../src/slack/blocks/approval.js';
import type { ApprovalView } from '../../src/runner/views.js';
import { playbookDir } from '../support/playbooks.js';

const PLAYBOOK = `name: deploy
match: ['alertname="A"']
steps:
  - id: rollback
    action: http
    with:
      method: POST
      url: "https://deploy.internal/api/rollback/{{ alert.labels.service }}"
      headers:
        Authorization: "Bearer {{ secret.DEPLOY_TOKEN }}"
        X-Note: "{{ alert.labels.note }}"
`;
const step = validatePlaybook(PLAYBOOK, 'deploy.yml').playbook!.definition.steps[0]!;
// The label holds the reference's text: it is a value, and stays one.
const ctx: TemplateContext = {
  alert: { labels: { alertname: 'A', service: 'checkout', note: '{{ secret.DEPLOY_TOKEN }}' }, annotations: {} },
  incident: { id: 1, number: 7, ref: 'INC-7', severity: 'sev2', title: 'T', status: 'triggered' },
  steps: {},
};
const rendered = renderStepParams(step, ctx);
const VALUE = 'f3a9c1d2e4b5a6978';
const reader = (values: Record<string, string>) => (variable: string) => values[variable];

describe('secrets by reference', () => {
  test('rendering keeps the reference: that is what is stored, hashed and shown', () => {
    assert.deepEqual(rendered, {
      ok: true,
      params: {
        method: 'POST', url: 'https://deploy.internal/api/rollback/checkout',
        headers: { Authorization: 'Bearer {{ secret.DEPLOY_TOKEN }}', 'X-Note': '{{ secret.DEPLOY_TOKEN }}' },
      },
    });
  });

  test('the call gets the value where the playbook put the reference, and nowhere a value holds its text', () => {
    const call = withSecrets('http', step.with, (rendered as { params: Record<string, unknown> }).params, reader({ FIREBREAK_SECRET_DEPLOY_TOKEN: VALUE }));
    assert.deepEqual(call.params.headers, { Authorization: `Bearer ${VALUE}`, 'X-Note': '{{ secret.DEPLOY_TOKEN }}' });
    assert.deepEqual(call.revealed, [{ variable: 'FIREBREAK_SECRET_DEPLOY_TOKEN', value: VALUE }]);
  });

  const params = (rendered as { params: Record<string, unknown> }).params;
  for (const [what, values, message] of [
    ['unset', {}, /^FIREBREAK_SECRET_DEPLOY_TOKEN is not set in firebreak's environment: the step cannot use \{\{ secret\.DEPLOY_TOKEN \}\}$/],
    ['empty', { FIREBREAK_SECRET_DEPLOY_TOKEN: '' }, /FIREBREAK_SECRET_DEPLOY_TOKEN is not set/],
    ['holding a line break', { FIREBREAK_SECRET_DEPLOY_TOKEN: `${VALUE}\r\nX-Evil: 1` }, /^FIREBREAK_SECRET_DEPLOY_TOKEN holds a line break, a control character or a character beyond U\+00FF, which no header value can carry$/],
  ] as const) {
    test(`a secret ${what} fails the call, and the message holds no value`, () => {
      assert.throws(() => withSecrets('http', step.with, params, reader(values)), (err: Error) => message.test(err.message) && !err.message.includes(VALUE));
    });
  }
  test('parameters that no longer hold the playbook\'s text get no secret', () => {
    const changed = { ...params, headers: { Authorization: 'Bearer {{ secret.DEPLOY_TOKEN }} ' } };
    assert.throws(() => withSecrets('http', step.with, changed, reader({ FIREBREAK_SECRET_DEPLOY_TOKEN: VALUE })), /do not hold the playbook's text/);
  });

  test('what comes back has the value taken out, however deep', () => {
    const back = { output: { status: 200, body: { echo: `Bearer ${VALUE}`, list: [VALUE] } }, summary: `ok ${VALUE}` };
    assert.deepEqual(hideSecrets(back, [{ variable: 'FIREBREAK_SECRET_DEPLOY_TOKEN', value: VALUE }]), {
      output: { status: 200, body: { echo: 'Bearer [secret FIREBREAK_SECRET_DEPLOY_TOKEN]', list: ['[secret FIREBREAK_SECRET_DEPLOY_TOKEN]'] } },
      summary: 'ok [secret FIREBREAK_SECRET_DEPLOY_TOKEN]',
    });
  });
});

describe('where a secret may stand (playbooks check)', () => {
  const file = (withText: string, action = 'http') => `name: p\nmatch: ['alertname="A"']\nsteps:\n  - id: s\n    action: ${action}\n    with: ${withText}\n`;
  const cases: [string, string, string, RegExp][] = [
    ['in a URL', 'http', '{ url: "https://d.internal/x?token={{ secret.T }}" }', /^p\.yml:6: steps\[0\]\.with\.url: \{\{ secret\.T \}\}: a secret may only be used in an http step's header values$/],
    ['in a body', 'http', '{ url: "https://d.internal/x", body: { token: "{{ secret.T }}" } }', /with\.body\.token: .*only be used in an http step's header values/],
    ['in an argv', 'exec', '{ argv: [curl, "-H", "Authorization: {{ secret.T }}"] }', /with\.argv\[2\]: .*only be used in an http step's header values/],
    ['with another variable', 'http', '{ url: "https://d.internal/x", headers: { Authorization: "{{ secret.T }} {{ alert.labels.x }}" } }', /a header value that uses a secret may use no other variable/],
    ['named in lower case', 'http', '{ url: "https://d.internal/x", headers: { Authorization: "{{ secret.token }}" } }', /unknown variable secret\.token: use secret\.NAME \(capitals, digits and _\), read from FIREBREAK_SECRET_NAME/],
  ];
  for (const [what, action, withText, reason] of cases) {
    test(`refused ${what}`, () => assert.match(validatePlaybook(file(withText, action), 'p.yml').problems.map(formatProblem).join('\n'), reason));
  }

  test('a reference whose variable is unset is named, with file and line, as a warning', async () => {
    const dir = playbookDir({ 'deploy.yml': PLAYBOOK });
    const unset = await checkCommand(dir, () => false);
    assert.equal(unset.code, 0);
    assert.equal(unset.err, `WARN ${dir}/deploy.yml:10: steps[0].with.headers.Authorization: FIREBREAK_SECRET_DEPLOY_TOKEN is not set: the step will fail until it is\n`);
    assert.equal((await checkCommand(dir, (v) => v === 'FIREBREAK_SECRET_DEPLOY_TOKEN')).err, '');
  });
});

describe('parameters as people see them', () => {
  const shown = (headers: Record<string, string>) => (displayParams('http', { url: 'https://d.internal/x', headers }) as { headers: unknown }).headers;
  const cases: [Record<string, string>, Record<string, string>][] = [
    [{ Authorization: 'Bearer 4f9c2a7e61d8' }, { Authorization: 'Bearer [masked]' }],
    [{ authorization: 'Basic dXNlcjpwYXNz' }, { authorization: 'Basic [masked]' }],
    [{ 'X-Api-Key': '4f9c2a7e61d8' }, { 'X-Api-Key': '[masked]' }],
    [{ 'api-key': '4f9c2a7e61d8', Cookie: 'session=abc', 'X-Auth-Token': 'abc', 'Private-Token': 'abc' }, { 'api-key': '[masked]', Cookie: '[masked]', 'X-Auth-Token': '[masked]', 'Private-Token': '[masked]' }],
    [{ Authorization: 'Bearer {{ secret.DEPLOY_TOKEN }}', 'X-Api-Key': '{{ secret.KEY }}' }, { Authorization: 'Bearer {{ secret.DEPLOY_TOKEN }}', 'X-Api-Key': '{{ secret.KEY }}' }],
    [{ Accept: 'application/json', 'X-Incident': 'INC-7' }, { Accept: 'application/json', 'X-Incident': 'INC-7' }],
  ];
  for (const [headers, expected] of cases) test(`${Object.keys(headers).join(', ')}`, () => assert.deepEqual(shown(headers), expected));
  test('other actions are shown as they are', () => assert.deepEqual(displayParams('exec', { argv: ['a'] }), { argv: ['a'] }));

  test('the approval message shows the reference and masks a written token', () => {
    const view: ApprovalView = {
      id: 3, status: 'pending', incidentId: 1, incidentNumber: 7, playbook: 'deploy', stepId: 'rollback', action: 'http',
      params: { url: 'https://d.internal/x', headers: { Authorization: 'Bearer {{ secret.DEPLOY_TOKEN }}', 'X-Api-Key': 'written-in-yaml-123' } },
      paramsHash: 'a'.repeat(64), policy: { approvers: ['U0ALICE'], min_approvals: 1, distinct_from_requester: false, on_timeout: 'abort', timeout: '15m' },
      approvers: { sources: [{ approver: 'U0ALICE', members: ['U0ALICE'] }], resolvedAt: '2026-11-21T11:45:00Z' },
      requestedBy: 'alertmanager', approvedBy: [], decidedBy: null, requestedAt: new Date('2026-11-21T11:45:00Z'), expiresAt: new Date('2026-11-21T12:00:00Z'),
      slackChannel: null, slackTs: null, postStartedAt: null,
    };
    const text = JSON.stringify(approvalMessage(view).blocks);
    assert.ok(text.includes('Bearer {{ secret.DEPLOY_TOKEN }}'), text);
    assert.ok(text.includes('\\"X-Api-Key\\": \\"[masked]\\"'), text);
    assert.ok(!text.includes('written-in-yaml-123'));
  });
});
