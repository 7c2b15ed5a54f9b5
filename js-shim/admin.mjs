// The admin API of DESIGN.md: endpoints, their secrets and delivery logs, redelivery, the event catalogue
// and the preview. Every call needs `Authorization: Bearer $ADMIN_TOKEN`.

import { enqueue, logEvent } from './deliver.mjs';
import { isoTime, json, methodNotAllowed, problem, randomToken, readLimited, sameSecret } from './http.mjs';
import { maskDestination } from './policy.mjs';
import { coreSettings } from './hooks.mjs';
import {
  deleteEndpoint, getDelivery, getDeliveryBody, getEndpoint, insertEndpoint, listDeliveries, listEndpoints,
  recordRequest, saveEndpoint,
} from './store.mjs';

const maxRequestBytes = 2 * 1024 * 1024; // a 1 MiB payload inside a preview request, with room to spare
const endpointFields = ['name', 'destination_url', 'events', 'template', 'templates', 'secret'];
const changeableFields = ['name', 'destination_url', 'events', 'template', 'templates', 'active'];

const invalid = (field, reason, extra = {}) => problem(400, 'request_invalid', reason, { field, ...extra });

function authorized(request, env) {
  const header = request.headers.get('authorization') ?? '';
  const token = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
  return token.length > 0 && sameSecret(token, env.ADMIN_TOKEN);
}

// Reads a JSON object body; returns [value] or [null, response].
async function readObject(request, { optional = false } = {}) {
  const bytes = await readLimited(request, maxRequestBytes);
  if (bytes === null) return [null, problem(413, 'body_too_large', `request is over ${maxRequestBytes} bytes`)];
  const text = new TextDecoder().decode(bytes);
  if (optional && text.trim() === '') return [{}];
  let value;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return [null, problem(400, 'body_not_json', `request body is not JSON: ${error.message}`)];
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return [null, invalid(null, 'request body must be a JSON object')];
  }
  return [value];
}

// Checks a destination: an http(s) URL without credentials; plain http only to this machine (the local
// Discord stand-in). Returns a reason, or null when it is fine.
function destinationFault(value) {
  if (typeof value !== 'string' || value.length === 0) return 'destination_url must be a URL string';
  if (value.length > 2048) return 'destination_url is longer than 2048 characters';
  let url;
  try {
    url = new URL(value);
  } catch {
    return 'destination_url is not a URL';
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    return 'destination_url must be https (plain http only to localhost)';
  }
  if (url.username || url.password) return 'destination_url must not carry a user name or password';
  return null;
}

function secretFault(value) {
  if (typeof value !== 'string' || !/^[\x21-\x7e]{16,256}$/.test(value)) {
    return 'secret must be 16 to 256 printable ASCII characters without spaces';
  }
  return null;
}

// Checks name, destination and secret here and the event selection and templates in the core. Returns a
// 400 response naming the field, or null.
function endpointFault(core, endpoint) {
  if (typeof endpoint.name !== 'string' || endpoint.name.trim() === '' || endpoint.name.length > 100) {
    return invalid('name', 'name must be a non-empty string of at most 100 characters');
  }
  const destination = destinationFault(endpoint.destination_url);
  if (destination) return invalid('destination_url', destination);
  const secret = secretFault(endpoint.secret);
  if (secret) return invalid('secret', secret);
  if (endpoint.events === undefined) return invalid('events', 'events is required: {mode:"push"|"all"|"custom", custom?:[keys]}');
  const checked = core.checkEndpoint(coreSettings(endpoint));
  if (checked.code === 'valid') return null;
  // The core's reason starts with the member at fault, "endpoint.events.mode …".
  let reason = checked.reason.replace(/^endpoint\./, '');
  if (endpoint.template !== null && endpoint.template !== undefined) reason = reason.replace(/^templates\["default"\]/, 'template');
  const field = /^[a-z_]+/.exec(reason)?.[0] ?? null;
  const position = checked.line === undefined ? {} : { line: checked.line, column: checked.column };
  return invalid(field, reason, position);
}

function unknownField(body, allowed) {
  const unknown = Object.keys(body).find((key) => !allowed.includes(key));
  return unknown === undefined ? null : invalid(unknown, `unknown field "${unknown}"; expected ${allowed.join(', ')}`);
}

function baseUrl(request, env) {
  const configured = (env.PUBLIC_BASE_URL ?? '').replace(/\/+$/, '');
  return configured === '' ? new URL(request.url).origin : configured;
}

// An endpoint as the API shows it: never the secret, the destination masked (its token is a credential).
function endpointView(endpoint, base) {
  const view = {
    id: endpoint.id,
    name: endpoint.name,
    url: `${base}/hooks/${endpoint.id}`,
    destination_url: maskDestination(endpoint.destination_url),
    destination_status: endpoint.destination_status ?? 'ok',
    events: endpoint.events,
    active: endpoint.active !== false,
  };
  if (endpoint.destination_error) view.destination_error = endpoint.destination_error;
  if (endpoint.template !== null && endpoint.template !== undefined) view.template = endpoint.template;
  if (endpoint.templates !== null && endpoint.templates !== undefined) view.templates = endpoint.templates;
  view.created_at = isoTime(endpoint.created_at);
  view.updated_at = isoTime(endpoint.updated_at);
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

function deliveryView(row, full) {
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
  };
  if (!full) return view;
  return {
    ...view,
    message: parseMaybeJson(row.message),
    response: parseMaybeJson(row.response_body),
    attempt_log: parseMaybeJson(row.attempt_log) ?? [],
    body_kept: row.body_bytes !== null,
    body_bytes: row.body_bytes,
  };
}

async function createEndpoint(request, env, core) {
  const [body, fault] = await readObject(request);
  if (fault) return fault;
  const unknown = unknownField(body, endpointFields);
  if (unknown) return unknown;
  const endpoint = {
    id: randomToken(12),
    name: body.name,
    secret: body.secret ?? randomToken(32),
    events: body.events,
    template: body.template ?? null,
    templates: body.templates ?? null,
    destination_url: body.destination_url,
    destination_status: 'ok',
    active: true,
  };
  const bad = endpointFault(core, endpoint);
  if (bad) return bad;
  const now = Date.now();
  await insertEndpoint(env.DB, endpoint, now);
  logEvent('endpoint_created', { endpoint: endpoint.id });
  const view = endpointView({ ...endpoint, created_at: now, updated_at: now }, baseUrl(request, env));
  return json(201, { ...view, secret: endpoint.secret }, { location: `/api/endpoints/${endpoint.id}` });
}

async function changeEndpoint(request, env, core, endpoint) {
  const [body, fault] = await readObject(request);
  if (fault) return fault;
  const unknown = unknownField(body, changeableFields);
  if (unknown) return unknown;
  if ('active' in body && typeof body.active !== 'boolean') return invalid('active', 'active must be true or false');
  const changed = { ...endpoint, ...body };
  if (body.destination_url !== undefined && body.destination_url !== endpoint.destination_url) {
    // A new destination gets a fresh start.
    changed.destination_status = 'ok';
    changed.destination_error = null;
  }
  const bad = endpointFault(core, changed);
  if (bad) return bad;
  const now = Date.now();
  await saveEndpoint(env.DB, changed, now);
  logEvent('endpoint_changed', { endpoint: endpoint.id, fields: Object.keys(body) });
  return json(200, endpointView({ ...changed, updated_at: now }, baseUrl(request, env)));
}

async function rotateSecret(request, env, endpoint) {
  const [body, fault] = await readObject(request, { optional: true });
  if (fault) return fault;
  const unknown = unknownField(body, ['secret']);
  if (unknown) return unknown;
  const secret = body.secret ?? randomToken(32);
  const bad = secretFault(secret);
  if (bad) return invalid('secret', bad);
  await saveEndpoint(env.DB, { ...endpoint, secret }, Date.now());
  logEvent('secret_rotated', { endpoint: endpoint.id });
  return json(200, { id: endpoint.id, secret });
}

async function redeliver(request, env, core, id) {
  const recorded = await getDeliveryBody(env.DB, id);
  if (!recorded) return problem(404, 'not_found', `no delivery ${id}`);
  if (recorded.verdict !== 'deliver') {
    return problem(409, 'not_redeliverable', `delivery ${id} was ${recorded.verdict === 'reject' ? 'refused' : 'ignored'}; only accepted deliveries can be sent again`);
  }
  if (recorded.body === null) {
    return problem(410, 'body_expired', 'the raw body is kept for RETENTION_DAYS days and this one is gone');
  }
  const endpoint = await getEndpoint(env.DB, recorded.endpoint_id);
  if (!endpoint.active) return problem(409, 'endpoint_inactive', 'the endpoint is disconnected; set active to true first');
  const body = new Uint8Array(recorded.body);
  const outcome = core.redeliver(coreSettings(endpoint), recorded.event, body);
  if (outcome.verdict !== 'deliver') return problem(409, outcome.code, outcome.reason);
  const now = Date.now();
  const { id: newId } = await recordRequest(env.DB, {
    id: crypto.randomUUID(), endpoint_id: endpoint.id, event: recorded.event, verdict: 'deliver', code: outcome.code,
    reason: `redelivery of ${id}: ${outcome.reason}`, answered: 202, status: 'pending', next_attempt_at: now,
    message: outcome.message, body, redelivery_of: id, received_at: now,
  });
  await enqueue(env, newId);
  logEvent('redelivery', { endpoint: endpoint.id, delivery: newId, of: id });
  return json(202, { status: 'accepted', delivery: newId, redelivery_of: id });
}

async function preview(request, core) {
  const body = await readLimited(request, maxRequestBytes);
  if (body === null) return problem(413, 'body_too_large', `request is over ${maxRequestBytes} bytes`);
  const answer = core.previewRequest(body);
  return answer.code === 'rendered' ? json(200, answer.message) : json(400, answer);
}

function deliveryLimit(url) {
  const given = url.searchParams.get('limit');
  if (given === null) return 50;
  const limit = Number(given);
  return Number.isInteger(limit) && limit >= 1 && limit <= 500 ? limit : null;
}

// The routes: [pattern, {METHOD: handler(request, env, core, params, url)}].
const routes = [
  [/^\/api\/events$/, { GET: (request, env, core) => json(200, core.events()) }],
  [/^\/api\/preview$/, { POST: (request, env, core) => preview(request, core) }],
  [/^\/api\/endpoints$/, {
    GET: async (request, env) => {
      const base = baseUrl(request, env);
      return json(200, (await listEndpoints(env.DB)).map((endpoint) => endpointView(endpoint, base)));
    },
    POST: (request, env, core) => createEndpoint(request, env, core),
  }],
  [/^\/api\/endpoints\/([^/]+)$/, {
    GET: (request, env, core, endpoint) => json(200, endpointView(endpoint, baseUrl(request, env))),
    PATCH: (request, env, core, endpoint) => changeEndpoint(request, env, core, endpoint),
    DELETE: async (request, env, core, endpoint) => {
      await deleteEndpoint(env.DB, endpoint.id);
      logEvent('endpoint_deleted', { endpoint: endpoint.id });
      return new Response(null, { status: 204 });
    },
  }, 'endpoint'],
  [/^\/api\/endpoints\/([^/]+)\/secret$/, {
    POST: (request, env, core, endpoint) => rotateSecret(request, env, endpoint),
  }, 'endpoint'],
  [/^\/api\/endpoints\/([^/]+)\/deliveries$/, {
    GET: async (request, env, core, endpoint, url) => {
      const limit = deliveryLimit(url);
      if (limit === null) return invalid('limit', 'limit must be an integer from 1 to 500');
      return json(200, (await listDeliveries(env.DB, endpoint.id, limit)).map((row) => deliveryView(row, false)));
    },
  }, 'endpoint'],
  [/^\/api\/deliveries\/([^/]+)$/, {
    GET: async (request, env, core, id) => {
      const row = await getDelivery(env.DB, id);
      return row ? json(200, deliveryView(row, true)) : problem(404, 'not_found', `no delivery ${id}`);
    },
  }],
  [/^\/api\/deliveries\/([^/]+)\/redeliver$/, {
    POST: (request, env, core, id) => redeliver(request, env, core, id),
  }],
];

export async function adminApi(request, env, core, url) {
  const route = routes.find(([pattern]) => pattern.test(url.pathname));
  if (!route) return problem(404, 'not_found', `no route ${url.pathname}`);
  const [pattern, methods, loads] = route;
  const handler = methods[request.method];
  if (!handler) return methodNotAllowed(Object.keys(methods));
  if (typeof env.ADMIN_TOKEN !== 'string' || env.ADMIN_TOKEN.length < 16) {
    // Misconfiguration is loud: no admin API without a real token.
    return problem(500, 'misconfigured', 'ADMIN_TOKEN is not set (or shorter than 16 characters)');
  }
  if (!authorized(request, env)) {
    return problem(401, 'unauthorized', 'Authorization: Bearer <ADMIN_TOKEN> is missing or wrong');
  }
  let id;
  try {
    id = decodeURIComponent(pattern.exec(url.pathname)[1] ?? '');
  } catch {
    return problem(404, 'not_found', `no route ${url.pathname}`);
  }
  let param = id;
  if (loads === 'endpoint') {
    param = await getEndpoint(env.DB, id);
    if (!param) return problem(404, 'not_found', `no endpoint ${id}`);
  }
  return handler(request, env, await core(), param, url);
}
