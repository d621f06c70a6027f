-- Live views (GET /api/v1/events, the console) learn of timeline appends from a NOTIFY, whichever
-- replica wrote them. One notification per statement, naming the ids it appended ("first:last"):
-- delivered at commit, so the rows are visible to whoever reads them on receipt.
CREATE FUNCTION timeline_events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  span text;
BEGIN
  SELECT min(id)::text || ':' || max(id)::text INTO span FROM appended;
  IF span IS NOT NULL THEN
    PERFORM pg_notify('firebreak_timeline', span);
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER timeline_events_notify AFTER INSERT ON timeline_events
  REFERENCING NEW TABLE AS appended FOR EACH STATEMENT EXECUTE FUNCTION timeline_events_notify();
