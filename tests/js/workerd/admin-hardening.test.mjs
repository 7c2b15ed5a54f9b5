// The admin API against hostile or unlucky callers, under `wrangler dev`: a slow PATCH racing a secret
// rotation, nested unknown fields, very deep JSON, redelivery to a broken destination, a cross-origin
// preflight, CR/LF in query values that reach a header; and the constant-time comparison of secrets.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, test } from 'node:test';

import { eventually, root, sign } from '../helpers.mjs';
import { withRelay } from '../relay.mjs';

const token = 'hardening-test-admin-token-0123456789';
const pushBody = readFileSync(resolve(root, 'tests/vectors/bodies/push.json'));
const sleep = (ms) => new Promise((wait) => setTimeout(wait, ms));
const { relay, sink } = withRelay({ token, sink: true, vars: { RETRY_BASE_SECONDS: 1, MAX_FAILURES: 2 } });

async function hook(endpoint, secret = endpoint.secret) {
  const response = await fetch(endpoint.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json', 'x-event-key': 'repo:push', 'x-request-uuid': randomUUID(),
      'x-hub-signature': sign(secret, pushBody),
    },
    body: pushBody,
  });
  return { status: response.status, body: await response.json() };
}

async function endpoint(webhookToken, settings = {}) {
  const created = await relay.api('POST', '/api/endpoints', {
    name: webhookToken, destination_url: sink.webhook(webhookToken), events: { mode: 'all' }, ...settings,
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return created.body;
}

test('a slow PATCH does not undo a secret rotation made while its body was arriving', async () => {
  const ep = await endpoint('slow-patch-token', { secret: 'first-secret-0123456789' });
  let body;
  const stream = new ReadableStream({ start(controller) { body = controller; } });
  const patching = fetch(`${relay.base}/api/endpoints/${ep.id}`, {
    method: 'PATCH', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: stream, duplex: 'half',
  });
  body.enqueue(new TextEncoder().encode('{"name": "renamed '));
  await sleep(1000);
  const rotated = await relay.api('POST', `/api/endpoints/${ep.id}/secret`, { secret: 'second-secret-0123456789' });
  assert.equal(rotated.status, 200);
  body.enqueue(new TextEncoder().encode('slowly"}'));
  body.close();
  const patched = await patching;
  assert.equal(patched.status, 200, await patched.clone().text());
  assert.equal((await patched.json()).name, 'renamed slowly');
  assert.equal((await hook(ep, 'second-secret-0123456789')).status, 202);
  assert.equal((await hook(ep, 'first-secret-0123456789')).status, 401);
  assert.equal((await relay.api('GET', `/api/endpoints/${ep.id}`)).body.name, 'renamed slowly');
});

test('writes that race each other all land: rotations and renames at once', async () => {
  const ep = await endpoint('race-token', { secret: 'race-secret-0123456789' });
  const secrets = ['race-a-0123456789abc', 'race-b-0123456789abc', 'race-c-0123456789abc'];
  const answers = await Promise.all([
    ...secrets.map((secret) => relay.api('POST', `/api/endpoints/${ep.id}/secret`, { secret })),
    relay.api('PATCH', `/api/endpoints/${ep.id}`, { name: 'raced' }),
    relay.api('PATCH', `/api/endpoints/${ep.id}`, { events: { mode: 'push' } }),
  ]);
  for (const answer of answers) assert.ok([200, 409].includes(answer.status), JSON.stringify(answer.body));
  const read = (await relay.api('GET', `/api/endpoints/${ep.id}`)).body;
  if (answers[3].status === 200) assert.equal(read.name, 'raced');
  if (answers[4].status === 200) assert.deepEqual(read.events, { mode: 'push' });
  const verifying = [];
  for (const secret of secrets) if ((await hook(ep, secret)).status === 202) verifying.push(secret);
  assert.equal(verifying.length, 1, 'exactly one of the rotated secrets verifies');
});

describe('admin input', () => {
  test('a nested unknown field is refused by its path', async () => {
    const good = { name: 'n', destination_url: sink.webhook('nested-token'), events: { mode: 'all' } };
    const created = await relay.api('POST', '/api/endpoints', { ...good, events: { mode: 'all', extra: 1 } });
    assert.equal(created.status, 400);
    assert.equal(created.body.code, 'request_invalid');
    assert.equal(created.body.field, 'events.extra');
    assert.match(created.body.reason, /unknown field "events\.extra"; expected mode, custom/);
    const ep = await endpoint('nested-token');
    const patched = await relay.api('PATCH', `/api/endpoints/${ep.id}`, { events: { mode: 'custom', custom: ['repo:push'], colour: 'red' } });
    assert.equal(patched.status, 400);
    assert.equal(patched.body.field, 'events.colour');
  });

  test('very deep JSON is 400 body_too_deep naming the field, not 503', async () => {
    const depth = 100_000;
    const text = `{"name":"n","destination_url":${JSON.stringify(sink.webhook('deep-token'))},"events":{"mode":"all"},`
      + `"template":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    const created = await relay.api('POST', '/api/endpoints', text);
    assert.equal(created.status, 400, JSON.stringify(created.body));
    assert.equal(created.body.code, 'body_too_deep');
    assert.equal(created.body.field, 'template');
    const ep = await endpoint('deep-token');
    const patched = await relay.api('PATCH', `/api/endpoints/${ep.id}`, `{"templates":{"repo:push":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}}`);
    assert.equal(patched.status, 400);
    assert.deepEqual([patched.body.code, patched.body.field], ['body_too_deep', 'templates']);
    // A template as deep as a real message is still fine.
    const shallow = await relay.api('PATCH', `/api/endpoints/${ep.id}`, {
      template: { embeds: [{ title: '{{repository.name}}', fields: [{ name: 'a', value: 'b' }] }] },
    });
    assert.equal(shallow.status, 200, JSON.stringify(shallow.body));
  });

  test('redelivery to a destination marked broken is 409 with the reason, as for an inactive endpoint', async () => {
    const ep = await endpoint('broken-redeliver-token');
    sink.script('broken-redeliver-token', [{ status: 404 }]);
    const { body } = await hook(ep);
    await eventually('the destination to be marked broken', async () => (await relay.api('GET', `/api/endpoints/${ep.id}`)).body.destination_status === 'broken');
    const again = await relay.api('POST', `/api/deliveries/${body.delivery}/redeliver`);
    assert.equal(again.status, 409, JSON.stringify(again.body));
    assert.equal(again.body.code, 'destination_broken');
    assert.match(again.body.reason, /Unknown Webhook/);
    assert.match(again.body.reason, /until it is resumed .* or its URL is changed/);
    await sleep(500);
    assert.equal(sink.arrivals('broken-redeliver-token'), 1);
  });
});

describe('headers', () => {
  test('a cross-origin preflight gets no Access-Control-Allow-* header', async () => {
    for (const path of ['/api/endpoints', '/api/session', '/api/events', '/api/endpoints/x/secret', '/hooks/x']) {
      const response = await fetch(`${relay.base}${path}`, {
        method: 'OPTIONS',
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
      });
      const allowing = [...response.headers.keys()].filter((name) => name.startsWith('access-control-'));
      assert.deepEqual(allowing, [], `${path} answered ${allowing.join(', ')}`);
    }
    const actual = await fetch(`${relay.base}/api/endpoints`, { headers: { origin: 'https://evil.example', authorization: `Bearer ${token}` } });
    assert.equal(actual.headers.get('access-control-allow-origin'), null);
  });

  test('CR/LF in the delivery list\'s query values cannot add a header', async () => {
    const ep = await endpoint('crlf-token');
    for (let i = 0; i < 2; i += 1) assert.equal((await hook(ep, 'not-the-secret-0123456789')).status, 401);
    const injected = encodeURIComponent('\r\nX-Injected: 1\r\n');
    for (const query of [`limit=1&x=${injected}`, `limit=1&status=rejected&x=${injected}`, `limit=1&event=${injected}`,
      `limit=1&cursor=${injected}`, `limit=1&status=${injected}`]) {
      const response = await fetch(`${relay.base}/api/endpoints/${ep.id}/deliveries?${query}`, { headers: { authorization: `Bearer ${token}` } });
      assert.ok([200, 400].includes(response.status), `${query}: ${response.status}`);
      assert.equal(response.headers.get('x-injected'), null, query);
      for (const [name, value] of response.headers) assert.doesNotMatch(value, /[\r\n]/, `${query}: ${name}`);
      const link = response.headers.get('link');
      if (link) assert.match(link, /^<\/api\/endpoints\/[^>\s]+>; rel="next"$/);
    }
  });
});

test('sameSecret compares through crypto.subtle.timingSafeEqual, equal lengths only', async () => {
  const { sameSecret } = await import('../../../js-shim/http.mjs');
  const calls = [];
  const had = Object.getOwnPropertyDescriptor(crypto.subtle, 'timingSafeEqual');
  crypto.subtle.timingSafeEqual = (a, b) => {
    calls.push([a.byteLength, b.byteLength]);
    return Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;
  };
  try {
    assert.equal(sameSecret('token-0123456789', 'token-0123456789'), true);
    assert.equal(sameSecret('token-0123456788', 'token-0123456789'), false);
    assert.equal(sameSecret('token', 'token-0123456789'), false);
    assert.equal(sameSecret('token-0123456789-longer', 'token-0123456789'), false);
    assert.equal(sameSecret('', 'token-0123456789'), false);
    assert.equal(calls.length, 5);
    for (const [a, b] of calls) assert.equal(a, b);
  } finally {
    if (had) Object.defineProperty(crypto.subtle, 'timingSafeEqual', had);
    else delete crypto.subtle.timingSafeEqual;
  }
});
