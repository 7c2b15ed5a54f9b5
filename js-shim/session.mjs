// Who may use the admin API: a script with `Authorization: Bearer $ADMIN_TOKEN`, or the Sources page with a
// session cookie obtained by signing in with that token. A cookie is ambient (the browser sends it on its
// own), so every state-changing call made with one must also carry the session's CSRF token in a header and
// come from this origin. Wrong tokens are counted per client and slow guessing down.

import { json, methodNotAllowed, problem, randomToken, sameSecret } from './http.mjs';
import { sha256Hex } from './secrets.mjs';

export const cookieName = 'dispatch_session';
const sessionSeconds = 12 * 60 * 60;
const csrfHeader = 'x-dispatch-csrf';
const freeFailures = 5;            // wrong tokens allowed in the window before a wait is imposed
const failureWindowMs = 15 * 60 * 1000;
const firstWaitSeconds = 30;       // then doubled on every further miss, up to an hour
const maxWaitSeconds = 60 * 60;

// Returns why ADMIN_TOKEN cannot be used, or null.
export function adminTokenFault(env) {
  return typeof env.ADMIN_TOKEN === 'string' && env.ADMIN_TOKEN.length >= 16
    ? null : 'ADMIN_TOKEN is not set (or shorter than 16 characters)';
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

// The origin the browser sees: PUBLIC_BASE_URL's when set, else the request's.
export function publicOrigin(request, env) {
  const configured = (env.PUBLIC_BASE_URL ?? '').trim();
  try {
    return configured === '' ? new URL(request.url).origin : new URL(configured).origin;
  } catch {
    return new URL(request.url).origin;
  }
}

// Returns the live session of the request's cookie ({id_hash, csrf, expires_at}), or null.
export async function currentSession(request, env) {
  const id = readCookie(request, cookieName);
  if (!id || id.length > 100) return null;
  const row = await env.DB.prepare('SELECT id_hash, csrf, expires_at FROM sessions WHERE id_hash = ?')
    .bind(await sha256Hex(id)).first();
  return row && row.expires_at > Date.now() ? row : null;
}

// True when a request comes from a page of this origin: Origin (sent by browsers on every POST, PATCH and
// DELETE) is ours, and Sec-Fetch-Site does not say cross-site.
function sameOrigin(request, env) {
  const origin = request.headers.get('origin');
  if (origin !== null && origin !== publicOrigin(request, env) && origin !== new URL(request.url).origin) return false;
  const site = request.headers.get('sec-fetch-site');
  return site === null || site === 'same-origin' || site === 'none';
}

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

// Decides whether an admin API request may go on. Returns null when it may, else the refusal: 401 without
// a valid bearer token or session, 403 for a cookie-authenticated change without the CSRF token or from
// another origin.
export async function authorize(request, env) {
  const token = bearer(request);
  if (token !== '') {
    return sameSecret(token, env.ADMIN_TOKEN)
      ? null : unauthorized('unauthorized', 'Authorization: Bearer <ADMIN_TOKEN> is missing or wrong', { invalidToken: true });
  }
  const session = await currentSession(request, env);
  if (!session) return unauthorized('unauthorized', 'sign in on /sources, or send Authorization: Bearer <ADMIN_TOKEN>');
  if (safeMethods.has(request.method)) return null;
  if (!sameOrigin(request, env) || !sameSecret(request.headers.get(csrfHeader) ?? '', session.csrf)) {
    return problem(403, 'csrf_failed', `a change made with the session cookie needs the ${csrfHeader} header of this session, from this origin`);
  }
  return null;
}

function client(request) {
  return request.headers.get('cf-connecting-ip') ?? 'local';
}

function cookie(request, env, value, maxAge) {
  const secure = publicOrigin(request, env).startsWith('https:') ? '; Secure' : '';
  return `${cookieName}=${value}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAge}${secure}`;
}

// Seconds the client must still wait before trying a token again, or 0.
async function waitFor(env, who, now) {
  const row = await env.DB.prepare('SELECT blocked_until FROM sign_in_failures WHERE client = ?').bind(who).first();
  return row?.blocked_until > now ? Math.ceil((row.blocked_until - now) / 1000) : 0;
}

async function recordFailure(env, who, now) {
  const row = await env.DB.prepare(`INSERT INTO sign_in_failures (client, failures, first_at) VALUES (?1, 1, ?2)
      ON CONFLICT (client) DO UPDATE SET
        failures = CASE WHEN first_at < ?2 - ?3 THEN 1 ELSE failures + 1 END,
        first_at = CASE WHEN first_at < ?2 - ?3 THEN ?2 ELSE first_at END
      RETURNING failures`).bind(who, now, failureWindowMs).first();
  if (row.failures < freeFailures) return 0;
  const seconds = Math.min(maxWaitSeconds, firstWaitSeconds * 2 ** (row.failures - freeFailures));
  await env.DB.prepare('UPDATE sign_in_failures SET blocked_until = ? WHERE client = ?').bind(now + seconds * 1000, who).run();
  return seconds;
}

const tooMany = (seconds) => json(429, {
  code: 'too_many_attempts', reason: `too many wrong tokens; try again in ${seconds} s`, retry_after: seconds,
}, { 'retry-after': String(seconds) });

// What the page needs to know of the session and the configuration.
function sessionView(session, extra) {
  return { signed_in: true, csrf: session.csrf, expires_at: new Date(session.expires_at).toISOString(), ...extra };
}

// POST /api/session {token}: signs in. GET: the current session. DELETE: signs out.
export async function sessionApi(request, env, describe) {
  const now = Date.now();
  if (request.method === 'GET') {
    const session = await currentSession(request, env);
    return session ? json(200, sessionView(session, describe(request, env)))
      : unauthorized('unauthorized', 'not signed in');
  }
  if (!sameOrigin(request, env)) return problem(403, 'csrf_failed', 'sign-in is only accepted from this origin');
  if (request.method === 'DELETE') {
    const session = await currentSession(request, env);
    if (session) {
      if (!sameSecret(request.headers.get(csrfHeader) ?? '', session.csrf)) {
        return problem(403, 'csrf_failed', `signing out needs the ${csrfHeader} header of this session`);
      }
      await env.DB.prepare('DELETE FROM sessions WHERE id_hash = ?').bind(session.id_hash).run();
    }
    return new Response(null, { status: 204, headers: { 'set-cookie': cookie(request, env, '', 0) } });
  }
  if (request.method !== 'POST') return methodNotAllowed(['GET', 'POST', 'DELETE'], { path: '/api/session' });

  const who = client(request);
  const wait = await waitFor(env, who, now);
  if (wait > 0) return tooMany(wait);
  let token = '';
  try {
    const body = await request.json();
    token = typeof body?.token === 'string' ? body.token.trim() : '';
  } catch {
    return problem(400, 'body_not_json', 'send {"token": "<ADMIN_TOKEN>"}');
  }
  if (token === '' || !sameSecret(token, env.ADMIN_TOKEN)) {
    const seconds = await recordFailure(env, who, now);
    if (seconds > 0) return tooMany(seconds);
    return unauthorized('token_wrong', 'that is not the admin token (script/server prints it; in production it is the ADMIN_TOKEN secret)');
  }
  await env.DB.prepare('DELETE FROM sign_in_failures WHERE client = ?').bind(who).run();
  const id = randomToken(32);
  const session = { id_hash: await sha256Hex(id), csrf: randomToken(24), expires_at: now + sessionSeconds * 1000 };
  await env.DB.prepare('INSERT INTO sessions (id_hash, csrf, created_at, expires_at) VALUES (?, ?, ?, ?)')
    .bind(session.id_hash, session.csrf, now, session.expires_at).run();
  return json(200, sessionView(session, describe(request, env)), { 'set-cookie': cookie(request, env, id, sessionSeconds) });
}

// Removes expired sessions, OAuth states and old failure counts (the scheduled task).
export async function purgeSessions(db, now) {
  await db.batch([
    db.prepare('DELETE FROM sessions WHERE expires_at < ?').bind(now),
    db.prepare('DELETE FROM oauth_states WHERE expires_at < ?').bind(now),
    db.prepare('DELETE FROM sign_in_failures WHERE first_at < ? AND (blocked_until IS NULL OR blocked_until < ?)')
      .bind(now - failureWindowMs, now),
  ]);
}
