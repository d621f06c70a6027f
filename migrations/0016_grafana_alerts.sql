-- What Grafana adds to an alert it sends through its webhook contact point: the organization, the
-- silence, dashboard and panel links, and the values of the rule's queries when it fired
-- ({"orgId":1,"silenceUrl":…,"dashboardUrl":…,"panelUrl":…,"values":{"B":44.2}}). NULL for
-- Alertmanager's alerts. Shown on the card and in the postmortem; the links are untrusted text.
ALTER TABLE alerts ADD COLUMN grafana jsonb;
