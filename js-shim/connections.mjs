// Connections: Bitbucket accounts authorised through OAuth 2.0 (authorization code). Starting an
// authorisation, the callback, the tokens at rest (encrypted) and their refresh. Refresh tokens rotate on
// every use, so a refresh stores the new pair before anything uses it, and one connection is never
// refreshed twice at once: a lease taken in D1 (the only state every isolate shares) lets one request
// refresh while the others, in this isolate or any other, wait for the new token.

import {
  apiClient, BitbucketError, bitbucketConfig, NeedsReconnect, TokenRefused, tokenRequest,
} from './bitbucket.mjs';
import { logEvent } from './log.mjs';
import { isoTime, randomToken } from './http.mjs';
import { open, places, seal, secretsKeyFault, sha256Hex } from './secrets.mjs';
import { base64url } from './shared/encoding.mjs';
import { readCookie, secureOrigin } from './session.mjs';
import {
  dropRefreshLease, findConnectionByAccount, getConnection, insertOAuthState, markConnectionNeedsReconnect, saveConnection,
  saveRefreshedTokens, takeOAuthState, takeRefreshLease,
} from './store-connections.mjs';

const stateSeconds = 10 * 60;
const refreshMarginMs = 60_000;   // refresh an access token this long before it expires
const leaseMs = 30_000;           // longer than the token request's own timeout
const waitStepMs = 200;

// Returns why connecting cannot work with this configuration, or null.
/** @param {Env} env */
export function connectFault(env) {
  const config = bitbucketConfig(env);
  return config.fault ?? secretsKeyFault(env);
}

// Creates a single-use state (and a PKCE verifier, so a code caught on its way back is of no use without
// it) and returns {url: the authorize URL to send the browser to, binding}. For a signed-in browser
// (`browser` true) the state is bound to it: `binding` is a random value the caller sets as the browser's
// binding cookie (bindingCookie), and the callback takes the state only with it. One started with the admin
// token by a script is bound to no browser (binding null): its state is a secret only the token's holder saw.
/** @param {Env} env */
export async function startAuthorization(env, { browser }) {
  const config = bitbucketConfig(env);
  const state = randomToken(32);
  const verifier = randomToken(48);
  const binding = browser ? randomToken(32) : null;
  const now = Date.now();
  await insertOAuthState(env.DB, {
    stateHash: await sha256Hex(state), verifier, createdAt: now, expiresAt: now + stateSeconds * 1000,
    browserHash: binding && await sha256Hex(binding),
  });
  const challenge = base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
  const params = new URLSearchParams({
    client_id: config.clientId, response_type: 'code', state, code_challenge: challenge, code_challenge_method: 'S256',
  });
  return { url: `${config.oauthBase}/site/oauth2/authorize?${params}`, binding };
}

// The cookie that ties an authorisation to the browser that started it (`value`; '' with maxAge 0 clears it).
// SameSite=Lax, not Strict like the session's: the way back from Bitbucket is a navigation from another site,
// on which a browser sends Lax cookies and never Strict ones.
/** @param {Request} request @param {Env} env */
export function bindingCookie(request, env, value, maxAge = stateSeconds) {
  const secure = secureOrigin(request, env);
  return `${secure ? '__Host-' : ''}dispatch_oauth=${value}; HttpOnly; SameSite=Lax; Path=/; Max-Age=${maxAge}${secure ? '; Secure' : ''}`;
}

/** @param {Request} request @param {Env} env */
const bindingCookieName = (request, env) => `${secureOrigin(request, env) ? '__Host-' : ''}dispatch_oauth`;

// Takes a state (it can never be used again): {verifier, browser_hash} if it was handed out, unused and not
// expired; otherwise null.
/** @param {Env} env */
async function takeState(env, state) {
  if (typeof state !== 'string' || state.length < 20 || state.length > 200) return null;
  const row = await takeOAuthState(env.DB, await sha256Hex(state));
  return row !== null && row.expires_at > Date.now() ? { verifier: row.code_verifier, browser_hash: row.browser_hash } : null;
}

// The connection as the API shows it: never a token.
export function connectionView(row, sources = 0) {
  const view = {
    id: row.id,
    provider: row.provider,
    account: { uuid: row.account_uuid, display_name: row.account_name },
    status: row.status,
    created_at: isoTime(row.created_at),
    sources,
  };
  if (row.account_nickname) view.account.nickname = row.account_nickname;
  if (row.reason) view.reason = row.reason;
  return view;
}

/** @param {Env} env */
async function storeTokens(env, id, tokens, now) {
  return {
    access: await seal(env, tokens.access_token, places.accessToken(id)),
    refresh: await seal(env, tokens.refresh_token, places.refreshToken(id)),
    expiresAt: now + tokens.expires_in * 1000,
  };
}

/** @param {Env} env */
async function markNeedsReconnect(env, id, reason) {
  await markConnectionNeedsReconnect(env.DB, id, reason, Date.now());
  logEvent('connection_needs_reconnect', { connection: id });
}

function refusedReason(error) {
  if (error.error === 'invalid_client' || error.error === 'unauthorized_client') {
    return 'Bitbucket no longer accepts the OAuth consumer (it was deleted or its secret changed)';
  }
  return 'Bitbucket refused the refresh token (access was revoked, or the token expired): connect the account again';
}

const sleep = (ms) => new Promise((resume) => setTimeout(resume, ms));

// Refreshes the tokens of `row` (as read at token_version `row.token_version`), or waits for whoever is
// refreshing them. Returns the access token of the next version.
/** @param {Env} env */
async function refreshed(env, row) {
  const deadline = Date.now() + leaseMs + 5000;
  for (;;) {
    const now = Date.now();
    const lease = randomToken(12);
    const won = await takeRefreshLease(env.DB, row.id, row.token_version, lease, now + leaseMs, now);
    if (won) return refreshWith(env, row, await open(env, won.refresh_token, places.refreshToken(row.id)));
    const current = await getConnection(env.DB, row.id);
    if (!current) throw new NeedsReconnect('the connection was removed');
    if (current.status !== 'ok') throw new NeedsReconnect(current.reason ?? 'the connection needs reconnecting');
    if (current.token_version !== row.token_version) return open(env, current.access_token, places.accessToken(row.id));
    if (Date.now() > deadline) {
      throw new BitbucketError(503, 'bitbucket_unavailable', 'a refresh of this connection\'s token is taking too long; try again');
    }
    await sleep(waitStepMs);
  }
}

/** @param {Env} env */
async function refreshWith(env, row, refreshToken) {
  const config = bitbucketConfig(env);
  let tokens;
  try {
    tokens = await tokenRequest(config, { grant_type: 'refresh_token', refresh_token: refreshToken });
  } catch (error) {
    if (error instanceof TokenRefused) {
      const reason = refusedReason(error);
      await markNeedsReconnect(env, row.id, reason);
      throw new NeedsReconnect(reason);
    }
    await dropRefreshLease(env.DB, row.id);
    throw error;
  }
  // Stored before it is used: the old refresh token is spent, this pair is the only one that works now.
  const now = Date.now();
  const stored = await storeTokens(env, row.id, tokens, now);
  await saveRefreshedTokens(env.DB, row.id, { ...stored, scopes: tokens.scopes }, now);
  logEvent('connection_refreshed', { connection: row.id });
  return tokens.access_token;
}

// Returns a Bitbucket API client acting as connection `id`; throws NeedsReconnect when it cannot.
/** @param {Env} env */
export function connectionClient(env, id) {
  const config = bitbucketConfig(env);
  const current = async () => {
    const row = await getConnection(env.DB, id);
    if (!row) throw new NeedsReconnect('the connection was removed');
    if (row.status !== 'ok') throw new NeedsReconnect(row.reason ?? 'the connection needs reconnecting');
    return row;
  };
  return apiClient(config, {
    async get() {
      const row = await current();
      if (row.expires_at - Date.now() > refreshMarginMs) return open(env, row.access_token, places.accessToken(id));
      return refreshed(env, row);
    },
    // After a 401 with `stale`: a newer token when someone refreshed meanwhile, else a refresh.
    async renew(stale) {
      const row = await current();
      const access = await open(env, row.access_token, places.accessToken(id));
      return access !== stale ? access : refreshed(env, row);
    },
    async dead(reason) {
      await markNeedsReconnect(env, id, reason);
      return new NeedsReconnect(reason);
    },
  });
}

const page = (status, title, text, headers = {}) => new Response(`<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>${title} · dispatch</title>
<link rel="stylesheet" href="/sources.css"></head><body class="notice-page"><main><h1>${title}</h1><p>${text}</p>
<p><a href="/sources">Back to Sources</a></p></main></body></html>`,
{
  status,
  headers: {
    'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'referrer-policy': 'no-referrer',
    'content-security-policy': "default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    ...headers,
  },
});

const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

// GET /oauth/bitbucket/callback?code&state: exchanges the code, reads the account and stores the connection
// (the same account's row when it was connected before, which brings its sources back).
/** @param {Request} request @param {Env} env */
export async function oauthCallback(request, env, ctx) {
  const url = new URL(request.url);
  const state = url.searchParams.get('state');
  const error = url.searchParams.get('error');
  const taken = await takeState(env, state);
  if (taken === null) {
    logEvent('oauth_state_refused', { with_error: error !== null });
    return page(400, 'This authorisation link is not valid',
      'It was already used, it expired (links last 10 minutes), or it did not come from this dispatch. Start again from Connect Bitbucket.');
  }
  // A browser's authorisation finishes only in that browser: a code and state carried to another (or sent with
  // no session at all) would connect whatever account they came from.
  const binding = readCookie(request, bindingCookieName(request, env));
  if (taken.browser_hash !== null && (binding === null || binding.length > 100 || await sha256Hex(binding) !== taken.browser_hash)) {
    logEvent('oauth_state_refused', { with_error: error !== null, reason: 'another_browser' });
    return page(400, 'This authorisation was started in another browser',
      'Connecting finishes in the browser that started it, signed in to this dispatch. Start again from Connect Bitbucket here.',
      { 'set-cookie': bindingCookie(request, env, '', 0) });
  }
  const verifier = taken.verifier;
  if (error !== null) {
    logEvent('oauth_denied', { error: error.slice(0, 40) });
    const target = error === 'access_denied' ? 'access_denied' : 'failed';
    return new Response(null, { status: 303, headers: { location: `/sources?connect_error=${target}` } });
  }
  const code = url.searchParams.get('code');
  if (!code) return page(400, 'Bitbucket sent no code', 'Start again from Connect Bitbucket.');
  const fault = connectFault(env);
  if (fault) return page(500, 'Connecting Bitbucket is not configured', escapeHtml(fault));
  const config = bitbucketConfig(env);
  let tokens;
  let user;
  try {
    tokens = await tokenRequest(config, { grant_type: 'authorization_code', code, code_verifier: verifier });
    user = await apiClient(config, {
      get: async () => tokens.access_token,
      renew: async () => { throw new NeedsReconnect('Bitbucket refused the token it just issued'); },
      dead: async (reason) => new NeedsReconnect(reason),
    }).user();
  } catch (problemFound) {
    logEvent('oauth_exchange_failed', { kind: problemFound?.name, error: problemFound?.error ?? problemFound?.code });
    const why = problemFound instanceof TokenRefused
      ? 'Bitbucket refused the authorisation code (it may have expired or been used already).'
      : escapeHtml(problemFound?.message ?? 'Bitbucket could not be reached.');
    return page(502, 'Connecting Bitbucket failed', `${why} Start again from Connect Bitbucket.`);
  }
  if (typeof user?.uuid !== 'string') return page(502, 'Connecting Bitbucket failed', 'Bitbucket did not say which account this is.');

  const now = Date.now();
  const existingId = await findConnectionByAccount(env.DB, user.uuid);
  const id = existingId ?? randomToken(12);
  const stored = await storeTokens(env, id, tokens, now);
  const name = String(user.display_name ?? user.nickname ?? user.uuid).slice(0, 200);
  await saveConnection(env.DB, {
    id, accountUuid: user.uuid, name, nickname: user.nickname ?? null, ...stored, scopes: tokens.scopes,
  }, now);
  logEvent(existingId ? 'connection_restored' : 'connection_created', { connection: id });
  if (existingId && ctx?.onReconnect) ctx.onReconnect(id);
  const done = new Headers({ location: `/sources?connection=${encodeURIComponent(id)}` });
  if (taken.browser_hash !== null) done.append('set-cookie', bindingCookie(request, env, '', 0));
  return new Response(null, { status: 303, headers: done });
}
