/** The approval options of a gated step (as written in the playbook). */
export interface ApprovalPolicy {
  approvers: readonly string[];
  min_approvals: number;
  distinct_from_requester: boolean;
}

/** Who is asking to decide, and what is known about them. Pure input of mayDecide. */
export interface Decider {
  user: string;
  choice: 'approve' | 'deny';
  /** The incident's commander at the time of the click. */
  commander: string | null;
  /** Who started the run: a Slack user id, or `alertmanager`. */
  requester: string;
  /** Members of each @group handle of the policy that could be read. */
  groups: ReadonlyMap<string, readonly string[]>;
  /** Slack user ids of who is on call for the incident (read only when the policy says `oncall`). */
  onCall: readonly string[];
}

/** Whether `d.user` may make this decision; the reason shown to them when not. Pure. */
export function mayDecide(policy: ApprovalPolicy, d: Decider): { ok: true } | { ok: false; reason: string } {
  if (d.choice === 'approve' && policy.distinct_from_requester && d.user === d.requester) {
    return { ok: false, reason: 'you started this playbook, and this step needs someone else\'s approval' };
  }
  const allowed = policy.approvers.some((a) =>
    a === d.user || (a === 'commander' && d.commander === d.user) || (a === 'oncall' && d.onCall.includes(d.user))
    || (a.startsWith('@') && (d.groups.get(a.slice(1)) ?? []).includes(d.user)));
  if (allowed) return { ok: true };
  return { ok: false, reason: `only ${describeApprovers(policy.approvers)} may decide on this step` };
}

/** "<@U1>, @sre-leads or the incident commander" (Slack mrkdwn: ids become mentions). */
export function describeApprovers(approvers: readonly string[]): string {
  const parts = approvers.map((a) => (a === 'commander' ? 'the incident commander' : a === 'oncall' ? 'whoever is on call' : a.startsWith('@') ? a : `<@${a}>`));
  return parts.length > 1 ? `${parts.slice(0, -1).join(', ')} or ${parts.at(-1)}` : parts[0] ?? 'nobody';
}

/** The @group handles (without @) a decision may depend on. */
export const groupHandles = (approvers: readonly string[]): string[] => approvers.filter((a) => a.startsWith('@')).map((a) => a.slice(1));
