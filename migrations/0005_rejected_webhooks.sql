-- Webhook bodies that can never be accepted, kept (bounded) so an operator can see what was sent.
CREATE TABLE rejected_webhooks (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  received_at     timestamptz NOT NULL DEFAULT now(),
  reason          text NOT NULL,
  detail          text NOT NULL,
  remote_address  text,
  content_type    text,
  -- bytea, not text: the body is kept byte for byte, even when it is not valid UTF-8.
  body            bytea NOT NULL,
  body_bytes      integer NOT NULL,
  truncated       boolean NOT NULL
);

CREATE INDEX rejected_webhooks_received ON rejected_webhooks (received_at);
