-- One live thread per pull request (endpoints with threads = 'pull_request'; js-shim/threads.mjs).
-- In a Discord forum or media channel each pull request is a post whose first message is a card kept up to
-- date; in a text channel, where a webhook cannot make threads, the card is one message edited in place and
-- the events follow it in the channel. Times are milliseconds since the epoch.

-- One row per pull request of an endpoint: where its thread and card are, the newest card shown, and the one
-- delivery that may create the thread or edit the card just now (`busy_*`: an INSERT … ON CONFLICT that only
-- one delivery wins, so two first events at once make one thread; a holder that died is taken over once its
-- claim has run out).
CREATE TABLE pull_request_threads (
  endpoint_id TEXT NOT NULL REFERENCES endpoints (id) ON DELETE CASCADE,
  thread_key TEXT NOT NULL,                 -- the core's "<repository uuid, else full_name>#<pull request id>"
  destination_key TEXT NOT NULL,            -- SHA-256 (hex) of the webhook URL's origin and path: the thread and
                                            -- card below belong to that destination; another one starts afresh
  mode TEXT CHECK (mode IN ('forum', 'text')), -- how the card was made; NULL while there is none
  thread_id TEXT,                           -- forum: the post (a thread; the starter message has the same id)
  card_message_id TEXT,                     -- the card: the post's first message, or a message in a text channel
  name TEXT,                                -- the thread's name when it was made (#42 title, at most 100 characters)
  card TEXT,                                -- JSON: the newest card shown (a Discord message body); kept when the
                                            -- thread is gone, so a new one starts from it, not from an older event
  card_updated_us INTEGER,                  -- that card's pull request updated_on (µs): an older event never replaces it
  card_state TEXT,                          -- OPEN | MERGED | DECLINED | SUPERSEDED, as that card shows it
  busy_by TEXT,                             -- the delivery creating the thread or editing the card ...
  busy_since INTEGER,                       -- ... since then (waiters poll less often the longer it takes) ...
  busy_until INTEGER,                       -- ... until then at the latest (its attempt's lease)
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (endpoint_id, thread_key)
);

-- An endpoint whose destination turned out to be a text channel (Discord answered 220003 "Webhooks can only
-- create threads in forum channels"): its next pull requests go the text channel's way without asking again.
-- Keyed by the destination, so a changed destination_url is asked again.
CREATE TABLE thread_destinations (
  endpoint_id TEXT PRIMARY KEY REFERENCES endpoints (id) ON DELETE CASCADE,
  destination_key TEXT NOT NULL,            -- as pull_request_threads.destination_key
  channel TEXT NOT NULL CHECK (channel IN ('text')),
  learned_at INTEGER NOT NULL
);

-- A delivery of a pull request event to such an endpoint: the core's outcome.thread
-- {key, name, updated_us, state, card}. NULL for every other delivery, which is sent as before. Its event
-- message's id goes to message_id as soon as it is posted, before the card is edited, so a retry of the edit
-- never posts the event twice.
ALTER TABLE deliveries ADD COLUMN thread TEXT;
