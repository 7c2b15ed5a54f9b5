// The admin API's connections (README, "Admin API"): list them, start connecting an account, show or remove
// one, and page through the repositories it administers across its workspaces. Each handler takes the route's
// context (api.mjs) and answers a Response.

import { bitbucketConfig, sameOriginNext } from './bitbucket.mjs';
import { bindingCookie, connectFault, connectionClient, connectionView, startAuthorization } from './connections.mjs';
import { json, problem } from './http.mjs';
import { logEvent } from './log.mjs';
import { textFromBase64url, textToBase64url } from './shared/encoding.mjs';
import { countConnectionSources, deleteConnection, listConnections } from './store-connections.mjs';

function repositoryView(repository) {
  return {
    full_name: repository.full_name,
    name: repository.name,
    workspace: repository.workspace?.slug ?? repository.full_name?.split('/')[0],
    uuid: repository.uuid,
    is_private: repository.is_private === true,
    url: repository.links?.html?.href ?? null,
  };
}

function readCursor(page, apiBase) {
  if (!page) return { w: 0, next: null };
  try {
    const cursor = JSON.parse(textFromBase64url(page));
    if (!Number.isInteger(cursor.w) || cursor.w < 0) return null;
    if (cursor.next !== null && (typeof cursor.next !== 'string' || !cursor.next.startsWith(`${apiBase}/repositories/`)
      || sameOriginNext(cursor.next, new URL(apiBase).origin) === null)) return null;
    return cursor;
  } catch {
    return null;
  }
}

const writeCursor = (cursor) => textToBase64url(JSON.stringify(cursor));

// One page of the repositories connection `id` administers, across its workspaces: {values, next?}, where
// `next` is an opaque cursor for `page`.
async function listRepositories(env, id, query, pageCursor) {
  const config = bitbucketConfig(env);
  const cursor = readCursor(pageCursor, config.apiBase);
  if (!cursor) return problem(400, 'request_invalid', 'page is not a cursor this API gave', { field: 'page' });
  const client = connectionClient(env, id);
  const workspaces = [...new Set((await client.workspaces()).map((access) => access.workspace?.slug).filter(Boolean))].sort();
  const values = [];
  let at = cursor;
  while (at.w < workspaces.length && values.length === 0) {
    const answer = await client.adminRepositories(workspaces[at.w], query, at.next);
    values.push(...(answer?.values ?? []).map(repositoryView));
    const next = sameOriginNext(answer?.next, new URL(config.apiBase).origin);
    at = next ? { w: at.w, next } : { w: at.w + 1, next: null };
  }
  // Offer a next page only where there is one: skip the workspaces left that hold no match.
  while (values.length > 0 && at.next === null && at.w < workspaces.length) {
    const probe = await client.adminRepositories(workspaces[at.w], query, null, 1);
    if ((probe?.values ?? []).length > 0) break;
    at = { w: at.w + 1, next: null };
  }
  return json(200, at.w < workspaces.length ? { values, next: writeCursor(at) } : { values });
}

// GET /api/connections: every connection, with how many sources use it.
export async function listConnectionViews({ env }) {
  const results = await listConnections(env.DB);
  return json(200, results.map((row) => connectionView(row, row.sources)));
}

// POST /api/connections/bitbucket: starts connecting an account; answers {authorize_url}. From a signed-in
// browser, the authorisation is bound to it (its binding cookie set here); from a script with the admin token,
// to nobody.
export async function startConnection({ request, env, session }) {
  const fault = connectFault(env);
  if (fault) return problem(409, 'bitbucket_not_configured', `connecting Bitbucket is not configured: ${fault}`);
  const { url: authorizeUrl, binding } = await startAuthorization(env, { browser: session !== null });
  return json(201, { authorize_url: authorizeUrl }, binding ? { 'set-cookie': bindingCookie(request, env, binding) } : {});
}

// GET /api/connections/{id}.
export const showConnection = ({ connection }) => json(200, connectionView(connection));

// DELETE /api/connections/{id}: refused while a connected source uses it.
export async function removeConnection({ env, connection: { id } }) {
  const using = await countConnectionSources(env.DB, id);
  if (using > 0) {
    return problem(409, 'connection_in_use', `${using} connected source${using === 1 ? '' : 's'} still use${using === 1 ? 's' : ''} this connection; disconnect ${using === 1 ? 'it' : 'them'} first`);
  }
  await deleteConnection(env.DB, id);
  logEvent('connection_deleted', { connection: id });
  return new Response(null, { status: 204 });
}

// GET /api/connections/{id}/repositories?q&page: a page of the repositories it administers.
export async function repositoryPage({ env, url, connection: { id } }) {
  const query = (url.searchParams.get('q') ?? '').trim().slice(0, 100);
  return listRepositories(env, id, query, url.searchParams.get('page'));
}
