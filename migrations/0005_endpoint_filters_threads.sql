-- Which branches, tags and actors an endpoint relays, and pull requests as one live thread each.
-- Both are read by the core (parse_endpoint) and written only through the admin API, which has the core
-- check them first.

-- JSON {branches?, tags?, actors?}: each a list of up to 50 glob patterns, "!" in front to exclude; NULL: no filter.
ALTER TABLE endpoints ADD COLUMN filters TEXT;
-- 'pull_request': each pull request is one Discord thread with a live card; NULL: every event is its own message.
ALTER TABLE endpoints ADD COLUMN threads TEXT CHECK (threads IS NULL OR threads = 'pull_request');
