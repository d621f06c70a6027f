/** What the runner needs of the chat system (Slack), declared here so the runner knows no vendor. */
export interface ChatPort {
  /** Posts `text` (escaped by the port: no pings or links) in the incident's thread. */
  postToIncident(incidentId: number, text: string): Promise<{ ts: string }>;
}

/** Who is in a user group (`@sre-leads`) or on call, for approver checks. */
export interface Directory {
  /** Member user ids of the group with this handle (without @); throws when it cannot tell. */
  groupMembers(handle: string): Promise<readonly string[]>;
  /** Chat user ids of who is on call for the incident; throws when it cannot tell. */
  onCall(incidentId: number): Promise<readonly string[]>;
}
