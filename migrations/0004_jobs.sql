-- The durable job queue: the one way side effects (Slack, PagerDuty, playbook steps) leave the
-- database. Jobs are inserted in the transaction of the change that causes them (outbox).
CREATE TABLE jobs (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind          text NOT NULL,
  payload       jsonb NOT NULL DEFAULT '{}',
  incident_id   bigint REFERENCES incidents (id),
  -- Coalescing: while a job with this key is pending, enqueueing the same key adds nothing.
  unique_key    text,
  run_at        timestamptz NOT NULL DEFAULT now(),
  attempts      integer NOT NULL DEFAULT 0,
  max_attempts  integer NOT NULL DEFAULT 25,
  lease_owner   text,
  lease_until   timestamptz,
  last_error    text,
  failed_at     timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX jobs_unique_key ON jobs (unique_key) WHERE unique_key IS NOT NULL;
CREATE INDEX jobs_due ON jobs (run_at) WHERE failed_at IS NULL;
