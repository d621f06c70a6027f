-- Outage mode (issue 26): a Slack rate budget per channel shared by every replica, the incidents
-- each channel received (to tell an outage from a busy day), outages with their one digest
-- message, and parent incidents that link the incidents of an outage.

-- A token bucket per Slack channel: `tokens` as of `refilled_at`; refilled at the configured rate,
-- up to the burst. In the database because replicas post to the same channels, and Slack's limit
-- (about one message per second per channel) is the app's, not one process's.
CREATE TABLE slack_channel_budgets (
  channel     text PRIMARY KEY,
  tokens      double precision NOT NULL,
  refilled_at timestamptz NOT NULL
);

-- Each incident once, with the channel it was announced in and when it opened: outage detection
-- counts a channel's arrivals within the window.
CREATE TABLE slack_arrivals (
  incident_id bigint PRIMARY KEY REFERENCES incidents (id),
  channel     text NOT NULL,
  opened_at   timestamptz NOT NULL
);
CREATE INDEX slack_arrivals_channel ON slack_arrivals (channel, opened_at);

-- An outage of one channel, from the arrival that crossed the threshold until a full window under
-- it; its digest message is posted once (post_started_at, as for cards) and edited in place.
CREATE TABLE slack_outages (
  id                     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  channel                text NOT NULL,
  started_at             timestamptz NOT NULL,
  ended_at               timestamptz,
  digest_channel         text,
  digest_ts              text,
  digest_hash            text,
  digest_synced_at       timestamptz,
  digest_post_started_at timestamptz,
  parent_incident_id     bigint REFERENCES incidents (id)
);
CREATE UNIQUE INDEX slack_outages_one_open ON slack_outages (channel) WHERE ended_at IS NULL;

-- The incidents an outage's digest lists.
CREATE TABLE slack_outage_incidents (
  outage_id   bigint NOT NULL REFERENCES slack_outages (id),
  incident_id bigint NOT NULL REFERENCES incidents (id),
  PRIMARY KEY (outage_id, incident_id)
);
CREATE INDEX slack_outage_incidents_incident ON slack_outage_incidents (incident_id);

-- A parent incident (an outage declared) and the incidents it covers; an incident has at most one parent.
CREATE TABLE incident_links (
  child_id  bigint PRIMARY KEY REFERENCES incidents (id),
  parent_id bigint NOT NULL REFERENCES incidents (id),
  linked_by text NOT NULL,
  linked_at timestamptz NOT NULL,
  CHECK (child_id <> parent_id)
);
CREATE INDEX incident_links_parent ON incident_links (parent_id);
