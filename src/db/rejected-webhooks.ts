import type { Db } from './db.js';

// Bounds on what rejected webhooks may occupy: a misconfigured sender retrying in a loop must not
// fill the disk. 1,000 × 1 MiB at the very most.
export const REJECTED_KEEP = 1000;
export const REJECTED_BODY_BYTES = 1024 * 1024;

/** A refused webhook body, kept for an operator to inspect. */
export interface RejectedWebhook {
  reason: string;
  detail: string;
  remoteAddress: string | undefined;
  contentType: string | undefined;
  body: Buffer;
}

/** Stores a refused body (cut to REJECTED_BODY_BYTES) and drops the oldest beyond REJECTED_KEEP. */
export async function storeRejectedWebhook(db: Db, r: RejectedWebhook): Promise<void> {
  const truncated = r.body.length > REJECTED_BODY_BYTES;
  await db.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO rejected_webhooks (reason, detail, remote_address, content_type, body, body_bytes, truncated)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [r.reason, r.detail, r.remoteAddress ?? null, r.contentType ?? null,
        truncated ? r.body.subarray(0, REJECTED_BODY_BYTES) : r.body, r.body.length, truncated],
    );
    await tx.query(
      `DELETE FROM rejected_webhooks
        WHERE id < (SELECT id FROM rejected_webhooks ORDER BY id DESC OFFSET $1 LIMIT 1)`,
      [REJECTED_KEEP - 1],
    );
  });
}
