-- One row per alert instance: Alertmanager's fingerprint plus the startsAt of that firing.
CREATE TABLE alerts (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  incident_id     bigint NOT NULL REFERENCES incidents (id),
  fingerprint     text NOT NULL,
  starts_at       timestamptz NOT NULL,
  ends_at         timestamptz,
  status          text NOT NULL CHECK (status IN ('firing', 'resolved')),
  alertname       text,
  labels          jsonb NOT NULL,
  annotations     jsonb NOT NULL,
  generator_url   text,
  first_seen_at   timestamptz NOT NULL,
  last_seen_at    timestamptz NOT NULL,
  resolved_at     timestamptz,
  times_received  integer NOT NULL DEFAULT 1,
  UNIQUE (fingerprint, starts_at)
);

CREATE INDEX alerts_incident ON alerts (incident_id, status);
-- Alertmanager holds one alert per fingerprint, so at most one instance of it is firing here.
CREATE UNIQUE INDEX alerts_one_firing_per_fingerprint ON alerts (fingerprint) WHERE status = 'firing';
