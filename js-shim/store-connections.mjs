// D1 for connections (connections.mjs): the Bitbucket accounts, their tokens as sealed by the caller, the refresh
// lease, and the single-use OAuth states. Part of the store, as store.mjs; every function takes the D1 binding
// (env.DB) first, and callers pass times in milliseconds since the epoch.

// Stores a single-use state by its hash: {stateHash, verifier, createdAt, expiresAt, browserHash (null: bound to
// no browser)}.
export async function insertOAuthState(db, { stateHash, verifier, createdAt, expiresAt, browserHash }) {
  await db.prepare(`INSERT INTO oauth_states (state_hash, code_verifier, created_at, expires_at, browser_hash)
      VALUES (?, ?, ?, ?, ?)`)
    .bind(stateHash, verifier, createdAt, expiresAt, browserHash).run();
}

// Deletes the state stored under `stateHash` and returns it ({code_verifier, expires_at, browser_hash}), or
// null: one statement, so a state is taken once however many callbacks race for it.
export async function takeOAuthState(db, stateHash) {
  return db.prepare(`DELETE FROM oauth_states WHERE state_hash = ?
      RETURNING code_verifier, expires_at, browser_hash`).bind(stateHash).first();
}

const columns = `id, provider, account_uuid, account_name, account_nickname, expires_at, scopes, status, reason,
  token_version, created_at, updated_at`;

// Returns a connection with its sealed tokens (access_token, refresh_token), or null.
export async function getConnection(db, id) {
  return db.prepare(`SELECT ${columns}, access_token, refresh_token FROM connections WHERE id = ?`).bind(id).first();
}

// Returns every connection (never a token), in the order made, each with `sources`: its active endpoints.
export async function listConnections(db) {
  const { results } = await db.prepare(`SELECT ${columns},
      (SELECT count(*) FROM endpoints e WHERE e.connection_id = c.id AND e.active = 1) AS sources
      FROM connections c ORDER BY created_at, id`).all();
  return results;
}

// Returns the id of the Bitbucket account's connection (`accountUuid`), or null.
export async function findConnectionByAccount(db, accountUuid) {
  const row = await db.prepare(`SELECT id FROM connections WHERE provider = 'bitbucket' AND account_uuid = ?`)
    .bind(accountUuid).first();
  return row?.id ?? null;
}

// Stores an account's connection with fresh tokens: a new row, or the row `id` again (status ok, a new token
// version, any refresh lease dropped). `connection` {id, accountUuid, name, nickname, access, refresh (sealed),
// expiresAt, scopes}.
export async function saveConnection(db, connection, now) {
  const { id, accountUuid, name, nickname, access, refresh, expiresAt, scopes } = connection;
  await db.prepare(`INSERT INTO connections (id, provider, account_uuid, account_name, account_nickname, access_token,
      refresh_token, expires_at, scopes, status, created_at, updated_at)
      VALUES (?1, 'bitbucket', ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'ok', ?9, ?9)
      ON CONFLICT (id) DO UPDATE SET account_name = ?3, account_nickname = ?4, access_token = ?5, refresh_token = ?6,
        expires_at = ?7, scopes = ?8, status = 'ok', reason = NULL, token_version = token_version + 1,
        refresh_lease = NULL, refresh_lease_until = NULL, updated_at = ?9`)
    .bind(id, accountUuid, name, nickname, access, refresh, expiresAt, scopes, now)
    .run();
}

export async function markConnectionNeedsReconnect(db, id, reason, now) {
  await db.prepare(`UPDATE connections SET status = 'needs_reconnect', reason = ?, refresh_lease = NULL,
      refresh_lease_until = NULL, updated_at = ? WHERE id = ?`).bind(reason, now, id).run();
}

// Takes the lease to refresh connection `id`'s tokens, as `lease` until `until`: only while the tokens are still
// at `tokenVersion`, the connection is ok and no other lease runs. One statement, so of two refreshes at once
// only one gets it. Returns {refresh_token} (sealed) when it was taken, else null.
export async function takeRefreshLease(db, id, tokenVersion, lease, until, now) {
  return db.prepare(`UPDATE connections SET refresh_lease = ?1, refresh_lease_until = ?2
      WHERE id = ?3 AND token_version = ?4 AND status = 'ok' AND (refresh_lease_until IS NULL OR refresh_lease_until < ?5)
      RETURNING refresh_token`).bind(lease, until, id, tokenVersion, now).first();
}

export async function dropRefreshLease(db, id) {
  await db.prepare('UPDATE connections SET refresh_lease = NULL, refresh_lease_until = NULL WHERE id = ?').bind(id).run();
}

// Stores refreshed tokens {access, refresh (sealed), expiresAt, scopes} as the next token version, and drops the
// lease.
export async function saveRefreshedTokens(db, id, { access, refresh, expiresAt, scopes }, now) {
  await db.prepare(`UPDATE connections SET access_token = ?, refresh_token = ?, expires_at = ?, scopes = ?,
      token_version = token_version + 1, refresh_lease = NULL, refresh_lease_until = NULL, updated_at = ? WHERE id = ?`)
    .bind(access, refresh, expiresAt, scopes, now, id).run();
}

// Returns how many active endpoints use connection `id`.
export async function countConnectionSources(db, id) {
  const using = await db.prepare('SELECT count(*) AS n FROM endpoints WHERE connection_id = ? AND active = 1').bind(id).first();
  return using.n;
}

export async function deleteConnection(db, id) {
  await db.prepare('DELETE FROM connections WHERE id = ?').bind(id).run();
}
