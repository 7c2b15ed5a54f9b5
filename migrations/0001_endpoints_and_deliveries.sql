-- dispatch's record of truth: the endpoints Bitbucket posts to, and every request they received (the
-- delivery log and the outbox the queue consumer works from). Times are milliseconds since the epoch.

CREATE TABLE endpoints (
  id TEXT PRIMARY KEY,                      -- the {endpoint} of /hooks/{endpoint}
  name TEXT NOT NULL,
  secret TEXT NOT NULL,                     -- the HMAC key; only the create and rotate answers show it
  events TEXT NOT NULL,                     -- JSON {mode, custom?}
  template TEXT,                            -- JSON: the default template (object or text), or NULL
  templates TEXT,                           -- JSON object: per-event and per-family templates, or NULL
  destination_url TEXT NOT NULL,            -- a Discord webhook URL (a credential: shown masked)
  destination_status TEXT NOT NULL DEFAULT 'ok' CHECK (destination_status IN ('ok', 'broken')),
  destination_error TEXT,                   -- why it is broken (the destination's 404 or 401)
  active INTEGER NOT NULL DEFAULT 1,        -- 0: disconnected, hooks are answered 410
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE deliveries (
  id TEXT PRIMARY KEY,
  endpoint_id TEXT NOT NULL REFERENCES endpoints (id) ON DELETE CASCADE,
  request_uuid TEXT,                        -- X-Request-UUID
  hook_uuid TEXT,                           -- X-Hook-UUID
  bitbucket_attempt INTEGER,                -- X-Attempt-Number
  event TEXT,                               -- X-Event-Key, when sent
  verdict TEXT NOT NULL CHECK (verdict IN ('deliver', 'ignore', 'reject')),
  code TEXT NOT NULL,                       -- the core's stable id of the case
  reason TEXT NOT NULL,
  answered INTEGER NOT NULL,                -- the HTTP status Bitbucket was answered with
  status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'delivered', 'failed', 'ignored', 'rejected')),
  attempts INTEGER NOT NULL DEFAULT 0,      -- POSTs to the destination so far
  failures INTEGER NOT NULL DEFAULT 0,      -- of which 5xx or network errors (the bounded ones)
  next_attempt_at INTEGER,                  -- pending: when the next POST is due
  lease_until INTEGER,                      -- sending: a consumer holds it until then
  message TEXT,                             -- JSON: the Discord body rendered at receipt
  response_status INTEGER,                  -- the destination's last answer
  response_body TEXT,                       -- its body (the first 4 KiB)
  message_id TEXT,                          -- the Discord message id, once delivered
  last_error TEXT,                          -- why the last POST did not deliver
  attempt_log TEXT,                         -- JSON [{at, status?, error?, retry_in?}]
  body BLOB,                                -- the verified raw body, for redelivery (dropped after retention)
  redelivery_of TEXT,                       -- the delivery this one re-sends
  received_at INTEGER NOT NULL,
  delivered_at INTEGER,
  updated_at INTEGER NOT NULL
);

-- One accepted delivery per Bitbucket request: a re-sent X-Request-UUID is a duplicate.
CREATE UNIQUE INDEX deliveries_request ON deliveries (endpoint_id, request_uuid)
  WHERE verdict = 'deliver' AND request_uuid IS NOT NULL;
CREATE INDEX deliveries_log ON deliveries (endpoint_id, received_at DESC);
CREATE INDEX deliveries_outbox ON deliveries (status, next_attempt_at) WHERE status IN ('pending', 'sending');
CREATE INDEX deliveries_age ON deliveries (received_at);
