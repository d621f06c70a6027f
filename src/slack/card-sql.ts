import type { Queryable } from '../db/db.js';

/** Where an incident's card is, and how long until it may be updated again. */
export interface CardPlace {
  number: number;
  title: string;
  severity: string;
  commander: string | null;
  /** The channel the card goes to; null until the incident.opened job has chosen it. */
  channel: string | null;
  ts: string | null;
  /** Digest of the card as last sent. */
  digest: string | null;
  slackChannelId: string | null;
  /** Milliseconds until the card may be updated (updates are spaced per incident). */
  waitMs: number;
  /** Set when a post of the card began and its ts is not stored yet: the post may have happened. */
  postStartedAt: Date | null;
  openedAt: Date;
  /** The labels all the incident's alerts share: what INCIDENT_ROUTES matches. */
  labels: Record<string, string>;
}

export async function readCardPlace(db: Queryable, incidentId: number, spacingMs: number): Promise<CardPlace | null> {
  const { rows } = await db.query<CardPlace>(
    `SELECT number, title, severity, commander, slack_card_channel AS channel, slack_card_ts AS ts, slack_card_digest AS digest,
            slack_channel_id AS "slackChannelId", slack_card_post_started_at AS "postStartedAt", opened_at AS "openedAt", common_labels AS labels,
            GREATEST(0, extract(epoch FROM slack_card_synced_at + $2 * interval '1 millisecond' - now()) * 1000)::float8 AS "waitMs"
       FROM incidents WHERE id = $1`,
    [incidentId, spacingMs],
  );
  const row = rows[0];
  return row ? { ...row, waitMs: row.waitMs ?? 0 } : null;
}

/** Chooses the card's channel, once. Returns false when it was chosen before. */
export async function chooseCardChannel(tx: Queryable, incidentId: number, channel: string): Promise<boolean> {
  const { rowCount } = await tx.query(
    'UPDATE incidents SET slack_card_channel = $2 WHERE id = $1 AND slack_card_channel IS NULL', [incidentId, channel],
  );
  return rowCount > 0;
}

/**
 * A post of the card begins (`started`: noted and committed first, so that a crash before its ts
 * is stored is known), or surely did not happen (false: Slack refused it).
 */
export async function markCardPostStarted(db: Queryable, incidentId: number, started: boolean): Promise<void> {
  await db.query('UPDATE incidents SET slack_card_post_started_at = CASE WHEN $2 THEN now() END WHERE id = $1', [incidentId, started]);
}

/**
 * The card was posted (Slack answers with the channel id, even when it was addressed by name), or
 * found after a post whose answer was lost (digest null: what it shows is not known).
 */
export async function recordCardPosted(tx: Queryable, incidentId: number, channel: string, ts: string, digest: string | null): Promise<void> {
  await tx.query(
    `UPDATE incidents SET slack_card_channel = $2, slack_card_ts = $3, slack_card_digest = $4, slack_card_synced_at = now(),
                          slack_card_post_started_at = NULL
      WHERE id = $1`,
    [incidentId, channel, ts, digest],
  );
}

export async function recordCardSynced(db: Queryable, incidentId: number, digest: string): Promise<void> {
  await db.query('UPDATE incidents SET slack_card_synced_at = now(), slack_card_digest = $2 WHERE id = $1', [incidentId, digest]);
}

/** The card's message is gone (deleted by someone): the next sync posts a new one. */
export async function forgetCardMessage(db: Queryable, incidentId: number): Promise<void> {
  await db.query('UPDATE incidents SET slack_card_ts = NULL, slack_card_post_started_at = NULL WHERE id = $1', [incidentId]);
}

export async function recordIncidentChannel(tx: Queryable, incidentId: number, channelId: string, name: string): Promise<void> {
  await tx.query('UPDATE incidents SET slack_channel_id = $2, slack_channel_name = $3 WHERE id = $1', [incidentId, channelId, name]);
}
