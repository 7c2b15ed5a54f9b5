// The queue consumer: it POSTs each accepted message to its destination (a pull request event of an endpoint
// with threads goes to its thread: threads.mjs) and records what happened; policy.mjs decides what an answer
// means. The outbox (outbox.mjs) puts deliveries on the queue; send.mjs makes the HTTP call.

import { logEvent } from './log.mjs';
import { enqueue } from './outbox.mjs';
import { destinationRefusal } from './shared/destination.mjs';
import { brokenDestination, decide, deliveryConfig } from './policy.mjs';
import { createLanes } from './lanes.mjs';
import { describe, post, send } from './send.mjs';
import { claim, settle, settleDecision } from './store.mjs';
import { deliverInThread, threadable } from './threads.mjs';

const keptLogEntries = 50;
const consumerConcurrency = 5; // POSTs in flight per queue batch: one hanging destination holds up no other
const laneWaitSeconds = 2;     // a delivery whose destination has no free slot is asked again this much later
// This isolate's share of POSTs among destinations (lanes.mjs): a destination that hangs holds few slots.
const lanes = createLanes();

// Makes one attempt at delivery `id` if it is due and nobody else holds it. Returns what happened:
// 'skipped', 'delivered', 'retry', 'failed', or (no free slot, or a pull request's thread being made by
// another) 'waiting'.
async function deliverOne(env, id) {
  const now = Date.now;
  const config = deliveryConfig(env);
  // The lease outlasts the POST's own timeout, so a live consumer is never presumed dead.
  const lease = Math.max(config.leaseSeconds, config.timeoutSeconds + 5);
  const claimedAt = now();
  const delivery = await claim(env, id, claimedAt, lease * 1000);
  if (!delivery?.endpoint) return 'skipped'; // taken, not due, finished, or its endpoint was deleted
  if (await refusedUnsent(env, delivery, now)) return 'failed';

  // No destination takes every slot, and one that let a POST time out lately gets a short timeout and one lane
  // for all such (lanes.mjs).
  const slot = lanes.enter(delivery.endpoint_id, now(), config.timeoutSeconds);
  if (!slot) return waitForSlot(env, delivery, now);

  // A pull request event of an endpoint with threads: its own steps (threads.mjs), within this claim's lease.
  if (delivery.thread && threadable(delivery.endpoint.destination_url)) {
    const io = { send, enqueue: (...args) => enqueue(env, ...args), log: logEvent, describe, keptLogEntries };
    try {
      return await deliverInThread(env, delivery, {
        config: { ...config, timeoutSeconds: slot.timeoutSeconds }, deadline: claimedAt + lease * 1000, io,
      });
    } finally {
      lanes.leave(slot, {}, now());
    }
  }
  let answer;
  try {
    answer = await post(delivery.endpoint.destination_url, delivery.message, slot.timeoutSeconds);
  } finally {
    lanes.leave(slot, { timedOut: answer?.timedOut === true, answered: answer?.status !== undefined }, now());
  }
  return settleAnswer(env, delivery, { answer, at: new Date(claimedAt).toISOString() }, config, now);
}

// Settles a claimed delivery as failed, unsent, when its destination is marked broken or refused (checked here,
// not only when saved: a row saved before the check, or under another configuration). Nothing was sent, so the
// claim's attempt is given back and the attempt log stays as it was: last_error alone says why. Returns true
// when it did.
async function refusedUnsent(env, delivery, now) {
  const broken = delivery.endpoint.destination_status === 'broken';
  const refusal = broken
    ? `${brokenDestination(delivery.endpoint.destination_error)}; then redeliver`
    : destinationRefusal(delivery.endpoint.destination_url, env);
  if (!refusal) return false;
  await settle(env.DB, delivery.id, {
    status: 'failed', failures: delivery.failures, attempts: delivery.attempts - 1, last_error: `not sent: ${refusal}`,
    attempt_log: delivery.attempt_log,
  }, now());
  logEvent('delivery_failed', { delivery: delivery.id, endpoint: delivery.endpoint_id, why: broken ? 'destination broken' : 'destination refused' });
  return true;
}

// Gives a claimed delivery back when its destination has no free slot now: nothing is sent, the claim's attempt
// is given back and the delivery asked again shortly. Returns 'waiting'.
async function waitForSlot(env, delivery, now) {
  await settle(env.DB, delivery.id, {
    status: 'pending', failures: delivery.failures, attempts: delivery.attempts - 1, attempt_log: delivery.attempt_log,
    next_attempt_at: now() + laneWaitSeconds * 1000, last_error: delivery.last_error,
  }, now());
  await enqueue(env, delivery.id, laneWaitSeconds);
  return 'waiting';
}

// Records the destination's answer to a delivery's POST as policy.mjs decides it: delivered (with Discord's
// message id), a retry (enqueued with its delay) or failed (a 404 or 401 also marks the destination broken).
// `at`: when the attempt began. Returns the outcome.
async function settleAnswer(env, delivery, { answer, at }, config, now) {
  const { id } = delivery;
  const decision = decide(answer, { attempts: delivery.attempts, failures: delivery.failures }, config, Math.random(), now());
  const attemptLog = delivery.attempt_log.slice(-(keptLogEntries - 1));
  /** @type {Record<string, unknown>} */
  const entry = { at, outcome: decision.outcome, ...describe(answer) };
  if (decision.why) entry.error = decision.why;
  const settled = { failures: delivery.failures, response_status: answer.status, response_body: answer.kept };

  if (decision.outcome === 'delivered') {
    attemptLog.push(entry);
    await settle(env.DB, id, { ...settled, status: 'delivered', message_id: decision.messageId, attempt_log: attemptLog }, now());
    logEvent('delivered', { delivery: id, endpoint: delivery.endpoint_id, attempts: delivery.attempts, status: answer.status });
    return 'delivered';
  }
  if (decision.outcome === 'retry') entry.retry_in = decision.delaySeconds;
  attemptLog.push(entry);
  await settleDecision(env.DB, delivery, decision, { ...settled, last_error: decision.why, attempt_log: attemptLog }, now());
  if (decision.outcome === 'retry') {
    await enqueue(env, id, decision.delaySeconds);
    logEvent('delivery_retry', { delivery: id, endpoint: delivery.endpoint_id, status: answer.status, retry_in: decision.delaySeconds });
    return 'retry';
  }
  logEvent('delivery_failed', { delivery: id, endpoint: delivery.endpoint_id, status: answer.status, broken: decision.broken });
  return 'failed';
}

// The queue consumer: one message per delivery id, up to `consumerConcurrency` at once, each acknowledged
// or retried on its own. A message whose work threw (D1 unavailable) is retried by the queue; D1's record
// makes a repeat harmless.
export async function consume(batch, env) {
  const waiting = [...batch.messages];
  const worker = async () => {
    for (let message = waiting.shift(); message !== undefined; message = waiting.shift()) {
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
  };
  await Promise.all(Array.from({ length: Math.min(consumerConcurrency, waiting.length) }, worker));
}
