// Who may use the admin API: a script with `Authorization: Bearer $ADMIN_TOKEN`, or the Sources page with a
// session cookie obtained by signing in with that token. A cookie is ambient (the browser sends it on its
// own), so every state-changing call made with one must also carry the session's CSRF token in a header and
// come from this origin. A session is bound to the token that made it: a new ADMIN_TOKEN ends every session.
// Wrong tokens, given as a bearer or to sign in, are counted per client (an IPv6 client by its /64) and for
// all clients together, each in one statement, and past either limit no token is taken, right or wrong: a
// burst of guesses in parallel learns nothing more than the same guesses one by one.

import { json, problem, publicOrigin, randomToken, readLimited, sameSecret } from './http.mjs';
import { sha256Hex } from './secrets.mjs';
import {
  clearSignInFailures, countSignInFailure, deleteAllSessions, deleteSession, getSession, insertSession, purgeSignIns,
  signInBlockedUntil,
} from './store-sessions.mjs';

const sessionSeconds = 12 * 60 * 60;
const csrfHeader = 'x-dispatch-csrf';
const freeFailures = 5;            // wrong tokens one client may give in the window before a wait is imposed
const globalFreeFailures = 200;    // the same for all clients together (many addresses, one guesser)
const everyone = '*';              // the row that counts all clients' wrong tokens
const failureWindowMs = 15 * 60 * 1000;
const firstWaitSeconds = 30;       // then doubled on every further miss, up to an hour
const maxWaitSeconds = 60 * 60;

// Returns why ADMIN_TOKEN cannot be used, or null.
/** @param {Env} env */
export function adminTokenFault(env) {
  return typeof env.ADMIN_TOKEN === 'string' && env.ADMIN_TOKEN.length >= 16
    ? null : 'ADMIN_TOKEN is not set (or shorter than 16 characters)';
}

// The session cookie's name: with the __Host- prefix on https, so that no subdomain and no plain-http page can
// set or shadow it (RFC 6265bis §4.1.3.2); plain in local development, where browsers refuse the prefix.
/** @param {Request} request @param {Env} env */
export function sessionCookieName(request, env) {
  return secureOrigin(request, env) ? '__Host-dispatch_session' : 'dispatch_session';
}

// True when the browser sees this Worker over https (cookies then get Secure and the __Host- prefix).
/** @param {Request} request @param {Env} env */
export const secureOrigin = (request, env) => publicOrigin(request, env).startsWith('https:');

// A fingerprint of the admin token (never the token): stored with each session, which is valid only while
// ADMIN_TOKEN is the token it was made with.
/** @param {Env} env */
async function credentialFingerprint(env) {
  return sha256Hex(`dispatch session credential\u0000${env.ADMIN_TOKEN}`);
}

// The token of `Authorization: Bearer <token>`, or '' when there is none. The scheme is case-insensitive
// and one or more spaces (SP, not tabs) follow it (RFC 9110 §11.1, §11.4); the header's own leading and
// trailing whitespace is already gone (Fetch trims it).
function bearer(request) {
  const match = /^bearer +(.*)$/i.exec(request.headers.get('authorization') ?? '');
  return match ? match[1] : '';
}

// A 401 with the challenge RFC 9110 §11.6.1 requires; `invalidToken` when a bearer token was given but is
// wrong (RFC 6750 §3.1: a request without one gets no error code).
function unauthorized(code, reason, { invalidToken = false } = {}) {
  const challenge = `Bearer realm="dispatch"${invalidToken ? ', error="invalid_token"' : ''}`;
  return problem(401, code, reason, {}, { 'www-authenticate': challenge });
}

export function readCookie(request, name) {
  for (const part of (request.headers.get('cookie') ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return null;
}

// Returns the live session of the request's cookie ({id_hash, csrf, expires_at}), or null: none, expired, or
// made with another ADMIN_TOKEN than today's.
/** @param {Request} request @param {Env} env */
export async function currentSession(request, env) {
  const id = readCookie(request, sessionCookieName(request, env));
  if (!id || id.length > 100) return null;
  const row = await getSession(env.DB, await sha256Hex(id));
  if (!row || row.expires_at <= Date.now() || row.credential !== await credentialFingerprint(env)) return null;
  return row;
}

// True when a request comes from a page of this origin: Origin (sent by browsers on every POST, PATCH and
// DELETE) is ours, and Sec-Fetch-Site does not say cross-site.
/** @param {Request} request @param {Env} env */
function sameOrigin(request, env) {
  const origin = request.headers.get('origin');
  if (origin !== null && origin !== publicOrigin(request, env) && origin !== new URL(request.url).origin) return false;
  const site = request.headers.get('sec-fetch-site');
  return site === null || site === 'same-origin' || site === 'none';
}

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

// Decides whether an admin API request may go on. Returns {session} when it may (the session row, or null
// for the admin token), else {refused}: 401 without a valid bearer token or session, 429 while the client (or
// everyone) has given too many wrong tokens, 403 for a cookie-authenticated change without the CSRF token or
// from another origin.
/** @param {Request} request @param {Env} env */
export async function authorize(request, env) {
  const token = bearer(request);
  if (token !== '') {
    const refused = await checkToken(request, env, token,
      () => unauthorized('unauthorized', 'Authorization: Bearer <ADMIN_TOKEN> is wrong', { invalidToken: true }));
    return refused ? { refused } : { session: null };
  }
  const session = await currentSession(request, env);
  if (!session) return { refused: unauthorized('unauthorized', 'sign in on /sources, or send Authorization: Bearer <ADMIN_TOKEN>') };
  if (safeMethods.has(request.method)) return { session };
  if (!sameOrigin(request, env) || !sameSecret(request.headers.get(csrfHeader) ?? '', session.csrf)) {
    return { refused: problem(403, 'csrf_failed', `a change made with the session cookie needs the ${csrfHeader} header of this session, from this origin`) };
  }
  return { session };
}

// Who is counted for wrong tokens: the address Cloudflare saw, an IPv6 one by its /64 (one subscriber commonly
// holds all of it), or 'local' without Cloudflare in front.
export function client(request) {
  const address = request.headers.get('cf-connecting-ip') ?? 'local';
  if (!address.includes(':')) return address;
  const [head, tail = null] = address.toLowerCase().split('%')[0].split('::');
  const part = (text) => (text === '' ? [] : text.split(':'));
  const left = part(head);
  const right = tail === null ? [] : part(tail);
  const groups = tail === null ? left : [...left, ...new Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups.slice(0, 4).map((group) => group.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/** @param {Request} request @param {Env} env */
function cookie(request, env, value, maxAge) {
  const secure = secureOrigin(request, env) ? '; Secure' : '';
  return `${sessionCookieName(request, env)}=${value}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAge}${secure}`;
}

// Seconds a token from this client must wait before it is taken, or 0: its own wrong tokens or everyone's.
/** @param {Env} env */
async function waitFor(env, who, now) {
  const until = await signInBlockedUntil(env.DB, who, everyone, now);
  return until > now ? Math.ceil((until - now) / 1000) : 0;
}

// Counts one wrong token for the client and for everyone, each row in one statement (concurrent misses each
// get their own count) that also sets the wait the count calls for. Returns the seconds to wait, or 0.
/** @param {Env} env */
async function countFailure(env, who, now) {
  const counters = [{ client: who, free: freeFailures }, { client: everyone, free: globalFreeFailures }];
  const until = await countSignInFailure(env.DB, counters, now, { windowMs: failureWindowMs, firstWaitSeconds, maxWaitSeconds });
  return until > now ? Math.ceil((until - now) / 1000) : 0;
}

// Takes a token given as a bearer or to sign in. Returns null when it is the admin token and no wait is
// imposed on this client or on everyone; otherwise the refusal: 429 while a wait runs (whether the token is
// right or not, so a guess past the limit tells nothing), else `wrong()`'s.
/** @param {Request} request @param {Env} env */
async function checkToken(request, env, token, wrong) {
  const who = client(request);
  const now = Date.now();
  if (token === '' || !sameSecret(token, env.ADMIN_TOKEN)) {
    const seconds = await countFailure(env, who, now);
    return seconds > 0 ? tooMany(seconds) : wrong();
  }
  const seconds = await waitFor(env, who, now);
  return seconds > 0 ? tooMany(seconds) : null;
}

// Reads a small JSON body: {value}, or {refused} (413 past `limit` bytes, declared or sent; 400 not JSON).
async function readSmallJson(request, limit) {
  const bytes = await readLimited(request, limit);
  if (bytes === null) return { refused: problem(413, 'body_too_large', `send {"token": "<ADMIN_TOKEN>"}: at most ${limit} bytes`) };
  try {
    return { value: JSON.parse(new TextDecoder().decode(bytes)) };
  } catch {
    return { refused: problem(400, 'body_not_json', 'send {"token": "<ADMIN_TOKEN>"}') };
  }
}

const tooMany = (seconds) => json(429, {
  code: 'too_many_attempts', reason: `too many wrong tokens; try again in ${seconds} s`, retry_after: seconds,
}, { 'retry-after': String(seconds) });

// What the page needs to know of the session and the configuration.
function sessionView(session, extra) {
  return { signed_in: true, csrf: session.csrf, expires_at: new Date(session.expires_at).toISOString(), ...extra };
}

// GET /api/session: the current session, with `about` (what the pages need to know of the configuration).
export async function showSession({ request, env }, about) {
  const session = await currentSession(request, env);
  return session ? json(200, sessionView(session, about)) : unauthorized('unauthorized', 'not signed in');
}

// DELETE /api/session: signs this browser out.
export async function signOut({ request, env }) {
  if (!sameOrigin(request, env)) return problem(403, 'csrf_failed', 'sign-in is only accepted from this origin');
  const session = await currentSession(request, env);
  if (session) {
    if (!sameSecret(request.headers.get(csrfHeader) ?? '', session.csrf)) {
      return problem(403, 'csrf_failed', `signing out needs the ${csrfHeader} header of this session`);
    }
    await deleteSession(env.DB, session.id_hash);
  }
  return new Response(null, { status: 204, headers: { 'set-cookie': cookie(request, env, '', 0) } });
}

// POST /api/session {token}: signs in with the admin token; answers as GET does, with the session's cookie.
export async function signIn({ request, env }, about) {
  if (!sameOrigin(request, env)) return problem(403, 'csrf_failed', 'sign-in is only accepted from this origin');
  const now = Date.now();
  const body = await readSmallJson(request, 4096);
  if (body.refused) return body.refused;
  const token = typeof body.value?.token === 'string' ? body.value.token.trim() : '';
  const refused = await checkToken(request, env, token, () => unauthorized('token_wrong',
    'that is not the admin token (script/server prints it; in production it is the ADMIN_TOKEN secret)'));
  if (refused) return refused;
  // Signing in forgives the client's earlier misses (not everyone's).
  await clearSignInFailures(env.DB, client(request));
  const id = randomToken(32);
  const session = { id_hash: await sha256Hex(id), csrf: randomToken(24), expires_at: now + sessionSeconds * 1000 };
  await insertSession(env.DB, session, now, await credentialFingerprint(env));
  return json(200, sessionView(session, about), { 'set-cookie': cookie(request, env, id, sessionSeconds) });
}

// POST /api/sessions/revoke: signs out everywhere (every session of every browser, this one included).
// Answers {revoked: <live sessions ended>} (expired ones go too, uncounted) and clears this browser's cookie.
export async function revokeSessions({ request, env }) {
  const revoked = await deleteAllSessions(env.DB, Date.now());
  return json(200, { revoked }, { 'set-cookie': cookie(request, env, '', 0) });
}

// Removes expired sessions, OAuth states and old failure counts (the scheduled task).
export async function purgeSessions(db, now) {
  await purgeSignIns(db, now, failureWindowMs);
}
