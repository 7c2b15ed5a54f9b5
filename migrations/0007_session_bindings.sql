-- Sessions and OAuth states bound to what made them (the second security probe).
-- A session is valid only while ADMIN_TOKEN is the token that made it: `credential` is a fingerprint of that
-- token (a labelled SHA-256, never the token). Sessions from before this change have none and end.
ALTER TABLE sessions ADD COLUMN credential TEXT;
DELETE FROM sessions;

-- An authorisation started by a signed-in browser finishes only in that browser: the SHA-256 of its binding
-- cookie (SameSite=Lax, so that it comes back with the cross-site navigation from Bitbucket);
-- NULL: started with the admin token by a script.
ALTER TABLE oauth_states ADD COLUMN browser_hash TEXT;
