-- alerts.incident_id names an incident: checked once per statement rather than once per row.
-- The foreign key ran a query for every alert row written (50 for a 50-alert webhook, a tenth of
-- Postgres's time per webhook in bench:ingest); these triggers check a statement's distinct
-- incidents with one query. What the key also held, an incident with alerts never removed from
-- under them, the trigger on incidents holds.

ALTER TABLE alerts DROP CONSTRAINT alerts_incident_id_fkey;

-- The written rows' incidents, locked FOR KEY SHARE as a foreign key would lock them: a concurrent
-- delete of one waits for this transaction, then sees its alerts.
CREATE FUNCTION alerts_incident_exists() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  wanted bigint[];
  found integer;
BEGIN
  SELECT array_agg(DISTINCT incident_id) INTO wanted FROM written;
  IF wanted IS NULL THEN
    RETURN NULL;
  END IF;
  SELECT count(*) INTO found FROM (SELECT 1 FROM incidents WHERE id = ANY (wanted) FOR KEY SHARE) locked;
  IF found < cardinality(wanted) THEN
    RAISE EXCEPTION 'alerts.incident_id names no incident: %',
      (SELECT min(w) FROM unnest(wanted) w WHERE NOT EXISTS (SELECT FROM incidents i WHERE i.id = w))
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END
$$;

-- One trigger per event: a trigger with transition tables takes one event only.
CREATE TRIGGER alerts_incident_exists_on_insert AFTER INSERT ON alerts
  REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION alerts_incident_exists();
CREATE TRIGGER alerts_incident_exists_on_update AFTER UPDATE ON alerts
  REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION alerts_incident_exists();

CREATE FUNCTION incidents_keep_alerted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF (TG_OP = 'DELETE' OR NEW.id <> OLD.id) AND EXISTS (SELECT FROM alerts WHERE incident_id = OLD.id) THEN
    RAISE EXCEPTION 'incident % has alerts: % refused', OLD.id, TG_OP USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
END
$$;

CREATE TRIGGER incidents_keep_alerted BEFORE DELETE OR UPDATE OF id ON incidents
  FOR EACH ROW EXECUTE FUNCTION incidents_keep_alerted();
