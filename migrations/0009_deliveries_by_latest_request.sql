-- The delivery log in the order of each row's latest request: a folded row (refusals of one kind, the repeats of
-- one delivery; migration 0003) that takes a new request moves to the top, so a fresh failure is not left
-- below the rows received since its first one. `last_seen_at` is set only on folded rows.
CREATE INDEX deliveries_latest ON deliveries (endpoint_id, COALESCE(last_seen_at, received_at) DESC, id DESC);
CREATE INDEX deliveries_latest_status ON deliveries (endpoint_id, status, COALESCE(last_seen_at, received_at) DESC, id DESC);
DROP INDEX deliveries_log_status;
