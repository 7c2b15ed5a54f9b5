// The admin API's delivery log: a page of an endpoint's log, one delivery, its raw payload, and sending one
// again (redeliver: the recorded body through today's settings; retry: a pending one now). Each handler takes
// the route's context (api.mjs) and answers a Response.

import { destinationRefusal } from './shared/destination.mjs';
import { json, problem } from './http.mjs';
import { logEvent } from './log.mjs';
import { enqueue } from './outbox.mjs';
import { brokenDestination } from './policy.mjs';
import { coreSettings, messageTitle } from './receive.mjs';
import { dueNow, getDelivery, getDeliveryBody, listDeliveries, listedAt, recordRequest } from './store.mjs';
import { getEndpoint } from './store-endpoints.mjs';
import { invalid, noFields } from './api-body.mjs';
import { deliveryView, nextPage, pageQuery } from './api-views.mjs';

const deliveryStatuses = ['pending', 'sending', 'delivered', 'failed', 'ignored', 'rejected'];

// GET /api/endpoints/{id}/deliveries?limit&cursor&status&event: a page of the log, newest first; the next
// page's cursor in `Link: <…>; rel="next"` and `X-Next-Cursor` (the body stays a plain array).
export async function deliveryPage({ env, endpoint, url }) {
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

// GET /api/deliveries/{id}: one delivery with its headers, message, answer and attempts.
export async function showDelivery({ env, id }) {
  const row = await getDelivery(env.DB, id);
  return row ? json(200, deliveryView(row, true)) : problem(404, 'not_found', `no delivery ${id}`);
}

// GET /api/deliveries/{id}/payload: the raw body as Bitbucket sent it, while it is kept.
export async function deliveryPayload({ env, id }) {
  const row = await getDeliveryBody(env.DB, id);
  if (!row) return problem(404, 'not_found', `no delivery ${id}`);
  if (row.body === null) {
    return problem(410, 'body_expired', 'this request\'s body was not kept: it was refused or ignored, or RETENTION_DAYS passed');
  }
  return new Response(new Uint8Array(row.body), {
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' },
  });
}

// POST /api/deliveries/{id}/redeliver: the recorded body through the endpoint's current selection, filters
// and templates, as a new delivery.
export async function redeliver({ request, env, loadCore, id }) {
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
  const outcome = (await loadCore()).redeliver(coreSettings(endpoint), recorded.event, body);
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

// POST /api/deliveries/{id}/retry: a delivery waiting for its next attempt, sent now.
export async function retryNow({ request, env, id }) {
  const refused = await noFields(request);
  if (refused) return refused;
  if (!(await dueNow(env.DB, id, Date.now()))) {
    return problem(409, 'not_waiting', `delivery ${id} is not waiting for a retry (only a pending one can be sent now)`);
  }
  await enqueue(env, id);
  logEvent('retry_now', { delivery: id });
  return json(202, { status: 'pending', delivery: id });
}
