import { incidentRef } from '../../incidents/types.js';
import { cut, escapeMrkdwn, safeMrkdwn } from '../../lib/mrkdwn.js';
import { displayParams } from '../../playbooks/secrets.js';
import { approverIds, type ApproverSet, type ResolvedApprover } from '../../runner/approvers.js';
import type { ApprovalView, RunView, StepView } from '../../runner/views.js';
import { ACTION, mention, slackDate, type Block, type Button } from './common.js';

// Section text is limited to 3,000 characters; the fence and a note take the rest.
const PARAMS_MAX = 2_700;

/** Rendered parameters as an escaped code block, cut to fit. Backtick fences inside cannot end it early. */
export function paramsBlockText(params: unknown): string {
  const json = JSON.stringify(params ?? {}, null, 2).replace(/```/g, '`\u200b``');
  return `\`\`\`${cut(escapeMrkdwn(json), PARAMS_MAX)}\`\`\``;
}

const confirm = (title: string, text: string, yes: string, style?: 'danger') => ({
  title: { type: 'plain_text', text: title }, text: { type: 'mrkdwn', text: cut(text, 300) },
  confirm: { type: 'plain_text', text: yes }, deny: { type: 'plain_text', text: 'Cancel' }, ...(style ? { style } : {}),
});

const DECIDED: Record<string, string> = {
  approved: ':white_check_mark: Approved by',
  denied: ':no_entry: Denied by',
  expired: ':hourglass: Expired: nobody decided in time',
  cancelled: ':heavy_minus_sign: Cancelled: the incident was resolved or the playbook stopped',
};

// Members named per approver on the message; a large group is counted.
const MEMBERS_SHOWN = 10;

function sourceText(s: ResolvedApprover): string {
  const name = s.approver === 'commander' ? 'the commander' : s.approver === 'oncall' ? 'on call' : s.approver.startsWith('@') ? safeMrkdwn(s.approver, 80) : '';
  if (!name) return mention(s.approver);
  if (s.unreadable) return `${name} (:warning: could not be read: ${safeMrkdwn(s.unreadable, 200)})`;
  const shown = s.members.slice(0, MEMBERS_SHOWN).map(mention).join(', ') + (s.members.length > MEMBERS_SHOWN ? ` and ${s.members.length - MEMBERS_SHOWN} more` : '');
  return `${name} (${shown || 'nobody'})`;
}

/** Who may decide, as frozen when the approval was requested, and a warning when too few can approve. */
export function approverSetText(set: ApproverSet, policy: ApprovalView['policy'], requestedBy: string): string {
  const people = approverIds(set).filter((u) => !(policy.distinct_from_requester && u === requestedBy));
  const few = people.length === 0 ? '\n:warning: Nobody may approve this step: it can only expire.'
    : people.length < policy.min_approvals ? `\n:warning: Only ${people.length} may approve and ${policy.min_approvals} approvals are needed: it can only be denied or expire.` : '';
  return `Who may decide (fixed when asked): ${set.sources.map(sourceText).join(' · ')}` +
    `${policy.distinct_from_requester ? ' (not the person who started it)' : ''}${few}`;
}

/** The approval request: what will run, exactly, who may approve, until when; buttons while pending. */
export function approvalMessage(a: ApprovalView): { text: string; blocks: Block[] } {
  const head = `${incidentRef(a.incidentNumber)}: approve step ${a.stepId} of ${a.playbook}?`;
  const votes = a.policy.min_approvals > 1 ? ` · ${a.approvedBy.length} of ${a.policy.min_approvals} approvals${a.approvedBy.length ? ` (${a.approvedBy.map(mention).join(', ')})` : ''}` : '';
  const blocks: Block[] = [
    { type: 'header', text: { type: 'plain_text', text: cut(`Approval needed: ${a.stepId} (${a.action})`, 150) } },
    {
      type: 'section', block_id: `approval_${a.id}_step`,
      text: { type: 'mrkdwn', text: `*${incidentRef(a.incidentNumber)}* · playbook *${safeMrkdwn(a.playbook, 100)}* · step *${safeMrkdwn(a.stepId, 100)}* runs \`${a.action}\` with:\n${paramsBlockText(displayParams(a.action, a.params))}` },
    },
    { type: 'context', block_id: `approval_${a.id}_approvers`, elements: [{ type: 'mrkdwn', text: cut(approverSetText(a.approvers, a.policy, a.requestedBy), 3000) }] },
    {
      type: 'context',
      elements: [{
        type: 'mrkdwn',
        text: cut(`Expires ${slackDate(a.expiresAt)}${votes} · requested by ${a.requestedBy.startsWith('U') ? mention(a.requestedBy) : safeMrkdwn(a.requestedBy, 40)}` +
          ` · sha256 \`${a.paramsHash.slice(0, 12)}\``, 3000),
      }],
    },
  ];
  if (a.status === 'pending') {
    blocks.push({ type: 'actions', block_id: `approval_${a.id}`, elements: approvalButtons(a) });
  } else {
    const who = a.status === 'approved' ? ` ${a.approvedBy.map(mention).join(', ')}` : a.status === 'denied' && a.decidedBy ? ` ${mention(a.decidedBy)}` : '';
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `${DECIDED[a.status] ?? a.status}${who}` }] });
  }
  return { text: cut(head, 300), blocks };
}

/** Approve and Deny of a pending approval, in its message and in the Home tab. */
export function approvalButtons(a: Pick<ApprovalView, 'id' | 'stepId' | 'action'>): Button[] {
  const approve: Button = {
    type: 'button', action_id: ACTION.approve, text: { type: 'plain_text', text: 'Approve' }, value: String(a.id), style: 'primary',
    confirm: confirm('Run this step?', `Step *${safeMrkdwn(a.stepId, 80)}* will run \`${a.action}\` with the parameters shown.`, 'Approve'),
  };
  const deny: Button = {
    type: 'button', action_id: ACTION.deny, text: { type: 'plain_text', text: 'Deny' }, value: String(a.id), style: 'danger',
    confirm: confirm('Deny this step?', `Step *${safeMrkdwn(a.stepId, 80)}* will not run.`, 'Deny', 'danger'),
  };
  return [approve, deny];
}

/** An interrupted step that is not safe to repeat: what it was doing, and the three choices. */
export function attentionMessage(run: RunView, step: StepView): { text: string; blocks: Block[] } {
  const ref = incidentRef(run.incidentNumber);
  const button = (action_id: string, text: string, style?: 'primary' | 'danger', conf?: ReturnType<typeof confirm>): Button =>
    ({ type: 'button', action_id, text: { type: 'plain_text', text }, value: String(step.id), ...(style ? { style } : {}), ...(conf ? { confirm: conf } : {}) });
  return {
    text: cut(`${ref}: step ${step.stepId} of ${run.playbook} was interrupted and needs a decision`, 300),
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `:warning: *${ref}*: step *${safeMrkdwn(step.stepId, 100)}* (\`${step.action}\`) of *${safeMrkdwn(run.playbook, 100)}* was interrupted ` +
            `(firebreak stopped while it ran). Whether it took effect is unknown, and it is not marked idempotent, so it was not run again.\n${paramsBlockText(displayParams(step.action, step.params))}`,
        },
      },
      {
        type: 'actions', block_id: `attention_${step.id}`,
        elements: [
          button(ACTION.stepRetry, 'Retry', 'primary', confirm('Run it again?', 'The step runs again with the same parameters.', 'Retry')),
          button(ACTION.stepSkip, 'Skip'),
          button(ACTION.stepAbort, 'Abort playbook', 'danger', confirm('Abort the playbook?', 'No further steps run.', 'Abort', 'danger')),
        ],
      },
    ],
  };
}

const STEP_ICON: Record<string, string> = {
  pending: ':white_circle:', waiting_approval: ':raised_hand:', running: ':arrows_counterclockwise:', succeeded: ':white_check_mark:',
  failed: ':x:', skipped: ':fast_forward:', needs_attention: ':warning:', denied: ':no_entry:', expired: ':hourglass:',
  aborted: ':black_square_for_stop:', cancelled: ':heavy_minus_sign:',
};

/** `/incident steps`: each run and its steps with their status. */
export function runsText(incidentNumber: number, runs: readonly RunView[]): string {
  if (!runs.length) return `No playbook has run on ${incidentRef(incidentNumber)}.`;
  return runs.map((r) => [
    `*${safeMrkdwn(r.playbook, 100)}* · ${r.status} · ${r.trigger === 'alert' ? 'started by its alerts' : `started by ${mention(r.requestedBy)}`}`,
    ...r.steps.map((s) => `${STEP_ICON[s.status] ?? ''} \`${safeMrkdwn(s.stepId, 60)}\` ${s.action} · ${s.status.replace('_', ' ')}` +
      `${s.attempts > 1 ? ` · ${s.attempts} attempts` : ''}${s.error ? ` · ${safeMrkdwn(s.error, 200)}` : ''}`),
  ].join('\n')).join('\n\n');
}
