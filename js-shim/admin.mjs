// The admin API (docs/architecture.md, "Contracts"; README, "Admin API"): endpoints and sources, their secrets and delivery logs, redelivery, the
// Bitbucket connections, the event catalogue and the preview. Every call needs `Authorization: Bearer
// $ADMIN_TOKEN` or the Sources page's session (session.mjs).

import { BitbucketError, bitbucketConfig } from './bitbucket.mjs';
import { connectFault, connectionsApi } from './connections.mjs';
import { enqueue, logEvent } from './deliver.mjs';
import { destinationRefusal, localDestinationsAllowed } from './shared/destination.mjs';
import { isoTime, json, methodNotAllowed, problem, randomToken, readLimited } from './http.mjs';
import { brokenDestination, maskDestination } from './policy.mjs';
import { coreSettings, messageTitle, receive } from './hooks.mjs';
import { adminTokenFault, authorize, revokeSessions, sessionApi } from './session.mjs';
import {
  manualSteps, registerHook, removeHook, rotationGraceSeconds, sampleDelivery, sourceFault, updateHook,
} from './sources.mjs';
import {
  deleteEndpoint, dueNow, findTwinSource, getDelivery, getDeliveryBody, getEndpoint, insertEndpoint, listDeliveries, listEndpoints,
  listUnsent, listedAt, recordRequest, updateEndpoint,
} from './store.mjs';

const maxRequestBytes = 2 * 1024 * 1024; // a 1 MiB payload inside a preview request, with room to spare
const endpointFields = ['name', 'destination_url', 'events', 'template', 'templates', 'filters', 'threads', 'secret'];
const changeableFields = ['name', 'destination_url', 'events', 'template', 'templates', 'filters', 'threads', 'active',
  'destination_status'];
// The members of the fields that are objects of known shape; any other member is refused by its path.
const nestedFields = { events: ['mode', 'custom'], source: ['connection', 'repository'] };
// Deeper than any message template needs; a deeper body is refused before anything walks it recursively.
const maxRequestDepth = 64;
const endpointWriteAttempts = 5;
// The most deliveries offered again at once after a broken destination is resumed.
const maxUnsent = 100;

const invalid = (field, reason, extra = {}) => problem(400, 'request_invalid', reason, { field, ...extra });

// Reads a JSON object body; returns [value, null, bytes] or [null, response].
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
  const deep = tooDeep(value);
  if (deep !== undefined) {
    return [null, problem(400, 'body_too_deep', `${deep} nests deeper than ${maxRequestDepth} levels`, { field: deep })];
  }
  return [value, null, bytes];
}

// Returns the member of `body` that nests deeper than maxRequestDepth, or undefined. Walks with a stack of
// its own, so a body of 100,000 nested arrays costs no call stack.
function tooDeep(body) {
  const stack = Object.entries(body).map(([field, value]) => [value, 1, field]);
  while (stack.length > 0) {
    const [value, depth, field] = stack.pop();
    if (value === null || typeof value !== 'object') continue;
    if (depth > maxRequestDepth) return field;
    for (const member of Object.values(value)) stack.push([member, depth + 1, field]);
  }
  return undefined;
}

function secretFault(value) {
  if (typeof value !== 'string' || !/^[\x21-\x7e]{16,256}$/.test(value)) {
    return 'secret must be 16 to 256 printable ASCII characters without spaces';
  }
  return null;
}

// Checks name, destination and secret here and the event selection and templates in the core. Returns a
// 400 response naming the field, or null.
// `request` is the bytes of the request the settings came in: the core places a template's fault there.
function endpointFault(core, endpoint, env, request) {
  if (typeof endpoint.name !== 'string' || endpoint.name.trim() === '' || endpoint.name.length > 100) {
    return invalid('name', 'name must be a non-empty string of at most 100 characters');
  }
  // The one rule the pages use too (shared/destination.mjs).
  const destination = destinationRefusal(endpoint.destination_url, env);
  if (destination) return invalid('destination_url', destination);
  const secret = secretFault(endpoint.secret);
  if (secret) return invalid('secret', secret);
  if (endpoint.events === undefined) return invalid('events', 'events is required: {mode:"push"|"all"|"custom", custom?:[keys]}');
  const checked = core.checkEndpoint(coreSettings(endpoint), request);
  if (checked.code === 'valid') return null;
  // The core names the member at fault, and its reason starts with it: "events.mode …".
  const position = checked.line === undefined ? {} : { line: checked.line, column: checked.column };
  return invalid(checked.field ?? null, checked.reason, position);
}

// How threads are stored: "off" is the same as none.
const storedThreads = (value) => (value === 'off' ? null : value ?? null);

function unknownField(body, allowed) {
  const unknown = Object.keys(body).find((key) => !allowed.includes(key));
  if (unknown !== undefined) {
    const expected = allowed.length === 0 ? 'this call takes no fields (send no body, or {})' : `expected ${allowed.join(', ')}`;
    return invalid(unknown, `unknown field "${unknown}"; ${expected}`);
  }
  for (const [name, members] of Object.entries(nestedFields)) {
    const value = body[name];
    if (!allowed.includes(name) || value === null || typeof value !== 'object' || Array.isArray(value)) continue;
    const extra = Object.keys(value).find((key) => !members.includes(key));
    if (extra !== undefined) return invalid(`${name}.${extra}`, `unknown field "${name}.${extra}"; expected ${members.join(', ')}`);
  }
  return null;
}

export function baseUrl(request, env) {
  const configured = (env.PUBLIC_BASE_URL ?? '').trim().replace(/\/+$/, '');
  return configured === '' ? new URL(request.url).origin : configured;
}

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

// An endpoint as the API shows it: never the secret, the destination masked (its token is a credential).
function endpointView(endpoint, base, env) {
  const view = {
    id: endpoint.id,
    name: endpoint.name,
    url: `${base}/hooks/${endpoint.id}`,
    destination_url: endpoint.destination_masked ?? maskDestination(endpoint.destination_url),
    destination_status: endpoint.destination_status ?? 'ok',
    events: endpoint.events,
    active: endpoint.active !== false,
  };
  if (endpoint.destination_error) view.destination_error = endpoint.destination_error;
  if (endpoint.template !== null && endpoint.template !== undefined) view.template = endpoint.template;
  if (endpoint.templates !== null && endpoint.templates !== undefined) view.templates = endpoint.templates;
  view.filters = endpoint.filters ?? null;
  view.threads = endpoint.threads ?? null;
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

// What a saved template may get wrong without being invalid: names no sample payload of its events has, or
// that say nothing for some of them (a push template under mode "all"). Returns {warnings:[…]} when there are
// any, checked against the samples the pages use; {} otherwise, or when the samples cannot be read.
async function templateWarnings(request, env, core, endpoint) {
  if ((endpoint.template ?? null) === null && (endpoint.templates ?? null) === null) return {};
  try {
    const samples = await (await env.ASSETS.fetch(new URL('/samples.json', request.url))).json();
    const answer = core.templateWarnings(endpoint, samples.map(({ event, body }) => ({ event, body })));
    return answer.warnings?.length ? { warnings: answer.warnings } : {};
  } catch (error) {
    logEvent('template_warnings_failed', { endpoint: endpoint.id, error: String(error?.message ?? error) });
    return {};
  }
}

// Runs `work` (registering, changing or removing a hook) and turns Bitbucket's refusal into the answer.
async function withBitbucket(work) {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof BitbucketError)) throw error;
    return bitbucketProblem(error);
  }
}

export function bitbucketProblem(error) {
  const headers = error.extra?.retry_after ? { 'retry-after': String(error.extra.retry_after) } : {};
  return json(error.status, { code: error.code, reason: error.message, ...error.extra }, headers);
}

const hexSecret = () => Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => b.toString(16).padStart(2, '0')).join('');

async function createEndpoint(request, env, core) {
  const [body, fault, bytes] = await readObject(request);
  if (fault) return fault;
  const unknown = unknownField(body, [...endpointFields, 'source']);
  if (unknown) return unknown;
  const isSource = body.source !== undefined;
  if (isSource) {
    const why = await sourceFault(env, body.source);
    if (why) return invalid('source', why);
    const notReady = connectFault(env);
    if (notReady) return problem(409, 'bitbucket_not_configured', `connecting Bitbucket is not configured: ${notReady}`);
    if (body.secret !== undefined) return invalid('secret', 'a source\'s secret is generated by dispatch and given to Bitbucket; leave it out');
    // The same repository into the same channel twice would post every event twice.
    const twin = await findTwinSource(env, body.source.repository, body.destination_url);
    if (twin) {
      return problem(409, 'source_exists', `${body.source.repository} already posts to this destination (source ${twin}); change that source's events instead`, { endpoint: twin });
    }
  }
  const endpoint = {
    id: randomToken(12),
    name: body.name ?? (isSource ? body.source.repository : undefined),
    // A source gets 32 random bytes, hex; a hand-made endpoint may bring its own.
    secret: body.secret ?? (isSource ? hexSecret() : randomToken(32)),
    events: body.events,
    template: body.template ?? null,
    templates: body.templates ?? null,
    filters: body.filters ?? null,
    threads: body.threads ?? null,
    destination_url: body.destination_url,
    destination_status: 'ok',
    active: true,
  };
  const bad = endpointFault(core, endpoint, env, bytes);
  if (bad) return bad;
  endpoint.threads = storedThreads(endpoint.threads);
  if (isSource) {
    Object.assign(endpoint, {
      provider: 'bitbucket', connection_id: body.source.connection, repository: body.source.repository,
      source_status: 'registering',
    });
  }
  const now = Date.now();
  const base = baseUrl(request, env);
  await insertEndpoint(env, endpoint, now);
  if (isSource) {
    try {
      const registered = { ...await registerHook(env, endpoint, base, core.events()), source_status: 'registered' };
      Object.assign(endpoint, registered);
      await updateEndpoint(env, endpoint.id, null, registered, now);
    } catch (error) {
      // Nothing is left behind when Bitbucket refuses: the endpoint goes again.
      await deleteEndpoint(env.DB, endpoint.id);
      logEvent('source_refused', { endpoint: endpoint.id, code: error?.code ?? 'error' });
      if (error instanceof BitbucketError) return bitbucketProblem(error);
      throw error;
    }
  }
  logEvent('endpoint_created', { endpoint: endpoint.id, source: isSource });
  const view = endpointView({ ...endpoint, created_at: now, updated_at: now }, base, env);
  const warnings = await templateWarnings(request, env, core, endpoint);
  return json(201, { ...view, secret: endpoint.secret, ...warnings }, { location: `/api/endpoints/${endpoint.id}` });
}

// PATCH reads its body before it loads the endpoint, and writes only the columns it changes, on the version
// it checked them against. When another write lands in between (a rotation, another PATCH) it loads the
// endpoint again, checks again and writes again, a few times, then answers 409. A PATCH says "set these
// fields", so applying it to the newer row is what the caller asked for; a 409 only for a row that keeps
// changing under it.
async function changeEndpoint(request, env, core, { id }) {
  const [body, fault, bytes] = await readObject(request);
  if (fault) return fault;
  const unknown = unknownField(body, changeableFields);
  if (unknown) return unknown;
  if ('active' in body && typeof body.active !== 'boolean') return invalid('active', 'active must be true or false');
  if ('destination_status' in body && body.destination_status !== 'ok') {
    return invalid('destination_status', 'destination_status can only be set to "ok", to clear a destination marked broken (dispatch marks it broken itself after a 404 or 401 from it)');
  }
  const base = baseUrl(request, env);
  for (let attempt = 0; attempt < endpointWriteAttempts; attempt += 1) {
    const endpoint = await getEndpoint(env, id);
    if (!endpoint) return problem(404, 'not_found', `no endpoint ${id}`);
    if ('active' in body && endpoint.provider) {
      return invalid('active', 'a source is disconnected with POST /api/endpoints/{id}/disconnect (which also removes its hook), and connected again by creating a new source');
    }
    const changes = { ...body };
    if ('threads' in changes) changes.threads = storedThreads(changes.threads);
    // A destination saved gets a fresh start, the same one saved again included (the page's Settings: "it works
    // again"); so does the current one when the caller says it works again.
    if (body.destination_url !== undefined || 'destination_status' in body) {
      changes.destination_status = 'ok';
      changes.destination_error = null;
    }
    const changed = { ...endpoint, ...changes };
    // The core checks threads as they were sent ("off" included); they are stored without "off".
    const bad = endpointFault(core, 'threads' in body ? { ...changed, threads: body.threads } : changed, env, bytes);
    if (bad) return bad;
    const hookChanges = body.events !== undefined || (body.name !== undefined && body.name !== endpoint.name);
    if (endpoint.provider && endpoint.active && endpoint.hook_uuid && hookChanges) {
      // Bitbucket first: if it refuses, nothing changes here either.
      const refused = await withBitbucket(async () => updateHook(env, changed, base, core.events()));
      if (refused) return refused;
    }
    const now = Date.now();
    if (await updateEndpoint(env, id, endpoint.version, changes, now)) {
      logEvent('endpoint_changed', { endpoint: id, fields: Object.keys(body) });
      const warnings = body.template !== undefined || body.templates !== undefined || body.events !== undefined
        ? await templateWarnings(request, env, core, changed) : {};
      return json(200, { ...endpointView({ ...changed, updated_at: now }, base, env), ...warnings });
    }
  }
  return problem(409, 'endpoint_changed', 'the endpoint kept changing while this request was applied; read it again and retry');
}

// Rotation, like PATCH, reads its body first and writes only the secret columns, on the version it read.
async function rotateSecret(request, env, core, { id, provider }) {
  const [body, fault] = await readObject(request, { optional: true });
  if (fault) return fault;
  const unknown = unknownField(body, ['secret']);
  if (unknown) return unknown;
  const secret = body.secret ?? (provider ? hexSecret() : randomToken(32));
  const bad = secretFault(secret);
  if (bad) return invalid('secret', bad);
  for (let attempt = 0; attempt < endpointWriteAttempts; attempt += 1) {
    const endpoint = await getEndpoint(env, id);
    if (!endpoint) return problem(404, 'not_found', `no endpoint ${id}`);
    const now = Date.now();
    if (!endpoint.provider || !endpoint.active || !endpoint.hook_uuid) {
      // A hand-made endpoint's old secret stops at once: the person rotating it may be shutting out a leak.
      if (!(await updateEndpoint(env, id, endpoint.version, { secret, previous_secret: null, previous_secret_until: null }, now))) continue;
      logEvent('secret_rotated', { endpoint: id });
      return json(200, { id, secret });
    }
    // Both secrets verify before Bitbucket hears of the new one, so no delivery in flight is refused.
    const until = now + rotationGraceSeconds(env) * 1000;
    const rotation = { secret, previous_secret: endpoint.secret, previous_secret_until: until };
    if (!(await updateEndpoint(env, id, endpoint.version, rotation, now))) continue;
    const refused = await withBitbucket(async () => updateHook(env, { ...endpoint, ...rotation }, baseUrl(request, env), core.events(), { withSecret: true }));
    if (refused) {
      // Undone only if nothing else was written since.
      await updateEndpoint(env, id, endpoint.version + 1, {
        secret: endpoint.secret, previous_secret: endpoint.previous_secret, previous_secret_until: endpoint.previous_secret_until,
      }, Date.now());
      return refused;
    }
    logEvent('secret_rotated', { endpoint: id, source: true });
    return json(200, { id, secret, previous_valid_until: isoTime(until) });
  }
  return problem(409, 'endpoint_changed', 'the endpoint kept changing while the secret was rotated; try again');
}

// Disconnecting writes only the columns it decides, whatever else changed meanwhile, so it needs no version.
async function disconnect(request, env, endpoint) {
  const refused = await noFields(request);
  if (refused) return refused;
  const now = Date.now();
  if (!endpoint.provider) {
    await updateEndpoint(env, endpoint.id, null, { active: false }, now);
    logEvent('endpoint_disconnected', { endpoint: endpoint.id });
    return json(200, { id: endpoint.id, active: false });
  }
  const base = baseUrl(request, env);
  // A hook already removed stays removed; one left behind is tried again.
  const outcome = endpoint.source_status === 'removed' ? { status: 'removed' } : await removeHook(env, endpoint, base);
  await updateEndpoint(env, endpoint.id, null, {
    active: false, source_status: outcome.status, source_error: outcome.reason ?? null, previous_secret: null, previous_secret_until: null,
  }, now);
  logEvent('source_disconnected', { endpoint: endpoint.id, hook: outcome.status });
  return json(200, { id: endpoint.id, active: false, source: outcome });
}

async function sendTestEvent(request, env, core, endpoint) {
  const [body, fault] = await readObject(request);
  if (fault) return fault;
  const unknown = unknownField(body, ['event']);
  if (unknown) return unknown;
  const catalogue = (await core()).events();
  if (!catalogue.some((entry) => entry.key === body.event)) {
    return invalid('event', `event must be one of the catalogue's keys (GET /api/events), not ${JSON.stringify(body.event)}`);
  }
  if (!endpoint.active) return problem(409, 'endpoint_inactive', 'the endpoint is disconnected: Bitbucket would get 410');
  // Said before anything is recorded: a test accepted here would only fail unsent.
  if (endpoint.destination_status === 'broken') return problem(409, 'destination_broken', brokenDestination(endpoint.destination_error));
  const samples = await (await env.ASSETS.fetch(new URL('/samples.json', request.url))).json();
  const sample = await sampleDelivery(samples, endpoint, body.event);
  const signed = new Request(`${new URL(request.url).origin}/hooks/${endpoint.id}`, { method: 'POST', headers: sample.headers, body: sample.body });
  const answered = await receive(signed, env, core, endpoint.id, { test: true });
  const answer = await answered.json();
  logEvent('test_event', { endpoint: endpoint.id, key: body.event, answered: answered.status });
  const result = { event: body.event, answered: answered.status, status: answer.status };
  if (answer.delivery) result.delivery = answer.delivery;
  if (answer.code) result.code = answer.code;
  if (answer.reason) result.reason = answer.reason;
  return json(200, result);
}

// What failed since the endpoint's last message got through and was not sent again (store.listUnsent), as
// the delivery log shows it: what a page offers to redeliver once a broken destination works again.
async function unsent(env, endpoint) {
  return (await listUnsent(env.DB, endpoint.id, maxUnsent)).map((row) => deliveryView(row, false));
}

// POST /api/endpoints/{id}/resume: the destination works again. Clears the broken mark (as PATCH
// {"destination_status":"ok"} does) and answers the endpoint with `unsent`, the deliveries to offer again.
async function resume(request, env, { id }) {
  const refused = await noFields(request);
  if (refused) return refused;
  for (let attempt = 0; attempt < endpointWriteAttempts; attempt += 1) {
    const endpoint = await getEndpoint(env, id);
    if (!endpoint) return problem(404, 'not_found', `no endpoint ${id}`);
    const changes = { destination_status: 'ok', destination_error: null };
    const now = Date.now();
    if (endpoint.destination_status !== 'broken' || await updateEndpoint(env, id, endpoint.version, changes, now)) {
      if (endpoint.destination_status === 'broken') logEvent('destination_resumed', { endpoint: id });
      const view = endpointView({ ...endpoint, ...changes, updated_at: now }, baseUrl(request, env), env);
      return json(200, { ...view, unsent: await unsent(env, endpoint) });
    }
  }
  return problem(409, 'endpoint_changed', 'the endpoint kept changing while it was resumed; read it again and retry');
}

// Reads the body of a call that takes no fields: none, or {}. Returns the refusal, or null.
async function noFields(request) {
  const [body, fault] = await readObject(request, { optional: true });
  return fault ?? unknownField(body, []);
}

async function redeliver(request, env, core, id) {
  const refused = await noFields(request);
  if (refused) return refused;
  const recorded = await getDeliveryBody(env.DB, id);
  if (!recorded) return problem(404, 'not_found', `no delivery ${id}`);
  if (recorded.verdict !== 'deliver') {
    return problem(409, 'not_redeliverable', `delivery ${id} was ${recorded.verdict === 'reject' ? 'refused' : 'ignored'}; only accepted deliveries can be sent again`);
  }
  if (recorded.body === null) {
    return problem(410, 'body_expired', 'the raw body is kept for RETENTION_DAYS days and this one is gone');
  }
  const endpoint = await getEndpoint(env, recorded.endpoint_id);
  if (!endpoint.active) return problem(409, 'endpoint_inactive', 'the endpoint is disconnected; set active to true first');
  if (endpoint.destination_status === 'broken') {
    return problem(409, 'destination_broken', brokenDestination(endpoint.destination_error));
  }
  const refusal = destinationRefusal(endpoint.destination_url, env);
  if (refusal) return problem(409, 'destination_refused', `${refusal}; change destination_url first`);
  const body = new Uint8Array(recorded.body);
  // The endpoint's current selection, filters and templates apply to the recorded body.
  const outcome = core.redeliver(coreSettings(endpoint), recorded.event, body);
  if (outcome.verdict !== 'deliver') return problem(409, outcome.code, outcome.reason);
  const now = Date.now();
  const { id: newId } = await recordRequest(env.DB, {
    id: crypto.randomUUID(), endpoint_id: endpoint.id, event: recorded.event, verdict: 'deliver', code: outcome.code,
    reason: `redelivery of ${id}: ${outcome.reason}`, answered: 202, status: 'pending', next_attempt_at: now,
    message: outcome.message, body, redelivery_of: id, received_at: now, title: messageTitle(outcome.message),
    thread: outcome.thread,
  });
  await enqueue(env, newId);
  logEvent('redelivery', { endpoint: endpoint.id, delivery: newId, of: id });
  return json(202, { status: 'accepted', delivery: newId, redelivery_of: id });
}

// POST /api/preview answers the message itself (the contract); what Discord's limits cut is counted in
// X-Dispatch-Cuts, and `?answer=full` gives the core's whole answer {code, message, cuts?, budget}.
async function preview(request, core, url) {
  const body = await readLimited(request, maxRequestBytes);
  if (body === null) return problem(413, 'body_too_large', `request is over ${maxRequestBytes} bytes`);
  const answer = core.previewRequest(body);
  if (answer.code !== 'rendered') return json(400, answer);
  if (url.searchParams.get('answer') === 'full') return json(200, answer);
  return json(200, answer.message, { 'x-dispatch-cuts': String(answer.cuts?.length ?? 0) });
}

// The `limit` and `cursor` of a paged list: {limit, at} (`fallback` when no limit is given; `at`: the cursor's
// {time, id}, or null for the first page), or {refused}: a limit that is not a whole number from 1 to 500, or a
// cursor this API did not give.
function pageQuery(url, fallback) {
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

const deliveryStatuses = ['pending', 'sending', 'delivered', 'failed', 'ignored', 'rejected'];
// A cursor is a row's place in its list's order: {time, id} (a delivery's latest request, store.listedAt; an
// endpoint's created_at).
const writeCursor = ({ time, id }) => btoa(`${time}.${id}`).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');

function readCursor(text) {
  try {
    const [at, ...id] = atob(text.replaceAll('-', '+').replaceAll('_', '/')).split('.');
    const time = Number(at);
    return Number.isInteger(time) && id.length > 0 ? { time, id: id.join('.') } : null;
  } catch {
    return null;
  }
}

// GET /api/endpoints/{id}/deliveries?limit&cursor&status&event: a page of the log, newest first; the next
// page's cursor in `Link: <…>; rel="next"` and `X-Next-Cursor` (the body stays a plain array).
async function deliveryPage(env, endpoint, url) {
  const { limit, at, refused } = pageQuery(url, 50);
  if (refused) return refused;
  const before = at && { at: at.time, id: at.id };
  const status = url.searchParams.get('status') || null;
  if (status !== null && !deliveryStatuses.includes(status)) {
    return invalid('status', `status must be one of ${deliveryStatuses.join(', ')}`);
  }
  const event = url.searchParams.get('event') || null;
  if (event !== null && event.length > 200) return invalid('event', 'event is longer than 200 characters');
  const { rows, more } = await listDeliveries(env.DB, endpoint.id, { limit, before, status, event });
  const last = rows.at(-1);
  return json(200, rows.map((row) => deliveryView(row, false)), more ? nextPage(url, { time: listedAt(last), id: last.id }) : {});
}

// GET /api/endpoints?limit&cursor: a page of endpoints in the order they were made (N from 1 to 500, default
// 100), without their templates (GET /api/endpoints/{id} has them); the next page's cursor in
// `Link: <…>; rel="next"` and `X-Next-Cursor`, as for deliveries (the body stays a plain array).
async function endpointList(request, env, url) {
  const { limit, at, refused } = pageQuery(url, 100);
  if (refused) return refused;
  const { rows, more } = await listEndpoints(env.DB, { limit, after: at && { created_at: at.time, id: at.id } });
  const base = baseUrl(request, env);
  const last = rows.at(-1);
  const headers = more ? nextPage(url, { time: last.created_at, id: last.id }) : {};
  return json(200, rows.map((endpoint) => {
    const { template, templates, ...view } = endpointView(endpoint, base, env);
    return view;
  }), headers);
}

// The headers that point at the page after the row at `place` ({time, id}): `Link: <…>; rel="next"` and
// `X-Next-Cursor`.
function nextPage(url, place) {
  const cursor = writeCursor(place);
  const next = new URL(url);
  next.searchParams.set('cursor', cursor);
  return { link: `<${next.pathname}${next.search}>; rel="next"`, 'x-next-cursor': cursor };
}

// The routes: [pattern, {METHOD: handler(request, env, core, param, url)}, loads?]. `core` is the loaded core,
// except for handlers marked `lazyCore`, which get the function that loads it (the receive path's way).
/** @type {Array<[RegExp, Record<string, Function>, string?, string?]>} */
const routes = [
  [/^\/api\/events$/, { GET: (request, env, core) => json(200, core.events()) }],
  [/^\/api\/preview$/, { POST: (request, env, core, param, url) => preview(request, core, url) }],
  [/^\/api\/endpoints$/, {
    GET: (request, env, core, param, url) => endpointList(request, env, url),
    POST: (request, env, core) => createEndpoint(request, env, core),
  }],
  [/^\/api\/endpoints\/([^/]+)$/, {
    GET: async (request, env, core, endpoint) => {
      const { rows: [listed] } = await listEndpoints(env.DB, { id: endpoint.id });
      return json(200, endpointView(listed, baseUrl(request, env), env));
    },
    PATCH: (request, env, core, endpoint) => changeEndpoint(request, env, core, endpoint),
    DELETE: async (request, env, core, endpoint) => {
      if (endpoint.provider && endpoint.active) {
        return problem(409, 'source_connected', 'disconnect the source first (POST /api/endpoints/{id}/disconnect removes its hook from Bitbucket)');
      }
      await deleteEndpoint(env.DB, endpoint.id);
      logEvent('endpoint_deleted', { endpoint: endpoint.id });
      return new Response(null, { status: 204 });
    },
  }, 'endpoint'],
  [/^\/api\/endpoints\/([^/]+)\/secret$/, {
    POST: (request, env, core, endpoint) => rotateSecret(request, env, core, endpoint),
  }, 'endpoint'],
  [/^\/api\/endpoints\/([^/]+)\/disconnect$/, {
    POST: (request, env, core, endpoint) => disconnect(request, env, endpoint),
  }, 'endpoint'],
  [/^\/api\/endpoints\/([^/]+)\/resume$/, {
    POST: (request, env, core, endpoint) => resume(request, env, endpoint),
  }, 'endpoint'],
  [/^\/api\/endpoints\/([^/]+)\/unsent$/, {
    GET: async (request, env, core, endpoint) => json(200, await unsent(env, endpoint)),
  }, 'endpoint'],
  [/^\/api\/endpoints\/([^/]+)\/test$/, {
    POST: (request, env, core, endpoint) => sendTestEvent(request, env, core, endpoint),
  }, 'endpoint', 'lazyCore'],
  [/^\/api\/endpoints\/([^/]+)\/deliveries$/, {
    GET: (request, env, core, endpoint, url) => deliveryPage(env, endpoint, url),
  }, 'endpoint'],
  [/^\/api\/deliveries\/([^/]+)$/, {
    GET: async (request, env, core, id) => {
      const row = await getDelivery(env.DB, id);
      return row ? json(200, deliveryView(row, true)) : problem(404, 'not_found', `no delivery ${id}`);
    },
  }],
  [/^\/api\/deliveries\/([^/]+)\/payload$/, {
    GET: async (request, env, core, id) => {
      const row = await getDeliveryBody(env.DB, id);
      if (!row) return problem(404, 'not_found', `no delivery ${id}`);
      if (row.body === null) {
        return problem(410, 'body_expired', 'this request\'s body was not kept: it was refused or ignored, or RETENTION_DAYS passed');
      }
      return new Response(new Uint8Array(row.body), {
        headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' },
      });
    },
  }],
  [/^\/api\/sessions\/revoke$/, {
    POST: (request, env) => revokeSessions(request, env),
  }, null, 'lazyCore'],
  [/^\/api\/deliveries\/([^/]+)\/redeliver$/, {
    POST: (request, env, core, id) => redeliver(request, env, core, id),
  }],
  [/^\/api\/deliveries\/([^/]+)\/retry$/, {
    POST: async (request, env, core, id) => {
      const refused = await noFields(request);
      if (refused) return refused;
      if (!(await dueNow(env.DB, id, Date.now()))) {
        return problem(409, 'not_waiting', `delivery ${id} is not waiting for a retry (only a pending one can be sent now)`);
      }
      await enqueue(env, id);
      logEvent('retry_now', { delivery: id });
      return json(202, { status: 'pending', delivery: id });
    },
  }],
];

// What the Sources page needs to know of the configuration.
function describe(request, env) {
  const config = bitbucketConfig(env);
  const base = baseUrl(request, env);
  return {
    bitbucket: {
      configured: connectFault(env) === null, fault: connectFault(env), oauth_base: config.oauthBase,
      callback_url: `${base}/oauth/bitbucket/callback`,
    },
    public_base_url: base,
    // The pages check a destination by the same rule as the API: local ones are allowed here or not.
    local_destinations: localDestinationsAllowed(env),
  };
}

export async function adminApi(request, env, core, url) {
  const tokenFault = adminTokenFault(env);
  if (tokenFault) {
    // Misconfiguration is loud: no admin API without a real token.
    return problem(500, 'misconfigured', tokenFault);
  }
  if (url.pathname === '/api/session') return sessionApi(request, env, describe);
  const route = routes.find(([pattern]) => pattern.test(url.pathname));
  const connectionsRoute = url.pathname.startsWith('/api/connections');
  if (!route && !connectionsRoute) return problem(404, 'not_found', `no route ${url.pathname}`);
  const methods = route?.[1];
  if (route && !methods[request.method]) return methodNotAllowed(Object.keys(methods), { path: url.pathname });
  const { refused, session } = await authorize(request, env);
  if (refused) return refused;
  try {
    if (connectionsRoute) {
      return (await connectionsApi(request, env, url, session)) ?? problem(404, 'not_found', `no route ${url.pathname}`);
    }
    const [pattern, , loads, lazy] = route;
    let id;
    try {
      id = decodeURIComponent(pattern.exec(url.pathname)[1] ?? '');
    } catch {
      return problem(404, 'not_found', `no route ${url.pathname}`);
    }
    let param = id;
    if (loads === 'endpoint') {
      param = await getEndpoint(env, id);
      if (!param) return problem(404, 'not_found', `no endpoint ${id}`);
    }
    return await methods[request.method](request, env, lazy ? core : await core(), param, url);
  } catch (error) {
    if (error instanceof BitbucketError) return bitbucketProblem(error);
    throw error;
  }
}
