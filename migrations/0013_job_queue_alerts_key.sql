-- The job queue as a module of its own: it knows nothing of incidents, fences each attempt's
-- writes with a lease token, and keeps finished jobs until housekeeping prunes them. Also: the
-- alerts → incidents foreign key back in place of migration 0010's triggers, and the notes that
-- let a Slack post interrupted by a crash be found rather than made twice.

-- A job's payload names what it is about; the incident moves there from its own column (pending
-- jobs of an earlier version keep it).
UPDATE jobs SET payload = payload || jsonb_build_object('incidentId', incident_id)
 WHERE incident_id IS NOT NULL AND NOT payload ? 'incidentId';
ALTER TABLE jobs DROP COLUMN incident_id;
-- How many attempts a job gets is declared with its type, in the code.
ALTER TABLE jobs DROP COLUMN max_attempts;

-- Set afresh by every claim: a write of an attempt checks it, so a worker whose lease was taken
-- over writes nothing.
ALTER TABLE jobs ADD COLUMN lease_token uuid;
-- Done jobs are kept, for inspection, until housekeeping prunes them (failed ones too).
ALTER TABLE jobs ADD COLUMN done_at timestamptz;

DROP INDEX jobs_unique_pending;
CREATE UNIQUE INDEX jobs_unique_pending ON jobs (unique_key)
  WHERE unique_key IS NOT NULL AND lease_owner IS NULL AND failed_at IS NULL AND done_at IS NULL;
DROP INDEX jobs_due;
CREATE INDEX jobs_due ON jobs (run_at) WHERE failed_at IS NULL AND done_at IS NULL;
CREATE INDEX jobs_done ON jobs (done_at) WHERE done_at IS NOT NULL;
CREATE INDEX jobs_failed ON jobs (failed_at) WHERE failed_at IS NOT NULL;

-- alerts.incident_id is a plain foreign key again, in place of migration 0010's triggers: it is
-- what readers, \d and schema tools expect, and bench:ingest shows its cost is small (CHANGELOG).
DROP TRIGGER alerts_incident_exists_on_insert ON alerts;
DROP TRIGGER alerts_incident_exists_on_update ON alerts;
DROP TRIGGER incidents_keep_alerted ON incidents;
DROP FUNCTION alerts_incident_exists();
DROP FUNCTION incidents_keep_alerted();
ALTER TABLE alerts ADD CONSTRAINT alerts_incident_id_fkey FOREIGN KEY (incident_id) REFERENCES incidents (id);

-- When a post of an incident card, or of an approval request, began and its ts is not stored yet:
-- the post may have reached Slack, so the next attempt looks for the message before posting again.
ALTER TABLE incidents ADD COLUMN slack_card_post_started_at timestamptz;
ALTER TABLE approvals ADD COLUMN slack_post_started_at timestamptz;
