// D1's endpoints table: an endpoint's row, read and written by the fields of endpoint-fields.mjs (the one
// place that says how each is stored), with the receive path's 5-second cache of endpoints; a source's
// bookkeeping (its hook left behind, its twin). Part of the store (store.mjs says how the store is laid out).

import { endpointFields, fieldByName } from './endpoint-fields.mjs';
import { maskDestination } from './policy.mjs';
import { fingerprints, openAt, places, sealAt } from './secrets.mjs';

// How each kind of column (endpoint-fields.mjs `stored`) is read back. Sealed columns are opened by
// getEndpoint; bookkeeping is as stored.
const fromColumn = {
  text: (value) => value ?? null,
  json: (value) => (value === null || value === undefined ? null : JSON.parse(value)),
  flag: (value) => value === 1,
  row: (value) => value,
};

// The columns read with every endpoint: all but the sealed ones, and the destination's mask in place of the
// destination.
const shownColumns = [
  ...endpointFields.filter((field) => fromColumn[field.stored]).map((field) => field.name), 'destination_masked',
];
const endpointColumns = shownColumns.join(', ');

// An endpoint record from its row: each column read back by its field's kind (`filters` an object or null,
// `threads` 'pull_request' or null, `active` a boolean). Other columns of the row are kept as they are.
function endpointFromRow(row) {
  if (!row) return null;
  const endpoint = { ...row };
  for (const field of endpointFields) {
    if (fromColumn[field.stored] && field.name in row) endpoint[field.name] = fromColumn[field.stored](row[field.name]);
  }
  return endpoint;
}

// A JSON column's stored form: the value as JSON text, or null for none (store.mjs writes deliveries' with it).
export const orNull = (value) => (value === undefined || value === null ? null : JSON.stringify(value));

// A destination as the API shows it: the masked form stored beside the sealed URL, or, for a row the re-seal
// has not reached yet (stored before destinations were sealed), the URL it still holds in the clear, masked.
// (A sealed URL always has its mask beside it.)
const shownDestination = (row) => row.destination_masked ?? maskDestination(row.destination_url);

// What is kept beside a sealed destination URL: its mask for display, and its fingerprint, so that the same
// destination can be found without opening every row.
export async function destinationBeside(env, url) {
  return { destination_masked: maskDestination(url), destination_hash: (await fingerprints(env, 'destination', url))[0] };
}

// The columns that store a destination URL: sealed, and what is kept beside it.
async function destinationColumns(env, id, url) {
  return { destination_url: await sealAt(env, places.destination(id), url), ...await destinationBeside(env, url) };
}

// Returns an endpoint with its secrets and its destination opened (`secret`, `previous_secret` inside its
// window, `destination_url`), or null. `destination_stored`: the destination as stored, to write only if unchanged.
// `env`: opening needs SECRETS_KEY.
export async function getEndpoint(env, id) {
  const sealed = endpointFields.filter((field) => !fromColumn[field.stored]).map((field) => field.name);
  const row = await env.DB.prepare(`SELECT ${endpointColumns}, ${sealed.join(', ')} FROM endpoints WHERE id = ?`)
    .bind(id).first();
  if (!row) return null;
  const endpoint = endpointFromRow(row);
  for (const name of sealed) endpoint[name] = await openAt(env, sealedPlace[fieldByName[name].stored](id), row[name]);
  endpoint.destination_stored = row.destination_url;
  return endpoint;
}

// Endpoints as the receive path reads them, kept in this isolate for a short life: a flood of requests to one
// hook URL reads D1 and opens its secrets once a life, not once a request. A change made through this isolate
// forgets its entry at once; one made through another is seen within `endpointLifeMs`.
const endpointLifeMs = 5000;
const endpointCacheSize = 1000;
const cachedEndpoints = new Map(); // id -> {endpoint (null: no such endpoint), at}

// Returns {endpoint, age}: getEndpoint's answer (null for none), from the cache while it is younger than
// `maxAgeMs` (at most endpointLifeMs), and how old it is in milliseconds (0: just read, and cached). `env`: as
// getEndpoint's.
export async function getEndpointCached(env, id, now = Date.now(), maxAgeMs = endpointLifeMs) {
  const hit = cachedEndpoints.get(id);
  if (hit && now - hit.at < Math.min(maxAgeMs, endpointLifeMs)) return { endpoint: hit.endpoint, age: now - hit.at };
  const endpoint = await getEndpoint(env, id);
  cachedEndpoints.delete(id);
  if (cachedEndpoints.size >= endpointCacheSize) cachedEndpoints.delete(cachedEndpoints.keys().next().value);
  cachedEndpoints.set(id, { endpoint, at: now });
  return { endpoint, age: 0 };
}

// Drops an endpoint from this isolate's cache (it was written).
export function forgetEndpoint(id) {
  cachedEndpoints.delete(id);
}

// Returns the id of an active source of `repository` that posts to `destination` (a URL), or null: found by the
// destination's fingerprint under any configured key (`env`: the fingerprint's keys derive from SECRETS_KEY).
export async function findTwinSource(env, repository, destination) {
  const hashes = await fingerprints(env, 'destination', destination);
  const row = await env.DB.prepare(`SELECT id FROM endpoints WHERE provider IS NOT NULL AND active = 1 AND repository = ?
      AND destination_hash IN (${hashes.map(() => '?').join(', ')})`).bind(repository, ...hashes).first();
  return row?.id ?? null;
}

// Returns {active} (1 or 0) of endpoint `id`, or null when there is none.
export async function getEndpointActive(db, id) {
  return db.prepare('SELECT active FROM endpoints WHERE id = ?').bind(id).first();
}

// Marks hook `hookUuid` removed for the source that left it behind, now that endpoint `id` has taken it over: the
// endpoint that left it behind no longer owns it.
export async function disownLeftBehindHook(db, hookUuid, id) {
  await db.prepare(`UPDATE endpoints SET source_status = 'removed', source_error = NULL, version = version + 1
      WHERE hook_uuid = ? AND id != ? AND source_status = 'left_behind'`).bind(hookUuid, id).run();
}

// Returns the inactive sources of connection `connectionId` whose hook was left behind ({id, repository,
// hook_uuid, connection_id}).
export async function listLeftBehind(db, connectionId) {
  const { results } = await db.prepare(`SELECT id, repository, hook_uuid, connection_id FROM endpoints
      WHERE connection_id = ? AND source_status = 'left_behind' AND active = 0`).bind(connectionId).all();
  return results;
}

// Records that the hook endpoint `id` left behind was removed.
export async function markHookRemoved(db, id, now) {
  await db.prepare(`UPDATE endpoints SET source_status = 'removed', source_error = NULL, updated_at = ?,
      version = version + 1 WHERE id = ?`).bind(now, id).run();
}

// Returns endpoints (never a secret), each with its connection's status and its latest delivery: the one
// with `id`, or a page of up to `limit` in the order they were made, after `after` ({created_at, id} of the
// last one of the previous page); and whether more follow.
export async function listEndpoints(db, { id = null, limit = 1000, after = null } = {}) {
  const { results } = await db.prepare(`SELECT ${endpointColumns.split(/,\s*/).map((name) => `e.${name}`).join(', ')}, e.destination_url,
      c.status AS connection_status,
      (SELECT json_object('id', d.id, 'received_at', d.received_at, 'verdict', d.verdict, 'status', d.status,
         'code', d.code, 'event', d.event, 'title', d.title)
       FROM deliveries d WHERE d.endpoint_id = e.id ORDER BY d.received_at DESC, d.id DESC LIMIT 1) AS last_delivery
      FROM endpoints e LEFT JOIN connections c ON c.id = e.connection_id
      WHERE (?1 IS NULL OR e.id = ?1) AND (?2 IS NULL OR e.created_at > ?2 OR (e.created_at = ?2 AND e.id > ?3))
      ORDER BY e.created_at, e.id LIMIT ?4`).bind(id, after?.created_at ?? null, after?.id ?? null, limit + 1).all();
  const rows = results.slice(0, limit).map((row) => ({
    ...endpointFromRow(row),
    destination_masked: shownDestination(row),
    last_delivery: row.last_delivery === null ? null : JSON.parse(row.last_delivery),
  }));
  return { rows, more: results.length > limit };
}

// The place a sealed column's value is bound to (secrets.mjs), by its field's kind.
const sealedPlace = { sealed: places.endpointSecret, destination: places.destination };

// The sealed columns of the endpoints table, each with the place its value is bound to (store.mjs re-seals them).
export const sealedEndpointColumns = Object.fromEntries(endpointFields.filter((field) => sealedPlace[field.stored])
  .map((field) => [field.name, sealedPlace[field.stored]]));

// How each kind of column is written: [column, stored value] pairs for a field's value (a destination is three
// columns: sealed, its mask and its fingerprint). `fallback`: the field's value for null.
const toColumns = {
  text: (env, id, field, value) => [[field.name, value ?? field.fallback ?? null]],
  json: (env, id, field, value) => [[field.name, orNull(value)]],
  flag: (env, id, field, value) => [[field.name, (value ?? field.fallback) === false ? 0 : 1]],
  sealed: async (env, id, field, value) => [[field.name, await sealAt(env, places.endpointSecret(id), value)]],
  destination: async (env, id, field, value) => Object.entries(await destinationColumns(env, id, value)),
};

// The [column, stored value] pairs of `values` (field name → value) for endpoint `id`.
async function storedColumns(env, id, values) {
  const pairs = [];
  for (const [name, value] of Object.entries(values)) {
    const write = toColumns[fieldByName[name]?.stored];
    if (!write) throw new TypeError(`endpoint store: ${name} is not a field it writes`);
    pairs.push(...await write(env, id, fieldByName[name], value));
  }
  return pairs;
}

// Stores a new endpoint, every field of the table (null where the record has none), its secrets and destination
// sealed (`env`: sealing needs SECRETS_KEY).
export async function insertEndpoint(env, endpoint, now) {
  forgetEndpoint(endpoint.id);
  const values = Object.fromEntries(endpointFields.filter((field) => toColumns[field.stored])
    .map((field) => [field.name, endpoint[field.name] ?? null]));
  const pairs = await storedColumns(env, endpoint.id, values);
  await env.DB.prepare(`INSERT INTO endpoints (id, ${pairs.map(([column]) => column).join(', ')}, created_at, updated_at)
      VALUES (?, ${pairs.map(() => '?').join(', ')}, ?, ?)`)
    .bind(endpoint.id, ...pairs.map(([, value]) => value), now, now).run();
}

// Writes only the fields in `changes` (field name → value; secrets and the destination are sealed here) and
// adds one to the version. With a `version`, only when the row is still at that version. Returns true when the
// row was written; false when it changed meanwhile (or is gone). `env`: sealing needs SECRETS_KEY.
export async function updateEndpoint(env, id, version, changes, now) {
  forgetEndpoint(id);
  const pairs = await storedColumns(env, id, changes);
  const { meta } = await env.DB.prepare(`UPDATE endpoints SET ${pairs.map(([column]) => `${column} = ?, `).join('')}
      version = version + 1, updated_at = ? WHERE id = ? AND (? IS NULL OR version = ?)`)
    .bind(...pairs.map(([, value]) => value), now, id, version ?? null, version ?? null).run();
  return meta.changes > 0;
}

export async function deleteEndpoint(db, id) {
  forgetEndpoint(id);
  // Deliveries go with it (ON DELETE CASCADE); a queued message for one then finds nothing and is dropped.
  const { meta } = await db.prepare('DELETE FROM endpoints WHERE id = ?').bind(id).run();
  return meta.changes > 0;
}

