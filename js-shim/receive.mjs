// The receive path, POST /hooks/{endpoint}: read the body once, let the core decide, record the outcome in
// D1, enqueue what is to be delivered, and answer Bitbucket without waiting on the destination.

import { coreFields } from './endpoint-fields.mjs';
import { logEvent } from './log.mjs';
import { enqueue } from './outbox.mjs';
import { json, methodNotAllowed, readLimited, withBodyDrained } from './http.mjs';
import { foldRefusal } from './refusals.mjs';
import { sha256Hex } from './secrets.mjs';
import { recordVerified } from './store.mjs';
import { getEndpoint, getEndpointCached } from './store-endpoints.mjs';

const keptHeaderBytes = 4096;

// The secrets that verify a delivery to this endpoint now: the current one, and the previous one inside
// its window after a rotation.
function currentSecrets(endpoint, now) {
  const secrets = [endpoint.secret];
  if (endpoint.previous_secret && endpoint.previous_secret_until > now) secrets.push(endpoint.previous_secret);
  return secrets;
}

// What the core needs of an endpoint record: every secret that verifies now (after a rotation, the previous
// one too, for its window), and each field it decides on (endpoint-fields.mjs `core`) that is set.
export function coreSettings(endpoint, now = Date.now()) {
  const settings = { secrets: currentSecrets(endpoint, now) };
  for (const name of coreFields) {
    if ((endpoint[name] ?? null) !== null) settings[name] = endpoint[name];
  }
  return settings;
}

const refusal = (status, code, reason) => json(status, { status: 'rejected', code, reason });

// The request's headers as the delivery log shows them: the signature shortened (it is not a secret, but
// nobody needs all of it), cookies and credentials left out, at most 4 KiB. A control character (CR, LF,
// NUL; HTTP parsers refuse them, but this takes any iterable) is shown as U+FFFD, so a value stays one line.
export function recordedHeaders(headers) {
  const kept = {};
  let size = 0;
  for (const [name, raw] of headers) {
    if (['authorization', 'cookie'].includes(name)) continue;
    const value = raw.replace(/[\u0000-\u0008\u000a-\u001f\u007f]/g, '\ufffd');
    const shown = name === 'x-hub-signature' ? value.replace(/^(\s*[^=]*=\s*[0-9a-fA-F]{8})[0-9a-fA-F]+/, '$1…') : value;
    size += name.length + shown.length;
    if (size > keptHeaderBytes) break;
    kept[name] = shown;
  }
  return kept;
}

// The message's title for the log's list: the first embed's title, else the content's first line.
export function messageTitle(message) {
  const title = message?.embeds?.[0]?.title ?? message?.content?.split('\n')[0] ?? null;
  return title === null ? null : title.slice(0, 200);
}

const notPostReason = 'this is a dispatch webhook URL: Bitbucket POSTs its events here';

// The answer to another method than POST: JSON for a program, a small page for a browser.
function notPost(request) {
  const headers = { allow: 'POST', 'x-content-type-options': 'nosniff' };
  if (!(request.headers.get('accept') ?? '').includes('text/html')) {
    return methodNotAllowed(['POST'], { reason: notPostReason, headers });
  }
  const page = '<!doctype html><html lang="en"><meta charset="utf-8"><title>dispatch webhook URL</title>'
    + '<p>This is a dispatch webhook URL: Bitbucket POSTs its events here.</p></html>\n';
  return new Response(page, {
    status: 405,
    headers: {
      ...headers,
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    },
  });
}

// Refusals of one code are folded into one log row per endpoint and hour: a flood of them adds at most one
// row per refusal code (a short, fixed list) and hour, whatever its size.
const refusalSlotMs = 60 * 60 * 1000;
const refusalKey = (code, status, received, test) =>
  `refused:${code}:${status}:${Math.floor(received / refusalSlotMs)}${test ? ':test' : ''}`;

// How long a signed body is remembered, so that the same bytes sent again are not delivered again.
export function replayWindowMs(env) {
  const given = env.REPLAY_WINDOW_SECONDS ?? '86400';
  const seconds = Number(given);
  if (String(given).trim() === '' || !Number.isInteger(seconds) || seconds < 0) {
    throw new TypeError(`REPLAY_WINDOW_SECONDS must be a whole number of seconds (0: off), not ${JSON.stringify(given)}`);
  }
  return seconds * 1000;
}

// Takes one request to /hooks/{endpoint}. `test`: the request is the Sources page's "Send test event".
// `ctx`: the request's context, which keeps a batch of refusals alive until it is written (refusals.mjs).
export function receive(request, env, loadCore, endpointId, { test = false, ctx = null } = {}) {
  return withBodyDrained(request, () => receiveOnce(request, env, loadCore, endpointId, test, ctx));
}

// How often a 404 for an unknown hook URL is logged: the first, then one in this many (a flood of guesses).
const unknownLogEvery = 100;
let unknownSeen = 0;

async function receiveOnce(request, env, loadCore, endpointId, test, ctx) {
  // Test events read the endpoint as it is now; Bitbucket's requests may take it from this isolate's cache.
  const read = test ? { endpoint: await getEndpoint(env, endpointId), age: 0 } : await getEndpointCached(env, endpointId);
  const { endpoint } = read;
  if (!endpoint) {
    if (request.method !== 'POST') return notPost(request);
    if (unknownSeen++ % unknownLogEvery === 0) {
      logEvent('hook_refused', { endpoint: endpointId.slice(0, 64), status: 404, code: 'endpoint_unknown', seen: unknownSeen });
    }
    return refusal(404, 'endpoint_unknown', 'no endpoint has this URL');
  }
  const received = Date.now();
  const row = requestRow(request, endpoint, received, test);
  // Refusals are recorded too, so a user can see why a hook "did nothing"; repeated ones share a row, written
  // a batch at a time (refusals.mjs). A test event's is written at once: the page shows it next.
  const record = (status, code, reason) => foldRefusal(env, test ? null : ctx,
    { ...row, verdict: 'reject', code, reason, answered: status, status: 'rejected' }, refusalKey(code, status, received, test));
  const refuse = async (status, code, reason) => {
    await record(status, code, reason);
    return refusal(status, code, reason);
  };
  const coreFailed = (error) => {
    // 503 asks Bitbucket to try again; the log says the request came and why it was not taken.
    logEvent('core_failed', { endpoint: endpoint.id, error: String(error?.message ?? error) });
    return refuse(503, 'core_failed', 'dispatch could not check this request just now; Bitbucket will try again');
  };

  if (request.method !== 'POST') {
    await record(405, 'method_not_allowed', notPostReason);
    return notPost(request);
  }
  if (!endpoint.active) return refuse(410, 'endpoint_inactive', 'this endpoint was disconnected');
  // The core's own limit (413 past 1 MiB; Bitbucket's own cap is 256 KB), read before the body is.
  let maxBodyBytes;
  try {
    maxBodyBytes = (await loadCore()).limits().max_body_bytes;
  } catch (error) {
    return coreFailed(error);
  }
  const body = await readLimited(request, maxBodyBytes);
  if (body === null) {
    return refuse(413, 'body_too_large', `body is over ${maxBodyBytes} bytes (Bitbucket's own cap is 256 KB)`);
  }
  let outcome;
  try {
    outcome = await decide(env, loadCore, read, request.headers, body, received);
  } catch (error) {
    return coreFailed(error);
  }
  if (outcome.verdict === 'reject') return refuse(outcome.status, outcome.code, outcome.reason);
  return recordOutcome(env, { row, outcome, body, test });
}

// The delivery log's row for a request to endpoint `endpoint`: Bitbucket's headers that identify it (each
// at most 200 characters), and the headers as the log shows them.
function requestRow(request, endpoint, received, test) {
  const header = (name) => request.headers.get(name) ?? undefined;
  const attempt = Number.parseInt(header('x-attempt-number') ?? '', 10);
  return {
    id: crypto.randomUUID(),
    endpoint_id: endpoint.id,
    request_uuid: header('x-request-uuid')?.slice(0, 200),
    hook_uuid: header('x-hook-uuid')?.slice(0, 200),
    bitbucket_attempt: Number.isFinite(attempt) ? attempt : null,
    event: header('x-event-key')?.slice(0, 200),
    received_at: received,
    request_headers: recordedHeaders(request.headers),
    test,
  };
}

// The core's outcome for a request's two headers and body under the endpoint's settings (`read`: the
// endpoint and how old the cached copy is). Throws when the core fails.
async function decide(env, loadCore, read, requestHeaders, body, received) {
  const headers = {};
  for (const name of ['x-event-key', 'x-hub-signature']) {
    if (requestHeaders.has(name)) headers[name] = requestHeaders.get(name);
  }
  // Compiled once per endpoint version and set of secrets (a rotation's window closing changes it), not per
  // delivery.
  const handle = (endpoint) => {
    const settings = coreSettings(endpoint, received);
    return loadCore().then((instance) => instance.handle(settings, headers, body,
      { key: `${endpoint.id}:${endpoint.version}:${settings.secrets.length}` }));
  };
  const outcome = await handle(read.endpoint);
  // A signature the cached settings refuse may be under a secret rotated since (through another isolate): read
  // once more (at most once a second, however many wrong signatures come), and decide again if the endpoint
  // changed.
  if (outcome.code === 'signature_mismatch' && read.age > 1000) {
    const { endpoint: fresh } = await getEndpointCached(env, read.endpoint.id, Date.now(), 1000);
    if (fresh && fresh.version !== read.endpoint.version) return handle(fresh);
  }
  return outcome;
}

// Records an outcome the core accepted or ignored, and answers Bitbucket: 202 for a delivery to be sent (and
// enqueued), 200 for one ignored, 200 `duplicate` for one already received (the same X-Request-UUID, or, inside
// the replay window, the same bytes).
async function recordOutcome(env, { row, outcome, body, test }) {
  const endpointId = row.endpoint_id;
  const received = row.received_at;
  // A body the endpoint already received inside the window is a replay (test events are exempt: their
  // sample is the same every time, and only the admin API sends them).
  const windowMs = replayWindowMs(env);
  const seen = test || windowMs === 0 ? null : { sha256: await sha256Hex(body), until: received + windowMs };
  const deliver = outcome.verdict === 'deliver';
  const recorded = await recordVerified(env.DB, deliver
    ? {
      ...row, verdict: 'deliver', code: outcome.code, reason: outcome.reason, answered: 202, status: 'pending',
      next_attempt_at: received, message: outcome.message, body, title: messageTitle(outcome.message),
      // A pull request event of an endpoint with threads: where it goes, recorded with the delivery itself.
      thread: outcome.thread,
    }
    : { ...row, verdict: 'ignore', code: outcome.code, reason: outcome.reason, answered: 200, status: 'ignored' }, seen);
  if (recorded.duplicate) {
    logEvent('hook_duplicate', {
      endpoint: endpointId, delivery: recorded.id, code: recorded.duplicate, record: recorded.record, count: recorded.count,
    });
    const answer = { status: 'duplicate', delivery: recorded.id };
    return json(200, recorded.duplicate === 'replay' ? { ...answer, code: 'replay' } : answer);
  }
  if (!deliver) {
    logEvent('hook_ignored', { endpoint: endpointId, delivery: recorded.id, key: outcome.event, code: outcome.code });
    // The contract's answer exactly ({status, reason}); the code is in the delivery log.
    return json(200, { status: 'ignored', reason: outcome.reason });
  }
  await enqueue(env, recorded.id);
  logEvent('hook_accepted', { endpoint: endpointId, delivery: recorded.id, key: outcome.event, code: outcome.code });
  return json(202, { status: 'accepted', delivery: recorded.id });
}
