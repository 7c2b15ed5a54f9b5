// What the admin API shows of an endpoint and of a delivery (never a secret; a destination masked, its token
// being a credential), and its paged lists' cursors.

import { bitbucketConfig } from './bitbucket.mjs';
import { manualSteps } from './bitbucket-hooks.mjs';
import { endpointFields } from './endpoint-fields.mjs';
import { isoTime } from './http.mjs';
import { maskDestination } from './policy.mjs';
import { textFromBase64url, textToBase64url } from './shared/encoding.mjs';
import { hookUrl } from './shared/public-url.mjs';
import { invalid } from './api-body.mjs';

// What a person reads first: disconnected; needs reconnect (the source's account); destination broken; active.
function endpointState(endpoint) {
  if (endpoint.active === false) return 'disconnected';
  if (endpoint.provider && endpoint.connection_status !== undefined && endpoint.connection_status !== 'ok') return 'needs_reconnect';
  if (endpoint.destination_status === 'broken') return 'destination_broken';
  return 'active';
}

function sourceView(endpoint, base, env) {
  const source = {
    provider: endpoint.provider,
    connection: endpoint.connection_id,
    repository: endpoint.repository,
    repository_url: `${bitbucketConfig(env).oauthBase}/${endpoint.repository}`,
    hook_uuid: endpoint.hook_uuid ?? null,
    status: endpoint.source_status,
  };
  if (endpoint.source_status === 'left_behind') {
    source.left_behind = { reason: endpoint.source_error, steps: manualSteps(endpoint, base) };
  }
  return source;
}

// A field's value as the view shows it: the destination masked, and the field's fallback for none.
function shown(field, endpoint) {
  if (field.stored === 'destination') return endpoint.destination_masked ?? maskDestination(endpoint[field.name]);
  return endpoint[field.name] ?? field.fallback ?? null;
}

// An endpoint as the API shows it: the fields endpoint-fields.mjs marks as shown (with `list`, those a list
// shows: not the templates), its hook URL, times and state, its source and its latest delivery.
export function endpointView(endpoint, base, env, { list = false } = {}) {
  /** @type {Record<string, any>} */
  const view = {};
  for (const field of endpointFields) {
    if (!field.view || (list && field.view === 'detail')) continue;
    const value = shown(field, endpoint);
    if (field.view === 'always' || value !== null) view[field.name] = value;
  }
  view.url = hookUrl(base, endpoint.id);
  view.created_at = isoTime(endpoint.created_at);
  view.updated_at = isoTime(endpoint.updated_at);
  view.state = endpointState(endpoint);
  if (endpoint.provider) view.source = sourceView(endpoint, base, env);
  if (endpoint.last_delivery) {
    view.last_delivery = { ...endpoint.last_delivery, received_at: isoTime(endpoint.last_delivery.received_at) };
  }
  return view;
}

function parseMaybeJson(text) {
  if (text === null || text === undefined) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

// A delivery as the log shows it; `full` adds what its own page shows (headers, message, answer, attempts).
export function deliveryView(row, full) {
  const view = {
    id: row.id,
    endpoint: row.endpoint_id,
    event: row.event,
    verdict: row.verdict,
    code: row.code,
    reason: row.reason,
    answered: row.answered,
    status: row.status,
    attempts: row.attempts,
    request_uuid: row.request_uuid,
    hook_uuid: row.hook_uuid,
    bitbucket_attempt: row.bitbucket_attempt,
    received_at: isoTime(row.received_at),
    next_attempt_at: row.status === 'pending' ? isoTime(row.next_attempt_at) : null,
    delivered_at: isoTime(row.delivered_at),
    message_id: row.message_id,
    response_status: row.response_status,
    last_error: row.last_error,
    redelivery_of: row.redelivery_of,
    title: row.title,
    test: row.test === 1,
    // A folded row (repeated refusals, duplicates) stands for `count` requests, the latest at last_seen_at.
    count: row.request_count ?? 1,
    last_seen_at: isoTime(row.last_seen_at ?? row.received_at),
    duplicate_of: row.duplicate_of ?? null,
  };
  if (!full) return view;
  return {
    ...view,
    request_headers: parseMaybeJson(row.request_headers) ?? {},
    message: parseMaybeJson(row.message),
    response: parseMaybeJson(row.response_body),
    attempt_log: parseMaybeJson(row.attempt_log) ?? [],
    body_kept: row.body_bytes !== null,
    body_bytes: row.body_bytes,
  };
}

// The `limit` and `cursor` of a paged list: {limit, at} (`fallback` when no limit is given; `at`: the cursor's
// {time, id}, or null for the first page), or {refused}: a limit that is not a whole number from 1 to 500, or a
// cursor this API did not give.
export function pageQuery(url, fallback) {
  const given = url.searchParams.get('limit');
  const limit = given === null ? fallback : Number(given);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
    return { refused: invalid('limit', 'limit must be an integer from 1 to 500') };
  }
  const cursor = url.searchParams.get('cursor');
  const at = cursor === null ? null : readCursor(cursor);
  if (cursor !== null && at === null) return { refused: invalid('cursor', 'cursor is not one this API gave (X-Next-Cursor)') };
  return { limit, at };
}

// A cursor is a row's place in its list's order: {time, id} (a delivery's latest request, store.listedAt; an
// endpoint's created_at).
const writeCursor = ({ time, id }) => textToBase64url(`${time}.${id}`);

function readCursor(text) {
  try {
    const [at, ...id] = textFromBase64url(text).split('.');
    const time = Number(at);
    return Number.isInteger(time) && id.length > 0 ? { time, id: id.join('.') } : null;
  } catch {
    return null;
  }
}

// The headers that point at the page after the row at `place` ({time, id}): `Link: <…>; rel="next"` and
// `X-Next-Cursor`.
export function nextPage(url, place) {
  const cursor = writeCursor(place);
  const next = new URL(url);
  next.searchParams.set('cursor', cursor);
  return { link: `<${next.pathname}${next.search}>; rel="next"`, 'x-next-cursor': cursor };
}
