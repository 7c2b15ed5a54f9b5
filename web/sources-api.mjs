// The Sources page's only door to the relay: same-origin JSON calls with the session cookie. Every call
// other than GET carries the session's CSRF token, which the relay checks with the cookie.

let csrfToken = null;

// Remembers the CSRF token of the current session (from POST or GET /api/session); null forgets it.
export function useCsrf(token) {
  csrfToken = token;
}

// A refusal or failure of a call: `status` (0 when the relay did not answer), and the relay's `code`,
// `reason` and the rest of its answer in `body`.
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.reason ?? `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = body?.code ?? (status === 0 ? 'network' : `http_${status}`);
    this.reason = body?.reason ?? null;
    this.body = body ?? {};
  }
}

// Calls the relay. Returns {body, headers, status}, body parsed as JSON (or the text when `text` is set,
// null when empty); throws ApiError for a non-2xx answer or when the relay cannot be reached.
/**
 * @param {string} method
 * @param {string} path
 * @param {any} [body]
 * @param {{signal?: AbortSignal, text?: boolean}} [options]
 * @returns {Promise<ApiAnswer>}
 */
export async function api(method, path, body, { signal, text = false } = {}) {
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['x-dispatch-csrf'] = csrfToken;
  let response;
  try {
    response = await fetch(path, {
      method, headers, signal, credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new ApiError(0, { code: 'network', reason: 'The relay did not answer. Is it running? Check your connection and try again.' });
  }
  const raw = await response.text();
  if (!response.ok) {
    let parsed;
    try {
      parsed = JSON.parse(raw);
    } catch {
      parsed = { reason: `The relay answered ${response.status} ${response.statusText}.` };
    }
    throw new ApiError(response.status, parsed);
  }
  let value = raw;
  if (!text) value = raw === '' ? null : JSON.parse(raw);
  return { body: value, headers: response.headers, status: response.status };
}

// GETs every page of a list the relay pages with X-Next-Cursor (GET /api/endpoints). Returns {body: all the
// items, headers and status of the last page}; throws as api does.
/**
 * @param {string} path
 * @param {{signal?: AbortSignal}} [options]
 * @returns {Promise<ApiAnswer<any[]>>}
 */
export async function apiAll(path, { signal } = {}) {
  const items = [];
  let answer = await api('GET', path, undefined, { signal });
  items.push(...answer.body);
  for (let cursor = answer.headers.get('x-next-cursor'); cursor; cursor = answer.headers.get('x-next-cursor')) {
    const next = new URL(path, location.origin);
    next.searchParams.set('cursor', cursor);
    answer = await api('GET', `${next.pathname}${next.search}`, undefined, { signal });
    items.push(...answer.body);
  }
  return { ...answer, body: items };
}

// Returns true when `error` means the session is gone (expired, signed out elsewhere, never started).
export function isSignedOut(error) {
  return error instanceof ApiError && error.status === 401;
}
