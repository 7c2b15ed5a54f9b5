// Delivery: the queue consumer that POSTs each accepted message to its destination (a pull request event of an
// endpoint with threads goes to its thread: threads.mjs), and the outbox sweep that re-enqueues what D1 still
// holds as unsent (a lost queue message, a worker killed mid-POST).

import { networkFailure } from './http.mjs';
import { destinationRefusal } from './shared/destination.mjs';
import { brokenDestination, decide, deliveryConfig, discordWebhookPart, waitUrl } from './policy.mjs';
import { canEncrypt, rotating } from './secrets.mjs';
import { createLanes } from './lanes.mjs';
import { claim, overdue, purge, resealSecrets, settle, settleDecision } from './store.mjs';
import { deliverInThread, threadable } from './threads.mjs';

const keptAnswerBytes = 4096;
// Discord answers with the message it created, embeds and all, so its id can lie past the kept 4 KiB; this
// much is read to find it, and never more.
const readDiscordBytes = 64 * 1024;
const keptExcerptChars = 200; // of an answer that is not Discord's: a short text, nothing more
const keptLogEntries = 50;
const keptAnswerInLog = 512; // of each attempt's answer; the last one is kept whole (4 KiB) beside the log
const consumerConcurrency = 5; // POSTs in flight per queue batch: one hanging destination holds up no other
const laneWaitSeconds = 2;     // a delivery whose destination has no free slot is asked again this much later
// This isolate's share of POSTs among destinations (lanes.mjs): a destination that hangs holds few slots.
const lanes = createLanes();
const sweepPage = 100; // Cloudflare Queues takes at most 100 messages (and 256 KB) per sendBatch
const sweepMaxRows = 10_000; // one sweep's budget: 100 pages, or 20 s, whichever comes first; the rest
const sweepMaxMs = 20_000; // waits for the next sweep (a minute later)

// One line of JSON per event on the console (Workers Logs, `wrangler tail`, the dev terminal). Never
// given a secret, a token or a destination URL. The line's name comes first and a field cannot replace it:
// a Bitbucket event key goes in `key`.
export function logEvent(what, fields) {
  const line = { event: what, ...fields };
  line.event = what;
  console.log(JSON.stringify(line));
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

// Sends a JSON `body` to `target` with `method` (POST, or PATCH for a pull request's card); returns {status,
// headers, bodyText, kept, redirectTo?, ms} or {error, ms} for a network error or timeout. `bodyText` is what
// the policy reads, `kept` what the log keeps.
/**
 * @typedef {{ ms: number, status?: number, headers?: Headers, bodyText?: string, kept?: string,
 *   redirectTo?: string | null, error?: string, timedOut?: boolean }} Answer
 * @returns {Promise<Answer>}
 */
async function send(target, method, body, timeoutSeconds) {
  const started = Date.now();
  const answer = await sendOnce(target, method, body, timeoutSeconds);
  return { ...answer, ms: Date.now() - started };
}

// POSTs the message with ?wait=true, so Discord answers with the message it created.
const post = (url, message, timeoutSeconds) => send(waitUrl(url), 'POST', message, timeoutSeconds);

// The attempt-log fields of one call's answer: how long it took, the status, the answer's start.
function describe(answer) {
  const fields = { duration_ms: answer.ms };
  if (answer.status !== undefined) fields.status = answer.status;
  if (answer.kept !== undefined && answer.kept !== '') fields.answer = answer.kept.slice(0, keptAnswerInLog);
  return fields;
}

// A Discord-shaped answer: to a webhook URL's path (or one of its messages), in JSON. Any other destination
// is kept short: its answer is not ours to store, and may be anything (an internal page, if a redirect or a
// DNS record led there).
function discordShaped(url, response) {
  return discordWebhookPart(url) !== null && /^application\/json\b/i.test(response.headers.get('content-type') ?? '');
}

// Reads at most `limit` bytes of a body from its stream and cancels the rest, so an answer without end
// costs no more than that.
async function readAtMost(response, limit) {
  if (!response.body) return new Uint8Array(0);
  const reader = response.body.getReader();
  const bytes = new Uint8Array(limit);
  let size = 0;
  while (size < limit) {
    const { done, value } = await reader.read();
    if (done) return bytes.subarray(0, size);
    const part = value.subarray(0, limit - size);
    bytes.set(part, size);
    size += part.byteLength;
  }
  await reader.cancel().catch(() => {});
  return bytes;
}

// The first `count` bytes as text; a character cut in two at the end is dropped.
const textOf = (bytes, count = bytes.byteLength) => new TextDecoder().decode(bytes.subarray(0, count), { stream: true });

// A short text-only excerpt: control and direction characters become spaces, runs of space one.
const excerpt = (text) => text.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, ' ')
  .replace(/ {2,}/g, ' ').trim().slice(0, keptExcerptChars);

async function sendOnce(target, method, body, timeoutSeconds) {
  try {
    const response = await fetch(target, {
      method,
      headers: { 'content-type': 'application/json', 'user-agent': 'dispatch-relay/0.1' },
      body,
      // A redirect is never followed: it could lead the POST (and the answer kept) anywhere, a private
      // address included.
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutSeconds * 1000),
    });
    const answer = { status: response.status, headers: response.headers };
    if (response.status >= 300 && response.status < 400) {
      const location = response.headers.get('location');
      try {
        answer.redirectTo = location === null ? null : new URL(location, target).host;
      } catch {
        answer.redirectTo = null;
      }
    }
    if (discordShaped(target, response)) {
      const bytes = await readAtMost(response, readDiscordBytes);
      return { ...answer, bodyText: textOf(bytes), kept: textOf(bytes, keptAnswerBytes) };
    }
    const text = excerpt(textOf(await readAtMost(response, keptAnswerBytes)));
    return { ...answer, bodyText: text, kept: text };
  } catch (error) {
    if (error?.name === 'TimeoutError') return { error: networkFailure(target, error, timeoutSeconds), timedOut: true };
    return { error: networkFailure(target, error) };
  }
}

// Makes one attempt at delivery `id` if it is due and nobody else holds it. Returns what happened:
// 'skipped', 'delivered', 'retry', 'failed', or (a pull request's thread being made by another) 'waiting'.
async function deliverOne(env, id) {
  const now = Date.now;
  const config = deliveryConfig(env);
  // The lease outlasts the POST's own timeout, so a live consumer is never presumed dead.
  const lease = Math.max(config.leaseSeconds, config.timeoutSeconds + 5);
  const claimedAt = now();
  const delivery = await claim(env, id, claimedAt, lease * 1000);
  if (!delivery?.endpoint) return 'skipped'; // taken, not due, finished, or its endpoint was deleted
  const attemptLog = delivery.attempt_log.slice(-(keptLogEntries - 1));
  const at = new Date(now()).toISOString();

  // Checked again here, not only when saved: a row saved before this check, or under another configuration.
  // Nothing is sent, so the claim's attempt is given back and the attempt log stays as it was: last_error
  // alone says why.
  const broken = delivery.endpoint.destination_status === 'broken';
  const refusal = broken
    ? `${brokenDestination(delivery.endpoint.destination_error)}; then redeliver`
    : destinationRefusal(delivery.endpoint.destination_url, env);
  if (refusal) {
    await settle(env.DB, id, {
      status: 'failed', failures: delivery.failures, attempts: delivery.attempts - 1, last_error: `not sent: ${refusal}`,
      attempt_log: delivery.attempt_log,
    }, now());
    logEvent('delivery_failed', { delivery: id, endpoint: delivery.endpoint_id, why: broken ? 'destination broken' : 'destination refused' });
    return 'failed';
  }

  // No destination takes every slot, and one that let a POST time out lately gets a short timeout and one lane
  // for all such (lanes.mjs). Without a slot now, nothing is sent: the claim's attempt is given back and the
  // delivery asked again shortly.
  const slot = lanes.enter(delivery.endpoint_id, now(), config.timeoutSeconds);
  if (!slot) {
    await settle(env.DB, id, {
      status: 'pending', failures: delivery.failures, attempts: delivery.attempts - 1, attempt_log: delivery.attempt_log,
      next_attempt_at: now() + laneWaitSeconds * 1000, last_error: delivery.last_error,
    }, now());
    await enqueue(env, id, laneWaitSeconds);
    return 'waiting';
  }

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
  const decision = decide(answer, { attempts: delivery.attempts, failures: delivery.failures }, config, Math.random(), now());
  const { kept } = answer;
  /** @type {Record<string, unknown>} */
  const entry = { at, outcome: decision.outcome, ...describe(answer) };
  if (decision.why) entry.error = decision.why;
  const settled = { failures: delivery.failures, response_status: answer.status, response_body: kept };

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

// Re-enqueues what D1 holds as unsent and overdue, a page of ids at a time (one sendBatch each), within
// the sweep's budget. Returns how many it re-enqueued. A page the queue refuses is left to the next sweep.
export async function sweep(env, now = Date.now()) {
  const config = deliveryConfig(env);
  const started = Date.now();
  let after = '';
  let requeued = 0;
  let pages = 0;
  while (requeued < sweepMaxRows && Date.now() - started < sweepMaxMs) {
    const ids = await overdue(env.DB, now, config.sweepGraceSeconds * 1000, sweepPage, after);
    if (ids.length === 0) break;
    try {
      await env.DELIVERIES.sendBatch(ids.map((id) => ({ body: { delivery: id } })));
    } catch (error) {
      logEvent('enqueue_failed', { deliveries: ids.length, error: String(error?.message ?? error) });
      break;
    }
    requeued += ids.length;
    pages += 1;
    after = ids.at(-1);
    if (ids.length < sweepPage) break;
  }
  if (requeued > 0) logEvent('sweep', { requeued, pages });
  return requeued;
}

// The scheduled task: the sweep, retention (raw bodies after RETENTION_DAYS, log rows after four times that),
// then re-sealing with SECRETS_KEY what an older key (SECRETS_KEY_PREVIOUS) or no key sealed: at every run while
// SECRETS_KEY_PREVIOUS is set, else once an hour (values written before key ids, or before SECRETS_KEY was set).
export async function maintain(env, now = Date.now()) {
  await sweep(env, now);
  const day = 24 * 60 * 60 * 1000;
  const { retentionDays } = deliveryConfig(env);
  const purged = await purge(env.DB, now, retentionDays * day, 4 * retentionDays * day);
  if (purged.bodies > 0 || purged.rows > 0) logEvent('retention', purged);
  if (!canEncrypt(env) || (!rotating(env) && new Date(now).getUTCMinutes() !== 0)) return;
  try {
    const { resealed, unreadable, left } = await resealSecrets(env);
    for (const { table, id, reason } of unreadable) logEvent('secret_unreadable', { table, id, reason });
    // Said while anything is left, so that SECRETS_KEY_PREVIOUS is dropped only after a run says left 0.
    if (resealed > 0 || left > 0) logEvent('secrets_resealed', { resealed, unreadable: unreadable.length, left });
  } catch (error) {
    logEvent('secrets_reseal_failed', { error: String(error?.message ?? error) });
  }
}
