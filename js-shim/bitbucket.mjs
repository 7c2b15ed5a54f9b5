// The Bitbucket Cloud client: the OAuth token endpoint and the REST calls dispatch makes (user, workspaces,
// repositories, hooks). It knows only the base URLs of its configuration. Access tokens go in the
// Authorization header and nowhere else; no token, code or secret is ever part of an error or a log line.
// Bitbucket's refusals become a BitbucketError whose `code` and `reason` tell a person what to do.

import { networkFailure } from './http.mjs';

const defaultOauthBase = 'https://bitbucket.org';
const defaultApiBase = 'https://api.bitbucket.org/2.0';
const timeoutMs = 10_000;

// Reads the OAuth consumer and the base URLs from the Worker's vars and secrets. `configured` is false when
// no consumer is set; `fault` then says what is missing.
/** @param {Env} env */
export function bitbucketConfig(env) {
  const trim = (value) => (typeof value === 'string' ? value.trim() : '');
  const oauthBase = (trim(env.BITBUCKET_OAUTH_BASE) || defaultOauthBase).replace(/\/+$/, '');
  const apiBase = (trim(env.BITBUCKET_API_BASE) || defaultApiBase).replace(/\/+$/, '');
  const clientId = trim(env.BITBUCKET_CLIENT_ID);
  const clientSecret = trim(env.BITBUCKET_CLIENT_SECRET);
  let fault = null;
  if (clientId === '' || clientSecret === '') fault = 'BITBUCKET_CLIENT_ID and BITBUCKET_CLIENT_SECRET are not set';
  return { oauthBase, apiBase, clientId, clientSecret, configured: fault === null, fault };
}

// A refusal or failure of Bitbucket's, worded for the person who has to act on it. `status` is the HTTP
// status dispatch answers with; `extra` adds members such as `required` (scopes) or `retry_after`.
export class BitbucketError extends Error {
  constructor(status, code, reason, extra = {}) {
    super(reason);
    this.name = 'BitbucketError';
    this.status = status;
    this.code = code;
    this.extra = extra;
  }
}

// The OAuth token endpoint refused a grant: `error` is its OAuth error code (invalid_grant, …).
export class TokenRefused extends Error {
  constructor(error, description) {
    super(`Bitbucket refused the grant: ${error}${description ? ` (${description})` : ''}`);
    this.name = 'TokenRefused';
    this.error = error;
  }
}

// The connection's token no longer works (a 401 after a refresh): the account must be connected again.
export class NeedsReconnect extends BitbucketError {
  constructor(reason) {
    super(409, 'connection_needs_reconnect', reason, { action: 'Reconnect the Bitbucket account on the Sources page.' });
    this.name = 'NeedsReconnect';
  }
}

const unavailable = (why) => new BitbucketError(502, 'bitbucket_unavailable',
  `Bitbucket could not be reached (${why}); try again in a minute.`,
  { action: 'Try again in a minute; https://bitbucket.status.atlassian.com says whether Bitbucket is down.' });

async function send(url, init) {
  try {
    return await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw unavailable(networkFailure(url, error, timeoutMs / 1000));
  }
}

async function bodyOf(response) {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

// Exchanges an authorization code or a refresh token at the token endpoint (form-encoded, client
// credentials as HTTP Basic). Returns {access_token, refresh_token, expires_in, scopes}; throws TokenRefused
// for an OAuth error answer, BitbucketError when Bitbucket is unavailable.
export async function tokenRequest(config, grant) {
  const response = await send(`${config.oauthBase}/site/oauth2/access_token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${btoa(`${config.clientId}:${config.clientSecret}`)}`,
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    body: new URLSearchParams(grant).toString(),
  });
  const body = await bodyOf(response);
  if (response.ok && typeof body?.access_token === 'string' && typeof body?.refresh_token === 'string') {
    return {
      access_token: body.access_token,
      refresh_token: body.refresh_token,
      expires_in: Number.isFinite(body.expires_in) ? body.expires_in : 7200,
      scopes: String(body.scope ?? body.scopes ?? ''), // older answers say `scopes`
    };
  }
  if (typeof body?.error === 'string') throw new TokenRefused(body.error, String(body.error_description ?? ''));
  if (response.status === 429) throw rateLimited(response);
  throw unavailable(`the token endpoint answered ${response.status}`);
}

function rateLimited(response) {
  const header = Number(response.headers.get('retry-after'));
  const seconds = Number.isFinite(header) && header > 0 ? Math.ceil(header) : 60;
  return new BitbucketError(429, 'bitbucket_rate_limited',
    `Bitbucket is rate limiting this OAuth consumer (its hourly allowance is shared by every user); try again in ${seconds} s.`,
    { retry_after: seconds, action: `Wait ${seconds} seconds, then try again.` });
}

const words = {
  account: 'Account: Read', repository: 'Repositories: Read', pullrequest: 'Pull requests: Read',
  issue: 'Issues: Read', webhook: 'Webhooks: Read and write', 'repository:admin': 'Repositories: Admin',
};

// Turns a refused API answer into a BitbucketError. `what` names the call for the reason ("register the
// hook on acme/api").
function refusal(response, body, what) {
  const error = body?.error ?? {};
  const message = typeof error.message === 'string' ? error.message : `HTTP ${response.status}`;
  const required = Array.isArray(error.detail?.required) ? error.detail.required.map(String) : null;
  switch (response.status) {
    case 400: {
      const fields = error.fields && typeof error.fields === 'object'
        ? Object.entries(error.fields).map(([name, list]) => `${name}: ${[].concat(list).join(' ')}`).join('; ')
        : '';
      if (/50|limit|maximum|too many/i.test(message) && /hook/i.test(message)) {
        return new BitbucketError(409, 'bitbucket_hook_limit',
          `Bitbucket allows at most 50 webhooks per repository and this one has them all, so dispatch could not ${what}.`,
          { action: 'Delete a webhook you no longer need (Repository settings → Webhooks), then try again.' });
      }
      return new BitbucketError(400, 'bitbucket_refused', `Bitbucket refused to ${what}: ${message}${fields ? ` (${fields})` : ''}.`);
    }
    case 403:
      if (required) {
        const missing = required.map((scope) => words[scope] ?? scope).join(', ');
        return new BitbucketError(403, 'bitbucket_scope_missing',
          `The OAuth consumer lacks the permission${required.length > 1 ? 's' : ''} ${missing}, so dispatch could not ${what}.`,
          { required, action: `In Bitbucket, edit the OAuth consumer (workspace settings → OAuth consumers) to grant ${missing}, then reconnect the account.` });
      }
      return new BitbucketError(403, 'bitbucket_not_admin',
        `The connected Bitbucket account is not an administrator of this repository, so dispatch could not ${what}.`,
        { action: 'Ask a repository administrator to connect it, or to make this account an administrator.' });
    case 404:
      return new BitbucketError(404, 'bitbucket_repository_not_found',
        `Bitbucket says the repository does not exist or this account cannot see it, so dispatch could not ${what}.`,
        { action: 'Check that the repository was not renamed, moved or deleted, then pick it again.' });
    case 429:
      return rateLimited(response);
    default:
      if (response.status >= 500) return unavailable(`it answered ${response.status}`);
      return new BitbucketError(502, 'bitbucket_refused', `Bitbucket refused to ${what}: ${message} (HTTP ${response.status}).`);
  }
}

// A client for one connection. `token` is {get(): access token, renew(stale): a fresh one after a 401}; the
// caller (connections.mjs) owns storage, rotation and the one-refresh-at-a-time rule.
export function apiClient(config, token) {
  const origin = new URL(config.apiBase).origin;

  // Sends one API call; on a 401 renews the token once and sends again. Returns the parsed body (null for
  // 204), or throws BitbucketError. `allow404` makes a 404 answer null.
  /** @param {string} method @param {string} pathOrUrl @param {{ body?: unknown, what?: string, allow404?: boolean }} [options] */
  async function call(method, pathOrUrl, { body, what, allow404 = false } = {}) {
    const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${config.apiBase}${pathOrUrl}`;
    let access = await token.get();
    for (let attempt = 1; ; attempt += 1) {
      const response = await send(url, {
        method,
        headers: {
          authorization: `Bearer ${access}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (response.status === 401 && attempt === 1) {
        await response.body?.cancel();
        access = await token.renew(access);
        continue;
      }
      if (response.status === 401) {
        await response.body?.cancel();
        throw await token.dead('Bitbucket refuses the connection\'s token even after a refresh');
      }
      if (response.status === 204) return null;
      const parsed = await bodyOf(response);
      if (response.ok) return parsed;
      if (response.status === 404 && allow404) return null;
      throw refusal(response, parsed, what);
    }
  }

  // Follows a paginated list's `next` links, only on the API's own origin. Returns every value.
  async function all(path, what) {
    const values = [];
    let next = path;
    for (let pages = 0; next && pages < 50; pages += 1) {
      const page = await call('GET', next, { what });
      values.push(...(page?.values ?? []));
      next = sameOriginNext(page?.next, origin);
    }
    return values;
  }

  const hooksPath = (repository) => `/repositories/${repositoryPath(repository)}/hooks`;
  const hookPath = (repository, uuid) => `${hooksPath(repository)}/${encodeURIComponent(uuid)}`;

  return {
    user: () => call('GET', '/user', { what: 'read the account' }),
    workspaces: () => all('/user/workspaces?pagelen=100', 'list your workspaces'),
    // One page (of `pagelen`) of the repositories the account administers in `workspace` whose name
    // contains `query`, or the page at `next` (an absolute URL, checked to be the API's own).
    adminRepositories: (workspace, query, next, pagelen = 10) => {
      if (next) return call('GET', next, { what: 'list repositories' });
      const params = new URLSearchParams({ role: 'admin', pagelen: String(pagelen), sort: 'full_name' });
      if (query) params.set('q', `name ~ "${query.replace(/["\\]/g, '\\$&')}"`);
      return call('GET', `/repositories/${encodeURIComponent(workspace)}?${params}`, { what: 'list repositories' });
    },
    repository: (repository) => call('GET', `/repositories/${repositoryPath(repository)}`, { what: `read ${repository}` }),
    hooks: (repository) => all(`${hooksPath(repository)}?pagelen=100`, `list the webhooks of ${repository}`),
    createHook: (repository, hook) => call('POST', hooksPath(repository), { body: hook, what: `register a webhook on ${repository}` }),
    updateHook: (repository, uuid, hook) => call('PUT', hookPath(repository, uuid), { body: hook, what: `update the webhook on ${repository}` }),
    // Returns true when the hook is gone (deleted now, or already: Bitbucket's 404).
    deleteHook: async (repository, uuid) => {
      await call('DELETE', hookPath(repository, uuid), { what: `remove the webhook from ${repository}`, allow404: true });
      return true;
    },
  };
}

// Returns `next` when it is on the API's origin, else null (a link elsewhere is never followed).
export function sameOriginNext(next, origin) {
  if (typeof next !== 'string') return null;
  try {
    return new URL(next).origin === origin ? next : null;
  } catch {
    return null;
  }
}

// "workspace/slug" as a URL path, each part encoded.
export function repositoryPath(repository) {
  return repository.split('/').map(encodeURIComponent).join('/');
}

// Returns true for "workspace/slug" as Bitbucket spells them. A part of dots alone is refused: in a URL's
// path "." and ".." (and their %2E spellings) are steps, so "../user" would call GET /2.0/user with the
// connection's token.
export function isRepositoryName(value) {
  return typeof value === 'string' && /^[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}$/.test(value)
    && value.split('/').every((part) => !/^\.+$/.test(part));
}
