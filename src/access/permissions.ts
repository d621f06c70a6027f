/**
 * Who may do what: the permission table and its decision. Pure, no I/O, table-tested; every
 * front-end (Slack today) asks here before it changes anything.
 *
 * Glossary
 * - Action: one thing a person asks firebreak to do (`resolve`, `run`, a button's click).
 * - Permission: what an action needs. Each table action needs exactly one.
 * - Holder: who holds a permission, as a policy names them: a Slack user id, an `@group` handle, or
 *   `*` (everyone whose request firebreak accepts at all).
 * - Approver set: who may decide one approval, frozen when it was requested (runner/approvers.ts).
 *   Approve, Deny, and Retry of an interrupted step that had an approval gate, are decided by it.
 */

export const PERMISSIONS = ['read', 'respond', 'command', 'run', 'page', 'admin'] as const;
/** A permission of the table; `admin` holds all the others. */
export type Permission = (typeof PERMISSIONS)[number];

/** Each action of the table and the one permission it needs. */
export const ACTION_PERMISSION = {
  help: 'read', list: 'read', status: 'read', timeline: 'read', playbooks: 'read', steps: 'read', jobs: 'read',
  declare: 'respond', ack: 'respond', mitigate: 'respond', note: 'respond', 'commander.claim': 'respond', postmortem: 'respond',
  resolve: 'command', sev: 'command', commander: 'command',
  // Linking changes what resolving the parent resolves: as strong as resolving.
  link: 'command', 'outage.declare': 'command', 'resolve.children': 'command',
  // Retry of a step that had an approval gate is decided by that step's approver set instead.
  run: 'run', 'step.retry': 'run', 'step.skip': 'run', 'step.abort': 'run',
  page: 'page',
  // Running a failed job again redoes what it does: a step's action, a message, a page.
  'job.retry': 'run',
} as const satisfies Record<string, Exclude<Permission, 'admin'>>;

/** Actions only the HTTP API offers (Slack has no command for them): tested with the API. */
export const API_ONLY_ACTIONS: readonly TableAction[] = ['jobs', 'job.retry'];

/** An action the permission table decides. */
export type TableAction = keyof typeof ACTION_PERMISSION;
/** Anything a person may ask for: the table's actions, and Approve and Deny, which an approval's approver set decides. */
export type Action = TableAction | 'approve' | 'deny';

/** What each action does, for "You may not …". */
export const ACTION_TEXT: Readonly<Record<Action, string>> = {
  help: 'use firebreak', list: 'list incidents', status: 'see incidents', timeline: 'read timelines', playbooks: 'list playbooks',
  steps: 'see playbook steps', declare: 'declare incidents', ack: 'acknowledge incidents', mitigate: 'mark incidents mitigated',
  note: 'add notes', 'commander.claim': 'take command of incidents', postmortem: 'draft postmortems', resolve: 'resolve incidents',
  sev: 'change severities', commander: 'hand command to someone else', run: 'start playbooks', 'step.skip': 'skip interrupted steps',
  'step.retry': 'run interrupted steps again', 'step.abort': 'abort playbooks', page: 'page PagerDuty',
  link: 'link incidents to a parent', 'outage.declare': 'declare outages', 'resolve.children': 'resolve linked incidents',
  approve: 'approve this step', deny: 'deny this step', jobs: 'list jobs', 'job.retry': 'run failed jobs again',
};

/** Who holds each permission: Slack user ids, `@group` handles, `*`. `admin` holds every other one too. */
export type AccessPolicy = Readonly<Record<Permission, readonly string[]>>;

/** Everyone whose request firebreak accepts. */
export const EVERYONE = '*';

/**
 * The policy from what is configured for each permission: an unset permission is held by everyone
 * (the one-team default), except `admin`, held by nobody unless named (it holds everything, so
 * "everyone is admin" would undo every other line).
 */
export function accessPolicy(configured: Readonly<Partial<Record<Permission, readonly string[]>>>): AccessPolicy {
  const policy = Object.fromEntries(PERMISSIONS.map((p) => [p, configured[p] ?? (p === 'admin' ? [] : [EVERYONE])]));
  return Object.freeze(policy as Record<Permission, readonly string[]>);
}

// What a careful team restricts, and the action that shows it best in the start-up warning.
const RISKY = { command: 'resolve', page: 'page', run: 'run' } as const;

/**
 * The warning firebreak logs once at start when everyone holds a permission a careful team
 * restricts ("everyone … may resolve incidents, page PagerDuty and start playbooks"); undefined
 * when none is open to everyone.
 */
export function openPolicyWarning(policy: AccessPolicy): string | undefined {
  const open = (Object.keys(RISKY) as (keyof typeof RISKY)[]).filter((p) => policy[p].includes(EVERYONE));
  if (!open.length) return undefined;
  const doings = open.map((p) => ACTION_TEXT[RISKY[p]]);
  const list = doings.length > 1 ? `${doings.slice(0, -1).join(', ')} and ${doings.at(-1)}` : doings[0];
  return `Access policy: everyone firebreak accepts requests from may ${list} (${open.map((p) => `ACCESS_${p.toUpperCase()}`).join(', ')} unset): ` +
    'see "Who may do what" in the README';
}

/** Who holds `permission`: its own holders, then the admins, each once. */
export function holdersOf(policy: AccessPolicy, permission: Permission): string[] {
  return [...new Set([...policy[permission], ...(permission === 'admin' ? [] : policy.admin)])];
}

/** The `@group` handles (without @) a decision on `action` may depend on. */
export function groupsFor(policy: AccessPolicy, action: TableAction): string[] {
  const holders = holdersOf(policy, ACTION_PERMISSION[action]);
  if (holders.includes(EVERYONE)) return [];
  return holders.filter((h) => h.startsWith('@')).map((h) => h.slice(1));
}

/** What a decision knows of the asker: their Slack user id and the groups read for it. */
export interface Asker {
  slackUserId: string | undefined;
  /** Members of each group `groupsFor` named, or why it could not be read. */
  groups: ReadonlyMap<string, readonly string[] | { unreadable: string }>;
}

/** The table's answer: allowed, or what is lacking and who has it. */
export type PermissionVerdict =
  | { ok: true }
  | { ok: false; permission: Permission; holders: string[]; unreadable: string[] };

/** Whether the asker may do `action` under `policy`. A group that could not be read counts as not holding. Pure. */
export function decidePermission(policy: AccessPolicy, action: TableAction, asker: Asker): PermissionVerdict {
  const permission = ACTION_PERMISSION[action];
  const holders = holdersOf(policy, permission);
  const unreadable: string[] = [];
  const holds = holders.some((h) => {
    if (h === EVERYONE) return true;
    if (!h.startsWith('@')) return asker.slackUserId !== undefined && h === asker.slackUserId;
    const members = asker.groups.get(h.slice(1));
    if (members === undefined) return false;
    if ('unreadable' in members) {
      unreadable.push(`${h} (${members.unreadable})`);
      return false;
    }
    return asker.slackUserId !== undefined && members.includes(asker.slackUserId);
  });
  return holds ? { ok: true } : { ok: false, permission, holders, unreadable };
}
