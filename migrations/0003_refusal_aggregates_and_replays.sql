-- The receive path against floods and replays. Repeated refusals and duplicates are folded into one log
-- row with a count, so a sender who knows a hook URL cannot bury real deliveries; a signed body already
-- received is remembered (as its SHA-256) for REPLAY_WINDOW_SECONDS, so a captured one is not delivered again.

-- A folded row: refusals of one code in one hour ("refused:{code}:{status}:{hour}"), or the duplicates of
-- one delivery ("{duplicate|replay}:{id}"). NULL for a row that stands for one request.
ALTER TABLE deliveries ADD COLUMN aggregate_key TEXT;
ALTER TABLE deliveries ADD COLUMN request_count INTEGER NOT NULL DEFAULT 1; -- requests this row stands for
ALTER TABLE deliveries ADD COLUMN last_seen_at INTEGER;   -- the latest of them (received_at: the first)
ALTER TABLE deliveries ADD COLUMN duplicate_of TEXT;      -- a duplicate or replay: the delivery it repeats
CREATE UNIQUE INDEX deliveries_aggregate ON deliveries (endpoint_id, aggregate_key) WHERE aggregate_key IS NOT NULL;

-- Signed bodies each endpoint received (accepted or ignored), until a replay of one is allowed again.
CREATE TABLE seen_bodies (
  endpoint_id TEXT NOT NULL REFERENCES endpoints (id) ON DELETE CASCADE,
  body_sha256 TEXT NOT NULL,                -- hex
  delivery_id TEXT NOT NULL,                -- the delivery that first received it
  expires_at INTEGER NOT NULL,              -- the same body is a replay until then
  PRIMARY KEY (endpoint_id, body_sha256)
);
CREATE INDEX seen_bodies_expiry ON seen_bodies (expires_at);
