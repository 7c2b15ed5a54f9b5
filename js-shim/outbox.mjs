// The outbox: D1 holds every delivery to be sent (the record of truth); the queue is its doorbell. Here a
// delivery is put on the queue, and the sweep re-enqueues what D1 still holds as unsent and overdue (a lost
// queue message, a Worker killed mid-POST).

import { logEvent } from './log.mjs';
import { deliveryConfig } from './policy.mjs';
import { overdue } from './store.mjs';

const sweepPage = 100; // Cloudflare Queues takes at most 100 messages (and 256 KB) per sendBatch
const sweepMaxRows = 10_000; // one sweep's budget: 100 pages, or 20 s, whichever comes first; the rest
const sweepMaxMs = 20_000; // waits for the next sweep (a minute later)

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
