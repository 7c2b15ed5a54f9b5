// The accept-path benchmark's middle rung: the body read and the wasm core's verify, filter and render, as
// the relay does them, but no D1 and no queue. The endpoint comes from vars (BENCH_SECRET).
import wasmModule from '../../build/wasm/dispatch.wasm';
import { instantiateCore } from '../../js-shim/core.mjs';
import { readLimited } from '../../js-shim/http.mjs';

let core = null;

export default {
  async fetch(request, env) {
    core ??= await instantiateCore(wasmModule);
    const body = await readLimited(request, 1024 * 1024);
    const headers = { 'x-event-key': request.headers.get('x-event-key'), 'x-hub-signature': request.headers.get('x-hub-signature') };
    const outcome = core.handle({ secret: env.BENCH_SECRET, events: { mode: 'all' } }, headers, body);
    return new Response(JSON.stringify({ status: outcome.code }), { status: outcome.status, headers: { 'content-type': 'application/json' } });
  },
};
