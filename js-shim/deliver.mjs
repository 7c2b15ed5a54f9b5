// Delivery: the queue consumer that POSTs each accepted message to its destination, and the outbox sweep
// that re-enqueues what D1 still holds as unsent (a lost queue message, a worker killed mid-POST).

import { decide, deliveryConfig, waitUrl } from './policy.mjs';
import { claim, markDestinationBroken, overdue, purge, settle } from './store.mjs';

const keptAnswerBytes = 4096;
const keptLogEntries = 50;
const keptAnswerInLog = 512; // of each attempt's answer; the last one is kept whole (4 KiB) beside the log

// One line of JSON per event on the console (Workers Logs, `wrangler tail`, the dev terminal). Never
// given a secret, a token or a destination URL.
export function logEvent(what, fields) {
  console.log(JSON.stringify({ event: what, ...fields }));
}

// Puts a delivery on the queue. A failure is logged and left to the sweep: D1 already holds the delivery.
export async function enqueue(env, id, delaySeconds = 0) {
  try {
    await env.DELIVERIES.send({ delivery: id }, delaySeconds > 0 ? { delaySeconds } : {});
    return true;
  } catch (error) {
    logEvent('enqueue_failed', { delivery: id, error: String(error?.message ?? error) });
    return false;
  }
}

// POSTs the message; returns {status, headers, bodyText, ms} or {error, ms} for a network error or timeout.
async function post(url, message, timeoutSeconds) {
  const started = Date.now();
  const answer = await postOnce(url, message, timeoutSeconds);
  return { ...answer, ms: Date.now() - started };
}

async function postOnce(url, message, timeoutSeconds) {
  try {
    const response = await fetch(waitUrl(url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'dispatch-relay/0.1' },
      body: message,
      signal: AbortSignal.timeout(timeoutSeconds * 1000),
    });
    return { status: response.status, headers: response.headers, bodyText: await response.text() };
  } catch (error) {
    if (error?.name === 'TimeoutError') return { error: `no answer within ${timeoutSeconds} s` };
    return { error: String(error?.message ?? error) };
  }
}

// Makes one attempt at delivery `id` if it is due and nobody else holds it. Returns what happened:
// 'skipped', 'delivered', 'retry', or 'failed'.
async function deliverOne(env, id) {
  const now = Date.now;
  const config = deliveryConfig(env);
  // The lease outlasts the POST's own timeout, so a live consumer is never presumed dead.
  const lease = Math.max(config.leaseSeconds, config.timeoutSeconds + 5);
  const delivery = await claim(env.DB, id, now(), lease * 1000);
  if (!delivery?.endpoint) return 'skipped'; // taken, not due, finished, or its endpoint was deleted
  const attemptLog = delivery.attempt_log.slice(-(keptLogEntries - 1));
  const at = new Date(now()).toISOString();

  if (delivery.endpoint.destination_status === 'broken') {
    const why = `not sent: the destination is marked broken (${delivery.endpoint.destination_error}); `
      + 'change destination_url, then redeliver';
    attemptLog.push({ at, outcome: 'failed', error: why });
    await settle(env.DB, id, { status: 'failed', failures: delivery.failures, last_error: why, attempt_log: attemptLog }, now());
    logEvent('delivery_failed', { delivery: id, endpoint: delivery.endpoint_id, why: 'destination broken' });
    return 'failed';
  }

  const answer = await post(delivery.endpoint.destination_url, delivery.message, config.timeoutSeconds);
  const decision = decide(answer, { attempts: delivery.attempts, failures: delivery.failures }, config, Math.random(), now());
  const kept = answer.bodyText === undefined ? undefined : answer.bodyText.slice(0, keptAnswerBytes);
  const entry = { at, outcome: decision.outcome, duration_ms: answer.ms };
  if (answer.status !== undefined) entry.status = answer.status;
  if (kept !== undefined && kept !== '') entry.answer = kept.slice(0, keptAnswerInLog);
  if (decision.why) entry.error = decision.why;
  const settled = { failures: delivery.failures, response_status: answer.status, response_body: kept };

  if (decision.outcome === 'delivered') {
    attemptLog.push(entry);
    await settle(env.DB, id, { ...settled, status: 'delivered', message_id: decision.messageId, attempt_log: attemptLog }, now());
    logEvent('delivered', { delivery: id, endpoint: delivery.endpoint_id, attempts: delivery.attempts, status: answer.status });
    return 'delivered';
  }
  if (decision.outcome === 'retry') {
    entry.retry_in = decision.delaySeconds;
    attemptLog.push(entry);
    const due = now() + decision.delaySeconds * 1000;
    await settle(env.DB, id, {
      ...settled, status: 'pending', failures: decision.failures, next_attempt_at: due, last_error: decision.why, attempt_log: attemptLog,
    }, now());
    await enqueue(env, id, decision.delaySeconds);
    logEvent('delivery_retry', { delivery: id, endpoint: delivery.endpoint_id, status: answer.status, retry_in: decision.delaySeconds });
    return 'retry';
  }
  attemptLog.push(entry);
  await settle(env.DB, id, { ...settled, status: 'failed', last_error: decision.why, attempt_log: attemptLog }, now());
  if (decision.broken) await markDestinationBroken(env.DB, delivery.endpoint_id, decision.why, now());
  logEvent('delivery_failed', { delivery: id, endpoint: delivery.endpoint_id, status: answer.status, broken: decision.broken });
  return 'failed';
}

// The queue consumer: one message per delivery id, taken in order. A message whose work threw (D1
// unavailable) is retried by the queue; D1's record makes a repeat harmless.
export async function consume(batch, env) {
  for (const message of batch.messages) {
    const id = message.body?.delivery;
    if (typeof id !== 'string') {
      message.ack();
      continue;
    }
    try {
      await deliverOne(env, id);
      message.ack();
    } catch (error) {
      logEvent('consumer_error', { delivery: id, error: String(error?.message ?? error) });
      message.retry({ delaySeconds: 30 });
    }
  }
}

// Re-enqueues what D1 holds as unsent and overdue. Returns how many it re-enqueued.
export async function sweep(env, now = Date.now()) {
  const config = deliveryConfig(env);
  const ids = await overdue(env.DB, now, config.sweepGraceSeconds * 1000, 200);
  for (const id of ids) await enqueue(env, id);
  if (ids.length > 0) logEvent('sweep', { requeued: ids.length });
  return ids.length;
}

// The scheduled task: the sweep, then retention (raw bodies after RETENTION_DAYS, log rows after four times
// that).
export async function maintain(env, now = Date.now()) {
  await sweep(env, now);
  const day = 24 * 60 * 60 * 1000;
  const { retentionDays } = deliveryConfig(env);
  const purged = await purge(env.DB, now, retentionDays * day, 4 * retentionDays * day);
  if (purged.bodies > 0 || purged.rows > 0) logEvent('retention', purged);
}
