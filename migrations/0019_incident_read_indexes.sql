-- The incident list and page over a long history (bench:console: 10,000 incidents, 200,000 events).
--
-- Every timeline append rewrites its incident's row (the chain head, timeline_seq/timeline_head).
-- With full pages none of those updates could stay on its page (HOT): each one added an entry to
-- every index of incidents and left a dead row behind, about twenty per incident until a vacuum, and
-- every read through an index of incidents (by number, by status) walked past them. Room on each
-- page keeps these updates on the page, where they need no index entry and are pruned on the way.
-- (Rows already stored move into the room as vacuum frees it.)
ALTER TABLE incidents SET (fillfactor = 70);

-- The list's text search (title, common and group labels, ILIKE '%text%'): a trigram index over the
-- three texts together. The query keeps its exact per-field condition; it adds the concatenation,
-- which every match also satisfies, so that this index can find the candidates.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX incidents_search_trgm ON incidents
  USING gin ((title || ' ' || common_labels::text || ' ' || group_labels::text) gin_trgm_ops);

-- An incident page reads these by incident; until now only sequential scans found them.
CREATE INDEX pages_incident ON pages (incident_id);
CREATE INDEX approvals_incident ON approvals (incident_id);
CREATE INDEX playbook_runs_incident ON playbook_runs (incident_id, id);
