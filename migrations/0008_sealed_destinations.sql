-- Destination URLs sealed at rest (the second security probe): a Discord webhook URL posts into its
-- channel, so it is a credential like the hook secrets and OAuth tokens beside it. `destination_url` now holds
-- the sealed form ("v2.<key id>.<iv>.<ciphertext>", js-shim/secrets.mjs) when SECRETS_KEY is set; beside it:
ALTER TABLE endpoints ADD COLUMN destination_masked TEXT; -- what the API and the pages show (policy.mjs maskDestination)
ALTER TABLE endpoints ADD COLUMN destination_hash TEXT;   -- a keyed fingerprint, for "this repository already posts there"
CREATE INDEX endpoints_destination_hash ON endpoints (repository, destination_hash);
-- Rows stored before this change keep their URL in the clear until the scheduled re-seal (store.mjs
-- resealSecrets, within the hour) seals it and fills both columns; until then they are read as they are.
