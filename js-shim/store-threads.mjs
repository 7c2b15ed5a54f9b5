// D1 for pull request threads (threads.mjs): each pull request's thread and card (pull_request_threads), the
// channels learnt to be text channels (thread_destinations), and the event's message id on its delivery. Part of
// the store, as store.mjs; every function takes the D1 binding (env.DB) first, and callers pass times in
// milliseconds since the epoch. `holder` {endpointId, key, deliveryId}: the endpoint, the pull request's thread key
// and the delivery that holds (or asks for) the row's claim (busy_by).

// Returns the row of an endpoint's pull request (`key`), or null.
export async function getThreadRow(db, endpointId, key) {
  return db.prepare('SELECT * FROM pull_request_threads WHERE endpoint_id = ? AND thread_key = ?')
    .bind(endpointId, key).first();
}

// Takes the pull request's claim for the holder's delivery, until `until`: when free, already this delivery's (a
// retry of it), or run out (its holder died). The row is made for `destinationKey` when there is none.
// One statement, so of two deliveries at once only one gets it. Returns the row, or null when another holds it.
export async function claimThreadRow(db, { endpointId, key, deliveryId }, destinationKey, now, until) {
  return db.prepare(`INSERT INTO pull_request_threads (endpoint_id, thread_key, destination_key, busy_by, busy_since,
        busy_until, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?5, ?5)
      ON CONFLICT (endpoint_id, thread_key) DO UPDATE SET busy_by = excluded.busy_by,
        busy_since = CASE WHEN pull_request_threads.busy_by IS excluded.busy_by THEN pull_request_threads.busy_since
          ELSE excluded.busy_since END,
        busy_until = excluded.busy_until, updated_at = excluded.updated_at
      WHERE pull_request_threads.busy_by IS NULL OR pull_request_threads.busy_by = excluded.busy_by
        OR pull_request_threads.busy_until <= excluded.busy_since
      RETURNING *`)
    .bind(endpointId, key, destinationKey, deliveryId, now, until).first();
}

const releaseStatement = (db, { endpointId, key, deliveryId }, now) => db.prepare(`UPDATE pull_request_threads SET busy_by = NULL, busy_since = NULL,
    busy_until = NULL, updated_at = ? WHERE endpoint_id = ? AND thread_key = ? AND busy_by = ?`)
  .bind(now, endpointId, key, deliveryId);

// Gives the claim back, if the holder's delivery still has it.
export async function releaseThreadRow(db, holder, now) {
  await releaseStatement(db, holder, now).run();
}

// Records a thread (or text channel card) the holder's delivery made, `made` {destinationKey, mode, threadId,
// cardMessageId, card: {name, card, updated_us, state}}, and gives the claim back. Returns false when the claim had
// run out and another delivery took it meanwhile.
export async function saveMadeThread(db, { endpointId, key, deliveryId }, made, now) {
  const { meta } = await db.prepare(`UPDATE pull_request_threads SET destination_key = ?, mode = ?, thread_id = ?,
      card_message_id = ?, name = ?, card = ?, card_updated_us = ?, card_state = ?, busy_by = NULL, busy_since = NULL,
      busy_until = NULL, updated_at = ? WHERE endpoint_id = ? AND thread_key = ? AND busy_by = ?`)
    .bind(made.destinationKey, made.mode, made.threadId, made.cardMessageId, made.card.name, JSON.stringify(made.card.card),
      made.card.updated_us ?? null, made.card.state ?? null, now, endpointId, key, deliveryId)
    .run();
  return meta.changes > 0;
}

// Records the card now shown (`thread` {card, updated_us, state}; and `cardMessageId`, the message showing it,
// when it was posted anew, else null), never over a newer one, and gives the claim back, in one batch.
export async function saveThreadCard(db, holder, thread, cardMessageId, now) {
  await db.batch([
    db.prepare(`UPDATE pull_request_threads SET card = ?1, card_updated_us = ?2, card_state = ?3,
        card_message_id = COALESCE(?4, card_message_id), updated_at = ?5
        WHERE endpoint_id = ?6 AND thread_key = ?7 AND busy_by = ?8
          AND (card_updated_us IS NULL OR (?2 IS NOT NULL AND card_updated_us <= ?2))`)
      .bind(JSON.stringify(thread.card), thread.updated_us ?? null, thread.state ?? null, cardMessageId, now,
        holder.endpointId, holder.key, holder.deliveryId),
    releaseStatement(db, holder, now),
  ]);
}

// Forgets the thread and card of a pull request's row, if it still names those of `row` {thread_id,
// card_message_id}; the card shown is kept.
export async function forgetThreadRow(db, endpointId, key, row, now) {
  await db.prepare(`UPDATE pull_request_threads SET mode = NULL, thread_id = NULL, card_message_id = NULL,
      updated_at = ? WHERE endpoint_id = ? AND thread_key = ? AND thread_id IS ? AND card_message_id IS ?`)
    .bind(now, endpointId, key, row.thread_id, row.card_message_id).run();
}

// Returns the kind of channel learnt for an endpoint's destination ('text'), or null when none was.
export async function getDestinationChannel(db, endpointId, destinationKey) {
  const row = await db.prepare('SELECT channel FROM thread_destinations WHERE endpoint_id = ? AND destination_key = ?')
    .bind(endpointId, destinationKey).first();
  return row?.channel ?? null;
}

// Remembers that an endpoint's destination is a text channel (one destination per endpoint: another replaces it).
export async function saveTextChannel(db, endpointId, destinationKey, now) {
  await db.prepare(`INSERT INTO thread_destinations (endpoint_id, destination_key, channel, learned_at) VALUES (?, ?, 'text', ?)
      ON CONFLICT (endpoint_id) DO UPDATE SET destination_key = excluded.destination_key, channel = excluded.channel,
        learned_at = excluded.learned_at`).bind(endpointId, destinationKey, now).run();
}

// Forgets what was learnt of an endpoint's destination.
export async function deleteTextChannel(db, endpointId, destinationKey) {
  await db.prepare('DELETE FROM thread_destinations WHERE endpoint_id = ? AND destination_key = ?')
    .bind(endpointId, destinationKey).run();
}

// Records the id of the message a delivery posted.
export async function recordMessageId(db, deliveryId, messageId, now) {
  await db.prepare('UPDATE deliveries SET message_id = ?, updated_at = ? WHERE id = ?')
    .bind(messageId, now, deliveryId).run();
}
