-- PagerDuty pages: one row per incident and PagerDuty service paged. `desired` is what the incident's
-- state asks PagerDuty to know (set in the transaction of the change); `sent` is what PagerDuty has
-- accepted. The pagerduty.sync job sends what lies between them.
CREATE TABLE pages (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  incident_id   bigint NOT NULL REFERENCES incidents (id),
  -- A PAGERDUTY_SERVICES name, or 'default' (PAGERDUTY_ROUTING_KEY). Keys stay in the configuration.
  service       text NOT NULL,
  dedup_key     text NOT NULL,
  requested_by  text NOT NULL,
  requested_at  timestamptz NOT NULL,
  desired       text NOT NULL CHECK (desired IN ('trigger', 'acknowledge', 'resolve')),
  sent          text CHECK (sent IN ('trigger', 'acknowledge', 'resolve')),
  sent_at       timestamptz,
  -- PagerDuty refused the event for good (HTTP 400): its words. Nothing more is sent for this page.
  rejected      text,
  -- Who was on call when it was paged: [{ name, email, level }].
  oncall        jsonb NOT NULL DEFAULT '[]',
  UNIQUE (incident_id, service)
);
CREATE INDEX pages_dedup_key ON pages (dedup_key);

-- The current postmortem draft of each incident, rebuilt from the database on request.
CREATE TABLE postmortems (
  incident_id   bigint PRIMARY KEY REFERENCES incidents (id),
  markdown      text NOT NULL,
  sha256        text NOT NULL,
  generated_at  timestamptz NOT NULL,
  requested_by  text NOT NULL,
  revision      integer NOT NULL DEFAULT 1
);

-- The draft's charts (PNG), replaced with each revision.
CREATE TABLE postmortem_charts (
  incident_id  bigint NOT NULL REFERENCES postmortems (incident_id),
  position     integer NOT NULL,
  title        text NOT NULL,
  png          bytea NOT NULL,
  PRIMARY KEY (incident_id, position)
);
