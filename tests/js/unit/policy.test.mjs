// The delivery policy (js-shim/policy.mjs) as pure functions: what follows each answer of a destination.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  backoffSeconds, brokenDestination, decide, deliveryConfig, discordWebhookPart, maskDestination, rateLimitSeconds, waitUrl,
} from '../../../js-shim/policy.mjs';
import { networkFailure } from '../../../js-shim/http.mjs';

const config = deliveryConfig({});
const now = Date.parse('2026-11-23T12:00:00Z');
const answer = (status, bodyText = '', headers = {}) => ({ status, bodyText, headers: new Headers(headers) });
const first = { attempts: 1, failures: 0 };

test('the defaults are the production policy; vars override them and bad values are ignored', () => {
  assert.equal(config.maxFailures, 10);
  assert.equal(config.retryBaseSeconds, 10);
  assert.equal(deliveryConfig({ RETRY_BASE_SECONDS: '2' }).retryBaseSeconds, 2);
  assert.equal(deliveryConfig({ RETRY_BASE_SECONDS: 'soon' }).retryBaseSeconds, 10);
  assert.equal(deliveryConfig({ MAX_FAILURES: '-1' }).maxFailures, 10);
});

test('backoff doubles with equal jitter, never immediate, capped', () => {
  assert.equal(backoffSeconds(1, config, 0), 5);
  assert.equal(backoffSeconds(1, config, 1), 10);
  assert.equal(backoffSeconds(3, config, 0), 20);
  assert.equal(backoffSeconds(3, config, 0.999), 40);
  assert.equal(backoffSeconds(20, config, 1), 1800);
  assert.equal(backoffSeconds(1, { ...config, retryBaseSeconds: 0 }, 0), 1);
});

test('a 429 waits the body\'s retry_after, else Retry-After (seconds or date), else X-RateLimit-Reset-After', () => {
  assert.equal(rateLimitSeconds(new Headers({ 'retry-after': '9' }), '{"retry_after":0.25,"global":false}', now), 0.25);
  assert.equal(rateLimitSeconds(new Headers({ 'retry-after': '9' }), '<html>', now), 9);
  assert.equal(rateLimitSeconds(new Headers({ 'retry-after': 'Mon, 23 Nov 2026 12:00:30 GMT' }), '', now), 30);
  assert.equal(rateLimitSeconds(new Headers({ 'x-ratelimit-reset-after': '1.5' }), '', now), 1.5);
  assert.equal(rateLimitSeconds(new Headers({}), '<html>Error 1015</html>', now), null);
});

test('2xx is delivered, with Discord\'s message id when it answered one', () => {
  assert.deepEqual(decide(answer(200, '{"id":"1300000000000000001","type":0}'), first, config, 0, now),
    { outcome: 'delivered', messageId: '1300000000000000001' });
  assert.deepEqual(decide(answer(204), first, config, 0, now), { outcome: 'delivered', messageId: null });
});

test('429 retries after what it asks, without spending the failure budget; a bare 429 backs off minutes', () => {
  const limited = decide(answer(429, '{"retry_after":1.2}'), first, config, 0, now);
  assert.deepEqual(limited, { outcome: 'retry', delaySeconds: 2, failures: 0, why: '429 rate limited: retry after 1.2 s' });
  const blocked = decide(answer(429, '<html>'), first, config, 0.5, now);
  assert.equal(blocked.delaySeconds, 330);
  assert.match(blocked.why, /Cloudflare block/);
  const spent = decide(answer(429, '{"retry_after":1}'), { attempts: 30, failures: 0 }, config, 0, now);
  assert.equal(spent.outcome, 'failed');
  assert.match(spent.why, /gave up after 30 attempts/);
});

test('5xx, network errors and senseless answers back off until MAX_FAILURES, then fail', () => {
  const once = decide(answer(503), first, config, 0, now);
  assert.deepEqual(once, { outcome: 'retry', delaySeconds: 5, failures: 1, why: '503 from the destination' });
  const network = decide({ error: 'connection refused' }, { attempts: 2, failures: 1 }, config, 0, now);
  assert.deepEqual([network.outcome, network.failures, network.delaySeconds], ['retry', 2, 10]);
  const last = decide(answer(500), { attempts: 10, failures: 9 }, config, 0, now);
  assert.deepEqual(last, { outcome: 'failed', why: '500 from the destination; gave up after 10 failed attempts', broken: false });
  // An answer that made no sense (a thread's new card with no id) is retried as a 5xx, in its own words.
  const odd = decide({ trouble: 'Discord\'s answer named no message' }, first, config, 0, now);
  assert.deepEqual(odd, { outcome: 'retry', delaySeconds: 5, failures: 1, why: 'Discord\'s answer named no message' });
  assert.equal(decide({ trouble: 'x' }, { attempts: 10, failures: 9 }, config, 0, now).why, 'x; gave up after 10 failed attempts');
});

test('404 and 401 fail at once and mark the destination broken; other 4xx fail at once with the error', () => {
  assert.deepEqual(decide(answer(404, '{"message":"Unknown Webhook","code":10015}'), first, config, 0, now), {
    outcome: 'failed', broken: true,
    why: '404 from the destination: Unknown Webhook (code 10015); the destination is marked broken',
    destinationError: '404 from the destination: Unknown Webhook (code 10015)',
  });
  assert.equal(decide(answer(401, '{"message":"Invalid Webhook Token","code":50027}'), first, config, 0, now).broken, true);
  assert.deepEqual(decide(answer(400, '{"message":"Invalid Form Body","code":50035}'), first, config, 0, now), {
    outcome: 'failed', broken: false, why: '400 from the destination: Invalid Form Body (code 50035)',
  });
  assert.equal(decide(answer(413, 'too\n large'), first, config, 0, now).why, '413 from the destination: too large');
  // A message to a forum channel outside a post says what to do about it.
  const forum = '{"message":"Webhooks posted to forum channels must have a thread_name or thread_id","code":220001}';
  assert.match(decide(answer(400, forum), first, config, 0, now).why,
    /^400 from the destination: Webhooks posted to forum channels must have a thread_name or thread_id \(code 220001\); the webhook belongs to a forum or media channel, where every message goes into a post: turn on "One live thread per pull request"/);
});

test('the destination gets wait=true, keeping its own query (thread_id)', () => {
  assert.equal(waitUrl('https://discord.com/api/webhooks/1/tok'), 'https://discord.com/api/webhooks/1/tok?wait=true');
  assert.equal(waitUrl('https://discord.com/api/webhooks/1/tok?thread_id=9&wait=false'),
    'https://discord.com/api/webhooks/1/tok?thread_id=9&wait=true');
});

test('a destination is shown without its token', () => {
  assert.equal(maskDestination('https://discord.com/api/webhooks/123/AbCdEfGhIjKlMnOp?thread_id=9'),
    'https://discord.com/api/webhooks/123/••••••••MnOp');
  assert.equal(maskDestination('https://hooks.example/x'), 'https://hooks.example/••••••••');
  assert.equal(maskDestination('nope'), '(invalid URL)');
});

test('a Discord webhook URL is told from one of its messages and from anything else', () => {
  assert.equal(discordWebhookPart('https://discord.com/api/webhooks/1/tok'), 'webhook');
  assert.equal(discordWebhookPart('https://discord.com/api/v10/webhooks/1/tok/?thread_id=9'), 'webhook');
  assert.equal(discordWebhookPart('https://discord.com/api/webhooks/1/tok/messages/22'), 'message');
  assert.equal(discordWebhookPart('https://discord.com/api/webhooks/x/tok'), null);
  assert.equal(discordWebhookPart('https://example.com/hook'), null);
  assert.equal(discordWebhookPart('not a url'), null);
});

test('a network failure names the host and what failed, the runtime\'s bare "internal error" included', () => {
  const target = 'https://discord.com/api/webhooks/1/tok?wait=true';
  assert.equal(networkFailure(target, new Error('internal error; reference = 0123abcd')),
    'could not connect to discord.com: it refused the connection, did not answer, or its name does not resolve '
    + '(the runtime gives no more; reference 0123abcd)');
  assert.equal(networkFailure(target, new Error('Network connection lost.')),
    'no answer from discord.com: the connection was refused, or dropped before it answered');
  assert.equal(networkFailure('http://127.0.0.1:8789/x', Object.assign(new Error('t'), { name: 'TimeoutError' }), 5),
    '127.0.0.1:8789 sent no answer within 5 s');
  assert.equal(networkFailure(target, new TypeError('fetch failed')), 'could not reach discord.com: fetch failed');
});

test('a broken destination is explained without asking anyone to send JSON', () => {
  const words = brokenDestination('404 from the destination: Unknown Webhook (code 10015)');
  assert.match(words, /^the destination is marked broken after "404 from the destination: Unknown Webhook \(code 10015\)"; nothing is sent/);
  assert.doesNotMatch(words, /PATCH|\{"/);
});
