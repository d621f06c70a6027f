import type { Queryable } from '../db/db.js';
import { sha256 } from '../lib/canonical-json.js';
import { redactSecrets } from '../lib/redact.js';
import type { Capture } from './action.js';

// A step output later steps read through templates; a bigger one is kept as evidence only.
const OUTPUT_MAX_CHARS = 256 * 1024;

/** Evidence ready to store: redacted, capped, hashed. `sha256` is of exactly `body`. */
export interface PreparedEvidence {
  mediaType: string;
  body: Buffer;
  sha256: string;
  size: number;
  originalSize: number;
  truncated: boolean;
  redactions: number;
}

/** Redacts secrets, then cuts to `maxBytes` (never inside a UTF-8 character), then hashes. */
export function prepareEvidence(capture: Capture, maxBytes: number): PreparedEvidence {
  const { text, count } = redactSecrets(capture.body);
  const full = Buffer.from(text, 'utf8');
  let end = Math.min(full.length, maxBytes);
  // Back off continuation bytes (10xxxxxx) so the cut falls between characters.
  if (end < full.length) while (end > 0 && (full[end]! & 0xc0) === 0x80) end--;
  const body = full.subarray(0, end);
  return {
    mediaType: capture.mediaType, body, sha256: sha256(body), size: body.length,
    originalSize: full.length, truncated: end < full.length, redactions: count,
  };
}

/** A step's output as later steps see it: secrets redacted, and left out when too big. */
export function prepareOutput(output: unknown): unknown {
  if (output === undefined) return null;
  const { text } = redactSecrets(JSON.stringify(output));
  if (text.length > OUTPUT_MAX_CHARS) return { cut: true, note: `the output (${text.length} characters) is kept as evidence only` };
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Stores evidence; returns its id. */
export async function insertEvidence(
  tx: Queryable, e: PreparedEvidence & { incidentId: number; stepRunId: number | null; kind: string },
): Promise<number> {
  const { rows } = await tx.query<{ id: number }>(
    `INSERT INTO evidence (incident_id, step_run_id, kind, media_type, body, sha256, size, original_size, truncated, redactions)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
    [e.incidentId, e.stepRunId, e.kind, e.mediaType, e.body, e.sha256, e.size, e.originalSize, e.truncated, e.redactions],
  );
  return rows[0]!.id;
}
