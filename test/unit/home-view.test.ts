import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { IncidentSummary } from '../../src/incidents/types.js';
import type { ApprovalView } from '../../src/runner/views.js';
import { homeView } from '../../src/slack/blocks/home.js';

const AT = new Date('2026-11-21T10:00:00Z');
const incident = (n: number, over: Partial<IncidentSummary> = {}): IncidentSummary => ({
  id: 100 + n, number: n, title: `Incident ${n}`, severity: 'sev2', status: 'triggered', commander: null, openedAt: AT,
  acknowledgedAt: null, mitigatedAt: null, resolvedAt: null, slackChannelId: null, firing: 1, resolvedAlerts: 0, ...over,
});
const approval = (id: number): ApprovalView => ({
  id, status: 'pending', incidentId: 101, incidentNumber: 1, playbook: 'gate', stepId: 'act', action: 'http', params: {}, paramsHash: 'ab'.repeat(32),
  policy: { approvers: ['U0ALICE01'], min_approvals: 1, timeout_ms: 60_000, distinct_from_requester: false } as unknown as ApprovalView['policy'],
  approvers: { sources: [{ approver: 'U0ALICE01', members: ['U0ALICE01'] }], resolvedAt: AT.toISOString() }, requestedBy: 'firebreak',
  approvedBy: [], decidedBy: null, requestedAt: AT, expiresAt: AT, slackChannel: 'C0INCIDENTS', slackTs: '1.2', postStartedAt: null,
});
type Block = { type: string; block_id?: string; text?: { text: string } };
const blocks = (v: Record<string, unknown>) => v.blocks as Block[];

test('the person\'s own incidents come first; hostile titles are escaped', () => {
  const v = homeView({
    userId: 'U0ALICE01', approvals: [], at: AT, moreIncidents: 0,
    incidents: [incident(1, { severity: 'sev1', title: '<!channel> ping' }), incident(2, { commander: 'U0ALICE01' })],
  });
  assert.equal(v.type, 'home');
  assert.deepEqual(blocks(v).filter((b) => b.block_id).map((b) => b.block_id), ['home_incident_102', 'home_incident_101']);
  const text = blocks(v).map((b) => b.text?.text ?? '').join('\n');
  assert.ok(text.includes('Your incidents (1)') && text.includes('Open incidents'));
  assert.ok(!text.includes('<!channel>') && text.includes('&lt;!channel&gt; ping'), text);
});

test('at the limits it stays within Slack\'s 100 blocks and says how many more are open', () => {
  const v = homeView({
    userId: 'U0ALICE01', at: AT, moreIncidents: 40,
    approvals: Array.from({ length: 30 }, (_, i) => approval(i + 1)),
    incidents: Array.from({ length: 60 }, (_, i) => incident(i + 1, i % 2 ? { commander: 'U0ALICE01' } : {})),
  });
  assert.ok(blocks(v).length <= 100, `${blocks(v).length} blocks`);
  const text = blocks(v).map((b) => b.text?.text ?? '').join('\n');
  assert.ok(text.includes('Waiting for your approval (30)'));
  assert.ok(text.includes('70 more open: `/incident list`'), text.slice(-200));
});

test('no permission to read: no incidents, approvals still shown', () => {
  const v = homeView({ userId: 'U0BOB0001', at: AT, moreIncidents: 0, approvals: [approval(7)], incidents: undefined });
  assert.deepEqual(blocks(v).filter((b) => b.block_id).map((b) => b.block_id), ['home_approval_7']);
  assert.ok(blocks(v).some((b) => b.text?.text.includes('You may not see incidents here')));
});
