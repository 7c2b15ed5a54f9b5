// The receive path, POST /hooks/{endpoint}: read the body once, let the core decide, record the outcome in
// D1, enqueue what is to be delivered, and answer Bitbucket without waiting on the destination.

import { enqueue, logEvent } from './deliver.mjs';
import { json, methodNotAllowed, readLimited } from './http.mjs';
import { getEndpoint, recordRequest } from './store.mjs';

const maxBodyBytes = 1024 * 1024; // DESIGN.md: 413 past 1 MiB (Bitbucket's own cap is 256 KB)
const keptHeaderBytes = 4096;

// The secrets that verify a delivery to this endpoint now: the current one, and the previous one inside
// its window after a rotation.
function currentSecrets(endpoint, now) {
  const secrets = [endpoint.secret];
  if (endpoint.previous_secret && endpoint.previous_secret_until > now) secrets.push(endpoint.previous_secret);
  return secrets;
}

// What the core needs of an endpoint row: every secret that verifies now (after a rotation, the previous
// one too, for its window), the selection and the templates.
export function coreSettings(endpoint, now = Date.now()) {
  const settings = { secrets: currentSecrets(endpoint, now), events: endpoint.events };
  if (endpoint.template !== null) settings.template = endpoint.template;
  if (endpoint.templates !== null) settings.templates = endpoint.templates;
  return settings;
}

const refusal = (status, code, reason) => json(status, { status: 'rejected', code, reason });

// The request's headers as the delivery log shows them: the signature shortened (it is not a secret, but
// nobody needs all of it), cookies and credentials left out, at most 4 KiB.
export function recordedHeaders(headers) {
  const kept = {};
  let size = 0;
  for (const [name, value] of headers) {
    if (['authorization', 'cookie'].includes(name)) continue;
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

// Takes one request to /hooks/{endpoint}. `test`: the request is the Sources page's "Send test event".
export async function receive(request, env, core, endpointId, { test = false } = {}) {
  if (request.method !== 'POST') return methodNotAllowed(['POST']);
  const endpoint = await getEndpoint(env, endpointId);
  if (!endpoint) {
    logEvent('hook_refused', { endpoint: endpointId, status: 404, code: 'endpoint_unknown' });
    return refusal(404, 'endpoint_unknown', 'no endpoint has this URL');
  }
  const received = Date.now();
  const header = (name) => request.headers.get(name) ?? undefined;
  const attempt = Number.parseInt(header('x-attempt-number') ?? '', 10);
  const row = {
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
  // Refusals are recorded too, so a user can see why a hook "did nothing".
  const refuse = async (status, code, reason) => {
    await recordRequest(env.DB, { ...row, verdict: 'reject', code, reason, answered: status, status: 'rejected' });
    logEvent('hook_refused', { endpoint: endpoint.id, delivery: row.id, status, code });
    return refusal(status, code, reason);
  };

  if (!endpoint.active) return refuse(410, 'endpoint_inactive', 'this endpoint was disconnected');
  const body = await readLimited(request, maxBodyBytes);
  if (body === null) {
    return refuse(413, 'body_too_large', `body is over ${maxBodyBytes} bytes (Bitbucket's own cap is 256 KB)`);
  }
  const headers = {};
  for (const name of ['x-event-key', 'x-hub-signature']) {
    if (request.headers.has(name)) headers[name] = request.headers.get(name);
  }
  const outcome = (await core()).handle(coreSettings(endpoint, received), headers, body);
  if (outcome.verdict === 'reject') return refuse(outcome.status, outcome.code, outcome.reason);
  if (outcome.verdict === 'ignore') {
    await recordRequest(env.DB, { ...row, verdict: 'ignore', code: outcome.code, reason: outcome.reason, answered: 200, status: 'ignored' });
    logEvent('hook_ignored', { endpoint: endpoint.id, delivery: row.id, event: outcome.event, code: outcome.code });
    return json(200, { status: 'ignored', reason: outcome.reason });
  }

  const recorded = await recordRequest(env.DB, {
    ...row, verdict: 'deliver', code: outcome.code, reason: outcome.reason, answered: 202, status: 'pending',
    next_attempt_at: received, message: outcome.message, body, title: messageTitle(outcome.message),
  });
  if (recorded.duplicate) {
    const reason = `X-Request-UUID ${row.request_uuid} was already accepted as delivery ${recorded.id}`;
    await recordRequest(env.DB, { ...row, verdict: 'ignore', code: 'duplicate', reason, answered: 200, status: 'ignored' });
    logEvent('hook_duplicate', { endpoint: endpoint.id, delivery: recorded.id });
    return json(200, { status: 'duplicate', delivery: recorded.id });
  }
  await enqueue(env, recorded.id);
  logEvent('hook_accepted', { endpoint: endpoint.id, delivery: recorded.id, event: outcome.event, code: outcome.code });
  return json(202, { status: 'accepted', delivery: recorded.id });
}
