// What to do after each POST to a destination: the retry policy (README, "Delivery"), as pure
// functions of the answer, the delivery's counts and the configuration (no I/O, randomness passed in).

import { webhookPath } from './shared/destination.mjs';

// Reads the knobs from the Worker's vars; every one has a production default.
/** @param {Partial<Env>} [env] */
export function deliveryConfig(env = {}) {
  /** @param {keyof Env} name @param {number} fallback */
  const number = (name, fallback) => {
    const value = Number(env[name]);
    return Number.isFinite(value) && value >= 0 ? value : fallback;
  };
  return {
    maxFailures: number('MAX_FAILURES', 10),            // 5xx and network errors before `failed`
    maxAttempts: number('MAX_ATTEMPTS', 30),            // every POST, 429s included
    retryBaseSeconds: number('RETRY_BASE_SECONDS', 10), // first backoff after a 5xx
    retryMaxSeconds: number('RETRY_MAX_SECONDS', 1800),
    blockedBackoffSeconds: number('BLOCKED_BACKOFF_SECONDS', 300), // a 429 that says nothing: Cloudflare's block
    timeoutSeconds: number('DESTINATION_TIMEOUT_SECONDS', 15),
    leaseSeconds: number('LEASE_SECONDS', 60),          // a consumer that died mid-POST is presumed gone after
    sweepGraceSeconds: number('SWEEP_GRACE_SECONDS', 30),
    sweepIntervalSeconds: number('SWEEP_INTERVAL_SECONDS', 60),
    retentionDays: number('RETENTION_DAYS', 7),         // raw bodies; the log itself is kept 4 times longer
  };
}

/** @typedef {ReturnType<typeof deliveryConfig>} DeliveryConfig */

/**
 * What came of one POST: the destination's answer ({status, headers, bodyText, redirectTo?}), a network error or
 * timeout ({error}), or an answer that makes no sense ({trouble}, retried as a 5xx is). One object type, as
 * deliver.mjs's Answer is, rather than a union a caller would narrow.
 * @typedef {{ status?: number, headers?: Headers, bodyText?: string, redirectTo?: string | null, error?: string,
 *   trouble?: string }} PostAnswer
 */

/**
 * What follows one POST (decide): "delivered" with the `messageId` Discord gave (null without one), "retry"
 * after `delaySeconds` with the `failures` counted so far, or "failed" (`broken`: the destination itself is gone
 * or refuses us; `destinationError` is then what the endpoint keeps as the cause). `why` for all but delivered.
 * @typedef {{ outcome: 'delivered' | 'retry' | 'failed', messageId?: string | null, delaySeconds?: number,
 *   failures?: number, why?: string, broken?: boolean, destinationError?: string }} Decision
 */

const maxQueueDelaySeconds = 43_200; // Cloudflare Queues' limit on delaySeconds

// Seconds to wait before the next try after a 5xx or network error: exponential with equal jitter, so it
// never retries at once and a burst of failures spreads out. `failures` counts this one.
/** @param {number} failures @param {DeliveryConfig} config @param {number} random in [0, 1) */
export function backoffSeconds(failures, config, random) {
  const ceiling = Math.min(config.retryMaxSeconds, config.retryBaseSeconds * 2 ** (failures - 1));
  return Math.min(maxQueueDelaySeconds, Math.max(1, Math.ceil(ceiling / 2 + (random * ceiling) / 2)));
}

// Seconds a 429 asks us to wait: the body's `retry_after` (Discord, fractional seconds), else the
// Retry-After header (seconds or an HTTP date), else X-RateLimit-Reset-After; null when none is given.
/** @param {Headers} headers @param {string} bodyText @param {number} now @returns {number | null} */
export function rateLimitSeconds(headers, bodyText, now) {
  try {
    const body = JSON.parse(bodyText);
    if (typeof body?.retry_after === 'number' && body.retry_after >= 0) return body.retry_after;
  } catch {
    // Not JSON: Cloudflare's block page, for one.
  }
  const header = headers.get('retry-after');
  if (header !== null && header.trim() !== '') {
    const seconds = Number(header);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds;
    const date = Date.parse(header);
    if (Number.isFinite(date)) return Math.max(0, (date - now) / 1000);
  }
  const resetAfter = Number(headers.get('x-ratelimit-reset-after') ?? NaN);
  return Number.isFinite(resetAfter) && resetAfter >= 0 ? resetAfter : null;
}

// Decides what follows one POST. `answer` is {status, headers, bodyText, redirectTo?}, {error} (network
// error or timeout) or {trouble} (an answer that makes no sense, retried as a 5xx is); `counts` is {attempts, failures} including this POST's attempt. Returns one of
//   {outcome:'delivered', messageId}
//   {outcome:'retry', delaySeconds, failures, why}
//   {outcome:'failed', why, broken, destinationError?}   (broken: the destination itself is gone or refuses
//   us; destinationError is then what the endpoint keeps as the cause, `why` without the consequence)
/**
 * @param {PostAnswer} answer @param {{ attempts: number, failures: number }} counts @param {DeliveryConfig} config
 * @param {number} random in [0, 1) @param {number} now @returns {Decision}
 */
export function decide(answer, counts, config, random, now) {
  /** @type {(why: string, broken?: boolean) => Decision} */
  const failed = (why, broken = false) => ({ outcome: 'failed', why, broken });
  /** @type {(delaySeconds: number, failures: number, why: string) => Decision} */
  const retry = (delaySeconds, failures, why) => {
    if (counts.attempts >= config.maxAttempts) return failed(`${why}; gave up after ${counts.attempts} attempts`);
    return { outcome: 'retry', delaySeconds: Math.min(maxQueueDelaySeconds, Math.max(1, Math.ceil(delaySeconds))), failures, why };
  };
  /** @param {string} why */
  const serverTrouble = (why) => {
    const failures = counts.failures + 1;
    if (failures >= config.maxFailures) return failed(`${why}; gave up after ${failures} failed attempts`);
    return retry(backoffSeconds(failures, config, random), failures, why);
  };

  if (answer.error !== undefined) return serverTrouble(`network error: ${answer.error}`);
  if (answer.trouble !== undefined) return serverTrouble(answer.trouble);
  // Neither: the destination answered, with a status, its headers and its body's text.
  const answered = /** @type {PostAnswer & { status: number, headers: Headers, bodyText: string }} */ (answer);
  const { status } = answered;
  if (status >= 200 && status < 300) {
    let messageId = null;
    try {
      messageId = JSON.parse(answered.bodyText)?.id ?? null;
    } catch {
      // 204 (no wait=true honoured) or a non-Discord sink: delivered without an id.
    }
    return { outcome: 'delivered', messageId: messageId === null ? null : String(messageId) };
  }
  if (status === 429) {
    const seconds = rateLimitSeconds(answered.headers, answered.bodyText, now);
    if (seconds === null) {
      const jitter = random * 0.2 * config.blockedBackoffSeconds;
      return retry(config.blockedBackoffSeconds + jitter, counts.failures,
        '429 without retry_after or Retry-After (a Cloudflare block): backing off for minutes');
    }
    return retry(seconds, counts.failures, `429 rate limited: retry after ${seconds} s`);
  }
  if (status >= 500) return serverTrouble(`${status} from the destination`);
  if (status >= 300 && status < 400) {
    // Not followed and not retried: a redirect would answer the same next time. The destination is not
    // marked broken, since a moved webhook is for a person to look at, not a proof it is gone.
    const where = answered.redirectTo ? `a redirect to ${answered.redirectTo}` : 'a redirect';
    return failed(`${status} from the destination: ${where}; dispatch does not follow redirects`);
  }
  if (status === 404 || status === 401) {
    const cause = `${status} from the destination: ${destinationError(answered.bodyText)}`;
    return { ...failed(`${cause}; the destination is marked broken`, true), destinationError: cause };
  }
  return failed(`${status} from the destination: ${destinationError(answered.bodyText)}${discordHint(answered.bodyText)}`);
}

// What a person can do about a Discord refusal that depends on the channel, not the message.
/** @type {Record<number, string>} */
const discordHints = {
  // A forum or media channel takes messages only into its posts.
  220001: 'the webhook belongs to a forum or media channel, where every message goes into a post: turn on "One '
    + 'live thread per pull request" for pull request events, and send other events to a text channel\'s webhook',
};

// Discord's JSON error code in an answer's body, or null.
/** @param {string | null | undefined} bodyText @returns {number | null} */
export function discordCode(bodyText) {
  try {
    const code = JSON.parse(bodyText ?? '')?.code;
    return typeof code === 'number' ? code : null;
  } catch {
    return null;
  }
}

/** @param {string} bodyText */
function discordHint(bodyText) {
  const code = discordCode(bodyText);
  const hint = code === null ? undefined : discordHints[code];
  return hint === undefined ? '' : `; ${hint}`;
}

// Why nothing is sent to a destination marked broken, given the error it was marked with (its cause; a mark
// made before the cause was kept apart ends with "; the destination is marked broken", said once here).
/** @param {string | null | undefined} destinationError */
export function brokenDestination(destinationError) {
  const cause = String(destinationError ?? 'no reason kept').replace(/; the destination is marked broken$/, '');
  return `the destination is marked broken after "${cause}"; nothing is sent to it until it is resumed `
    + '(once the webhook works again: Resume on the Sources page, or POST /api/endpoints/{id}/resume) or its URL is changed';
}

// Discord's error in a line: {"message":"Unknown Webhook","code":10015} -> "Unknown Webhook (code 10015)".
/** @param {string} bodyText */
function destinationError(bodyText) {
  try {
    const body = JSON.parse(bodyText);
    if (typeof body?.message === 'string') {
      const message = body.message.replace(/\s+/g, ' ').trim().slice(0, 200);
      return body.code === undefined ? message : `${message} (code ${String(body.code).slice(0, 20)})`;
    }
  } catch {
    // Fall through to the text itself.
  }
  const text = String(bodyText ?? '').replace(/\s+/g, ' ').trim();
  return text === '' ? 'no body' : text.slice(0, 200);
}

// Which Discord webhook URL `url` is: 'webhook' (/api[/vN]/webhooks/{id}/{token}), 'message' (one of its
// messages, …/messages/{id}), or null for anything else, a URL that does not parse included.
/** @param {string} url @returns {'webhook' | 'message' | null} */
export function discordWebhookPart(url) {
  let parts;
  try {
    parts = webhookPath(new URL(url).pathname);
  } catch {
    return null;
  }
  if (parts === null) return null;
  return parts.message === undefined ? 'webhook' : 'message';
}

// The destination URL with wait=true, so Discord answers with the message it created (and its id).
/** @param {string} destination */
export function waitUrl(destination) {
  const url = new URL(destination);
  url.searchParams.set('wait', 'true');
  return url.toString();
}

// A destination URL for people: a Discord webhook URL holds its token (anyone with it can post), so all
// but the last 4 characters of the last path segment are hidden, and the query is dropped.
/** @param {string} destination */
export function maskDestination(destination) {
  try {
    const url = new URL(destination);
    const segments = url.pathname.split('/');
    const last = segments.pop() ?? '';
    const shown = last.length > 8 ? last.slice(-4) : '';
    segments.push(last === '' ? '' : `${'•'.repeat(8)}${shown}`);
    return `${url.protocol}//${url.host}${segments.join('/')}`;
  } catch {
    return '(invalid URL)';
  }
}
