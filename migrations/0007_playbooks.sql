-- Playbook runs: which playbook (and which version of its file) ran for which incident. The
-- definition is kept as it was at the start, so a reload never changes a run under way.
CREATE TABLE playbook_runs (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  incident_id    bigint NOT NULL REFERENCES incidents (id),
  playbook       text NOT NULL,
  playbook_hash  text NOT NULL,
  definition     jsonb NOT NULL,
  -- The alert the templates read (labels, annotations): the one that matched.
  alert          jsonb NOT NULL,
  trigger        text NOT NULL CHECK (trigger IN ('alert', 'manual')),
  requested_by   text NOT NULL,
  status         text NOT NULL DEFAULT 'running'
                 CHECK (status IN ('running', 'succeeded', 'failed', 'aborted', 'cancelled')),
  started_at     timestamptz NOT NULL,
  finished_at    timestamptz
);
-- A playbook started by alerts runs once per incident, whatever Alertmanager re-sends.
CREATE UNIQUE INDEX playbook_runs_once ON playbook_runs (incident_id, playbook) WHERE trigger = 'alert';

-- One row per step of a run, created with the run. params: as rendered (and approved).
CREATE TABLE step_runs (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  run_id       bigint NOT NULL REFERENCES playbook_runs (id),
  incident_id  bigint NOT NULL REFERENCES incidents (id),
  position     integer NOT NULL,
  step_id      text NOT NULL,
  action       text NOT NULL,
  params       jsonb,
  params_hash  text,
  status       text NOT NULL DEFAULT 'pending' CHECK (status IN (
                 'pending', 'waiting_approval', 'running', 'succeeded', 'failed', 'skipped',
                 'needs_attention', 'denied', 'expired', 'aborted', 'cancelled')),
  attempts     integer NOT NULL DEFAULT 0,
  output       jsonb,
  error        text,
  started_at   timestamptz,
  finished_at  timestamptz,
  UNIQUE (run_id, position)
);
CREATE INDEX step_runs_incident ON step_runs (incident_id);

-- One approval per gated step. params_hash binds it to exactly what was shown.
CREATE TABLE approvals (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  step_run_id   bigint NOT NULL UNIQUE REFERENCES step_runs (id),
  incident_id   bigint NOT NULL REFERENCES incidents (id),
  policy        jsonb NOT NULL,
  requested_by  text NOT NULL,
  params_hash   text NOT NULL,
  requested_at  timestamptz NOT NULL,
  expires_at    timestamptz NOT NULL,
  status        text NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'approved', 'denied', 'expired', 'cancelled')),
  approved_by   text[] NOT NULL DEFAULT '{}',
  decided_by    text,
  decided_at    timestamptz,
  slack_channel text,
  slack_ts      text
);
CREATE INDEX approvals_pending ON approvals (expires_at) WHERE status = 'pending';

-- What steps captured: kept byte for byte (after redaction and the size cap), with its hash.
CREATE TABLE evidence (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  incident_id    bigint NOT NULL REFERENCES incidents (id),
  step_run_id    bigint REFERENCES step_runs (id),
  kind           text NOT NULL,
  media_type     text NOT NULL,
  body           bytea NOT NULL,
  sha256         text NOT NULL,
  size           integer NOT NULL,
  original_size  integer NOT NULL,
  truncated      boolean NOT NULL,
  redactions     integer NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX evidence_incident ON evidence (incident_id);

-- The scheduler's run coordinator: the first replica to insert a slot's key runs that slot.
CREATE TABLE scheduler_runs (
  key     text PRIMARY KEY,
  ran_at  timestamptz NOT NULL DEFAULT now()
);
