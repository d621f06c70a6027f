-- Coalescing covers only jobs still waiting to run. A change made while a job with the same key is
-- running must queue a new one, or the change would never reach Slack (a stale card).
DROP INDEX jobs_unique_key;
CREATE UNIQUE INDEX jobs_unique_pending ON jobs (unique_key)
  WHERE unique_key IS NOT NULL AND lease_owner IS NULL AND failed_at IS NULL;
CREATE INDEX jobs_running_key ON jobs (unique_key) WHERE lease_owner IS NOT NULL;

-- When the card last reached Slack: card updates are spaced at least 2 s apart per incident.
ALTER TABLE incidents ADD COLUMN slack_card_synced_at timestamptz;
-- SHA-256 of the card as last sent: an update that would change nothing is not sent.
ALTER TABLE incidents ADD COLUMN slack_card_digest text;
ALTER TABLE incidents ADD COLUMN slack_channel_name text;
CREATE INDEX incidents_slack_channel ON incidents (slack_channel_id) WHERE slack_channel_id IS NOT NULL;

-- Requests from people (slash commands, button clicks) already handled, so that a retried request
-- (Slack resends with x-slack-retry-num) changes nothing twice and gets the same answer.
CREATE TABLE processed_requests (
  key         text PRIMARY KEY,
  response    jsonb NOT NULL DEFAULT '{}',
  received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX processed_requests_received ON processed_requests (received_at);
