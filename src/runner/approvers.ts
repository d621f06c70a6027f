import type { Refusal } from '../access/refusal.js';

/** The approval options of a gated step (as written in the playbook). */
export interface ApprovalPolicy {
  approvers: readonly string[];
  min_approvals: number;
  distinct_from_requester: boolean;
}

/** One approver of a policy as it was resolved when the approval was requested. */
export interface ResolvedApprover {
  /** As the playbook names it: a Slack user id, `@group`, `commander` or `oncall`. */
  approver: string;
  /** The Slack user ids it stood for then. */
  members: string[];
  /** Why it could not be read, after retries: nobody may decide through it. */
  unreadable?: string;
}

/**
 * Who may decide an approval: resolved when it was requested (the commander then, who was on call
 * then, the group members then) and never read again, so becoming commander or joining a group
 * afterwards gives no right to decide.
 */
export interface ApproverSet {
  sources: ResolvedApprover[];
  /** ISO time of the resolution. */
  resolvedAt: string;
}

/** Everyone in the set, each once, in the order the playbook names their sources. */
export const approverIds = (set: ApproverSet): string[] => [...new Set(set.sources.flatMap((s) => s.members))];

/** Who is asking to decide: their Slack user id (if any), the choice, and who started the run. */
export interface Decider {
  user: string | undefined;
  choice: 'approve' | 'deny' | 'retry';
  /** Who started the run: a Slack user id for `/incident run`, `alertmanager` for a matched alert. */
  requester: string;
}

/**
 * Whether the decider may make this decision: only people of the frozen set may, and with
 * `distinct_from_requester` not the one who started the run (they may still deny). Retrying an
 * interrupted gated step runs it again, so it is judged as an approval. Pure.
 */
export function mayDecide(policy: ApprovalPolicy, set: ApproverSet, d: Decider): { ok: true } | { ok: false; refusal: Refusal } {
  const action = d.choice === 'retry' ? 'step.retry' : d.choice;
  const ids = approverIds(set);
  const unreadable = set.sources.filter((s) => s.unreadable).map((s) => `${s.approver} (${s.unreadable})`);
  const note = unreadable.length ? `${unreadable.join(', ')} could not be read when the approval was requested` : undefined;
  if (d.user === undefined || !ids.includes(d.user)) {
    return { ok: false, refusal: { action, lacks: 'a place among this step\'s approvers, fixed when its approval was requested', holders: ids, ...(note ? { note } : {}) } };
  }
  if (d.choice !== 'deny' && policy.distinct_from_requester && d.user === d.requester) {
    return {
      ok: false,
      refusal: { action, lacks: 'to be someone other than who started this playbook (this step needs another person\'s approval)', holders: ids.filter((u) => u !== d.requester) },
    };
  }
  return { ok: true };
}

// A source's members named in the timeline; a group of hundreds is counted, not listed.
const MEMBERS_NAMED = 10;

/** "U0ALICE, @sre-leads (U0LEAD, U0BOB), commander (nobody), oncall (could not be read: …)": a set, for the timeline. */
export function describeApproverSet(set: ApproverSet): string {
  return set.sources.map((s) => {
    if (s.unreadable) return `${s.approver} (could not be read: ${s.unreadable})`;
    if (s.members.length === 1 && s.members[0] === s.approver) return s.approver;
    const named = s.members.slice(0, MEMBERS_NAMED).join(', ') + (s.members.length > MEMBERS_NAMED ? ` and ${s.members.length - MEMBERS_NAMED} more` : '');
    return `${s.approver} (${named || 'nobody'})`;
  }).join(', ') || 'nobody';
}
