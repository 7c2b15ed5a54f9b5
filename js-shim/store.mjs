// D1, the record of truth: deliveries (the log and the outbox), and the re-seal of every sealed column. Every
// SQL statement of the Worker is in the store: here, and by table family in store-endpoints.mjs,
// store-connections.mjs, store-sessions.mjs and store-threads.mjs; no statement leaves it (a batch is built and run beside its statements). A store function
// takes the D1 binding (env.DB) as `db` first; one that seals, opens or fingerprints a value takes `env` instead,
// for SECRETS_KEY as well as env.DB. Callers pass times in milliseconds since the epoch.

import { destinationBeside, orNull, sealedEndpointColumns } from './store-endpoints.mjs';
import { currentSealPrefix, open, openAt, places, seal } from './secrets.mjs';


// Marks the destination an attempt was sent to as broken (the statement, to batch with the attempt's
// settle). `destination`: as stored when the attempt claimed it; a destination changed since that attempt is
// left alone: the new one has not failed.
function markDestinationBroken(db, endpointId, destination, why, now) {
  return db.prepare(`UPDATE endpoints SET destination_status = 'broken', destination_error = ?, updated_at = ?,
      version = version + 1 WHERE id = ? AND destination_url = ?`).bind(why, now, endpointId, destination);
}

const requestColumns = `id, endpoint_id, request_uuid, hook_uuid, bitbucket_attempt, event, verdict, code, reason,
  answered, status, next_attempt_at, message, body, redelivery_of, request_headers, title, test, received_at, updated_at,
  thread`;
const requestPlaceholders = requestColumns.split(',').map(() => '?').join(', ');

function requestValues(row) {
  return [row.id, row.endpoint_id, row.request_uuid ?? null, row.hook_uuid ?? null, row.bitbucket_attempt ?? null,
    row.event ?? null, row.verdict, row.code, row.reason, row.answered, row.status, row.next_attempt_at ?? null,
    row.message === undefined ? null : JSON.stringify(row.message), row.body ?? null, row.redelivery_of ?? null,
    orNull(row.request_headers), row.title ?? null, row.test ? 1 : 0, row.received_at, row.received_at,
    orNull(row.thread)];
}

// What a folded row takes from the latest request it stands for.
const foldLatest = `request_count = deliveries.request_count + excluded.request_count,
  last_seen_at = max(deliveries.last_seen_at, excluded.last_seen_at), request_uuid = excluded.request_uuid,
  hook_uuid = excluded.hook_uuid, bitbucket_attempt = excluded.bitbucket_attempt, event = excluded.event,
  reason = excluded.reason, request_headers = excluded.request_headers, updated_at = excluded.updated_at`;

// Records one request to /hooks/{endpoint}. A delivery to be sent is inserted unless the endpoint already
// accepted the same X-Request-UUID; returns {id, duplicate}, where `id` is the existing delivery's for a
// duplicate.
export async function recordRequest(db, row) {
  const statement = db.prepare(`INSERT INTO deliveries (${requestColumns}) VALUES (${requestPlaceholders})
      ON CONFLICT (endpoint_id, request_uuid) WHERE verdict = 'deliver' AND request_uuid IS NOT NULL DO NOTHING
      RETURNING id`)
    .bind(...requestValues(row));
  const inserted = await statement.first();
  if (inserted) return { id: inserted.id, duplicate: false };
  const existing = await db.prepare(`SELECT id FROM deliveries WHERE endpoint_id = ? AND request_uuid = ?
      AND verdict = 'deliver'`).bind(row.endpoint_id, row.request_uuid).first();
  return { id: existing.id, duplicate: true };
}

// Records `count` refusals (the latest is `row`), folded into the endpoint's row for `key` when there is one
// (its count goes up by `count`, and it takes the latest request's headers and reason). One statement, so
// concurrent refusals never make two rows for one key. Returns {id, count} of the row.
export async function recordRefusal(db, row, key, count = 1) {
  const folded = await db.prepare(`INSERT INTO deliveries (${requestColumns}, aggregate_key, last_seen_at, request_count)
      VALUES (${requestPlaceholders}, ?, ?, ?)
      ON CONFLICT (endpoint_id, aggregate_key) WHERE aggregate_key IS NOT NULL DO UPDATE SET ${foldLatest}
      RETURNING id, request_count`)
    .bind(...requestValues(row), key, row.received_at, count).first();
  return { id: folded.id, count: folded.request_count };
}

// Records a verified request (to deliver or to ignore) unless it repeats one: the same X-Request-UUID as a
// delivery the endpoint accepted (Bitbucket retrying), or, given `seen` {sha256, until}, a body the endpoint
// received before that is still remembered (a replay). A repeat is folded into one row per repeated delivery
// and kind. Claiming the body, inserting the row and recording a repeat are one batch (one transaction): of
// two identical requests at once, one is recorded and the other is its repeat. Returns {id} of the recorded
// row, or {id, duplicate: 'duplicate' | 'replay', record, count} where `id` is the delivery it repeats and
// `record` the row that counts the repeats.
export async function recordVerified(db, row, seen = null) {
  const statements = [];
  if (seen) {
    // Taken over once the earlier claim has expired; never while this X-Request-UUID is already accepted.
    statements.push(db.prepare(`INSERT INTO seen_bodies (endpoint_id, body_sha256, delivery_id, expires_at)
        SELECT ?1, ?2, ?3, ?4 WHERE NOT EXISTS (SELECT 1 FROM deliveries WHERE endpoint_id = ?1 AND request_uuid = ?5
          AND verdict = 'deliver')
        ON CONFLICT (endpoint_id, body_sha256) DO UPDATE SET delivery_id = excluded.delivery_id,
          expires_at = excluded.expires_at WHERE seen_bodies.expires_at <= ?6`)
      .bind(row.endpoint_id, seen.sha256, row.id, seen.until, row.request_uuid ?? null, row.received_at));
  }
  const claimed = seen ? 'EXISTS (SELECT 1 FROM seen_bodies WHERE endpoint_id = ? AND body_sha256 = ? AND delivery_id = ?)' : 'true';
  statements.push(db.prepare(`INSERT INTO deliveries (${requestColumns}) SELECT ${requestPlaceholders} WHERE ${claimed}
      ON CONFLICT (endpoint_id, request_uuid) WHERE verdict = 'deliver' AND request_uuid IS NOT NULL DO NOTHING
      RETURNING id`)
    .bind(...requestValues(row), ...(seen ? [row.endpoint_id, seen.sha256, row.id] : [])));
  // Only when nothing was inserted: the X-Request-UUID's delivery first, else the remembered body's.
  statements.push(db.prepare(`INSERT INTO deliveries (id, endpoint_id, request_uuid, hook_uuid, bitbucket_attempt,
        event, verdict, code, reason, answered, status, request_headers, test, received_at, updated_at, aggregate_key,
        duplicate_of, last_seen_at)
      SELECT ?, ?, ?, ?, ?, ?, 'ignore', earlier.code, earlier.reason, 200, 'ignored', ?, ?, ?, ?,
        earlier.code || ':' || earlier.original, earlier.original, ?
      FROM (SELECT id AS original, 'duplicate' AS code, 0 AS priority,
              'X-Request-UUID ' || request_uuid || ' was already accepted as delivery ' || id AS reason
            FROM deliveries WHERE endpoint_id = ? AND request_uuid = ? AND verdict = 'deliver'
          UNION ALL
          SELECT delivery_id, 'replay', 1, 'the same body (SHA-256 ' || substr(body_sha256, 1, 12)
              || '…) was already received as delivery ' || delivery_id || '; a replay is not delivered again'
            FROM seen_bodies WHERE endpoint_id = ? AND body_sha256 = ?
          ORDER BY priority LIMIT 1) AS earlier
      WHERE NOT EXISTS (SELECT 1 FROM deliveries WHERE id = ?)
      ON CONFLICT (endpoint_id, aggregate_key) WHERE aggregate_key IS NOT NULL DO UPDATE SET ${foldLatest}
      RETURNING id, code, duplicate_of, request_count`)
    .bind(crypto.randomUUID(), row.endpoint_id, row.request_uuid ?? null, row.hook_uuid ?? null,
      row.bitbucket_attempt ?? null, row.event ?? null, orNull(row.request_headers), row.test ? 1 : 0,
      row.received_at, row.received_at, row.received_at, row.endpoint_id, row.request_uuid ?? null, row.endpoint_id,
      seen?.sha256 ?? null, row.id));
  const results = await db.batch(statements);
  const inserted = results.at(-2).results[0];
  if (inserted) return { id: inserted.id };
  const repeat = results.at(-1).results[0];
  if (!repeat) throw new Error(`recordVerified: delivery ${row.id} was neither recorded nor a repeat`);
  return { id: repeat.duplicate_of, duplicate: repeat.code, record: repeat.id, count: repeat.request_count };
}

// Takes a delivery for one POST: a pending one that is due (a queue timer may fire a moment early), or one
// whose previous holder's lease ran out. Returns the delivery with its endpoint's destination, or null
// when another consumer has it, it is not due, or it is finished. `env`: opening the destination needs SECRETS_KEY.
export async function claim(env, id, now, leaseMs) {
  const db = env.DB;
  const row = await db.prepare(`UPDATE deliveries SET status = 'sending', lease_until = ?1, attempts = attempts + 1,
      updated_at = ?2
      WHERE id = ?3 AND ((status = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= ?2 + 1000))
        OR (status = 'sending' AND lease_until <= ?2))
      RETURNING id, endpoint_id, attempts, failures, message, attempt_log, thread, message_id, last_error`)
    .bind(now + leaseMs, now, id).first();
  if (!row) return null;
  const endpoint = await db.prepare(`SELECT destination_url, destination_status, destination_error FROM endpoints
      WHERE id = ?`).bind(row.endpoint_id).first();
  // The destination opened for the POST, and as stored (markDestinationBroken writes only if it is unchanged).
  if (endpoint) {
    endpoint.destination_stored = endpoint.destination_url;
    endpoint.destination_url = await openAt(env, places.destination(row.endpoint_id), endpoint.destination_url);
  }
  // `thread`: a pull request event's thread (threads.mjs), null for any other delivery.
  return { ...row, attempt_log: JSON.parse(row.attempt_log ?? '[]'), thread: row.thread === null ? null : JSON.parse(row.thread), endpoint };
}

// The statement that writes what one POST came to (settle's, to run or batch).
function settleStatement(db, id, fields, now) {
  return db.prepare(`UPDATE deliveries SET status = ?, failures = ?, next_attempt_at = ?, lease_until = NULL,
      response_status = COALESCE(?, response_status), response_body = COALESCE(?, response_body),
      message_id = COALESCE(?, message_id), attempt_log = ?, delivered_at = ?, last_error = ?,
      attempts = COALESCE(?, attempts), updated_at = ? WHERE id = ?`)
    .bind(fields.status, fields.failures, fields.next_attempt_at ?? null, fields.response_status ?? null,
      fields.response_body ?? null, fields.message_id ?? null, JSON.stringify(fields.attempt_log),
      fields.status === 'delivered' ? now : null, fields.last_error ?? null, fields.attempts ?? null, now, id);
}

// Writes what one POST came to. `fields`: status ('delivered' | 'pending' | 'failed'), and any of failures,
// next_attempt_at, response_status, response_body, message_id, last_error, attempt_log, and attempts (for a claim
// that sent nothing: the count claim() had before it added one).
export async function settle(db, id, fields, now) {
  await settleStatement(db, id, fields, now).run();
}

// Writes an attempt the delivery policy retries or gives up on: pending again, due after the backoff, or
// failed, with the destination marked broken in the same batch when the policy says so (both land, or neither
// does and the queue tries again). `fields` as for settle, without status, failures and next_attempt_at. The
// caller re-enqueues a retry.
export async function settleDecision(db, delivery, decision, fields, now) {
  if (decision.outcome === 'retry') {
    await settle(db, delivery.id, {
      ...fields, status: 'pending', failures: decision.failures, next_attempt_at: now + decision.delaySeconds * 1000,
    }, now);
    return;
  }
  const failed = settleStatement(db, delivery.id, { ...fields, status: 'failed', failures: delivery.failures }, now);
  if (!decision.broken) {
    await failed.run();
    return;
  }
  const { endpoint_id: endpointId, endpoint } = delivery;
  await db.batch([failed, markDestinationBroken(db, endpointId, endpoint.destination_stored, decision.destinationError, now)]);
}

// The sealed columns of each table, with the place each value is bound to (secrets.mjs).
const sealedColumns = {
  endpoints: sealedEndpointColumns,
  connections: { access_token: places.accessToken, refresh_token: places.refreshToken },
};
// Columns kept beside a sealed one and written again with it: a destination's mask and fingerprint (rows stored
// before destinations were sealed have neither; a fingerprint follows the key that seals).
const derivedColumns = { destination_url: (env, id, plain) => destinationBeside(env, plain) };
const resealPage = 100;

// Re-seals with SECRETS_KEY what an older key (SECRETS_KEY_PREVIOUS) or no key sealed, at most `budget` rows
// of each table a run. A run reads every row of both tables once (D1 counts rows read), so the scheduled task
// runs it every minute only while SECRETS_KEY_PREVIOUS is set. Each row is written only if its values are still
// those read (a rotation or a token refresh meanwhile wins; the next run looks again), and its version is left
// alone: what it holds is the same.
// Returns {resealed, unreadable, left}: how many rows were written, the rows no configured key opens ({table,
// id, reason}), and how many rows are still to do (those included). `env`: the keys, SECRETS_KEY and
// SECRETS_KEY_PREVIOUS.
export async function resealSecrets(env, budget = 1000) {
  const current = await currentSealPrefix(env);
  const totals = { resealed: 0, unreadable: [], left: 0 };
  for (const [table, columns] of Object.entries(sealedColumns)) {
    const names = Object.keys(columns);
    const stale = names.map((name) => `(${name} IS NOT NULL AND substr(${name}, 1, ?1) <> ?2)`).join(' OR ');
    let after = '';
    let seen = 0;
    let rowsWritten = 0;
    let complete = false;
    while (!complete && seen < budget) {
      const { results } = await env.DB.prepare(`SELECT id, ${names.join(', ')} FROM ${table} WHERE (${stale}) AND id > ?3
          ORDER BY id LIMIT ?4`).bind(current.length, current, after, resealPage).all();
      for (const row of results) {
        const fresh = {};
        const derived = {};
        try {
          for (const name of names) {
            const stored = row[name];
            if (stored === null || stored.startsWith(current)) continue;
            const plain = await open(env, stored, columns[name](row.id));
            fresh[name] = await seal(env, plain, columns[name](row.id));
            if (derivedColumns[name]) Object.assign(derived, await derivedColumns[name](env, row.id, plain));
          }
        } catch (error) {
          totals.unreadable.push({ table, id: row.id, reason: String(error?.message ?? error) });
          continue;
        }
        const changed = Object.keys(fresh);
        const written = [...changed, ...Object.keys(derived)];
        const values = { ...fresh, ...derived };
        const { meta } = await env.DB.prepare(`UPDATE ${table} SET ${written.map((name, i) => `${name} = ?${i + 2}`).join(', ')}
            WHERE id = ?1 AND ${changed.map((name, i) => `${name} IS ?${written.length + i + 2}`).join(' AND ')}`)
          .bind(row.id, ...written.map((name) => values[name]), ...changed.map((name) => row[name])).run();
        rowsWritten += meta.changes;
      }
      seen += results.length;
      complete = results.length < resealPage;
      after = results.at(-1)?.id ?? after;
    }
    totals.resealed += rowsWritten;
    // Every stale row was seen: what was not written is left (unreadable, or changed meanwhile). Otherwise the
    // budget ran out first, and the rest is counted.
    if (complete) {
      totals.left += seen - rowsWritten;
    } else {
      const { left } = await env.DB.prepare(`SELECT COUNT(*) AS left FROM ${table} WHERE ${stale}`).bind(current.length, current).first();
      totals.left += left;
    }
  }
  return totals;
}

// The outbox sweep: deliveries a queue message should already have taken (pending past due by `graceMs`)
// or whose consumer died mid-POST (lease run out). A page of up to `limit` ids after `after` (keyset
// pagination by id: a page never repeats or skips a row whatever the consumer settles meanwhile).
export async function overdue(db, now, graceMs, limit, after = '') {
  const { results } = await db.prepare(`SELECT id FROM deliveries
      WHERE ((status = 'pending' AND next_attempt_at <= ?1) OR (status = 'sending' AND lease_until <= ?2)) AND id > ?4
      ORDER BY id LIMIT ?3`).bind(now - graceMs, now, limit, after).all();
  return results.map((row) => row.id);
}

// Retention: raw bodies go after `bodyMs`, the log rows after `logMs` (a folded row by its first request),
// remembered bodies once their replay window is over. Unfinished deliveries are kept.
export async function purge(db, now, bodyMs, logMs) {
  const bodies = await db.prepare(`UPDATE deliveries SET body = NULL WHERE body IS NOT NULL AND received_at < ?
      AND status NOT IN ('pending', 'sending')`).bind(now - bodyMs).run();
  const rows = await db.prepare(`DELETE FROM deliveries WHERE received_at < ? AND status NOT IN ('pending', 'sending')`)
    .bind(now - logMs).run();
  const seen = await db.prepare('DELETE FROM seen_bodies WHERE expires_at <= ?').bind(now).run();
  return { bodies: bodies.meta.changes, rows: rows.meta.changes, seen_bodies: seen.meta.changes };
}

const summaryColumns = `id, endpoint_id, request_uuid, hook_uuid, bitbucket_attempt, event, verdict, code, reason,
  answered, status, attempts, failures, next_attempt_at, response_status, message_id, last_error, redelivery_of,
  title, test, received_at, delivered_at, updated_at, request_count, last_seen_at, duplicate_of`;

// Returns up to `limit` deliveries of an endpoint, newest first, after `before` ({received_at, id} of the
// last one of the previous page) and matching `status` and `event` when given; and whether more follow.
// An endpoint's log, newest request first: a folded row is placed by its latest request (migration 0009), so
// one that took a new refusal is on top. `before` {at, id}: the place of the previous page's last row (`at`
// is its listedAt). Returns {rows, more}.
export async function listDeliveries(db, endpointId, { limit, before = null, status = null, event = null }) {
  const latest = 'COALESCE(last_seen_at, received_at)';
  const where = ['endpoint_id = ?1'];
  if (before) where.push(`(${latest} < ?2 OR (${latest} = ?2 AND id < ?3))`);
  if (status) where.push('status = ?4');
  if (event) where.push('event = ?5');
  const { results } = await db.prepare(`SELECT ${summaryColumns} FROM deliveries WHERE ${where.join(' AND ')}
      ORDER BY ${latest} DESC, id DESC LIMIT ?6`)
    .bind(endpointId, before?.at ?? null, before?.id ?? null, status, event, limit + 1).all();
  return { rows: results.slice(0, limit), more: results.length > limit };
}

// Where a row of listDeliveries sits in its order: its latest request's time.
export const listedAt = (row) => row.last_seen_at ?? row.received_at;

// The deliveries of an endpoint that failed since its last message got through and were not sent again: what a
// destination marked broken left behind (refused without an attempt, or failed on the answer that marked it),
// for the page to offer for redelivery once it works again. Only those whose body is still kept, oldest first.
export async function listUnsent(db, endpointId, limit) {
  const { results } = await db.prepare(`SELECT ${summaryColumns} FROM deliveries AS d
      WHERE endpoint_id = ?1 AND status = 'failed' AND verdict = 'deliver' AND body IS NOT NULL
        AND received_at > COALESCE((SELECT MAX(received_at) FROM deliveries
          WHERE endpoint_id = ?1 AND status = 'delivered'), 0)
        AND NOT EXISTS (SELECT 1 FROM deliveries AS again WHERE again.endpoint_id = ?1 AND again.redelivery_of = d.id)
      ORDER BY received_at, id LIMIT ?2`).bind(endpointId, limit).all();
  return results;
}

export async function getDelivery(db, id) {
  return db.prepare(`SELECT ${summaryColumns}, message, response_body, attempt_log, request_headers,
      length(body) AS body_bytes FROM deliveries WHERE id = ?`).bind(id).first();
}

export async function getDeliveryBody(db, id) {
  return db.prepare('SELECT endpoint_id, event, verdict, body FROM deliveries WHERE id = ?').bind(id).first();
}

// Makes a delivery that waits on a backoff due now. Returns true if it was pending.
export async function dueNow(db, id, now) {
  const { meta } = await db.prepare(`UPDATE deliveries SET next_attempt_at = ?, updated_at = ? WHERE id = ?
      AND status = 'pending'`).bind(now, now, id).run();
  return meta.changes > 0;
}
