-- The incident timeline: append-only and hash-chained per incident.
CREATE TABLE timeline_events (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  incident_id  bigint NOT NULL REFERENCES incidents (id),
  seq          integer NOT NULL,
  at           timestamptz NOT NULL,
  kind         text NOT NULL,
  actor        text NOT NULL,
  summary      text NOT NULL,
  data         jsonb NOT NULL DEFAULT '{}',
  prev_hash    bytea NOT NULL,
  hash         bytea NOT NULL,
  UNIQUE (incident_id, seq)
);

-- hash = sha256(prev_hash || canonical event). jsonb's text form is canonical (sorted keys, one
-- spelling per value), and a JSON array leaves no ambiguity between fields.
CREATE FUNCTION timeline_event_digest(prev bytea, e timeline_events) RETURNS bytea
LANGUAGE sql IMMUTABLE AS $$
  SELECT sha256(prev || convert_to(jsonb_build_array(
    e.incident_id, e.seq, (extract(epoch FROM e.at) * 1000000)::bigint, e.kind, e.actor, e.summary, e.data
  )::text, 'UTF8'))
$$;

CREATE FUNCTION timeline_events_chain() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  head_seq integer;
  head bytea;
BEGIN
  -- Locking the incident row serializes appends, so two transactions cannot fork the chain.
  SELECT timeline_seq, timeline_head INTO head_seq, head
    FROM incidents WHERE id = NEW.incident_id FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'timeline event for unknown incident %', NEW.incident_id USING ERRCODE = 'foreign_key_violation';
  END IF;
  NEW.seq := head_seq + 1;
  NEW.at := COALESCE(NEW.at, now());
  NEW.prev_hash := head;
  NEW.hash := timeline_event_digest(head, NEW);
  UPDATE incidents SET timeline_seq = NEW.seq, timeline_head = NEW.hash WHERE id = NEW.incident_id;
  RETURN NEW;
END
$$;

CREATE TRIGGER timeline_events_chain BEFORE INSERT ON timeline_events
  FOR EACH ROW EXECUTE FUNCTION timeline_events_chain();

CREATE FUNCTION timeline_events_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'timeline_events is append-only: % refused', TG_OP;
END
$$;

CREATE TRIGGER timeline_events_append_only BEFORE UPDATE OR DELETE ON timeline_events
  FOR EACH ROW EXECUTE FUNCTION timeline_events_refuse_change();
CREATE TRIGGER timeline_events_no_truncate BEFORE TRUNCATE ON timeline_events
  FOR EACH STATEMENT EXECUTE FUNCTION timeline_events_refuse_change();

-- The seq of the first event that breaks the chain (altered, removed or reordered), or NULL when
-- the whole timeline, up to the head recorded on the incident, is intact.
CREATE FUNCTION timeline_verify(p_incident bigint) RETURNS integer
LANGUAGE plpgsql STABLE AS $$
DECLARE
  e timeline_events;
  expected_prev bytea := '\x';
  expected_seq integer := 1;
  head_seq integer;
  head bytea;
BEGIN
  FOR e IN SELECT * FROM timeline_events WHERE incident_id = p_incident ORDER BY seq LOOP
    IF e.seq <> expected_seq OR e.prev_hash <> expected_prev OR e.hash <> timeline_event_digest(expected_prev, e) THEN
      RETURN e.seq;
    END IF;
    expected_prev := e.hash;
    expected_seq := expected_seq + 1;
  END LOOP;
  SELECT timeline_seq, timeline_head INTO head_seq, head FROM incidents WHERE id = p_incident;
  IF head_seq <> expected_seq - 1 OR head <> expected_prev THEN
    RETURN expected_seq;
  END IF;
  RETURN NULL;
END
$$;
