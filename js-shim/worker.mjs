// The dispatch Worker. The core decides (verify, filter, render); this shim does every I/O: routing,
// D1, the queue, outbound delivery and the static pages.
//
//   POST /hooks/{endpoint}             Bitbucket's webhooks (receive.mjs)
//   /api/…                             the admin API and the Sources page's session (api.mjs: its route table)
//   GET /connect/bitbucket             a signed-in browser starts connecting an account (connections.mjs)
//   GET /oauth/bitbucket/callback      Bitbucket sends the browser back here
//   anything else                      static assets (/sources, /preview, …); / leads to /sources
// The queue consumer delivers (deliver.mjs); the scheduled task (maintenance.mjs) sweeps the outbox
// (outbox.mjs), applies retention and re-seals stored secrets.

import wasmModule from '../build/wasm/dispatch.wasm';
import { instantiateCore, instantiateCoreNow, warmUp, warmUpCodes } from './core.mjs';
/** @import { Core } from './core.mjs' */
import { api } from './api.mjs';
import { removeLeftBehind } from './bitbucket-hooks.mjs';
import { bindingCookie, connectFault, oauthCallback, startAuthorization } from './connections.mjs';
import { consume } from './deliver.mjs';
import { methodNotAllowed, problem, publicBaseUrl, withBodyDrained } from './http.mjs';
import { logEvent } from './log.mjs';
import { maintain } from './maintenance.mjs';
import { sweep } from './outbox.mjs';
import { deliveryConfig } from './policy.mjs';
import { receive } from './receive.mjs';
import { currentSession, purgeSessions } from './session.mjs';

// The core is made and warmed up when the isolate starts (warmUp: V8 compiles each wasm function on its first
// call, about 11 ms for a delivery's, which the isolate's start pays here instead of the first request's CPU).
// If that fails, the first request makes one as before.
/** @type {Promise<Core> | null} */
let corePromise = startCore();

/** @returns {Promise<Core> | null} */
function startCore() {
  try {
    const instance = instantiateCoreNow(wasmModule);
    const codes = warmUp(instance);
    if (codes.some((code, i) => code !== warmUpCodes[i])) logEvent('core_warm_up', { codes });
    return instance.usable ? Promise.resolve(instance) : null;
  } catch (error) {
    logEvent('core_warm_up_failed', { error: String(error?.message ?? error) });
    return null;
  }
}
let lastSweep = 0;

// Returns this isolate's core, loading it on first use. One core instance per isolate: an instance that
// failed to start, or that trapped since, is dropped so the next request starts a fresh one.
/** @returns {Promise<Core>} */
async function loadCore() {
  corePromise ??= instantiateCore(wasmModule);
  try {
    const instance = await corePromise;
    if (instance.usable) return instance;
    corePromise = instantiateCore(wasmModule);
    return await corePromise;
  } catch (error) {
    corePromise = null;
    throw error;
  }
}

// The outbox sweep runs on the scheduled trigger, and also when an isolate starts and then at most once
// per SWEEP_INTERVAL_SECONDS while requests come in: after a restart (or locally, where cron does not
// fire) whatever D1 still holds as pending is re-enqueued without waiting for the next cron tick.
/** @param {Env} env @param {ExecutionContext} ctx */
function sweepNowAndThen(env, ctx) {
  const now = Date.now();
  if (now - lastSweep < deliveryConfig(env).sweepIntervalSeconds * 1000) return;
  lastSweep = now;
  ctx.waitUntil(sweep(env, now).catch((error) => logEvent('sweep_failed', { error: String(error?.message ?? error) })));
}

/** @type {(status: number, location: string) => Response} */
const redirect = (status, location) => new Response(null, { status, headers: { location, 'cache-control': 'no-store' } });

// GET /connect/bitbucket: for a signed-in browser, a fresh authorisation; otherwise back to sign in.
/** @param {Request} request @param {Env} env @returns {Promise<Response>} */
async function connect(request, env) {
  if (request.method !== 'GET') return methodNotAllowed(['GET']);
  if (!(await currentSession(request, env))) return redirect(303, '/sources?signin=connect');
  if (connectFault(env)) return redirect(303, '/sources?connect_error=not_configured');
  const { url, binding } = await startAuthorization(env, { browser: true });
  const answer = redirect(302, url);
  answer.headers.append('set-cookie', bindingCookie(request, env, binding));
  return answer;
}

/** @param {Request} request @param {Env} env @param {ExecutionContext} ctx @returns {Promise<Response>} */
async function route(request, env, ctx) {
  const url = new URL(request.url);
  const hook = /^\/hooks\/([^/]+)$/.exec(url.pathname);
  if (hook) return receive(request, env, loadCore, hook[1], { ctx });
  // A refusal (401, 404, 405, 413) is answered without waiting for a body that was declared and not sent.
  if (url.pathname.startsWith('/api/')) return withBodyDrained(request, () => api(request, env, loadCore, url));
  if (url.pathname === '/connect/bitbucket') return connect(request, env);
  if (url.pathname === '/oauth/bitbucket/callback') {
    if (request.method !== 'GET') return methodNotAllowed(['GET']);
    // The same account connected again: the hooks its disconnected sources left behind can go now.
    const base = publicBaseUrl(request, env);
    /** @param {string} id */
    const onReconnect = (id) => ctx.waitUntil(removeLeftBehind(env, id, base)
      .catch((error) => logEvent('left_behind_cleanup_failed', { connection: id, error: String(error?.message ?? error) })));
    return oauthCallback(request, env, { onReconnect });
  }
  if (url.pathname === '/') return redirect(302, '/sources');
  if (env.ASSETS) return env.ASSETS.fetch(request);
  return problem(404, 'not_found', `no route ${url.pathname}`);
}

export default /** @satisfies {ExportedHandler<Env>} */ ({
  async fetch(request, env, ctx) {
    sweepNowAndThen(env, ctx);
    try {
      return await route(request, env, ctx);
    } catch (error) {
      // D1 or the core failed: 503 asks Bitbucket to retry, and nothing was recorded as accepted.
      logEvent('request_failed', { path: new URL(request.url).pathname, error: String(error?.message ?? error) });
      return problem(503, 'unavailable', 'dispatch could not take this request just now; try again');
    }
  },

  async queue(batch, env) {
    await consume(batch, env);
  },

  async scheduled(controller, env, ctx) {
    ctx.waitUntil(maintain(env, controller.scheduledTime));
    ctx.waitUntil(purgeSessions(env.DB, controller.scheduledTime));
  },
});
