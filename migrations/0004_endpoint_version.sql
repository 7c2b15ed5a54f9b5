-- Every write to an endpoint adds one to its version, and a change read from an older version is not
-- written over a newer one (js-shim/store.mjs updateEndpoint): a slow PATCH cannot undo a secret rotation.
ALTER TABLE endpoints ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
