/** Who is in a user group (`@sre-leads`) or on call: for the access policy and approver sets. */
export interface Directory {
  /** Member user ids of the group with this handle (without @); throws when it cannot tell. */
  groupMembers(handle: string): Promise<readonly string[]>;
  /** Chat user ids of who is on call for the incident; throws when it cannot tell. */
  onCall(incidentId: number): Promise<readonly string[]>;
}
