import type { Refusal } from '../access/refusal.js';
import type { Action } from '../access/permissions.js';

/** Who firebreak is in Slack, as `auth.test` (and `bots.info`) report it for its bot token. */
export interface SlackIdentity {
  teamId: string;
  /** Set on Enterprise Grid. */
  enterpriseId: string | undefined;
  appId: string;
  botId: string;
  botUserId: string;
}

/** Where a request says it comes from: the ids Slack puts in commands, interactions and views. */
export interface RequestOrigin {
  teamId: string | undefined;
  enterpriseId: string | undefined;
  appId: string | undefined;
  /** The asking user's own team. Interactions carry it; a command's `team_id` is already the user's. */
  userTeamId: string | undefined;
}

/** What an operator allows beyond firebreak's own workspace. */
export interface OriginRules {
  /** Other workspaces (T…) or organizations (E…) whose requests are accepted (SLACK_ALLOWED_TEAM_IDS). */
  allowedTeamIds: readonly string[];
  /** Accept people of other organizations in Slack Connect channels (SLACK_ALLOW_EXTERNAL_USERS). */
  allowExternalUsers: boolean;
}

type Body = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
const obj = (v: unknown): Body | undefined => (v && typeof v === 'object' ? (v as Body) : undefined);

/**
 * The origin of a Bolt request body. A command names its workspace (`team_id`); an interaction the
 * workspace the app is installed in (`team.id`, or `view.app_installed_team_id` for a modal opened
 * from a Slack Connect channel) and the clicking user's own team (`user.team_id`).
 */
export function originOf(body: Body): RequestOrigin {
  if (typeof body.command === 'string') {
    return { teamId: str(body.team_id), enterpriseId: str(body.enterprise_id), appId: str(body.api_app_id), userTeamId: undefined };
  }
  const team = obj(body.team);
  const user = obj(body.user);
  return {
    // Events (app_home_opened) name the workspace at the top level, as slash commands do.
    teamId: str(obj(body.view)?.app_installed_team_id) ?? str(team?.id) ?? str(user?.team_id) ?? str(body.team_id),
    enterpriseId: str(obj(body.enterprise)?.id) ?? str(team?.enterprise_id) ?? str(body.enterprise_id),
    appId: str(body.api_app_id),
    userTeamId: str(user?.team_id),
  };
}

/** Why a request's origin is refused; the refusal is built for the action it asked for. */
export type OriginProblem = 'identity_unknown' | 'app' | 'workspace' | 'external_user';

/**
 * Whether firebreak accepts a request from this origin: its own app, its own workspace (or
 * organization on Enterprise Grid) or one allowed, and a user of its own team or an allowed one
 * (or any, with allowExternalUsers). Until firebreak knows who it is, nothing is accepted. Pure.
 */
export function checkOrigin(me: SlackIdentity | undefined, o: RequestOrigin, rules: OriginRules): { ok: true } | { ok: false; problem: OriginProblem } {
  if (!me) return { ok: false, problem: 'identity_unknown' };
  if (o.appId !== me.appId) return { ok: false, problem: 'app' };
  const ours = (id: string | undefined) => id !== undefined && (id === me.teamId || id === me.enterpriseId || rules.allowedTeamIds.includes(id));
  if (!ours(o.teamId) && !(me.enterpriseId !== undefined && o.enterpriseId === me.enterpriseId) && !ours(o.enterpriseId)) {
    return { ok: false, problem: 'workspace' };
  }
  if (o.userTeamId !== undefined && !ours(o.userTeamId) && !rules.allowExternalUsers) return { ok: false, problem: 'external_user' };
  return { ok: true };
}

/** The refusal of a request for `action` whose origin has `problem`. */
export function originRefusal(action: Action, problem: OriginProblem, me: SlackIdentity | undefined, o: RequestOrigin): Refusal {
  switch (problem) {
    case 'identity_unknown':
      return {
        action, lacks: 'a request firebreak can check', holders: [],
        note: 'firebreak has not yet confirmed its own Slack workspace and app (Slack could not be reached); it keeps trying. Try again in a minute.',
      };
    case 'app':
      return { action, lacks: `a request to firebreak's own Slack app (${me?.appId})`, holders: [], note: `This request was for app ${o.appId ?? 'none'}.` };
    case 'workspace':
      return {
        action, lacks: `a request from firebreak's own Slack workspace (${me?.teamId})`, holders: [],
        note: `This request came from workspace ${o.teamId ?? 'none'}${o.enterpriseId ? ` of ${o.enterpriseId}` : ''}; SLACK_ALLOWED_TEAM_IDS names any other workspace firebreak accepts.`,
      };
    case 'external_user':
      return {
        action, lacks: `to be a member of firebreak's own Slack workspace (${me?.teamId})`, holders: [],
        note: `You belong to ${o.userTeamId} (Slack Connect); firebreak accepts people of other organizations only with SLACK_ALLOW_EXTERNAL_USERS=true.`,
      };
  }
}
