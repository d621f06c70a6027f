-- The same digest as migration 0003, in PL/pgSQL. A LANGUAGE sql function that is not inlined is
-- parsed and planned again in every transaction that calls it, and the chain trigger calls it on
-- every append; PL/pgSQL keeps its plan for the session. The bytes hashed are unchanged, so
-- timelines written before this migration still verify.
CREATE OR REPLACE FUNCTION timeline_event_digest(prev bytea, e timeline_events) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  RETURN sha256(prev || convert_to(jsonb_build_array(
    e.incident_id, e.seq, (extract(epoch FROM e.at) * 1000000)::bigint, e.kind, e.actor, e.summary, e.data
  )::text, 'UTF8'));
END
$$;
