// Refusals of the receive path, folded in this isolate's memory: per endpoint and fold key, the first of a
// batch is written to the delivery log at once and the rest counted and written together `flushMs` later. A
// flood of unsigned requests to a known hook URL then costs D1 two writes per refusal code every few seconds
// instead of one per request, and the log two lines, so the deliveries beside it are not slowed down
// (bench/flood.mjs measures it). What an isolate that ends before its batch is written loses: the count of at
// most `flushMs` of repeated refusals (never a request dispatch took; their row is already there).

import { logEvent } from './log.mjs';
import { recordRefusal } from './store.mjs';

const flushMs = 3000;
const batches = new Map(); // `${endpoint id}\u0000${fold key}` -> {latest, count, key}: what came after the first

// Writes what a batch folded after its first request: the fold key's row gets the batch's count, the time of
// the batch's last request and its headers and reason. Logs what was written.
/** @param {Env} env */
async function flush(env, name) {
  const batch = batches.get(name);
  batches.delete(name);
  if (!batch || batch.count === 0) return;
  const { latest, count, key } = batch;
  const folded = await recordRefusal(env.DB, latest, key, count);
  logEvent('hook_refused_batch', {
    endpoint: latest.endpoint_id, delivery: folded.id, status: latest.answered, code: latest.code, count, total: folded.count,
  });
}

// Records a refusal (`row`, a deliveries row with verdict 'reject') under the fold key `key`. The first of a
// batch is written (and logged) before this returns, so a lone refusal is in the log at once; the ones after
// it, for `flushMs`, are counted here and written together then, kept alive by `ctx.waitUntil`. Without a
// `ctx` (a test event sent from the Sources page, a unit test) every refusal is written before this returns.
/** @param {Env} env */
export async function foldRefusal(env, ctx, row, key) {
  const name = `${row.endpoint_id}\u0000${key}`;
  const batch = ctx ? batches.get(name) : null;
  if (batch) {
    batch.latest = row;
    batch.count += 1;
    return;
  }
  if (ctx) {
    batches.set(name, { latest: null, count: 0, key });
    ctx.waitUntil(new Promise((done) => { setTimeout(done, flushMs); }).then(() => flush(env, name))
      .catch((error) => logEvent('refusal_log_failed', { endpoint: row.endpoint_id, code: row.code, error: String(error?.message ?? error) })));
  }
  const folded = await recordRefusal(env.DB, row, key);
  logEvent('hook_refused', { endpoint: row.endpoint_id, delivery: folded.id, count: folded.count, status: row.answered, code: row.code });
}
