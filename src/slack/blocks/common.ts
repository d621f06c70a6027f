/** A Block Kit block or element, as JSON. Built by pure functions, checked by snapshot tests. */
export type Block = Record<string, unknown>;

/** A Block Kit button. */
export interface Button {
  type: 'button';
  action_id: string;
  text: { type: 'plain_text'; text: string };
  value?: string;
  url?: string;
  style?: 'primary' | 'danger';
  confirm?: Block;
}

/** The action ids of firebreak's buttons. */
export const ACTION = {
  acknowledge: 'incident_acknowledge',
  mitigate: 'incident_mitigate',
  resolve: 'incident_resolve',
  commander: 'incident_commander',
  approve: 'incident_approve',
  deny: 'incident_deny',
  stepRetry: 'incident_step_retry',
  stepSkip: 'incident_step_skip',
  stepAbort: 'incident_step_abort',
  linkRunbook: 'link_runbook',
  linkAlertmanager: 'link_alertmanager',
  linkGenerator: 'link_generator',
  linkSilence: 'link_silence',
  linkDashboard: 'link_dashboard',
  linkPanel: 'link_panel',
  declareOutage: 'incident_outage_declare',
  resolveChildren: 'incident_resolve_children',
} as const;

/** A user mention; only ids Slack issues (U…/W…) are turned into one, anything else is dropped. */
export function mention(userId: string): string {
  return /^[UW][A-Z0-9]{2,}$/.test(userId) ? `<@${userId}>` : 'someone';
}

/** A date Slack shows in each reader's time zone, with UTC as the fallback text. */
export function slackDate(at: Date): string {
  const iso = at.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return `<!date^${Math.floor(at.getTime() / 1000)}^{date_short_pretty} {time}|${iso}>`;
}
