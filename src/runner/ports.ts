/** What the runner needs of the chat system (Slack), declared here so the runner knows no vendor. */
export interface ChatPort {
  /** Posts `text` (escaped by the port: no pings or links) in the incident's thread. */
  postToIncident(incidentId: number, text: string): Promise<{ ts: string }>;
}
