import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { IncidentView } from '../../src/incidents/queries.js';
import { decideStatusAction } from '../../src/incidents/lifecycle.js';
import { backoffMs } from '../../src/queue/backoff.js';
import { cardText, incidentCard } from '../../src/slack/blocks/card.js';

const VIEW: IncidentView = {
  id: 17, number: 42, title: 'HighErrorRate on checkout', severity: 'sev1', status: 'triggered', commander: null,
  openedAt: new Date('2026-11-21T06:57:15Z'), acknowledgedAt: null, mitigatedAt: null, resolvedAt: null,
  slackChannelId: null, firing: 2, resolvedAlerts: 1,
  commonLabels: { alertname: 'HighErrorRate', severity: 'critical', service: 'checkout', namespace: 'prod', zone: 'eu-1' },
  commonAnnotations: { summary: '5xx above 5% on checkout' },
  externalUrl: 'http://alertmanager:9093', generatorUrl: 'http://prometheus:9090/graph?g0.expr=x', runbookUrl: 'https://runbooks.example/5xx',
  grafana: null, pages: [],
};

describe('the incident card (Block Kit snapshot)', () => {
  test('a triggered incident', () => {
    assert.equal(cardText(VIEW), 'INC-42 [sev1] triggered: HighErrorRate on checkout');
    assert.deepEqual(incidentCard(VIEW), [
      { type: 'header', text: { type: 'plain_text', text: 'INC-42 · HighErrorRate on checkout', emoji: false } },
      {
        type: 'section',
        fields: [
          { type: 'mrkdwn', text: '*Severity*\nsev1' },
          { type: 'mrkdwn', text: '*Status*\n:red_circle: Triggered' },
          { type: 'mrkdwn', text: '*Commander*\n_nobody yet_' },
          { type: 'mrkdwn', text: '*Alerts*\n2 firing, 1 resolved' },
          { type: 'mrkdwn', text: '*Started*\n<!date^1795244235^{date_short_pretty} {time}|2026-11-21T06:57:15Z>' },
        ],
      },
      { type: 'section', text: { type: 'mrkdwn', text: '5xx above 5% on checkout' } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: '*alertname*: HighErrorRate   *service*: checkout   *namespace*: prod   *zone*: eu-1' }] },
      {
        type: 'actions', block_id: 'incident_actions', elements: [
          { type: 'button', action_id: 'incident_acknowledge', text: { type: 'plain_text', text: 'Acknowledge' }, style: 'primary', value: '17' },
          { type: 'button', action_id: 'incident_mitigate', text: { type: 'plain_text', text: 'Mitigated' }, value: '17' },
          {
            type: 'button', action_id: 'incident_resolve', text: { type: 'plain_text', text: 'Resolve' }, style: 'danger', value: '17',
            confirm: {
              title: { type: 'plain_text', text: 'Resolve this incident?' },
              text: { type: 'plain_text', text: 'INC-42 will be marked resolved.' },
              confirm: { type: 'plain_text', text: 'Resolve' },
              deny: { type: 'plain_text', text: 'Cancel' },
            },
          },
          { type: 'button', action_id: 'incident_commander', text: { type: 'plain_text', text: "I'm commander" }, value: '17' },
        ],
      },
      {
        type: 'actions', block_id: 'incident_links', elements: [
          { type: 'button', action_id: 'link_runbook', text: { type: 'plain_text', text: 'Runbook' }, url: 'https://runbooks.example/5xx' },
          { type: 'button', action_id: 'link_alertmanager', text: { type: 'plain_text', text: 'Alertmanager' }, url: 'http://alertmanager:9093/' },
          { type: 'button', action_id: 'link_generator', text: { type: 'plain_text', text: 'Prometheus' }, url: 'http://prometheus:9090/graph?g0.expr=x' },
        ],
      },
    ]);
  });

  test('a resolved incident shows it, names its commander, and has no incident buttons', () => {
    const blocks = incidentCard({ ...VIEW, status: 'resolved', commander: 'U0ALICE01', resolvedAt: new Date('2026-11-21T07:30:00Z'), firing: 0, resolvedAlerts: 3 });
    const text = JSON.stringify(blocks);
    for (const expected of [':white_check_mark: Resolved', '<@U0ALICE01>', '*Resolved*', '0 firing, 3 resolved', 'This incident is resolved']) {
      assert.ok(text.includes(expected), expected);
    }
    assert.ok(!text.includes('incident_acknowledge') && !text.includes('incident_resolve'));
  });

  test('an acknowledged incident offers Mitigated and Resolve, not Acknowledge', () => {
    const actions = incidentCard({ ...VIEW, status: 'acknowledged' }).find((b) => b.block_id === 'incident_actions') as { elements: { action_id: string }[] };
    assert.deepEqual(actions.elements.map((e) => e.action_id), ['incident_mitigate', 'incident_resolve', 'incident_commander']);
  });
});

test('the card shows each PagerDuty page, where it stands and who is on call (escaped)', () => {
  const blocks = incidentCard({
    ...VIEW, pages: [
      { service: 'default', sent: 'acknowledge', rejected: false, oncall: [{ name: 'Jane <!channel> Doe', email: 'jane@example.com', level: 1 }, { name: 'Bob', email: null, level: 2 }] },
      { service: 'checkout', sent: null, rejected: true, oncall: [] },
    ],
  });
  const line = blocks.find((b) => JSON.stringify(b).includes(':pager:')) as { elements: { text: string }[] };
  assert.equal(line.elements[0]!.text,
    ':pager: PagerDuty: *default* acknowledged · on call: Jane &lt;!channel&gt; Doe (L1), Bob (L2)   *checkout* refused by PagerDuty (see the timeline)');
});

describe('status actions', () => {
  const cases: [Parameters<typeof decideStatusAction>[0], Parameters<typeof decideStatusAction>[1], unknown][] = [
    ['triggered', 'acknowledge', { kind: 'move', to: 'acknowledged' }],
    ['acknowledged', 'acknowledge', { kind: 'unchanged' }],
    ['mitigated', 'acknowledge', { kind: 'unchanged' }],
    ['triggered', 'mitigate', { kind: 'move', to: 'mitigated' }],
    ['acknowledged', 'resolve', { kind: 'move', to: 'resolved' }],
    ['resolved', 'resolve', { kind: 'unchanged' }],
    ['resolved', 'acknowledge', { kind: 'refused', reason: 'it is already resolved' }],
    ['closed', 'mitigate', { kind: 'refused', reason: 'it is already closed' }],
  ];
  for (const [from, action, expected] of cases) {
    test(`${action} when ${from}`, () => assert.deepEqual(decideStatusAction(from, action), expected));
  }
});

test('retry backoff doubles from the base, is capped at 5 minutes, and jitters within its upper half', () => {
  assert.equal(backoffMs(1, () => 0), 500);
  assert.equal(backoffMs(1, () => 1), 1000);
  assert.equal(backoffMs(4, () => 1), 8000);
  assert.equal(backoffMs(30, () => 1), 300_000);
  assert.equal(backoffMs(30, () => 0), 150_000);
  assert.equal(backoffMs(3, () => 0.5, 100), 300);
});

test('a Grafana-managed alert\'s card links to Grafana, the rule, and Grafana\'s silence, dashboard and panel links (http(s) only)', () => {
  const view: IncidentView = {
    ...VIEW, externalUrl: 'https://grafana.example.com/', generatorUrl: 'https://grafana.example.com/alerting/grafana/abc/view',
    grafana: {
      orgId: 1, silenceUrl: 'https://grafana.example.com/alerting/silence/new?alertmanager=grafana&matchers=alertname%3DHighErrorRate',
      dashboardUrl: 'https://grafana.example.com/d/shop?orgId=1', panelUrl: 'javascript:alert(1)', values: { B: 0.12 },
    },
  };
  const links = incidentCard(view).find((b) => (b as { block_id?: string }).block_id === 'incident_links') as { elements: { action_id: string; text: { text: string }; url: string }[] };
  assert.deepEqual(links.elements.map((e) => [e.action_id, e.text.text, e.url]), [
    ['link_runbook', 'Runbook', 'https://runbooks.example/5xx'],
    ['link_alertmanager', 'Grafana', 'https://grafana.example.com/'],
    ['link_generator', 'Alert rule', 'https://grafana.example.com/alerting/grafana/abc/view'],
    ['link_silence', 'Silence', 'https://grafana.example.com/alerting/silence/new?alertmanager=grafana&matchers=alertname%3DHighErrorRate'],
    ['link_dashboard', 'Dashboard', 'https://grafana.example.com/d/shop?orgId=1'],
  ]);
});
