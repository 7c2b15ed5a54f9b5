-- Connecting Bitbucket: OAuth connections, the sources bound to them, the sign-in sessions of the Sources
-- page. Tokens and secrets are stored encrypted (AES-GCM, SECRETS_KEY; js-shim/secrets.mjs) as
-- "v1.<iv>.<ciphertext>"; a value without that prefix is a secret written before encryption existed.

-- A Bitbucket account authorised through OAuth 2.0. One row per account: reconnecting the same account
-- updates its row, so the sources bound to it work again.
CREATE TABLE connections (
  id TEXT PRIMARY KEY,
  provider TEXT NOT NULL CHECK (provider IN ('bitbucket')),
  account_uuid TEXT NOT NULL,
  account_name TEXT NOT NULL,
  account_nickname TEXT,
  access_token TEXT NOT NULL,               -- encrypted
  refresh_token TEXT NOT NULL,              -- encrypted; Bitbucket rotates it on every use
  expires_at INTEGER NOT NULL,              -- when the access token stops working
  scopes TEXT,                              -- as Bitbucket granted them, space-separated
  status TEXT NOT NULL DEFAULT 'ok' CHECK (status IN ('ok', 'needs_reconnect')),
  reason TEXT,                              -- why it needs reconnecting
  token_version INTEGER NOT NULL DEFAULT 1, -- +1 on every stored refresh: tells a waiter the refresh is done
  refresh_lease TEXT,                       -- the one refresh in flight (any isolate) ...
  refresh_lease_until INTEGER,              -- ... until then
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX connections_account ON connections (provider, account_uuid);

-- OAuth `state` values handed out and not yet used (stored as their SHA-256: the value is a credential),
-- each with its PKCE code verifier (RFC 7636, S256), which only the token request reveals.
CREATE TABLE oauth_states (
  state_hash TEXT PRIMARY KEY,
  code_verifier TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);

-- Sign-in sessions of the Sources page (the cookie holds the id; only its SHA-256 is stored).
CREATE TABLE sessions (
  id_hash TEXT PRIMARY KEY,
  csrf TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);

-- Wrong admin tokens per client, to slow guessing down.
CREATE TABLE sign_in_failures (
  client TEXT PRIMARY KEY,
  failures INTEGER NOT NULL,
  first_at INTEGER NOT NULL,
  blocked_until INTEGER
);

-- A source is an endpoint bound to a repository of a connection, whose hook dispatch registered.
ALTER TABLE endpoints ADD COLUMN provider TEXT;           -- 'bitbucket' for a source, NULL when hand-made
ALTER TABLE endpoints ADD COLUMN connection_id TEXT REFERENCES connections (id) ON DELETE SET NULL;
ALTER TABLE endpoints ADD COLUMN repository TEXT;         -- workspace/slug
ALTER TABLE endpoints ADD COLUMN repository_uuid TEXT;
ALTER TABLE endpoints ADD COLUMN hook_uuid TEXT;          -- braced, as Bitbucket spells it
ALTER TABLE endpoints ADD COLUMN source_status TEXT
  CHECK (source_status IN ('registering', 'registered', 'removed', 'left_behind'));
ALTER TABLE endpoints ADD COLUMN source_error TEXT;       -- left_behind: why the hook could not be removed
-- After a rotation the previous secret still verifies until then (deliveries Bitbucket signed before).
ALTER TABLE endpoints ADD COLUMN previous_secret TEXT;
ALTER TABLE endpoints ADD COLUMN previous_secret_until INTEGER;

ALTER TABLE deliveries ADD COLUMN request_headers TEXT;   -- JSON: the headers as received, signature masked
ALTER TABLE deliveries ADD COLUMN title TEXT;             -- the message's title, for the log's list
ALTER TABLE deliveries ADD COLUMN test INTEGER NOT NULL DEFAULT 0; -- 1: sent by "Send test event"

CREATE INDEX endpoints_connection ON endpoints (connection_id);
CREATE INDEX deliveries_log_status ON deliveries (endpoint_id, status, received_at DESC);
