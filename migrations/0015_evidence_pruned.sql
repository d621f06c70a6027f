-- Retention: the body of old evidence is dropped (set empty) once its incident has been over for
-- RETAIN_EVIDENCE_DAYS; the row stays, with its sha256 and sizes, and says when its body went.
ALTER TABLE evidence ADD COLUMN pruned_at timestamptz;
-- Retention finds incidents over for long enough by when they ended.
CREATE INDEX incidents_resolved_at ON incidents (resolved_at) WHERE resolved_at IS NOT NULL;
