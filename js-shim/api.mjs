// The admin API, /api/* (README, "Admin API"; docs/architecture.md, "Contracts"): one table of every route,
// and the one way a request reaches its handler. Every route but the session's needs `Authorization: Bearer
// $ADMIN_TOKEN` or the Sources page's session (session.mjs).
//
// A route is {path, methods, loads?, open?}: `path` a pattern whose one group is the route's id; `methods` a
// handler per HTTP method; `loads` what the id names ('endpoint' or 'connection'), loaded before the handler
// runs (404 when there is none); `open` for a route that needs no sign-in. A handler gets one context object:
// {request, env, url, id, endpoint?, connection?, session, loadCore} (`session`: the signed-in browser's
// row, or null for the admin token; `loadCore`: returns the core, loading it on first use) and answers a
// Response.

import { BitbucketError, bitbucketConfig } from './bitbucket.mjs';
import { connectFault } from './connections.mjs';
import {
  listConnectionViews, removeConnection, repositoryPage, showConnection, startConnection,
} from './connections-api.mjs';
import {
  deliveryPage, deliveryPayload, redeliver, retryNow, showDelivery,
} from './deliveries-api.mjs';
import {
  bitbucketProblem, changeEndpoint, createEndpoint, disconnect, listEndpointPage, removeEndpoint, resume,
  rotateSecret, sendTestEvent, showEndpoint, unsent,
} from './endpoints-api.mjs';
import { localDestinationsAllowed } from './shared/destination.mjs';
import { oauthCallbackUrl } from './shared/public-url.mjs';
import { json, methodNotAllowed, problem, publicBaseUrl, readLimited } from './http.mjs';
import {
  adminTokenFault, authorize, revokeSessions, showSession, signIn, signOut,
} from './session.mjs';
import { getConnection } from './store-connections.mjs';
import { getEndpoint } from './store-endpoints.mjs';
import { maxRequestBytes, tooLarge } from './api-body.mjs';

// What the Sources page needs to know of the configuration (with the session).
function about(request, env) {
  const config = bitbucketConfig(env);
  const base = publicBaseUrl(request, env);
  return {
    bitbucket: {
      configured: connectFault(env) === null, fault: connectFault(env), oauth_base: config.oauthBase,
      callback_url: oauthCallbackUrl(base),
    },
    public_base_url: base,
    // The pages check a destination by the same rule as the API: local ones are allowed here or not.
    local_destinations: localDestinationsAllowed(env),
  };
}

// POST /api/preview answers the message itself (the contract); what Discord's limits cut is counted in
// X-Dispatch-Cuts, and `?answer=full` gives the core's whole answer {code, message, cuts?, budget}.
async function preview({ request, url, loadCore }) {
  const body = await readLimited(request, maxRequestBytes);
  if (body === null) return tooLarge();
  const answer = (await loadCore()).previewRequest(body);
  if (answer.code !== 'rendered') return json(400, answer);
  if (url.searchParams.get('answer') === 'full') return json(200, answer);
  return json(200, answer.message, { 'x-dispatch-cuts': String(answer.cuts?.length ?? 0) });
}

/**
 * @typedef {object} RouteContext
 * @property {Request} request
 * @property {any} env
 * @property {URL} url
 * @property {string} id                the path's id, decoded ('' for a route without one)
 * @property {any} endpoint            the endpoint `id` names (set on routes that load one)
 * @property {any} connection          the connection `id` names (set on routes that load one)
 * @property {any} session              the signed-in browser's session row, or null for the admin token
 * @property {() => Promise<any>} loadCore
 * @typedef {object} Route
 * @property {RegExp} path
 * @property {Record<string, (context: RouteContext) => Promise<Response> | Response>} methods
 * @property {'endpoint' | 'connection'} [loads]
 * @property {boolean} [open]
 */

/** @type {Route[]} */
const routes = [
  { path: /^\/api\/session$/, open: true, methods: {
    GET: (context) => showSession(context, about(context.request, context.env)),
    POST: (context) => signIn(context, about(context.request, context.env)),
    DELETE: signOut,
  } },
  { path: /^\/api\/sessions\/revoke$/, methods: { POST: revokeSessions } },
  { path: /^\/api\/events$/, methods: { GET: async ({ loadCore }) => json(200, (await loadCore()).events()) } },
  { path: /^\/api\/preview$/, methods: { POST: preview } },
  { path: /^\/api\/endpoints$/, methods: { GET: listEndpointPage, POST: createEndpoint } },
  { path: /^\/api\/endpoints\/([^/]+)$/, loads: 'endpoint', methods: { GET: showEndpoint, PATCH: changeEndpoint, DELETE: removeEndpoint } },
  { path: /^\/api\/endpoints\/([^/]+)\/secret$/, loads: 'endpoint', methods: { POST: rotateSecret } },
  { path: /^\/api\/endpoints\/([^/]+)\/disconnect$/, loads: 'endpoint', methods: { POST: disconnect } },
  { path: /^\/api\/endpoints\/([^/]+)\/resume$/, loads: 'endpoint', methods: { POST: resume } },
  { path: /^\/api\/endpoints\/([^/]+)\/unsent$/, loads: 'endpoint', methods: { GET: unsent } },
  { path: /^\/api\/endpoints\/([^/]+)\/test$/, loads: 'endpoint', methods: { POST: sendTestEvent } },
  { path: /^\/api\/endpoints\/([^/]+)\/deliveries$/, loads: 'endpoint', methods: { GET: deliveryPage } },
  { path: /^\/api\/deliveries\/([^/]+)$/, methods: { GET: showDelivery } },
  { path: /^\/api\/deliveries\/([^/]+)\/payload$/, methods: { GET: deliveryPayload } },
  { path: /^\/api\/deliveries\/([^/]+)\/redeliver$/, methods: { POST: redeliver } },
  { path: /^\/api\/deliveries\/([^/]+)\/retry$/, methods: { POST: retryNow } },
  { path: /^\/api\/connections$/, methods: { GET: listConnectionViews } },
  { path: /^\/api\/connections\/bitbucket$/, methods: { POST: startConnection } },
  { path: /^\/api\/connections\/([^/]+)$/, loads: 'connection', methods: { GET: showConnection, DELETE: removeConnection } },
  { path: /^\/api\/connections\/([^/]+)\/repositories$/, loads: 'connection', methods: { GET: repositoryPage } },
];

// What a route's id names, loaded: {endpoint} or {connection}, or {missing: the 404}.
const loaders = {
  endpoint: async (env, id) => {
    const endpoint = await getEndpoint(env, id);
    return endpoint ? { endpoint } : { missing: problem(404, 'not_found', `no endpoint ${id}`) };
  },
  connection: async (env, id) => {
    const connection = await getConnection(env.DB, id);
    return connection ? { connection } : { missing: problem(404, 'not_found', `no connection ${id}`) };
  },
};

// Answers a request under /api/. In order: a misconfigured admin token (500), no such route (404), a method
// the route does not take (405), no sign-in (401, 403, 429), the id naming nothing (404); then the handler.
// Bitbucket's refusals become the answer (bitbucketProblem).
export async function api(request, env, loadCore, url) {
  const tokenFault = adminTokenFault(env);
  // Misconfiguration is loud: no admin API without a real token.
  if (tokenFault) return problem(500, 'misconfigured', tokenFault);
  const noRoute = () => problem(404, 'not_found', `no route ${url.pathname}`);
  const route = routes.find(({ path }) => path.test(url.pathname));
  if (!route) return noRoute();
  const handler = route.methods[request.method];
  if (!handler) return methodNotAllowed(Object.keys(route.methods), { path: url.pathname });
  let session = null;
  if (!route.open) {
    const authorized = await authorize(request, env);
    if (authorized.refused) return authorized.refused;
    session = authorized.session;
  }
  let id;
  try {
    id = decodeURIComponent(route.path.exec(url.pathname)[1] ?? '');
  } catch {
    return noRoute();
  }
  try {
    const loaded = route.loads ? await loaders[route.loads](env, id) : {};
    if (loaded.missing) return loaded.missing;
    return await handler({ request, env, url, id, session, loadCore, endpoint: null, connection: null, ...loaded });
  } catch (error) {
    if (error instanceof BitbucketError) return bitbucketProblem(error);
    throw error;
  }
}
