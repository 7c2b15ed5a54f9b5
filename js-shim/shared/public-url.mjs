// Where dispatch is reached from outside: the base of every URL it hands out (a hook URL, the OAuth callback).
// PUBLIC_BASE_URL when it is set, else the origin a request came to (the Worker) or the page was loaded from
// (the pages). Shared by the Worker and the pages; imports nothing.

// Returns the base URL, without a trailing slash: `configured` (PUBLIC_BASE_URL, trimmed) when it is not
// empty, else `origin`.
export function publicBaseUrl(configured, origin) {
  const base = (configured ?? '').trim().replace(/\/+$/, '');
  return base === '' ? origin : base;
}

// Returns the origin the browser sees: `configured`'s origin when it is set and a URL, else `origin`.
export function publicOrigin(configured, origin) {
  const base = (configured ?? '').trim();
  try {
    return base === '' ? origin : new URL(base).origin;
  } catch {
    return origin;
  }
}

// The hook URL of endpoint `id` under `base`, where Bitbucket posts.
export const hookUrl = (base, id) => `${base}/hooks/${id}`;

// The OAuth callback under `base`, which a Bitbucket OAuth consumer must name.
export const oauthCallbackUrl = (base) => `${base}/oauth/bitbucket/callback`;
