// Small HTTP helpers shared by the Worker's routes.

import { base64url } from './shared/encoding.mjs';
import { publicBaseUrl as baseOf, publicOrigin as originOf } from './shared/public-url.mjs';

// A JSON answer, ending with a newline (as a text file does: a terminal or `curl` shows it whole).
export function json(status, body, headers = {}) {
  return new Response(`${JSON.stringify(body)}\n`, {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
  });
}

// A refusal with a stable code and a reason for people; `extra` adds members such as `field`, `headers`
// headers such as WWW-Authenticate.
export function problem(status, code, reason, extra = {}, headers = {}) {
  return json(status, { code, reason, ...extra }, headers);
}

// The 405 of a path that takes only the `allowed` methods: {code:"method_not_allowed", reason} and Allow.
// The reason is "<path> allows GET, POST" unless `reason` is given.
/** @param {string[]} allowed @param {{ path?: string, reason?: string, headers?: Record<string, string> }} [options] */
export function methodNotAllowed(allowed, { path = 'this URL', reason, headers = {} } = {}) {
  const allow = allowed.join(', ');
  return problem(405, 'method_not_allowed', reason ?? `${path} allows ${allow}`, {}, { ...headers, allow });
}

// Compares two strings in time that depends only on their lengths, with the Workers runtime's
// crypto.subtle.timingSafeEqual. It takes equal lengths only: a `given` of another length is compared with
// `expected` itself, so a wrong length costs the same comparison and still answers false.
export function sameSecret(given, expected) {
  const a = new TextEncoder().encode(given);
  const b = new TextEncoder().encode(expected);
  const sameLength = a.byteLength === b.byteLength;
  return crypto.subtle.timingSafeEqual(sameLength ? a : b, b) && sameLength;
}

// Reads a request body without buffering more than `limit` bytes; returns null when it is larger.
export async function readLimited(request, limit) {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > limit) return null;
  if (!request.body) return new Uint8Array(0);
  const chunks = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0];
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

// An unread body is drained while it keeps coming (each piece within `drainIdleMs`), up to `drainMs` and
// `drainBytes`, then let go.
const drainIdleMs = 250;
const drainMs = 2000;
const drainBytes = 8 * 1024 * 1024;

// Reads and drops what is left of a body the answer did not need. Reading it keeps the connection usable for
// the next request (wrangler dev's proxy breaks it otherwise); the limits stop a sender that declared more
// than it sends (a Content-Length over 1 MiB, 10 bytes of body) from holding the answer back: the runtime
// (wrangler dev drains an unread body) waited for all of it, and the sender got no answer until it gave up.
async function drain(body) {
  const reader = body.getReader();
  const started = Date.now();
  let size = 0;
  let timer;
  try {
    while (Date.now() - started < drainMs && size <= drainBytes) {
      const idle = new Promise((done) => { timer = setTimeout(done, drainIdleMs, null); });
      const step = await Promise.race([reader.read(), idle]);
      clearTimeout(timer);
      if (step === null || step.done) break;
      size += step.value.byteLength;
    }
  } catch {
    // The sender went away.
  } finally {
    clearTimeout(timer);
    reader.cancel().catch(() => {});
  }
}

// Returns what `answer()` answers to `request`, once what is left of a body it did not read is drained (within
// drain's bounds): a refusal is answered though a declared body never comes (the receive path, the admin API).
export async function withBodyDrained(request, answer) {
  try {
    return await answer();
  } finally {
    if (request.body && !request.bodyUsed) await drain(request.body);
  }
}

// Returns `count` random bytes as URL-safe base64 without padding.
export function randomToken(count) {
  return base64url(crypto.getRandomValues(new Uint8Array(count)));
}

export function isoTime(milliseconds) {
  return milliseconds == null ? null : new Date(milliseconds).toISOString();
}

// A failed fetch() in words that name the host and what failed. workerd words a connection it could not make
// as "internal error; reference = …" (a name that does not resolve, a host unreachable; the cause is in its own
// log) or "Network connection lost." (a port that refuses, as seen under wrangler dev): each is said plainly,
// the reference kept for whoever reads that log.
export function networkFailure(target, error, timeoutSeconds) {
  let host = 'the destination';
  try {
    host = new URL(target).host;
  } catch {
    // The URL was checked when saved; keep the generic name.
  }
  if (error?.name === 'TimeoutError') return `${host} sent no answer within ${timeoutSeconds} s`;
  const text = String(error?.message ?? error).replace(/\s+/g, ' ').trim().slice(0, 200);
  const reference = /internal error; reference = (\w+)/.exec(text);
  if (reference) {
    return `could not connect to ${host}: it refused the connection, did not answer, or its name does not resolve `
      + `(the runtime gives no more; reference ${reference[1]})`;
  }
  // workerd's words both for a connection refused (seen under wrangler dev) and for one dropped mid-answer.
  if (/network connection lost/i.test(text)) return `no answer from ${host}: the connection was refused, or dropped before it answered`;
  return `could not reach ${host}: ${text}`;
}

// The address the relay is reached at, as people and Bitbucket see it (shared/public-url.mjs): PUBLIC_BASE_URL
// when set, else the request's origin.
export const publicBaseUrl = (request, env) => baseOf(env.PUBLIC_BASE_URL, new URL(request.url).origin);

// The origin the browser sees: PUBLIC_BASE_URL's when set (and a URL), else the request's.
export const publicOrigin = (request, env) => originOf(env.PUBLIC_BASE_URL, new URL(request.url).origin);
