-- Incidents: one open incident per Alertmanager group (group_key), or declared by a person.
CREATE SEQUENCE incident_number_seq;

CREATE TABLE incidents (
  id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  number               integer NOT NULL UNIQUE DEFAULT nextval('incident_number_seq'),
  title                text NOT NULL,
  severity             text NOT NULL CHECK (severity IN ('sev1', 'sev2', 'sev3', 'sev4')),
  status               text NOT NULL DEFAULT 'triggered'
                       CHECK (status IN ('triggered', 'acknowledged', 'mitigated', 'resolved', 'closed')),
  group_key            text,
  group_labels         jsonb NOT NULL DEFAULT '{}',
  common_labels        jsonb NOT NULL DEFAULT '{}',
  common_annotations   jsonb NOT NULL DEFAULT '{}',
  external_url         text,
  previous_incident_id bigint REFERENCES incidents (id),
  commander            text,
  slack_channel_id     text,
  slack_card_channel   text,
  slack_card_ts        text,
  pagerduty_dedup_key  text,
  opened_at            timestamptz NOT NULL,
  acknowledged_at      timestamptz,
  mitigated_at         timestamptz,
  resolved_at          timestamptz,
  closed_at            timestamptz,
  last_seen_at         timestamptz NOT NULL,
  notifications        integer NOT NULL DEFAULT 0,
  -- Head of the timeline hash chain, kept here so that removing the newest events is detected too.
  timeline_seq         integer NOT NULL DEFAULT 0,
  timeline_head        bytea NOT NULL DEFAULT '\x'
);

-- The promise "one open incident per alert group", enforced by the database itself.
CREATE UNIQUE INDEX incidents_one_open_per_group ON incidents (group_key)
  WHERE status IN ('triggered', 'acknowledged', 'mitigated');
CREATE INDEX incidents_group_key ON incidents (group_key, id DESC);
CREATE INDEX incidents_status ON incidents (status);
