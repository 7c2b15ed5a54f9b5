// One HTTP call to a destination, and what is kept of its answer: never a redirect followed, at most a few KiB
// read (64 KiB of Discord's own answer, to find the message id), a short excerpt of anyone else's.

import { networkFailure } from './http.mjs';
import { discordWebhookPart, waitUrl } from './policy.mjs';

const keptAnswerBytes = 4096;
// Discord answers with the message it created, embeds and all, so its id can lie past the kept 4 KiB; this
// much is read to find it, and never more.
const readDiscordBytes = 64 * 1024;
const keptExcerptChars = 200; // of an answer that is not Discord's: a short text, nothing more
const keptAnswerInLog = 512; // of each attempt's answer; the last one is kept whole (4 KiB) beside the log

// Sends a JSON `body` to `target` with `method` (POST, or PATCH for a pull request's card); returns {status,
// headers, bodyText, kept, redirectTo?, ms} or {error, ms} for a network error or timeout. `bodyText` is what
// the policy reads, `kept` what the log keeps.
/**
 * @typedef {{ ms: number, status?: number, headers?: Headers, bodyText?: string, kept?: string,
 *   redirectTo?: string | null, error?: string, timedOut?: boolean }} Answer
 * @returns {Promise<Answer>}
 */
export async function send(target, method, body, timeoutSeconds) {
  const started = Date.now();
  const answer = await sendOnce(target, method, body, timeoutSeconds);
  return { ...answer, ms: Date.now() - started };
}

// POSTs the message with ?wait=true, so Discord answers with the message it created.
export const post = (url, message, timeoutSeconds) => send(waitUrl(url), 'POST', message, timeoutSeconds);

// The attempt-log fields of one call's answer: how long it took, the status, the answer's start.
export function describe(answer) {
  const fields = { duration_ms: answer.ms };
  if (answer.status !== undefined) fields.status = answer.status;
  if (answer.kept !== undefined && answer.kept !== '') fields.answer = answer.kept.slice(0, keptAnswerInLog);
  return fields;
}

// A Discord-shaped answer: to a webhook URL's path (or one of its messages), in JSON. Any other destination
// is kept short: its answer is not ours to store, and may be anything (an internal page, if a redirect or a
// DNS record led there).
function discordShaped(url, response) {
  return discordWebhookPart(url) !== null && /^application\/json\b/i.test(response.headers.get('content-type') ?? '');
}

// Reads at most `limit` bytes of a body from its stream and cancels the rest, so an answer without end
// costs no more than that.
async function readAtMost(response, limit) {
  if (!response.body) return new Uint8Array(0);
  const reader = response.body.getReader();
  const bytes = new Uint8Array(limit);
  let size = 0;
  while (size < limit) {
    const { done, value } = await reader.read();
    if (done) return bytes.subarray(0, size);
    const part = value.subarray(0, limit - size);
    bytes.set(part, size);
    size += part.byteLength;
  }
  await reader.cancel().catch(() => {});
  return bytes;
}

// The first `count` bytes as text; a character cut in two at the end is dropped.
const textOf = (bytes, count = bytes.byteLength) => new TextDecoder().decode(bytes.subarray(0, count), { stream: true });

// A short text-only excerpt: control and direction characters become spaces, runs of space one.
const excerpt = (text) => text.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, ' ')
  .replace(/ {2,}/g, ' ').trim().slice(0, keptExcerptChars);

async function sendOnce(target, method, body, timeoutSeconds) {
  try {
    const response = await fetch(target, {
      method,
      headers: { 'content-type': 'application/json', 'user-agent': 'dispatch-relay/0.1' },
      body,
      // A redirect is never followed: it could lead the POST (and the answer kept) anywhere, a private
      // address included.
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutSeconds * 1000),
    });
    const answer = { status: response.status, headers: response.headers };
    if (response.status >= 300 && response.status < 400) {
      const location = response.headers.get('location');
      try {
        answer.redirectTo = location === null ? null : new URL(location, target).host;
      } catch {
        answer.redirectTo = null;
      }
    }
    if (discordShaped(target, response)) {
      const bytes = await readAtMost(response, readDiscordBytes);
      return { ...answer, bodyText: textOf(bytes), kept: textOf(bytes, keptAnswerBytes) };
    }
    const text = excerpt(textOf(await readAtMost(response, keptAnswerBytes)));
    return { ...answer, bodyText: text, kept: text };
  } catch (error) {
    if (error?.name === 'TimeoutError') return { error: networkFailure(target, error, timeoutSeconds), timedOut: true };
    return { error: networkFailure(target, error) };
  }
}
