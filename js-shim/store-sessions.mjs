// D1 for signing in (session.mjs): sessions, and the wrong tokens counted per client and for everyone
// (sign_in_failures). Part of the store, as store.mjs; every function takes the D1 binding (env.DB) first, and
// callers pass times in milliseconds since the epoch.

// Returns the session stored under `idHash` ({id_hash, csrf, expires_at, credential}), or null.
export async function getSession(db, idHash) {
  return db.prepare('SELECT id_hash, csrf, expires_at, credential FROM sessions WHERE id_hash = ?').bind(idHash).first();
}

// Stores a new session ({id_hash, csrf, expires_at}) made at `now` with `credential`, the admin token's fingerprint.
export async function insertSession(db, session, now, credential) {
  await db.prepare('INSERT INTO sessions (id_hash, csrf, created_at, expires_at, credential) VALUES (?, ?, ?, ?, ?)')
    .bind(session.id_hash, session.csrf, now, session.expires_at, credential).run();
}

export async function deleteSession(db, idHash) {
  await db.prepare('DELETE FROM sessions WHERE id_hash = ?').bind(idHash).run();
}

// Deletes every session, expired ones too, in the batch that counts them. Returns how many were live at `now`.
export async function deleteAllSessions(db, now) {
  const [{ results }] = await db.batch([
    db.prepare('SELECT count(*) AS live FROM sessions WHERE expires_at > ?').bind(now),
    db.prepare('DELETE FROM sessions'),
  ]);
  return results[0].live;
}

// Returns the latest time until which `client` or `everyone` (the row that counts all clients) must wait, or null
// when no wait runs past `now`.
export async function signInBlockedUntil(db, client, everyone, now) {
  const row = await db.prepare(`SELECT max(blocked_until) AS until FROM sign_in_failures
      WHERE client IN (?1, ?2) AND blocked_until > ?3`).bind(client, everyone, now).first();
  return row?.until;
}

// Counts one wrong token for each of `counters` ([{client, free}]: `free` wrong tokens are allowed in the window
// before a wait), in one batch. `rules` {windowMs, firstWaitSeconds, maxWaitSeconds}: a count starts afresh once
// its first miss is older than the window and no wait runs; the first wait is doubled on every further miss, up
// to the longest. Returns the latest blocked_until of the counters' rows, or 0.
export async function countSignInFailure(db, counters, now, { windowMs, firstWaitSeconds, maxWaitSeconds }) {
  // Each row in one statement (concurrent misses each get their own count) that also sets the wait the count
  // calls for.
  const fresh = 'first_at < ?2 - ?3 AND COALESCE(blocked_until, 0) <= ?2';
  const count = `CASE WHEN ${fresh} THEN 1 ELSE failures + 1 END`;
  const wait = (failures) => `CASE WHEN ${failures} >= ?4
      THEN ?2 + 1000 * min(?6, ?5 << min(${failures} - ?4, 16)) ELSE NULL END`;
  const statement = ({ client, free }) => db.prepare(`INSERT INTO sign_in_failures (client, failures, first_at, blocked_until)
      VALUES (?1, 1, ?2, ${wait('1')})
      ON CONFLICT (client) DO UPDATE SET failures = ${count}, first_at = CASE WHEN ${fresh} THEN ?2 ELSE first_at END,
        blocked_until = COALESCE(${wait(count)}, blocked_until)
      RETURNING blocked_until`).bind(client, now, windowMs, free, firstWaitSeconds, maxWaitSeconds);
  const results = await db.batch(counters.map(statement));
  return Math.max(...results.map(({ results: rows }) => rows[0]?.blocked_until ?? 0));
}

// Forgets the wrong tokens counted for `client`.
export async function clearSignInFailures(db, client) {
  await db.prepare('DELETE FROM sign_in_failures WHERE client = ?').bind(client).run();
}

// Removes expired sessions and OAuth states, and failure counts older than `windowMs` with no wait running, in
// one batch.
export async function purgeSignIns(db, now, windowMs) {
  await db.batch([
    db.prepare('DELETE FROM sessions WHERE expires_at < ?').bind(now),
    db.prepare('DELETE FROM oauth_states WHERE expires_at < ?').bind(now),
    db.prepare('DELETE FROM sign_in_failures WHERE first_at < ? AND (blocked_until IS NULL OR blocked_until < ?)')
      .bind(now - windowMs, now),
  ]);
}
