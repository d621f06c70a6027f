/**
 * The one who asks: a person as a front-end knows them. Slack knows a user id; other front-ends
 * (an HTTP API with personal tokens, say) know a name, and a Slack user id when one is mapped.
 */
export interface Principal {
  /** The name the timeline records as the actor: a Slack user id for Slack. */
  actor: string;
  /** Their Slack user id, when they have one: what policies and approver sets name. */
  slackUserId: string | undefined;
}

/** A Slack user asking through Slack. */
export const slackPrincipal = (userId: string): Principal => ({ actor: userId, slackUserId: userId });
